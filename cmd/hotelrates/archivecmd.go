package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
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
	keyPrefix := prefix
	if keyPrefix != "" {
		keyPrefix += "/"
	}
	if *vendor != "" {
		keyPrefix += "vendor=" + *vendor + "/"
		if *date != "" {
			keyPrefix += "date=" + *date + "/"
		}
	}
	objs, err := sink.List(ctx, keyPrefix)
	if err != nil {
		return err
	}
	var spooled []archive.SpoolSegment
	if *spoolDir != "-" {
		if spooled, err = archive.ListSpool(*spoolDir); err != nil {
			return err
		}
	}
	match := func(key string) bool {
		return (*vendor == "" || contains(key, "vendor="+*vendor+"/")) && (*date == "" || contains(key, "date="+*date+"/"))
	}
	if sub == "list" {
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WHERE\tKEY\tBYTES")
		for _, o := range objs {
			if match(o.Key) {
				fmt.Fprintf(tw, "%s\t%s\t%d\n", *url, o.Key, o.Size)
			}
		}
		for _, s := range spooled {
			if match(s.Key) {
				where := "spool (ready)"
				if !s.Ready {
					where = "spool (open)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\n", where, s.Key, s.Size)
			}
		}
		return tw.Flush()
	}
	enc := json.NewEncoder(stdout)
	found := 0
	for _, o := range objs {
		if !match(o.Key) {
			continue
		}
		rc, err := sink.Get(ctx, o.Key)
		if err != nil {
			return err
		}
		exs, err := archive.ReadSegment(rc)
		rc.Close()
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", o.Key, err)
		}
		for _, ex := range exs {
			if hasSearch(ex.SearchID, *searchID) {
				enc.Encode(ex)
				found++
			}
		}
	}
	for _, s := range spooled {
		if !match(s.Key) {
			continue
		}
		exs, _ := archive.ReadSpoolSegment(s)
		for _, ex := range exs {
			if hasSearch(ex.SearchID, *searchID) {
				enc.Encode(ex)
				found++
			}
		}
	}
	fmt.Fprintf(stderr, "%d records of search %s\n", found, *searchID)
	return nil
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// hasSearch reports whether a record's search ids (comma-separated: a call
// shared by searches) include id.
func hasSearch(ids, id string) bool {
	for _, x := range strings.Split(ids, ",") {
		if x == id {
			return true
		}
	}
	return false
}
