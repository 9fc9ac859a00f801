package archive_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"hotelrates"
	"hotelrates/archive"
)

var runID = regexp.MustCompile(`-[0-9a-f]{16}-`)

// Archive exchanges to a local directory, then list and read back what
// the sink holds. Close writes out and uploads everything accepted.
func Example() {
	dir, err := os.MkdirTemp("", "archive-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	sink, err := archive.NewDirSink(filepath.Join(dir, "archive"))
	if err != nil {
		panic(err)
	}
	start := time.Date(2027, 5, 1, 9, 30, 0, 0, time.UTC)
	a, err := archive.New(archive.Options{
		Sink:     sink,
		SpoolDir: filepath.Join(dir, "spool"),
		Instance: "example",
		Prefix:   "exchanges",
		Logger:   slog.New(slog.DiscardHandler),
		Now:      func() time.Time { return start }, // a fixed clock, for a stable key
	})
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	for i, status := range []int{200, 429} {
		a.Record(ctx, hotelrates.Exchange{ // records must already be redacted
			ID:     fmt.Sprint("ex-", i+1),
			Vendor: "bulk",
			Kind:   hotelrates.CallRates,
			Start:  start,
			Method: "POST",
			URL:    "https://vendor.example/bulk/v3/availability",
			Status: status,
		})
	}
	if err := a.Close(ctx); err != nil {
		panic(err)
	}
	s := a.Stats()
	fmt.Println("records:", s.Records, "segments uploaded:", s.Uploaded)

	objects, err := sink.List(ctx, "exchanges/")
	if err != nil {
		panic(err)
	}
	for _, o := range objects {
		// The key ends INSTANCE-RUN-SEQ: RUN is random per archiver start.
		fmt.Println(runID.ReplaceAllString(o.Key, "-RUN-"))
		r, err := sink.Get(ctx, o.Key)
		if err != nil {
			panic(err)
		}
		records, err := archive.ReadSegment(r)
		r.Close()
		if err != nil {
			panic(err)
		}
		for _, ex := range records {
			fmt.Println(ex.ID, ex.Vendor, ex.Method, ex.Status)
		}
	}
	// Output:
	// records: 2 segments uploaded: 1
	// exchanges/vendor=bulk/date=2027-05-01/hour=09/example-RUN-00001809163800000000.ndjson.gz
	// ex-1 bulk POST 200
	// ex-2 bulk POST 429
}
