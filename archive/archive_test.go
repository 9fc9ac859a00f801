package archive

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"hotelrates"
	"hotelrates/internal/testlog"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testLogger(buf *testlog.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

var t0 = time.Date(2025, 11, 28, 23, 59, 30, 0, time.UTC)

// exchange returns a realistic, already redacted record.
func exchange(vendor string, i int, start time.Time) hotelrates.Exchange {
	return hotelrates.Exchange{
		Vendor:         vendor,
		SearchID:       fmt.Sprintf("search-%d", i/10),
		Kind:           hotelrates.CallRates,
		Start:          start,
		DurationMS:     12.5 + float64(i),
		Method:         "POST",
		URL:            "https://" + vendor + ".example/v1/availability?hotel_id=H" + fmt.Sprint(i),
		RequestHeader:  map[string][]string{"Authorization": {"[REDACTED]"}, "Content-Type": {"application/json"}},
		RequestBody:    fmt.Sprintf(`{"hotels":["H%d"],"checkin":"2025-12-01","checkout":"2025-12-03"}`, i),
		Status:         200,
		ResponseHeader: map[string][]string{"Content-Type": {"application/json"}},
		ResponseBody:   fmt.Sprintf(`{"hotel_id":"H%d","offers":[{"room":"Double","price":"%d.00","currency":"EUR"}]}`, i, 100+i),
	}
}

func marshal(t *testing.T, ex hotelrates.Exchange) string {
	t.Helper()
	b, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readBack reads every segment under prefix, in key order.
func readBack(t *testing.T, sink Sink, prefix string) (keys []string, byKey map[string][]hotelrates.Exchange) {
	t.Helper()
	ctx := context.Background()
	objs, err := sink.List(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	byKey = map[string][]hotelrates.Exchange{}
	for _, o := range objs {
		rc, err := sink.Get(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := ReadSegment(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", o.Key, err)
		}
		keys = append(keys, o.Key)
		byKey[o.Key] = recs
	}
	return keys, byKey
}

func newDirSink(t *testing.T) *DirSink {
	t.Helper()
	s, err := NewDirSink(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var keyRE = regexp.MustCompile(`^arch/vendor=([A-Za-z0-9._-]+)/date=(\d{4}-\d{2}-\d{2})/hour=(\d{2})/inst_1-[0-9a-f]{16}-(\d{20})\.ndjson\.gz$`)

// TestSegments checks grouping by vendor, the key layout, rotation by size
// and by age, that Close flushes, and that everything reads back equal.
func TestSegments(t *testing.T) {
	type rec struct {
		vendor string
		start  time.Time
		// sleep before recording, in the bubble's fake time
		sleep time.Duration
	}
	three := func() []rec {
		var rs []rec
		for i := range 30 {
			rs = append(rs, rec{vendor: []string{"solo", "bulk", "session"}[i%3], start: t0.Add(time.Duration(i) * time.Second)})
		}
		return rs
	}
	tests := []struct {
		name         string
		opts         Options
		segRecords   int // if set, SegmentBytes is such that a segment holds this many records
		recs         []rec
		beforeClose  int            // segments stored before Close
		wantSegments map[string]int // per vendor, after Close
		wantHours    []string       // the date/hour directories, sorted
	}{
		{
			name:         "three vendors, one segment each, close flushes",
			recs:         three(),
			beforeClose:  0,
			wantSegments: map[string]int{"solo": 1, "bulk": 1, "session": 1},
			wantHours:    []string{"2025-11-28/23"},
		},
		{
			name:       "size rotation",
			segRecords: 3,
			recs: func() []rec {
				var rs []rec
				for i := range 10 {
					rs = append(rs, rec{vendor: "solo", start: t0.Add(time.Duration(i) * time.Minute)})
				}
				return rs
			}(),
			beforeClose:  3, // 3+3+3 stored by size, the last 1 by Close
			wantSegments: map[string]int{"solo": 4},
			// the key's hour is the first record's: no segment starts after midnight
			wantHours: []string{"2025-11-28/23", "2025-11-29/00"},
		},
		{
			name: "age rotation",
			opts: Options{SegmentAge: 10 * time.Second},
			recs: []rec{
				{vendor: "solo", start: t0},
				{vendor: "bulk", start: t0, sleep: 5 * time.Second},
				{vendor: "solo", start: t0.Add(time.Hour), sleep: 6 * time.Second}, // solo's first segment is 11 s old: stored
				{vendor: "solo", start: t0.Add(time.Hour), sleep: time.Second},
				{vendor: "bulk", start: t0.Add(time.Hour), sleep: 30 * time.Second}, // both are old: a new bulk segment
			},
			beforeClose:  3,
			wantSegments: map[string]int{"solo": 2, "bulk": 2},
			wantHours:    []string{"2025-11-28/23", "2025-11-29/00"},
		},
		{
			name:         "zero start is partitioned by Now",
			recs:         []rec{{vendor: "Big Hotels/EU"}},
			wantSegments: map[string]int{"Big_Hotels_EU": 1},
			wantHours:    []string{"2000-01-01/00"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := newDirSink(t)
				opts := tt.opts
				if tt.segRecords > 0 {
					n := int64(len(marshal(t, exchange("solo", 5, t0))) + 1)
					opts.SegmentBytes = n*int64(tt.segRecords) - n/2
				}
				opts.Sink, opts.Instance, opts.Prefix, opts.SpoolDir = sink, "inst/1", "/arch/", t.TempDir()
				opts.Logger = testLogger(&testlog.Buffer{})
				minSeq := fmt.Sprintf("%020d", time.Now().UnixMicro()) // New runs at this fake instant
				a, err := New(opts)
				if err != nil {
					t.Fatal(err)
				}
				var sent []hotelrates.Exchange
				for i, r := range tt.recs {
					time.Sleep(r.sleep)
					ex := exchange(r.vendor, i, r.start)
					if !a.Record(t.Context(), ex) {
						t.Fatalf("Record %d refused", i)
					}
					sent = append(sent, ex)
				}
				synctest.Wait() // the worker has handled everything it can
				if objs, _ := sink.List(t.Context(), ""); len(objs) != tt.beforeClose {
					t.Errorf("%d segments stored before Close, want %d", len(objs), tt.beforeClose)
				}
				if err := a.Close(t.Context()); err != nil {
					t.Fatal(err)
				}

				keys, byKey := readBack(t, sink, "arch/")
				perVendor := map[string]int{}
				hours := map[string]bool{}
				seqs := map[string]bool{}
				got := map[string][]string{} // per vendor, in key order
				for _, k := range keys {
					m := keyRE.FindStringSubmatch(k)
					if m == nil {
						t.Fatalf("key %q does not match the layout", k)
					}
					perVendor[m[1]]++
					hours[m[2]+"/"+m[3]] = true
					if seqs[m[4]] || m[4] < minSeq {
						t.Errorf("sequence of %s repeated or below the start time", k)
					}
					seqs[m[4]] = true
					for _, ex := range byKey[k] {
						if got := sanitize(ex.Vendor, "unknown"); got != m[1] {
							t.Errorf("record of %s in %s", ex.Vendor, k)
						}
						got[ex.Vendor] = append(got[ex.Vendor], marshal(t, ex))
					}
				}
				if fmt.Sprint(perVendor) != fmt.Sprint(tt.wantSegments) {
					t.Errorf("segments per vendor %v, want %v", perVendor, tt.wantSegments)
				}
				if tt.wantHours != nil {
					var hs []string
					for h := range hours {
						hs = append(hs, h)
					}
					slices.Sort(hs)
					if fmt.Sprint(hs) != fmt.Sprint(tt.wantHours) {
						t.Errorf("hours %v, want %v", hs, tt.wantHours)
					}
				}
				// Everything reads back equal, and in order within a vendor.
				want := map[string][]string{}
				for _, ex := range sent {
					want[ex.Vendor] = append(want[ex.Vendor], marshal(t, ex))
				}
				for v := range want {
					if strings.Join(got[v], "\n") != strings.Join(want[v], "\n") {
						t.Errorf("vendor %s: read back %d records, differing from the %d sent", v, len(got[v]), len(want[v]))
					}
				}
				st := a.Stats()
				total := 0
				for _, n := range tt.wantSegments {
					total += n
				}
				if st.Records != int64(len(sent)) || st.UploadedRecords != int64(len(sent)) || st.Uploaded != int64(total) ||
					st.Dropped != 0 || st.Errors != 0 || st.Lost != 0 || st.Bytes <= 0 {
					t.Errorf("stats %+v", st)
				}
			})
		})
	}
}

// blockingSink blocks every Put until release is closed (or ctx ends).
type blockingSink struct {
	*DirSink
	started chan string
	release chan struct{}
}

func (b *blockingSink) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	b.started <- key
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.DirSink.Put(ctx, key, body, size)
}

// flakySink fails its first failures Puts, then stores.
type flakySink struct {
	*DirSink
	failures int
	calls    atomic.Int32
}

func (f *flakySink) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	if n := f.calls.Add(1); int(n) <= f.failures {
		return fmt.Errorf("503 Slow Down (attempt %d)", n)
	}
	return f.DirSink.Put(ctx, key, body, size)
}

func TestRecordDropsWhenQueueFull(t *testing.T) {
	tests := []struct {
		name        string
		enqueueWait time.Duration
		ctxTimeout  time.Duration // 0: no deadline on Record's ctx
		wantWait    time.Duration
	}{
		{"default wait", 0, 0, DefaultEnqueueWait},
		{"longer wait", 200 * time.Millisecond, 0, 200 * time.Millisecond},
		{"context ends first", time.Second, 30 * time.Millisecond, 30 * time.Millisecond},
		{"never wait", -1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				logs := &testlog.Buffer{}
				a, err := New(Options{SpoolDir: t.TempDir(), Sink: newDirSink(t), Instance: "i", SegmentBytes: 1, Queue: 1,
					EnqueueWait: tt.enqueueWait, Logger: testLogger(logs)})
				if err != nil {
					t.Fatal(err)
				}
				// A slow disk: the writer is stuck before its first write.
				stuck, release := make(chan struct{}), make(chan struct{})
				var once sync.Once
				a.writeHook = func() {
					once.Do(func() {
						close(stuck)
						<-release
					})
				}
				if !a.Record(t.Context(), exchange("solo", 1, t0)) {
					t.Fatal("first Record refused")
				}
				<-stuck
				if !a.Record(t.Context(), exchange("solo", 2, t0)) {
					t.Fatal("second Record (fills the queue) refused")
				}
				ctx := t.Context()
				if tt.ctxTimeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
					defer cancel()
				}
				begin := time.Now()
				if a.Record(ctx, exchange("solo", 3, t0)) {
					t.Fatal("Record into a full queue succeeded")
				}
				if waited := time.Since(begin); waited != tt.wantWait {
					t.Errorf("Record waited %v, want %v", waited, tt.wantWait)
				}
				a.Record(ctx, exchange("solo", 4, t0)) // a second drop: not logged again within a second
				if st := a.Stats(); st.Dropped != 2 || st.Records != 2 {
					t.Errorf("stats %+v, want 2 dropped, 2 recorded", st)
				}
				if n := strings.Count(logs.String(), "record dropped"); n != 1 {
					t.Errorf("%d drop log lines, want 1:\n%s", n, logs)
				}
				close(release)
				if err := a.Close(t.Context()); err != nil {
					t.Fatal(err)
				}
				if st := a.Stats(); st.Uploaded != 2 || st.UploadedRecords != 2 || st.Lost != 0 {
					t.Errorf("after Close: stats %+v", st)
				}
			})
		})
	}
}

// A sink that blocks does not hold up records: they wait in the spool.
func TestBlockedSinkDoesNotDropRecords(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &blockingSink{DirSink: newDirSink(t), started: make(chan string, 100), release: make(chan struct{})}
		a, err := New(Options{SpoolDir: t.TempDir(), Sink: sink, Instance: "i", SegmentBytes: 1, Queue: 2, Logger: testLogger(&testlog.Buffer{})})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			if !a.Record(t.Context(), exchange("solo", i, t0)) {
				t.Fatalf("record %d refused while the sink is blocked", i)
			}
			synctest.Wait()
		}
		if st := a.Stats(); st.Dropped != 0 || st.Segments != 50 || st.Pending != 50 || st.SpoolBytes == 0 {
			t.Errorf("stats %+v", st)
		}
		close(sink.release)
		if err := a.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		if st := a.Stats(); st.Uploaded != 50 || st.Pending != 0 || st.SpoolBytes != 0 || st.OldestPending != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestPutRetried(t *testing.T) {
	tests := []struct {
		name     string
		failures int
		wantWait time.Duration // backoff slept in total
	}{
		{"fails twice", 2, 100*time.Millisecond + 200*time.Millisecond},
		{"fails ten times, backoff capped", 10, (100 + 200 + 400 + 800 + 1600 + 3200 + 6400 + 12800 + 25600 + 30000) * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := &flakySink{DirSink: newDirSink(t), failures: tt.failures}
				a, err := New(Options{SpoolDir: t.TempDir(), Sink: sink, Instance: "i", Logger: testLogger(&testlog.Buffer{})})
				if err != nil {
					t.Fatal(err)
				}
				for i := range 5 {
					a.Record(t.Context(), exchange("bulk", i, t0))
				}
				begin := time.Now()
				if err := a.Close(t.Context()); err != nil {
					t.Fatal(err)
				}
				if waited := time.Since(begin); waited != tt.wantWait {
					t.Errorf("Close took %v, want %v of backoff", waited, tt.wantWait)
				}
				if got := sink.calls.Load(); int(got) != tt.failures+1 {
					t.Errorf("%d Put calls, want %d", got, tt.failures+1)
				}
				keys, byKey := readBack(t, sink.DirSink, "")
				if len(keys) != 1 || len(byKey[keys[0]]) != 5 {
					t.Errorf("stored %v", keys)
				}
				st := a.Stats()
				if st.Errors != int64(tt.failures) || st.Uploaded != 1 || st.UploadedRecords != 5 || st.Lost != 0 {
					t.Errorf("stats %+v", st)
				}
			})
		})
	}
}

func TestCloseDeadlineKeepsSpoolForNextStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spoolDir := t.TempDir()
		down := &flakySink{DirSink: newDirSink(t), failures: 1 << 30}
		a, err := New(Options{SpoolDir: spoolDir, Sink: down, Instance: "i", Logger: testLogger(&testlog.Buffer{})})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 6 {
			a.Record(t.Context(), exchange([]string{"solo", "bulk"}[i%2], i, t0))
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		begin := time.Now()
		err = a.Close(ctx)
		if err == nil || !strings.Contains(err.Error(), "2 segments") || !strings.Contains(err.Error(), "stay in the spool") {
			t.Errorf("Close = %v", err)
		}
		if waited := time.Since(begin); waited != 2*time.Second {
			t.Errorf("Close returned after %v, want the 2s deadline", waited)
		}
		if st := a.Stats(); st.Lost != 0 || st.Uploaded != 0 || st.Pending != 2 || st.Errors == 0 {
			t.Errorf("stats %+v", st)
		}
		// The next start uploads what the spool kept.
		up := newDirSink(t)
		b, err := New(Options{SpoolDir: spoolDir, Sink: up, Instance: "i", Logger: testLogger(&testlog.Buffer{})})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		keys, byKey := readBack(t, up, "")
		n := 0
		for _, k := range keys {
			n += len(byKey[k])
		}
		if len(keys) != 2 || n != 6 {
			t.Errorf("after restart: %d segments, %d records", len(keys), n)
		}
	})
}

func TestRecordAfterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, err := New(Options{SpoolDir: t.TempDir(), Sink: newDirSink(t), Logger: testLogger(&testlog.Buffer{})})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if a.Record(t.Context(), exchange("solo", i, t0)) {
				t.Fatal("Record after Close succeeded")
			}
		}
		if st := a.Stats(); st.Dropped != 3 || st.Records != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

// TestConcurrentRecordAndClose races many recorders against Close: no
// panic, and every accepted record is written.
func TestConcurrentRecordAndClose(t *testing.T) {
	sink := newDirSink(t)
	a, err := New(Options{SpoolDir: t.TempDir(), Sink: sink, Instance: "race", Queue: 8, EnqueueWait: time.Millisecond,
		SegmentBytes: 4 << 10, Logger: testLogger(&testlog.Buffer{})})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var accepted atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if a.Record(context.Background(), exchange(fmt.Sprint("v", g%3), i, t0)) {
					accepted.Add(1)
				}
			}
		})
	}
	time.Sleep(5 * time.Millisecond)
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	st := a.Stats()
	if st.Records != accepted.Load() || st.Records+st.Dropped != 8*200 || st.UploadedRecords != st.Records || st.Lost != 0 {
		t.Errorf("stats %+v, accepted %d", st, accepted.Load())
	}
	_, byKey := readBack(t, sink, "")
	n := 0
	for _, recs := range byKey {
		n += len(recs)
	}
	if int64(n) != st.UploadedRecords {
		t.Errorf("read back %d records, stats say %d written", n, st.UploadedRecords)
	}
}

// TestSequenceAcrossRestarts: a new archiver of the same instance never
// overwrites the segments of an earlier one.
func TestSequenceAcrossRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newDirSink(t)
		for run := range 3 {
			a, err := New(Options{SpoolDir: t.TempDir(), Sink: sink, Instance: "same", SegmentBytes: 1, Logger: testLogger(&testlog.Buffer{})})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				a.Record(t.Context(), exchange("solo", i, t0))
			}
			if err := a.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			if objs, _ := sink.List(t.Context(), ""); len(objs) != 5*(run+1) {
				t.Fatalf("run %d: %d objects, want %d", run, len(objs), 5*(run+1))
			}
			time.Sleep(time.Millisecond) // the next run starts later
		}
	})
}

func TestNewOptions(t *testing.T) {
	sink := newDirSink(t)
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
	}{
		{"no sink", Options{SpoolDir: t.TempDir()}, true},
		{"no spool", Options{Sink: sink}, true},
		{"negative size", Options{Sink: sink, SpoolDir: t.TempDir(), SegmentBytes: -1}, true},
		{"negative age", Options{Sink: sink, SpoolDir: t.TempDir(), SegmentAge: -1}, true},
		{"negative queue", Options{Sink: sink, SpoolDir: t.TempDir(), Queue: -1}, true},
		{"negative spool limit", Options{Sink: sink, SpoolDir: t.TempDir(), SpoolLimit: -1}, true},
		{"dot-dot prefix", Options{Sink: sink, SpoolDir: t.TempDir(), Prefix: "a/../b"}, true},
		{"defaults", Options{Sink: sink, SpoolDir: t.TempDir()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New error = %v, want error %v", err, tt.wantErr)
			}
			if a == nil {
				return
			}
			defer a.Close(context.Background())
			if a.segBytes != DefaultSegmentBytes || a.segAge != DefaultSegmentAge || cap(a.in) != DefaultQueue ||
				a.enqueueWait != DefaultEnqueueWait || a.instance == "" || strings.ContainsAny(a.instance, "/ ") {
				t.Errorf("defaults not applied: %+v", a)
			}
		})
	}
}

func TestSegmentKey(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		prefix, vendor, instance string
		seq                      uint64
		want                     string
	}{
		{"", "solo", "h-1", 7, "vendor=solo/date=2025-03-04/hour=04/h-1-00000000000000000007.ndjson.gz"},
		{"a/b", "Big Hotels/EU", "h-1", 1, "a/b/vendor=Big_Hotels_EU/date=2025-03-04/hour=04/h-1-00000000000000000001.ndjson.gz"},
		{"", "..", "h", 0, "vendor=__/date=2025-03-04/hour=04/h-00000000000000000000.ndjson.gz"},
		{"", "", "h", 0, "vendor=unknown/date=2025-03-04/hour=04/h-00000000000000000000.ndjson.gz"},
		{"", "hôtel", "h", 0, "vendor=h__tel/date=2025-03-04/hour=04/h-00000000000000000000.ndjson.gz"},
	}
	for _, tt := range tests {
		if got := segmentKey(tt.prefix, tt.vendor, tt.instance, at, tt.seq); got != tt.want {
			t.Errorf("segmentKey(%q, %q) = %q, want %q", tt.prefix, tt.vendor, got, tt.want)
		}
	}
}

// gz compresses parts, each as its own gzip member.
func gz(t testing.TB, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, p := range parts {
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestReadSegment(t *testing.T) {
	line := func(i int) string { return marshal(t, exchange("solo", i, t0)) + "\n" }
	whole := gz(t, line(1)+line(2)+line(3))
	tests := []struct {
		name      string
		data      []byte
		wantN     int
		wantTorn  bool
		wantCorr  bool
		wantOther bool
	}{
		{"three records", whole, 3, false, false, false},
		{"empty segment", gz(t, ""), 0, false, false, false},
		{"blank lines skipped", gz(t, line(1)+"\n\n"+line(2)), 2, false, false, false},
		{"two gzip members", gz(t, line(1), line(2)+line(3)), 3, false, false, false},
		{"last line without newline", gz(t, line(1)+line(2)+strings.TrimSuffix(line(3), "\n")), 2, true, false, false},
		{"torn last line", gz(t, line(1)+line(2)+line(3)[:40]), 2, true, false, false},
		{"gzip cut short", whole[:len(whole)-12], 3, true, false, false},
		{"corrupt middle line", gz(t, line(1)+"{not json}\n"+line(3)), 2, false, true, false},
		{"corrupt and torn", gz(t, line(1)+"[1,2]\n"+line(3)[:10]), 1, true, true, false},
		{"not gzip", []byte(line(1)), 0, false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := ReadSegment(bytes.NewReader(tt.data))
			if len(recs) != tt.wantN {
				t.Errorf("%d records, want %d (err %v)", len(recs), tt.wantN, err)
			}
			if errors.Is(err, ErrTornRecord) != tt.wantTorn || errors.Is(err, ErrCorruptRecord) != tt.wantCorr {
				t.Errorf("err = %v, want torn %v corrupt %v", err, tt.wantTorn, tt.wantCorr)
			}
			if tt.wantOther && err == nil {
				t.Error("no error")
			}
			for i, r := range recs {
				if r.Vendor != "solo" || r.Start.IsZero() {
					t.Errorf("record %d = %+v", i, r)
				}
			}
		})
	}
}

func FuzzReadSegment(f *testing.F) {
	line := func(i int) string {
		b, _ := json.Marshal(exchange("solo", i, t0))
		return string(b) + "\n"
	}
	f.Add(gz(f, line(1)+line(2)), false)
	f.Add(gz(f, line(1)+line(2))[:30], false)
	f.Add([]byte(line(1)+`{"vendor":"x","start":"bad"}`+"\n"+line(2)[:20]), true)
	f.Add([]byte("\n\n{}\n[]\nnull\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		if compress {
			data = gz(t, string(data))
		}
		recs, err := ReadSegment(bytes.NewReader(data))
		if err == nil && compress && len(recs) > strings.Count(string(data), "\n")+1 {
			t.Fatalf("%d records from %d lines", len(recs), strings.Count(string(data), "\n"))
		}
	})
}

// TestOddValuesAreStillArchived: values encoding/json refuses (a NaN
// duration, a start past year 9999) do not cost the record: the duration
// is written as 0, the start as null.
func TestOddValuesAreStillArchived(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newDirSink(t)
		logs := &testlog.Buffer{}
		a, err := New(Options{SpoolDir: t.TempDir(), Sink: sink, Instance: "i", Logger: testLogger(logs)})
		if err != nil {
			t.Fatal(err)
		}
		nan := exchange("solo", 1, t0)
		nan.DurationMS = math.NaN()
		far := exchange("solo", 2, t0)
		far.Start = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		a.Record(t.Context(), nan)
		a.Record(t.Context(), far)
		a.Record(t.Context(), exchange("solo", 3, t0))
		if err := a.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		if st := a.Stats(); st.Records != 3 || st.UploadedRecords != 3 || st.Lost != 0 || st.Errors != 0 {
			t.Errorf("stats %+v\n%s", st, logs)
		}
	})
}
