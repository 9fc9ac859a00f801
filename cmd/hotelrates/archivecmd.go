package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	neturl "net/url"
	"os"
	"text/tabwriter"

	"hotelrates/archive"
)

const archiveUsage = `usage: hotelrates archive list|show [flags]

  list                 list segments in the archive (S3 or directory) and the local spool
  show --search-id ID  print the records (NDJSON) of one search, from the archive and the spool

Run 'hotelrates archive list --help' or 'hotelrates archive show --help' for their flags.
`

func runArchive(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, archiveUsage)
		return nil
	}
	if len(args) == 0 || (args[0] != "list" && args[0] != "show") {
		fmt.Fprint(stderr, archiveUsage)
		return errUsage
	}
	sub := args[0]
	var fs *command
	var searchID *string
	if sub == "list" {
		fs = newCommand("archive list", "archive list [flags]", "List the segments in the archive (S3 or a directory) and in the local spool.")
	} else {
		fs = newCommand("archive show", "archive show --search-id ID [flags]", "Print the records (NDJSON) of one search, from the archive and the spool.")
		searchID = fs.String("search-id", "", "the search whose records to print (required)")
	}
	cfgPath := fs.String("config", "", "config `FILE` (default: the embedded default) for the archive URL and spool")
	url := fs.String("archive", "", "archive `URL` s3://BUCKET/PREFIX or file:///DIR (default: the config's)")
	spoolDir := fs.String("spool", "", "spool `DIR` (default: the config's; \"-\" for none)")
	vendor := fs.String("vendor", "", "only this `VENDOR`'s segments")
	date := fs.String("date", "", "only segments of this UTC `DATE`, YYYY-MM-DD")
	if err := fs.parse(args[1:], stdout, stderr); err != nil {
		return helpOr(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("archive %s takes no arguments, got %q", sub, fs.Args())
	}
	if sub == "show" && *searchID == "" {
		return errors.New("archive show needs --search-id")
	}
	spoolGiven := *spoolDir != ""
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
	// Reading must not create what it reads: OpenSink would make a
	// missing directory, and list an empty archive.
	if dir, ok := fileDir(*url); ok {
		if err := isDir(dir); err != nil {
			return fmt.Errorf("archive %s: %w", *url, err)
		}
	}
	if spoolGiven && *spoolDir != "-" {
		if err := isDir(*spoolDir); err != nil {
			return fmt.Errorf("--spool: %w", err)
		}
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
	if len(found.Exchanges) == 0 {
		return fmt.Errorf("no records of search %s in %s or the spool", *searchID, *url)
	}
	return nil
}

// fileDir is the directory of a file:// archive URL, as archive.OpenSink
// reads it.
func fileDir(rawURL string) (string, bool) {
	u, err := neturl.Parse(rawURL)
	if err != nil || u.Scheme != "file" {
		return "", false
	}
	dir := u.Path
	if u.Host != "" && u.Host != "localhost" {
		dir = u.Host + u.Path // file://./data: a relative path
	}
	return dir, dir != ""
}

// isDir reports a path that is not an existing directory.
func isDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}
