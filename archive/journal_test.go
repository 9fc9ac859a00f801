package archive

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"hotelrates"
	"hotelrates/internal/testlog"
)

func withID(ex hotelrates.Exchange, id string) hotelrates.Exchange {
	ex.ID = id
	return ex
}

// begun is what the engine gives Begin: the request, no answer yet.
func begun(ex hotelrates.Exchange) hotelrates.Exchange {
	ex.Status, ex.ResponseHeader, ex.ResponseBody, ex.DurationMS = 0, nil, "", 0
	return ex
}

func TestParseJournal(t *testing.T) {
	line := func(l journalLine) string {
		b, _ := json.Marshal(l)
		return string(b) + "\n"
	}
	a := begun(withID(exchange("solo", 1, t0), "a"))
	b := begun(withID(exchange("solo", 2, t0), "b"))
	c := begun(withID(exchange("bulk", 3, t0), "c"))
	long := begun(withID(exchange("solo", 4, t0), "long"))
	long.RequestBody = strings.Repeat("x", 3*journalReadBuf)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"begun and done", line(journalLine{Exchange: a}) + line(journalLine{Done: "a"}), nil},
		{"begun only", line(journalLine{Exchange: a}) + line(journalLine{Exchange: b}) + line(journalLine{Done: "a"}), []string{"b"}},
		{"order kept", line(journalLine{Exchange: c}) + line(journalLine{Exchange: a}), []string{"c", "a"}},
		{"torn last line: that begin never finished", line(journalLine{Exchange: a}) + strings.TrimSuffix(line(journalLine{Exchange: b}), "\n"), []string{"a"}},
		{"torn done line: still open", line(journalLine{Exchange: a}) + `{"done":"a`, []string{"a"}},
		{"garbage line skipped", "not json\n" + line(journalLine{Exchange: a}), []string{"a"}},
		{"done before begin (after a rotation)", line(journalLine{Done: "x"}) + line(journalLine{Exchange: a}), []string{"a"}},
		// A mapped journal file ends in zeros, its room (journalMap).
		{"zero-filled tail", line(journalLine{Exchange: a}) + line(journalLine{Exchange: b}) + line(journalLine{Done: "a"}) + zeros(5000), []string{"b"}},
		{"torn line, then zeros", line(journalLine{Exchange: a}) + tear(line(journalLine{Exchange: b}), 40) + zeros(5000), []string{"a"}},
		{"torn line ending in a quote, then zeros", line(journalLine{Exchange: a}) + `{"id":"b"` + zeros(10), []string{"a"}},
		{"torn done line, then zeros", line(journalLine{Exchange: a}) + `{"done":"a"` + zeros(5000), []string{"a"}},
		{"zeros only", zeros(3 * journalReadBuf), nil},
		{"a whole line after zeros", line(journalLine{Exchange: a}) + zeros(100) + line(journalLine{Exchange: b}), []string{"a", "b"}},
		{"a done line after zeros", line(journalLine{Exchange: a}) + zeros(100) + line(journalLine{Done: "a"}) + zeros(100), nil},
		// A machine crash may write back some pages of a line and not others.
		{"zeros inside a line", line(journalLine{Exchange: a}) + hole(line(journalLine{Exchange: b}), 20, 100) + line(journalLine{Exchange: c}), []string{"a", "c"}},
		{"zeros from a line's start", hole(line(journalLine{Exchange: a}), 0, 30) + line(journalLine{Exchange: b}), []string{"b"}},
		{"zeros before a line's newline", line(journalLine{Exchange: a}) + hole(line(journalLine{Exchange: b}), len(line(journalLine{Exchange: b}))-1, 1) + line(journalLine{Exchange: c}), []string{"a", "c"}},
		{"a line longer than the read buffer, then zeros", line(journalLine{Exchange: long}) + tear(line(journalLine{Exchange: b}), 50) + zeros(2*journalReadBuf+7), []string{"long"}},
		{"a NUL in a line longer than the read buffer", line(journalLine{Exchange: a}) + hole(line(journalLine{Exchange: long}), journalReadBuf+10, 1) + line(journalLine{Exchange: b}), []string{"a", "b"}},
		{"zeros across read buffers, then a line", line(journalLine{Exchange: a}) + zeros(journalReadBuf-3) + line(journalLine{Exchange: long}), []string{"a", "long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseJournal(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, ex := range got {
				ids = append(ids, ex.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
				t.Errorf("open %v, want %v", ids, tt.want)
			}
		})
	}
}

// zeros returns n zero bytes: a mapped journal file's room.
func zeros(n int) string { return strings.Repeat("\x00", n) }

// tear returns the first n bytes of line: a line cut off by a crash.
func tear(line string, n int) string { return line[:n] }

// hole returns line with n of its bytes from off zeros: pages of it that a
// machine crash did not write back.
func hole(line string, off, n int) string { return line[:off] + zeros(n) + line[off+n:] }

// A SIGKILL leaves the journal with exchanges begun and not done. The next
// start archives those not already in a segment as Interrupted, once; the
// ones whose records made it are not duplicated.
func TestJournalRecoveryAfterCrash(t *testing.T) {
	spoolDir := t.TempDir()
	sp, err := openSpool(spoolDir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	sp.unlock()                                                // the crashed run's lock died with it
	done := withID(exchange("solo", 1, t0), "done")            // archived and uploaded before the crash
	inSegment := withID(exchange("solo", 2, t0), "in-segment") // written, its done line lost
	cut := withID(exchange("bulk", 3, t0), "cut")              // in flight at the crash
	var j strings.Builder
	for _, l := range []journalLine{{Exchange: begun(done)}, {Exchange: begun(inSegment)}, {Exchange: begun(cut)}, {Done: "done"}} {
		b, _ := json.Marshal(l)
		j.Write(append(b, '\n'))
	}
	os.MkdirAll(sp.journal, 0o700)
	if err := os.WriteFile(filepath.Join(sp.journal, "1.ndjson"), []byte(j.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	key := segmentKey("", "solo", "crashed", t0, 1)
	os.WriteFile(sp.openPath(key), []byte(marshal(t, inSegment)+"\n"), 0o600)

	sink := newDirSink(t)
	logs := &testlog.Buffer{}
	a, err := New(Options{SpoolDir: spoolDir, Sink: sink, Instance: "new", Logger: testLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, byKey := readBack(t, sink, "")
	ids := map[string]int{}
	var got hotelrates.Exchange
	for _, recs := range byKey {
		for _, ex := range recs {
			ids[ex.ID]++
			if ex.ID == "cut" {
				got = ex
			}
		}
	}
	if ids["done"] != 0 || ids["in-segment"] != 1 || ids["cut"] != 1 || len(ids) != 2 {
		t.Errorf("archived %v", ids)
	}
	if !got.Interrupted || !strings.HasPrefix(got.Error, "interrupted") || !strings.Contains(got.Error, "may not have reached the vendor") || got.RequestBody != cut.RequestBody || got.ResponseBody != "" || got.SearchID != cut.SearchID {
		t.Errorf("interrupted record %+v", got)
	}
	if st := a.Stats(); st.Interrupted != 1 || st.UploadedRecords != 2 {
		t.Errorf("stats %+v", st)
	}
	if !strings.Contains(logs.String(), "interrupted") {
		t.Errorf("no log:\n%s", logs)
	}
	if left, _ := os.ReadDir(sp.journal); len(left) != 0 {
		t.Errorf("journal files left: %v", left)
	}
}

// A segment of interrupted records that journal recovery cannot seal is
// retried by the writer once it runs, not left for the next start.
func TestJournalRecoverySealFailureIsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spoolDir := t.TempDir()
		sp, err := openSpool(spoolDir, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		sp.unlock()
		cut := withID(exchange("bulk", 1, t0), "cut")
		b, _ := json.Marshal(journalLine{Exchange: begun(cut)})
		os.MkdirAll(sp.journal, 0o700)
		if err := os.WriteFile(filepath.Join(sp.journal, "1.ndjson"), append(b, '\n'), 0o600); err != nil {
			t.Fatal(err)
		}
		var failing atomic.Bool
		failing.Store(true)
		defer func(f func(string) error) { sealFault = f }(sealFault)
		sealFault = func(string) error {
			if failing.Load() {
				return errors.New("disk trouble")
			}
			return nil
		}
		sink := newDirSink(t)
		a, err := New(Options{SpoolDir: spoolDir, Sink: sink, Instance: "new", Logger: testLogger(&testlog.Buffer{})})
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if st := a.Stats(); st.Interrupted != 1 || st.Segments != 0 || st.Errors == 0 || st.Pending != 1 {
			t.Errorf("after the failed seal: %+v", st)
		}
		failing.Store(false)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if st := a.Stats(); st.Segments != 1 || st.UploadedRecords != 1 || st.Pending != 0 {
			t.Errorf("after the retry, before Close: %+v", st)
		}
		if err := a.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		_, byKey := readBack(t, sink, "")
		n := 0
		for _, recs := range byKey {
			for _, ex := range recs {
				if ex.ID == "cut" && ex.Interrupted {
					n++
				}
			}
		}
		if n != 1 {
			t.Errorf("interrupted record archived %d times, want 1", n)
		}
	})
}

// A live archiver: every begun exchange whose record arrives is closed in
// the journal; a clean Close with nothing open removes the journal; one
// still open at Close is archived as interrupted at the next start.
func TestJournalThroughRestart(t *testing.T) {
	spoolDir := t.TempDir()
	sink := newDirSink(t)
	start := func() *Archiver {
		a, err := New(Options{SpoolDir: spoolDir, Sink: sink, Instance: "i", Logger: testLogger(&testlog.Buffer{})})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := start()
	for i, id := range []string{"x", "y", "z"} {
		ex := withID(exchange("solo", i, t0), id)
		a.Begin(begun(ex))
		if id != "z" { // z is still in flight when the process stops
			a.Record(t.Context(), ex)
		}
	}
	if err := a.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	a = start()
	if err := a.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := a.Stats(); st.Interrupted != 1 {
		t.Errorf("stats %+v", st)
	}
	a = start() // nothing open now: nothing more to recover
	if err := a.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := a.Stats(); st.Interrupted != 0 {
		t.Errorf("recovered again: %+v", st)
	}
	_, byKey := readBack(t, sink, "")
	ids := map[string]int{}
	for _, recs := range byKey {
		for _, ex := range recs {
			ids[ex.ID]++
			if ex.Interrupted != (ex.ID == "z") {
				t.Errorf("record %s interrupted %v", ex.ID, ex.Interrupted)
			}
		}
	}
	if len(ids) != 3 || ids["x"] != 1 || ids["y"] != 1 || ids["z"] != 1 {
		t.Errorf("archived %v", ids)
	}
	if left, _ := os.ReadDir(filepath.Join(spoolDir, "journal")); len(left) != 0 {
		t.Errorf("journal files left: %v", left)
	}
}

// The journal is rewritten with only its open entries when it grows.
func TestJournalRotation(t *testing.T) {
	dir := t.TempDir()
	j, err := openJournal(dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	j.rotateAt = 4 << 10
	for i := range 200 {
		id := string(rune('a'+i%26)) + strings.Repeat("-", i/26) // unique
		if err := j.begin(begun(withID(exchange("solo", i, t0), id))); err != nil {
			t.Fatal(err)
		}
		if i != 7 {
			if err := j.done(id); err != nil {
				t.Fatal(err)
			}
		}
	}
	info, err := os.Stat(j.path)
	if err != nil || info.Size() > 8<<10 {
		t.Fatalf("journal not rotated: %v, %v", info.Size(), err)
	}
	if n := j.close(); n != 1 {
		t.Errorf("%d open at close", n)
	}
	orphans, files, err := readJournals(dir)
	if err != nil || len(files) != 1 || len(orphans) != 1 || orphans[0].ID != "h" {
		t.Errorf("orphans %v, files %v, %v", orphans, files, err)
	}
}

// The journal is deleted once recovery has written its exchanges: they
// are written even past the spool limit, or they would be lost.
func TestJournalRecoveryIgnoresSpoolLimit(t *testing.T) {
	spoolDir := t.TempDir()
	sp, err := openSpool(spoolDir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	sp.unlock()
	var j strings.Builder
	for i := range 5 {
		b, _ := json.Marshal(journalLine{Exchange: begun(withID(exchange("solo", i, t0), fmt.Sprint("cut-", i)))})
		j.Write(append(b, '\n'))
	}
	os.MkdirAll(sp.journal, 0o700)
	if err := os.WriteFile(filepath.Join(sp.journal, "1.ndjson"), []byte(j.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	sink := newDirSink(t)
	a, err := New(Options{SpoolDir: spoolDir, Sink: sink, Instance: "new", SpoolLimit: 10, Logger: testLogger(&testlog.Buffer{})})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := a.Stats(); st.Interrupted != 5 || st.Dropped != 0 || st.UploadedRecords != 5 {
		t.Errorf("recovered under a 10-byte spool limit: %+v", st)
	}
}

// A journal whose disk write fails removes its file (its begin lines
// would be archived a second time at the next start), and opens a new
// file after its retry interval.
func TestJournalWriteFailure(t *testing.T) {
	dir := t.TempDir()
	j, err := openJournal(dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	j.retry = 0
	if err := j.begin(withID(exchange("solo", 1, t0), "before")); err != nil {
		t.Fatal(err)
	}
	breakFile(j) // the next write fails
	if err := j.begin(withID(exchange("solo", 2, t0), "failing")); err == nil {
		t.Fatal("a failed write was not reported")
	}
	if orphans, files, err := readJournals(dir); err != nil || len(files) != 0 || len(orphans) != 0 {
		t.Fatalf("after the failure the journal holds %v in %v (%v): the next start would duplicate them", orphans, files, err)
	}
	if err := j.done("before"); err != nil {
		t.Fatal(err)
	}
	// Back on a new file.
	if err := j.begin(withID(exchange("solo", 3, t0), "after")); err != nil {
		t.Fatal(err)
	}
	orphans, files, err := readJournals(dir)
	if err != nil || len(files) != 1 || len(orphans) != 1 || orphans[0].ID != "after" {
		t.Fatalf("reopened journal holds %v in %v (%v)", orphans, files, err)
	}
	if n := j.close(); n != 1 {
		t.Errorf("%d open at close, want 1", n)
	}
	if err := j.begin(withID(exchange("solo", 4, t0), "closed")); err != nil {
		t.Fatal(err)
	}
	if orphans, _, _ := readJournals(dir); len(orphans) != 1 {
		t.Errorf("a closed journal took a begin: %v", orphans)
	}
}

// openIDs returns the IDs of exs, in order, comma-separated.
// mustOpenJournal opens a journal in dir, started at t0.
func mustOpenJournal(t *testing.T, dir string) *journal {
	t.Helper()
	j, err := openJournal(dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func openIDs(exs []hotelrates.Exchange) string {
	ids := make([]string, len(exs))
	for i, ex := range exs {
		ids[i] = ex.ID
	}
	return strings.Join(ids, ",")
}

// bigBody is a request body larger than the room a journal file has past
// its lines (on Linux, a step of journalRoom at most) and than
// journalReadBuf.
var bigBody = strings.Repeat("b", 3<<20)

// A SIGKILL right after begin or done loses no line: the file as the
// kernel holds it, room and all, reads as the exchanges open; the lines
// are made durable by sync, through rotations and growth; a clean close
// with entries open leaves the file cut to its lines, which read as those
// entries, and one with none open removes it.
func TestJournalFile(t *testing.T) {
	ex := func(i int, id string) hotelrates.Exchange { return begun(withID(exchange("solo", i, t0), id)) }
	big := func(i int, id string) hotelrates.Exchange {
		e := ex(i, id)
		e.RequestBody = bigBody
		return e
	}
	tests := []struct {
		name     string
		rotateAt int64
		begin    []hotelrates.Exchange
		done     []string              // done after all are begun
		late     []hotelrates.Exchange // begun after those are done
		open     string                // the IDs open at the end, sorted
	}{
		{"a few lines", journalRotate, []hotelrates.Exchange{ex(1, "a"), ex(2, "b"), ex(3, "c")}, []string{"b"}, nil, "a,c"},
		{"all done", journalRotate, []hotelrates.Exchange{ex(1, "a"), ex(2, "b")}, []string{"a", "b"}, nil, ""},
		{"a line larger than the room left", journalRotate, []hotelrates.Exchange{ex(1, "a"), big(2, "big"), ex(3, "c")}, []string{"a"}, nil, "big,c"},
		{"a first line larger than the room", journalRotate, []hotelrates.Exchange{big(1, "big")}, nil, nil, "big"},
		{"lines past the file's first room", journalRotate, manyBegun(3000), doneIDs(3000, 3), nil, manyOpen(3000, 3)},
		{"rotation while mapped", 16 << 10, manyBegun(400), doneIDs(400, 7), nil, manyOpen(400, 7)},
		{"rotation with a large line open", 16 << 10, append([]hotelrates.Exchange{big(0, "big")}, manyBegun(40)...), doneIDs(40, 0), nil, "big"},
		// On Linux a rotated file's mapping spans 8 of its rotateAt
		// (journalMapSpans), 128 KiB: the large line needs a new mapping.
		{"a line larger than the mapping", 16 << 10, manyBegun(100), doneIDs(100, 0), []hotelrates.Exchange{ex(1, "a"), big(2, "big"), ex(3, "c")}, "a,big,c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j := mustOpenJournal(t, dir)
			j.rotateAt = tt.rotateAt
			for i, e := range tt.begin {
				if err := j.begin(e); err != nil {
					t.Fatal(err)
				}
				if i == len(tt.begin)/2 {
					if err := j.sync(); err != nil {
						t.Fatal(err)
					}
				}
			}
			// Rotations happen in done: one call per ID, as the writer's
			// records end one segment batch at a time.
			for _, id := range tt.done {
				if err := j.done(id); err != nil {
					t.Fatal(err)
				}
			}
			for _, e := range tt.late {
				if err := j.begin(e); err != nil {
					t.Fatal(err)
				}
			}
			if err := j.sync(); err != nil {
				t.Fatal(err)
			}
			// A SIGKILL now: the file as it is.
			orphans, files, err := readJournals(dir)
			if err != nil || len(files) != 1 || sortedIDs(orphans) != tt.open {
				t.Fatalf("before close: open %q in %v (%v), want %q", openIDs(orphans), files, err, tt.open)
			}
			// A rotation leaves out the lines of the exchanges done.
			b, err := os.ReadFile(j.path)
			inFile := uint64(bytes.Count(b, []byte("\n")))
			if rotated := inFile < j.written; err != nil || rotated != (tt.rotateAt < journalRotate) {
				t.Errorf("%d of the %d lines written are in the file (%v): rotated %v", inFile, j.written, err, rotated)
			}
			for _, o := range orphans {
				if o.ID == "big" && o.RequestBody != bigBody {
					t.Errorf("the large line read back with a %d-byte body", len(o.RequestBody))
				}
			}
			path := j.path
			if n := j.close(); n != len(orphans) {
				t.Errorf("%d open at close, want %d", n, len(orphans))
			}
			orphans, files, err = readJournals(dir)
			if err != nil || sortedIDs(orphans) != tt.open {
				t.Fatalf("after close: open %q in %v (%v), want %q", openIDs(orphans), files, err, tt.open)
			}
			if tt.open == "" {
				if len(files) != 0 {
					t.Errorf("nothing open, and the file stays: %v", files)
				}
				return
			}
			b, err = os.ReadFile(path)
			if err != nil || len(b) == 0 || b[len(b)-1] != '\n' || bytes.IndexByte(b, 0) >= 0 {
				t.Errorf("after close the file is not cut to its lines (%d bytes, NUL at %d, %v)", len(b), bytes.IndexByte(b, 0), err)
			}
		})
	}
}

// sortedIDs returns the IDs of exs, sorted, comma-separated: a rotation
// does not keep the order of the lines.
func sortedIDs(exs []hotelrates.Exchange) string {
	ids := strings.Split(openIDs(exs), ",")
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// manyBegun returns n begun exchanges, IDs "e0" to "e<n-1>".
func manyBegun(n int) []hotelrates.Exchange {
	exs := make([]hotelrates.Exchange, n)
	for i := range exs {
		exs[i] = begun(withID(exchange("solo", i, t0), fmt.Sprint("e", i)))
	}
	return exs
}

// doneIDs returns the IDs of manyBegun(n) but every keep-th (all of
// them when keep is 0).
func doneIDs(n, keep int) []string {
	var ids []string
	for i := range n {
		if keep == 0 || i%keep != 0 {
			ids = append(ids, fmt.Sprint("e", i))
		}
	}
	return ids
}

// manyOpen returns what stays open of manyBegun(n) after doneIDs(n,
// keep), sorted as sortedIDs.
func manyOpen(n, keep int) string {
	var ids []string
	for i := 0; i < n; i += keep {
		ids = append(ids, fmt.Sprint("e", i))
	}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// A journal file left by a SIGKILL, room and a line torn as it was being
// written included, is archived at the next start as exactly the
// exchanges it holds open: not the torn one, not the done ones.
func TestJournalRecoveryOfTornFile(t *testing.T) {
	tests := []struct {
		name string
		torn string // written at the end of the lines, over the room
	}{
		{"no torn line", ""},
		{"a torn begin line", `{"id":"torn","vendor":"solo","kind":"ra`},
		{"a torn done line", `{"done":"a","id":"","vendor":"`},
		{"a begin line torn in its middle", hole(func() string {
			b, _ := json.Marshal(journalLine{Exchange: begun(withID(exchange("solo", 9, t0), "torn"))})
			return string(b) + "\n"
		}(), 10, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The file of a live journal, as the kernel holds it.
			j, err := openJournal(t.TempDir(), t0)
			if err != nil {
				t.Fatal(err)
			}
			for i, id := range []string{"a", "b", "c"} {
				if err := j.begin(begun(withID(exchange("solo", i, t0), id))); err != nil {
					t.Fatal(err)
				}
			}
			if err := j.done("b"); err != nil {
				t.Fatal(err)
			}
			file, err := os.ReadFile(j.path)
			if err != nil {
				t.Fatal(err)
			}
			used := int(j.size)
			j.close()
			if len(file) < used+len(tt.torn) {
				file = append(file, make([]byte, used+len(tt.torn)-len(file))...)
			}
			copy(file[used:], tt.torn)

			spoolDir := t.TempDir()
			sp, err := openSpool(spoolDir, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			sp.unlock()
			os.MkdirAll(sp.journal, 0o700)
			if err := os.WriteFile(filepath.Join(sp.journal, "1.ndjson"), file, 0o600); err != nil {
				t.Fatal(err)
			}
			sink := newDirSink(t)
			a, err := New(Options{SpoolDir: spoolDir, Sink: sink, Instance: "new", Logger: testLogger(&testlog.Buffer{})})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, byKey := readBack(t, sink, "")
			var got []string
			for _, recs := range byKey {
				for _, ex := range recs {
					if !ex.Interrupted {
						t.Errorf("%s archived, not as interrupted", ex.ID)
					}
					got = append(got, ex.ID)
				}
			}
			slices.Sort(got)
			if strings.Join(got, ",") != "a,c" {
				t.Errorf("archived %v, want a,c", got)
			}
		})
	}
}

// When a line cannot be written (the file cut short under the journal's
// mapping, a growth of the file that fails, a closed file) or an fsync
// fails, the journal turns off: its file is removed, the exchanges open in
// it are forgotten, and after its retry interval a begin opens a new file.
func TestJournalFailureReopens(t *testing.T) {
	bigEx := begun(withID(exchange("solo", 2, t0), "failing"))
	bigEx.RequestBody = bigBody
	tests := []struct {
		name  string
		fail  func(t *testing.T, j *journal) error
		linux string // on Linux, where lines go through a mapping: what the error says
	}{
		{"a begin line into a file cut short", func(t *testing.T, j *journal) error {
			breakFile(j)
			return j.begin(begun(withID(exchange("solo", 2, t0), "failing")))
		}, "cut short"},
		{"a done line into a file cut short", func(t *testing.T, j *journal) error {
			breakFile(j)
			return j.done("before")
		}, "cut short"},
		{"a line larger than the room, the file closed", func(t *testing.T, j *journal) error {
			j.f.Close()
			return j.begin(bigEx)
		}, "closed"},
		{"fsync", func(t *testing.T, j *journal) error {
			failing := true
			replace(t, &syncFile, func(f *os.File) error {
				if failing {
					return errors.New("disk trouble")
				}
				return f.Sync()
			})
			defer func() { failing = false }()
			return j.sync()
		}, "disk trouble"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j := mustOpenJournal(t, dir)
			j.retry = time.Hour
			if err := j.begin(begun(withID(exchange("solo", 1, t0), "before"))); err != nil {
				t.Fatal(err)
			}
			err := tt.fail(t, j)
			if err == nil || (runtime.GOOS == "linux" && !strings.Contains(err.Error(), tt.linux)) {
				t.Fatalf("failure reported as %v, want an error (on Linux, about %q)", err, tt.linux)
			}
			if orphans, files, err := readJournals(dir); err != nil || len(files) != 0 || len(orphans) != 0 {
				t.Fatalf("after the failure the journal holds %v in %v (%v): the next start would duplicate them", orphans, files, err)
			}
			if j.isOpen("before") {
				t.Error("an entry of the failed file is still open")
			}
			// Off until the retry interval has passed.
			if err := j.begin(begun(withID(exchange("solo", 3, t0), "too soon"))); err != nil || j.isOpen("too soon") {
				t.Fatalf("a begin before the retry: %v, open %v", err, j.isOpen("too soon"))
			}
			j.retry = 0
			if err := j.begin(begun(withID(exchange("solo", 4, t0), "after"))); err != nil {
				t.Fatal(err)
			}
			if err := j.begin(bigEx); err != nil { // the new file grows as the first did
				t.Fatal(err)
			}
			if err := j.sync(); err != nil {
				t.Fatal(err)
			}
			orphans, files, err := readJournals(dir)
			if err != nil || len(files) != 1 || openIDs(orphans) != "after,failing" {
				t.Fatalf("the new file holds %q in %v (%v)", openIDs(orphans), files, err)
			}
			if n := j.close(); n != 2 {
				t.Errorf("%d open at close, want 2", n)
			}
			if orphans, _, _ := readJournals(dir); openIDs(orphans) != "after,failing" {
				t.Errorf("after close the file holds %q", openIDs(orphans))
			}
		})
	}
}

// breakFile cuts the journal's file short and closes it under the
// journal: its next line fails, whether it goes through the file's
// mapping (a fault: the mapping is past the file's end) or write(2) (a
// closed file).
func breakFile(j *journal) {
	j.f.Truncate(0)
	j.f.Close()
}

// The journal-line decoder takes any bytes: it never panics, and what it
// returns is begun exchanges, each once, with their IDs.
func FuzzParseJournal(f *testing.F) {
	line := func(l journalLine) string {
		b, _ := json.Marshal(l)
		return string(b) + "\n"
	}
	a := begun(withID(exchange("solo", 1, t0), "a"))
	b := begun(withID(exchange("bulk", 2, t0), "b"))
	f.Add(line(journalLine{Exchange: a}) + line(journalLine{Exchange: b}) + line(journalLine{Done: "a"}))
	f.Add(line(journalLine{Exchange: a}) + `{"done":"a`)
	f.Add("not json\n\n{}\nnull\n[]\n" + line(journalLine{Done: "x"}))
	f.Add(`{"id":"a","done":"a"}` + "\n" + `{"id":"a"}` + "\n" + `{"id":"a","vendor":"v"}` + "\n")
	// A mapped file's room, lines torn by a crash.
	f.Add(line(journalLine{Exchange: a}) + tear(line(journalLine{Exchange: b}), 30) + zeros(100))
	f.Add(hole(line(journalLine{Exchange: a}), 5, 20) + zeros(3) + line(journalLine{Exchange: b}) + "\x00")
	f.Add(`{"id":"a"}` + "\x00\n" + `{"id":"b"}` + "\n\x00" + `{"id":"c"}` + "\n" + `{"id":"d"` + "\x00" + `}` + "\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseJournal(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > strings.Count(in, "\n") {
			t.Fatalf("%d exchanges from %d lines", len(got), strings.Count(in, "\n"))
		}
		seen := map[string]bool{}
		begins := wholeBeginLines(in)
		for _, ex := range got {
			if ex.ID == "" || seen[ex.ID] {
				t.Fatalf("exchange with ID %q returned (seen before: %v)", ex.ID, seen[ex.ID])
			}
			seen[ex.ID] = true
			enc, err := json.Marshal(ex)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(begins[ex.ID], string(enc)) {
				t.Fatalf("exchange %q returned as %s, not a whole begin line of the input (%q)", ex.ID, enc, begins[ex.ID])
			}
		}
		// And none is missed: the documented rule, plainly.
		if want := strings.Join(refParseJournal(in), ","); openIDs(got) != want {
			t.Fatalf("open exchanges %q, by the rule %q", openIDs(got), want)
		}
	})
}

// refParseJournal is parseJournal's rule written plainly, for the fuzzer:
// the bytes between NULs are read as lines; a whole line ('\n'-ended) that
// is a begin opens its ID (first seen order), a done line closes it.
func refParseJournal(in string) []string {
	begun := map[string]bool{}
	var order []string
	for _, chunk := range strings.Split(in, "\x00") {
		ls := strings.SplitAfter(chunk, "\n")
		for _, l := range ls[:len(ls)-1] {
			var jl journalLine
			if json.Unmarshal([]byte(l), &jl) != nil {
				continue
			}
			switch {
			case jl.Done != "":
				delete(begun, jl.Done)
			case jl.ID != "":
				if !slices.Contains(order, jl.ID) {
					order = append(order, jl.ID)
				}
				begun[jl.ID] = true
			}
		}
	}
	var out []string
	for _, id := range order {
		if begun[id] {
			out = append(out, id)
			delete(begun, id)
		}
	}
	return out
}

// wholeBeginLines returns, by ID, the exchanges of the whole begin lines
// of a journal's bytes, JSON-encoded: a whole line follows the start, a
// newline or a NUL (the room of a mapped file, or a hole a crash left)
// and ends in a newline, with neither in between. It is parseJournal's
// reading written plainly, for FuzzParseJournal to check it against.
func wholeBeginLines(in string) map[string][]string {
	out := map[string][]string{}
	for _, chunk := range strings.Split(in, "\x00") {
		lines := strings.SplitAfter(chunk, "\n")
		for _, l := range lines[:len(lines)-1] { // the last does not end in a newline
			var jl journalLine
			if json.Unmarshal([]byte(l), &jl) != nil || jl.Done != "" || jl.ID == "" {
				continue
			}
			enc, err := json.Marshal(jl.Exchange)
			if err != nil {
				continue
			}
			out[jl.ID] = append(out[jl.ID], string(enc))
		}
	}
	return out
}

// The archived bytes of a record whose request the writer copied from its
// begin line are those of the record encoded from scratch (and
// encoding/json's), including when the record's request is not what
// Begin got.
func TestRecordCopiedFromBeginLineIsEncodedFromScratch(t *testing.T) {
	sink := newDirSink(t)
	a, err := New(Options{SpoolDir: t.TempDir(), Sink: sink, Instance: "i", Logger: testLogger(&testlog.Buffer{})})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i, ex := range benchExchanges(40) {
		a.Begin(begun(ex))
		switch i % 5 {
		case 1:
			ex.URL += "&token=[REDACTED]" // not what Begin got
		case 2:
			ex.Start = ex.Start.In(time.FixedZone("x", 3600)) // the same instant, written otherwise
		case 3:
			ex.RequestHeader["Authorization"] = []string{"changed after Begin"} // the map Begin encoded
		case 4:
			ex.RequestBody = ""
		}
		if !a.Record(t.Context(), ex) {
			t.Fatal("record refused")
		}
		js, err := json.Marshal(ex)
		if err != nil {
			t.Fatal(err)
		}
		if enc := appendRecord(nil, "", &ex); string(enc) != string(js) {
			t.Fatalf("appendRecord is not encoding/json:\n%s\n%s", enc, js)
		}
		want = append(want, string(js))
	}
	if err := a.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	objs, err := sink.List(t.Context(), "")
	if err != nil || len(objs) != 1 {
		t.Fatalf("%d segments, %v", len(objs), err)
	}
	rc, err := sink.Get(t.Context(), objs[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}
