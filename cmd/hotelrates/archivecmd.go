package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"hotelrates/archive"
)

const archiveUsage = `usage: hotelrates archive <list|show> [flags]

  list                 list segments in the archive (S3 or directory) and the local spool
  show --search-id ID  print the records (NDJSON) of one search, from the archive and the spool
`

func runArchive(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "show") {
		fmt.Fprint(stderr, archiveUsage)
		return flag.ErrHelp
	}
	sub := args[0]
	fs := flag.NewFlagSet("archive "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (default: the embedded default) for the archive URL and spool")
	url := fs.String("archive", "", "archive URL s3://BUCKET/PREFIX or file:///DIR (default: the config's)")
	spoolDir := fs.String("spool", "", "spool directory (default: the config's; \"-\" for none)")
	vendor := fs.String("vendor", "", "only this vendor's segments")
	date := fs.String("date", "", "only segments of this UTC date, YYYY-MM-DD")
	searchID := fs.String("search-id", "", "show: the search whose records to print")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if sub == "show" && *searchID == "" {
		return errors.New("archive show needs --search-id")
	}
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	if *url == "" {
		*url = cfg.Archive.URL
	}
	if *spoolDir == "" {
		*spoolDir = cfg.Archive.SpoolDir
	}
	sink, prefix, err := archive.OpenSink(ctx, *url, archive.S3Options{Region: cfg.Archive.Region, Endpoint: cfg.Archive.Endpoint, PathStyle: cfg.Archive.PathStyle})
	if err != nil {
		return err
	}
	src := archive.Source{Sink: sink, Prefix: prefix, SpoolDir: *spoolDir}
	if src.SpoolDir == "-" {
		src.SpoolDir = ""
	}
	filter := archive.Filter{Vendor: *vendor, Date: *date}
	if sub == "list" {
		segs, err := archive.FindSegments(ctx, src, filter)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WHERE\tKEY\tBYTES")
		for _, o := range segs.Archived {
			fmt.Fprintf(tw, "%s\t%s\t%d\n", *url, o.Key, o.Size)
		}
		for _, s := range segs.Spooled {
			where := "spool (ready)"
			if !s.Ready {
				where = "spool (open)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\n", where, s.Key, s.Size)
		}
		return tw.Flush()
	}
	found, err := archive.FindRecords(ctx, src, filter, *searchID)
	enc := json.NewEncoder(stdout)
	for _, ex := range found.Exchanges {
		if err := enc.Encode(ex); err != nil {
			return err
		}
	}
	for _, e := range found.Errors {
		fmt.Fprintln(stderr, e)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d records of search %s\n", len(found.Exchanges), *searchID)
	if n := len(found.Errors); n > 0 {
		return fmt.Errorf("records of search %s may be missing: %d of the segments could not be read, or only in part", *searchID, n)
	}
	return nil
}
