package archive

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"testing"
	"time"

	"hotelrates/internal/s3test"
	"hotelrates/internal/testlog"
)

func TestS3SinkRoundTrip(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "archive-test")
	sink := NewS3SinkFromClient(srv.Client(t), "archive-test")
	ctx := context.Background()
	for i, key := range []string{"p/vendor=a/x.ndjson.gz", "p/vendor=b/y.ndjson.gz"} {
		body := bytes.Repeat([]byte{byte('a' + i)}, 1000+i)
		if err := sink.Put(ctx, key, bytes.NewReader(body), int64(len(body))); err != nil {
			t.Fatal(err)
		}
		// Writing a key again replaces the object.
		if err := sink.Put(ctx, key, bytes.NewReader(body), int64(len(body))); err != nil {
			t.Fatal(err)
		}
	}
	objs, err := sink.List(ctx, "p/")
	if err != nil || len(objs) != 2 || objs[1].Size != 1001 {
		t.Fatalf("list %+v %v", objs, err)
	}
	rc, err := sink.Get(ctx, "p/vendor=b/y.ndjson.gz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if len(b) != 1001 || b[0] != 'b' {
		t.Errorf("got %d bytes", len(b))
	}
	if _, err := sink.Get(ctx, "p/none"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing key: %v", err)
	}
}

// S3 down for part of a run: records keep being accepted, segments wait in
// the spool, and once S3 is back every record lands exactly once.
func TestArchiverSurvivesS3Outage(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "outage")
	sink := NewS3SinkFromClient(srv.Client(t), "outage")
	a, err := New(Options{Sink: sink, SpoolDir: t.TempDir(), Prefix: "x", Instance: "i", SegmentBytes: 4 << 10,
		UploadTimeout: 2 * time.Second, Logger: testLogger(&testlog.Buffer{})})
	if err != nil {
		t.Fatal(err)
	}
	send := func(from, to int) {
		for i := from; i < to; i++ {
			if !a.Record(context.Background(), exchange([]string{"solo", "bulk"}[i%2], i, time.Now())) {
				t.Fatalf("record %d refused", i)
			}
		}
	}
	send(0, 100)
	srv.Stop()
	send(100, 300)
	deadline := time.Now().Add(10 * time.Second)
	for a.Stats().Errors == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if st := a.Stats(); st.Errors == 0 || st.Pending == 0 {
		t.Fatalf("no failed upload while S3 was down: %+v", st)
	}
	srv.Restart(t)
	send(300, 400)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	objs, err := sink.List(context.Background(), "x/")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, o := range objs {
		rc, err := sink.Get(context.Background(), o.Key)
		if err != nil {
			t.Fatal(err)
		}
		exs, err := ReadSegment(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", o.Key, err)
		}
		for _, ex := range exs {
			seen[ex.URL]++
		}
	}
	if len(seen) != 400 {
		t.Errorf("%d distinct records in S3, want 400", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("record %s stored %d times", id, n)
		}
	}
	if st := a.Stats(); st.UploadedRecords != 400 || st.Dropped != 0 || st.Pending != 0 {
		t.Errorf("stats %+v", st)
	}
}
