package archive

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"hotelrates"
	"hotelrates/internal/testlog"
)

func TestRecordIsOnDiskBeforeItsSegmentCloses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spoolDir := t.TempDir()
		a, err := New(Options{SpoolDir: spoolDir, Sink: newDirSink(t), Instance: "i", Logger: testLogger(&testlog.Buffer{})})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close(context.Background())
		for i := range 3 {
			a.Record(t.Context(), exchange("solo", i, time.Now()))
		}
		time.Sleep(5 * time.Second) // under a minute: the segment stays open
		synctest.Wait()
		segs, err := ListSpool(spoolDir)
		if err != nil || len(segs) != 1 || segs[0].Ready {
			t.Fatalf("spool %+v, %v", segs, err)
		}
		exs, err := ReadSpoolSegment(segs[0])
		if err != nil || len(exs) != 3 || exs[2].SearchID != exchange("solo", 2, time.Now()).SearchID {
			t.Errorf("open segment holds %d records (%v)", len(exs), err)
		}
		if st := a.Stats(); st.Pending != 1 || st.OldestPending != 5*time.Second || st.SpoolBytes == 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

// A crash leaves an open segment with a torn last record, a closed
// segment not yet uploaded, and a half-written temporary file: the next
// start uploads every whole record once and drops the torn one.
func TestRecoveryAfterCrash(t *testing.T) {
	spoolDir := t.TempDir()
	sp, err := openSpool(spoolDir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	sp.unlock() // the crashed run's lock died with it
	var lines []string
	for i := range 4 {
		b, _ := json.Marshal(exchange("solo", i, t0))
		lines = append(lines, string(b))
	}
	openKey := segmentKey("", "solo", "crashed", t0, 1)
	torn := strings.Join(lines[:3], "\n") + "\n" + lines[3][:len(lines[3])/2]
	os.WriteFile(sp.openPath(openKey), []byte(torn), 0o600)
	// A closed segment from the same crashed run.
	readyKey := segmentKey("", "bulk", "crashed", t0, 0)
	os.WriteFile(filepath.Join(spoolDir, "open", url.PathEscape(readyKey)+openSuffix), []byte(lines[0]+"\n"+lines[1]+"\n"), 0o600)
	if _, err := sp.sealFile(sp.openPath(readyKey), readyKey, t0, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(spoolDir, "ready", ".tmp-junk"), []byte("half"), 0o600)

	sink := newDirSink(t)
	a, err := New(Options{SpoolDir: spoolDir, Sink: sink, Instance: "new", Logger: testLogger(&testlog.Buffer{})})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	keys, byKey := readBack(t, sink, "")
	if len(keys) != 2 || len(byKey[openKey]) != 3 || len(byKey[readyKey]) != 2 {
		t.Errorf("uploaded %v", keys)
	}
	if st := a.Stats(); st.Torn != 1 || st.Uploaded != 2 || st.UploadedRecords != 5 || st.Pending != 0 || st.SpoolBytes != 0 {
		t.Errorf("stats %+v", st)
	}
	if segs, _ := ListSpool(spoolDir); len(segs) != 0 {
		t.Errorf("spool not empty: %+v", segs)
	}
	if _, err := os.Stat(filepath.Join(spoolDir, "ready", ".tmp-junk")); !os.IsNotExist(err) {
		t.Error("temporary file left")
	}
}

func TestSpoolLimitRefusesVisibly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &testlog.Buffer{}
		sink := &blockingSink{DirSink: newDirSink(t), started: make(chan string, 100), release: make(chan struct{})}
		a, err := New(Options{SpoolDir: t.TempDir(), Sink: sink, Instance: "i", SpoolLimit: 2000, SegmentBytes: 1, Logger: testLogger(logs)})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 40 {
			a.Record(t.Context(), exchange("solo", i, t0))
			synctest.Wait()
		}
		st := a.Stats()
		if st.Dropped == 0 || !st.SpoolFull || a.Ready() == nil || st.SpoolBytes > 2000 {
			t.Errorf("spool limit not enforced visibly: %+v, ready %v", st, a.Ready())
		}
		if st.Records+st.Dropped != 40 {
			t.Errorf("records %d + dropped %d != 40", st.Records, st.Dropped)
		}
		if !strings.Contains(logs.String(), "spool is full") {
			t.Errorf("no log:\n%s", logs)
		}
		close(sink.release)
		time.Sleep(time.Second)
		synctest.Wait()
		// Uploads freed the room: ready again with no new record needed
		// to notice, and the next record is taken.
		if a.Ready() != nil || a.Stats().SpoolFull {
			t.Errorf("still full after uploads: %+v", a.Stats())
		}
		if !strings.Contains(logs.String(), "spool has room again") {
			t.Errorf("no log of the recovery:\n%s", logs)
		}
		dropped := a.Stats().Dropped
		a.Record(t.Context(), exchange("solo", 99, t0))
		synctest.Wait()
		if a.Stats().Dropped != dropped {
			t.Errorf("record refused after uploads freed the spool: %+v", a.Stats())
		}
		if err := a.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		if st := a.Stats(); st.UploadedRecords != st.Records {
			t.Errorf("uploaded %d of %d accepted", st.UploadedRecords, st.Records)
		}
	})
}

// Two archivers on one spool would seal, upload and delete each other's
// segments and journals: the second is refused until the first closes.
func TestSpoolLockedWhileInUse(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	dir := t.TempDir()
	opts := Options{SpoolDir: dir, Sink: newDirSink(t), Instance: "i", Logger: testLogger(&testlog.Buffer{})}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Record(context.Background(), exchange("solo", 1, time.Now())) {
		t.Fatal("record refused")
	}
	b, err := New(opts)
	if !errors.Is(err, ErrSpoolInUse) || b != nil {
		t.Fatalf("second archiver on the same spool: %v, want ErrSpoolInUse", err)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.Stats().UploadedRecords != 1 {
		t.Errorf("the first archiver's record was not uploaded: %+v", a.Stats())
	}
	b, err = New(opts)
	if err != nil {
		t.Fatalf("after Close the spool is free: %v", err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A segment that cannot be closed (the ready directory is broken) stays in
// the spool, counted and pending, and is closed and uploaded once the
// directory works again: nothing leaks, nothing is lost.
func TestSealFailureIsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spoolDir := t.TempDir()
		sink := newDirSink(t)
		a, err := New(Options{SpoolDir: spoolDir, Sink: sink, Instance: "i", SegmentBytes: 1, Logger: testLogger(&testlog.Buffer{})})
		if err != nil {
			t.Fatal(err)
		}
		ready := filepath.Join(spoolDir, "ready")
		if err := os.Rename(ready, ready+".away"); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(ready, []byte("not a directory"), 0o600); err != nil {
			t.Fatal(err)
		}
		a.Record(t.Context(), exchange("solo", 1, t0))
		synctest.Wait()
		if st := a.Stats(); st.Pending != 1 || st.SpoolBytes == 0 || st.Errors == 0 || st.Segments != 0 {
			t.Errorf("after a failed seal: %+v", st)
		}
		os.Remove(ready)
		os.Rename(ready+".away", ready)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if err := a.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		if st := a.Stats(); st.UploadedRecords != 1 || st.Pending != 0 || st.SpoolBytes != 0 || st.Segments != 1 {
			t.Errorf("after the retry: %+v", st)
		}
	})
}

// An open spool segment is read like a closed one: whole records, with a
// corrupt line and a torn last line reported, not skipped in silence.
func TestReadOpenSpoolSegment(t *testing.T) {
	a, b := marshal(t, exchange("solo", 1, t0)), marshal(t, exchange("solo", 2, t0))
	tests := []struct {
		name          string
		text          string
		records       int
		torn, corrupt bool
	}{
		{"whole", a + "\n" + b + "\n", 2, false, false},
		{"torn last line", a + "\n" + b[:len(b)/2], 1, true, false},
		{"corrupt line", a + "\n{not json\n" + b + "\n", 2, false, true},
		{"empty", "", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "seg.ndjson")
			os.WriteFile(path, []byte(tt.text), 0o600)
			exs, err := ReadSpoolSegment(SpoolSegment{Key: "k", Path: path})
			if len(exs) != tt.records || errors.Is(err, ErrTornRecord) != tt.torn || errors.Is(err, ErrCorruptRecord) != tt.corrupt {
				t.Errorf("%d records, err %v; want %d, torn %v, corrupt %v", len(exs), err, tt.records, tt.torn, tt.corrupt)
			}
		})
	}
}

// sealFile, streaming the open file, keeps exactly its whole lines (a
// torn last line is cut off and counted, however long, and whatever
// sealBuffer is), and takes the closed segment's time from its first
// record when the caller does not know it.
func TestSealFileKeepsWholeLines(t *testing.T) {
	line := func(i, body int) string {
		ex := exchange("solo", i, t0.Add(time.Duration(i)*time.Hour))
		ex.ResponseBody = strings.Repeat("é", body)
		return string(appendRecord(nil, "", &ex)) + "\n"
	}
	long := sealBuffer + 100 // a record longer than the buffer
	tests := []struct {
		name, in, want string
		torn           int64
	}{
		{"empty", "", "", 0},
		{"one line", line(1, 10), line(1, 10), 0},
		{"only a torn line", strings.TrimSuffix(line(1, 10), "\n"), "", 1},
		{"torn last line", line(1, 10) + line(2, 10)[:50], line(1, 10), 1},
		{"torn line longer than the buffer", line(1, 10) + strings.TrimSuffix(line(2, long), "\n"), line(1, 10), 1},
		{"long lines", line(3, long) + line(4, long) + line(5, 1), line(3, long) + line(4, long) + line(5, 1), 0},
		{"long lines, torn", line(3, long) + line(4, long) + line(5, 2*long)[:sealBuffer*2+7], line(3, long) + line(4, long), 1},
		{"a newline at a buffer's edge", strings.Repeat("x", sealBuffer-1) + "\n" + strings.Repeat("y", sealBuffer), strings.Repeat("x", sealBuffer-1) + "\n", 1},
	}
	sp, err := openSpool(t.TempDir(), 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.unlock()
	for i, tt := range tests {
		for _, first := range []time.Time{{}, t0.Add(-time.Minute)} {
			key := segmentKey("", "solo", "i", t0, uint64(i))
			path := sp.openPath(key)
			if err := os.WriteFile(path, []byte(tt.in), 0o600); err != nil {
				t.Fatal(err)
			}
			var visible int64
			torn, err := sp.sealFile(path, key, first, func(n int64) { visible += n })
			if err != nil || torn != tt.torn {
				t.Errorf("%s: torn %d, %v; want %d", tt.name, torn, err, tt.torn)
				continue
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: open file left: %v", tt.name, err)
			}
			f, err := os.Open(sp.readyPath(key))
			if tt.want == "" {
				if err == nil {
					f.Close()
					t.Errorf("%s: an empty segment was closed", tt.name)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			info, _ := f.Stat()
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(zr)
			f.Close()
			if err != nil || string(got) != tt.want {
				t.Errorf("%s: closed segment holds %d bytes (%v), want %d", tt.name, len(got), err, len(tt.want))
			}
			if visible != info.Size() {
				t.Errorf("%s: visible %d, file %d", tt.name, visible, info.Size())
			}
			wantTime := first
			if first.IsZero() {
				var ex hotelrates.Exchange
				if json.Unmarshal([]byte(tt.want[:strings.IndexByte(tt.want, '\n')]), &ex) == nil {
					wantTime = ex.Start
				}
			}
			if !wantTime.IsZero() && !info.ModTime().Equal(wantTime) {
				t.Errorf("%s (first %v): segment time %v, want %v", tt.name, first, info.ModTime(), wantTime)
			}
			os.Remove(sp.readyPath(key))
		}
	}
}
