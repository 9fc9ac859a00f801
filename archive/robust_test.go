package archive

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"hotelrates"
	"hotelrates/internal/testlog"
)

// replace sets *p to v for the rest of the test.
func replace[T any](t *testing.T, p *T, v T) {
	t.Helper()
	old := *p
	*p = v
	t.Cleanup(func() { *p = old })
}

// A record that alone exceeds the spool limit is refused, but it does not
// leave the spool "full": records that fit are taken, and Ready is nil.
func TestSpoolFullIsNotLatched(t *testing.T) {
	const limit = 1 << 20
	big := func(i int) hotelrates.Exchange {
		ex := exchange("solo", i, t0)
		ex.ResponseBody = strings.Repeat("x", limit)
		return ex
	}
	tests := []struct {
		name      string
		before    int // small records before the big one
		after     int // small records after it
		uploadGap bool
	}{
		{"big record first, spool empty", 0, 100, false},
		{"big record between small ones", 10, 100, false},
		{"big record after uploads emptied the spool", 5, 100, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, err := New(Options{SpoolDir: t.TempDir(), Sink: newDirSink(t), Instance: "i", SpoolLimit: limit,
					SegmentAge: time.Second, Logger: testLogger(&testlog.Buffer{})})
				if err != nil {
					t.Fatal(err)
				}
				for i := range tt.before {
					a.Record(t.Context(), exchange("solo", i, t0))
				}
				if tt.uploadGap {
					time.Sleep(3 * time.Second)
				}
				synctest.Wait()
				a.Record(t.Context(), big(99))
				synctest.Wait()
				for i := range tt.after {
					a.Record(t.Context(), exchange("solo", i, t0))
				}
				synctest.Wait()
				st := a.Stats()
				if st.Dropped != 1 || st.Records != int64(tt.before+tt.after) || st.SpoolFull || a.Ready() != nil {
					t.Errorf("stats %+v, ready %v; want only the big record dropped", st, a.Ready())
				}
				if err := a.Close(t.Context()); err != nil {
					t.Fatal(err)
				}
				if st := a.Stats(); st.UploadedRecords != int64(tt.before+tt.after) || st.SpoolBytes != 0 || st.Pending != 0 {
					t.Errorf("after Close: %+v", st)
				}
			})
		})
	}
}

// A write that fails partway (a file-size limit, a full disk) leaves no
// fragment for the next record to be appended to: the failed record is
// lost (counted), every other one reads back whole, also when the records
// were written together (a failed write of several is retried one by one).
func TestShortWriteLeavesNoFragment(t *testing.T) {
	for _, failAt := range []int{0, 1, 2} {
		t.Run(fmt.Sprint("write of x", failAt, " fails"), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bad := []byte(fmt.Sprintf(`"id":"x%d"`, failAt))
				replace(t, &spoolWrite, func(f *os.File, b []byte) (int, error) {
					if bytes.Contains(b, bad) {
						m, _ := f.Write(b[:len(b)/2])
						return m, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.EFBIG}
					}
					return f.Write(b)
				})
				sink := newDirSink(t)
				a, err := New(Options{SpoolDir: t.TempDir(), Sink: sink, Instance: "i", Logger: testLogger(&testlog.Buffer{})})
				if err != nil {
					t.Fatal(err)
				}
				var want []string
				for i := range 3 {
					ex := withID(exchange("solo", i, t0), fmt.Sprint("x", i))
					a.Record(t.Context(), ex)
					if i != failAt {
						want = append(want, ex.ID)
					}
				}
				if err := a.Close(t.Context()); err != nil {
					t.Fatal(err)
				}
				_, byKey := readBack(t, sink, "") // fails on a corrupt line
				var got []string
				for _, recs := range byKey {
					for _, ex := range recs {
						got = append(got, ex.ID)
					}
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("read back %v, want %v", got, want)
				}
				if st := a.Stats(); st.Records != 3 || st.Lost != 1 || st.UploadedRecords != 2 || st.SpoolBytes != 0 {
					t.Errorf("stats %+v", st)
				}
			})
		})
	}
}

// The uploader may put and delete a ready segment between the seal's
// rename and anything after it: the spool's byte count stays exact.
func TestSpoolBytesWhenUploadWinsTheSeal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var a *Archiver
		replace(t, &sealRenamed, func(key string) {
			if a != nil {
				a.upload(key) // the uploader, faster than the writer
			}
		})
		a, err := New(Options{SpoolDir: t.TempDir(), Sink: newDirSink(t), Instance: "i", SegmentBytes: 1, Logger: testLogger(&testlog.Buffer{})})
		if err != nil {
			t.Fatal(err)
		}
		const n = 50
		lowest := int64(0)
		for i := range n {
			a.Record(t.Context(), exchange("solo", i, t0))
			synctest.Wait()
			lowest = min(lowest, a.Stats().SpoolBytes)
		}
		if lowest < 0 {
			t.Errorf("SpoolBytes went down to %d", lowest)
		}
		if err := a.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		if st := a.Stats(); st.SpoolBytes != 0 || st.Pending != 0 || st.UploadedRecords != n {
			t.Errorf("stats %+v, want SpoolBytes 0", st)
		}
	})
}

// Close keeps to its deadline while the writer drains a long queue on a
// slow disk (plus at most the one write in progress); the records it did
// not write are left to the journal, and the next start archives them as
// interrupted: nothing is lost.
func TestCloseDeadlineWhileDraining(t *testing.T) {
	tests := []struct {
		name     string
		deadline time.Duration
		write    time.Duration // each spool write takes this long
	}{
		{"1s writes, 2s deadline", 2 * time.Second, time.Second},
		{"300ms writes, 1s deadline", time.Second, 300 * time.Millisecond},
		{"already ended", 0, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				spoolDir := t.TempDir()
				a, err := New(Options{SpoolDir: spoolDir, Sink: newDirSink(t), Instance: "i", Queue: 100, Logger: testLogger(&testlog.Buffer{})})
				if err != nil {
					t.Fatal(err)
				}
				a.writeHook = func() { time.Sleep(tt.write) }
				const n = 100
				for i := range n {
					ex := withID(exchange("solo", i, t0), fmt.Sprint("x", i))
					a.Begin(begun(ex))
					if !a.Record(t.Context(), ex) {
						t.Fatalf("record %d refused", i)
					}
				}
				ctx, cancel := context.WithTimeout(t.Context(), tt.deadline)
				defer cancel()
				begin := time.Now()
				err = a.Close(ctx)
				if took := time.Since(begin); took > tt.deadline+tt.write {
					t.Errorf("Close took %v, deadline %v", took, tt.deadline)
				}
				if err == nil {
					t.Error("Close reported nothing left")
				}
				// The next start, on a normal disk, archives the rest.
				sink := newDirSink(t)
				b, err := New(Options{SpoolDir: spoolDir, Sink: sink, Instance: "i", Logger: testLogger(&testlog.Buffer{})})
				if err != nil {
					t.Fatal(err)
				}
				if err := b.Close(t.Context()); err != nil {
					t.Fatal(err)
				}
				_, byKey := readBack(t, sink, "")
				ids := map[string]int{}
				interrupted := 0
				for _, recs := range byKey {
					for _, ex := range recs {
						ids[ex.ID]++
						if ex.Interrupted {
							interrupted++
						}
					}
				}
				if len(ids) != n {
					t.Errorf("%d of %d exchanges archived", len(ids), n)
				}
				for id, c := range ids {
					if c != 1 {
						t.Errorf("%s archived %d times", id, c)
					}
				}
				if interrupted == 0 {
					t.Errorf("%d interrupted records, want the ones Close left to the journal", interrupted)
				}
			})
		})
	}
}

// syncedFiles records, per file, what syncFile made durable: the file's
// bytes at its last fsync, what a crash of the machine would keep. (By
// content rather than size: a journal file may have room, zeros, past its
// lines; and by file rather than name: a rotation renames a file, fsynced
// under its temporary name, over the journal.)
type syncedFiles struct {
	mu    sync.Mutex
	files []syncedFile
}

// syncedFile is one file's bytes at its last fsync.
type syncedFile struct {
	info os.FileInfo
	data []byte
}

func watchSyncs(t *testing.T) *syncedFiles {
	s := &syncedFiles{}
	replace(t, &syncFile, func(f *os.File) error {
		info, err := f.Stat()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(f.Name()) // before the fsync: no more than it keeps
		if err != nil {
			return f.Sync() // a file not to be read back: nothing known durable
		}
		s.mu.Lock()
		s.files = slices.DeleteFunc(s.files, func(sf syncedFile) bool { return os.SameFile(sf.info, info) })
		s.files = append(s.files, syncedFile{info, data})
		s.mu.Unlock()
		return f.Sync()
	})
	return s
}

// afterCrash returns the exchanges begun and not done in what a machine
// crash would leave of the journals in dir.
func (s *syncedFiles) afterCrash(t *testing.T, dir string) []hotelrates.Exchange {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var out []hotelrates.Exchange
	for _, e := range entries {
		info, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		s.mu.Lock()
		i := slices.IndexFunc(s.files, func(sf syncedFile) bool { return os.SameFile(sf.info, info) })
		var data []byte
		if i >= 0 {
			data = s.files[i].data
		}
		s.mu.Unlock()
		exs, err := parseJournal(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, exs...)
	}
	return out
}

// A journal line becomes durable (syncFile) at the writer's next tick
// after Begin, without Begin waiting for the disk; and the done lines of a
// segment's records are durable before the segment is uploaded (and
// deleted from the spool), so a crash of the machine loses at most the
// exchanges begun in the last tick and never archives one twice.
func TestJournalSurvivesMachineCrash(t *testing.T) {
	synced := watchSyncs(t)
	spoolDir := t.TempDir()
	journalDir := filepath.Join(spoolDir, "journal")
	var a *Archiver
	sink := &checkSink{DirSink: newDirSink(t), check: func(key string, body []byte) error {
		open := map[string]bool{}
		for _, ex := range synced.afterCrash(t, journalDir) {
			open[ex.ID] = true
		}
		recs, err := ReadSegment(bytes.NewReader(body))
		if err != nil {
			return err
		}
		for _, ex := range recs {
			if open[ex.ID] {
				t.Errorf("%s uploaded while its done line is not durable: a machine crash would archive it again as interrupted", ex.ID)
			}
		}
		return nil
	}}
	a, err := New(Options{SpoolDir: spoolDir, Sink: sink, Instance: "i", SegmentBytes: 1, Logger: testLogger(&testlog.Buffer{})})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				ex := withID(exchange("solo", i, t0), fmt.Sprintf("g%d-%d", g, i))
				a.Begin(begun(ex))
				// Generous: the writer ticks every second at most.
				found := false
				for deadline := time.Now().Add(10 * time.Second); !found && time.Now().Before(deadline); {
					for _, got := range synced.afterCrash(t, journalDir) {
						found = found || got.ID == ex.ID
					}
					if !found {
						time.Sleep(10 * time.Millisecond)
					}
				}
				if !found {
					t.Errorf("%s: its journal line was not made durable by the writer", ex.ID)
				}
				a.Record(context.Background(), ex)
			}
		})
	}
	wg.Wait()
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := a.Stats(); st.UploadedRecords != 40 || st.Errors != 0 {
		t.Errorf("stats %+v", st)
	}
}

// checkSink refuses a Put that check rejects.
type checkSink struct {
	*DirSink
	check func(key string, body []byte) error
}

func (c *checkSink) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if err := c.check(key, b); err != nil {
		return err
	}
	return c.DirSink.Put(ctx, key, bytes.NewReader(b), size)
}

// Names that would make a spool file name longer than a file system
// allows are refused by New; a long vendor name is shortened in keys, not
// lost.
func TestLongNames(t *testing.T) {
	tests := []struct {
		name     string
		prefix   string
		instance string
		vendor   string
		wantErr  bool
	}{
		{"long prefix", strings.Repeat("p", 300), "i", "solo", true},
		{"long instance", "", strings.Repeat("i", 250), "solo", true},
		{"prefix that grows when escaped", strings.Repeat("%", 80), "i", "solo", true},
		{"many prefix elements", strings.Repeat("ab/", 60) + "c", "i", "solo", true},
		{"long but fitting", strings.Repeat("p", 50), strings.Repeat("i", 30), "solo", false},
		{"long vendor name", "arch", "api-1", strings.Repeat("Vendor ", 60), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newDirSink(t)
			a, err := New(Options{SpoolDir: t.TempDir(), Sink: sink, Prefix: tt.prefix, Instance: tt.instance, Logger: testLogger(&testlog.Buffer{})})
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "too long") {
					a.Close(context.Background())
					t.Fatalf("New accepted the names: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a.Record(t.Context(), exchange(tt.vendor, 1, t0))
			if err := a.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			if st := a.Stats(); st.UploadedRecords != 1 || st.Lost != 0 {
				t.Errorf("stats %+v", st)
			}
			keys, _ := readBack(t, sink, "")
			for _, k := range keys {
				for el := range strings.SplitSeq(k, "/") {
					if len(el) > 255 {
						t.Errorf("key element of %d bytes", len(el))
					}
				}
				if !(Filter{Vendor: tt.vendor}).Match(k) {
					t.Errorf("Filter{Vendor: %q} does not select %s", tt.vendor, k)
				}
				if n := len(url.PathEscape(k)) + len(openSuffix); n > 255 {
					t.Errorf("spool name of %d bytes", n)
				}
			}
		})
	}
}

// Two runs of one instance name never write the same key, whatever their
// clocks say.
func TestKeysUniqueAcrossRuns(t *testing.T) {
	tests := []struct {
		name   string
		second time.Duration // the second run's clock, relative to the first's
	}{
		{"same instant", 0},
		{"2µs later", 2 * time.Microsecond},
		{"clock went back", -time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newDirSink(t)
			start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
			var runs []*Archiver
			for _, at := range []time.Time{start, start.Add(tt.second)} {
				// Both run at once (each on its own spool), as a restarted
				// pod may while the old one drains.
				a, err := New(Options{SpoolDir: t.TempDir(), Sink: sink, Instance: "api-1", SegmentBytes: 1,
					Now: func() time.Time { return at }, Logger: testLogger(&testlog.Buffer{})})
				if err != nil {
					t.Fatal(err)
				}
				runs = append(runs, a)
			}
			for _, a := range runs {
				for i := range 5 {
					a.Record(t.Context(), exchange("solo", i, start))
				}
			}
			for _, a := range runs {
				if err := a.Close(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if objs, _ := sink.List(t.Context(), ""); len(objs) != 10 {
				t.Errorf("%d objects, want 10: keys collided", len(objs))
			}
		})
	}
}

// A record's journal entry ends only once the record is fsynced in its
// segment: a crash of the machine must not keep the done line and lose
// the record.
func TestDoneLineWaitsForSegmentSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, err := New(Options{SpoolDir: t.TempDir(), Sink: newDirSink(t), Instance: "i", Logger: testLogger(&testlog.Buffer{})})
		if err != nil {
			t.Fatal(err)
		}
		ex := withID(exchange("solo", 1, t0), "x")
		a.Begin(begun(ex))
		a.Record(t.Context(), ex)
		synctest.Wait()
		if !a.journal.isOpen("x") {
			t.Error("the journal entry ended before the record was fsynced")
		}
		time.Sleep(DefaultSyncInterval)
		synctest.Wait()
		if a.journal.isOpen("x") {
			t.Error("the journal entry still open after the segment's fsync")
		}
		if err := a.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// Records already waiting in the writer's queue go out in one write (not
// one each), and every one reads back.
func TestWaitingRecordsShareAWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		writes := 0
		replace(t, &spoolWrite, func(f *os.File, b []byte) (int, error) {
			writes++
			return f.Write(b)
		})
		sink := newDirSink(t)
		a, err := New(Options{SpoolDir: t.TempDir(), Sink: sink, Instance: "i", Queue: 100, Logger: testLogger(&testlog.Buffer{})})
		if err != nil {
			t.Fatal(err)
		}
		first := true
		a.writeHook = func() {
			if first { // the writer is busy while the rest queue up
				first = false
				time.Sleep(time.Millisecond)
			}
		}
		const n = 50
		for i := range n {
			a.Record(t.Context(), withID(exchange("solo", i, t0), fmt.Sprint("x", i)))
		}
		if err := a.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		if writes > 2 {
			t.Errorf("%d writes for %d records waiting together", writes, n)
		}
		if st := a.Stats(); st.UploadedRecords != n || st.Lost != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}
