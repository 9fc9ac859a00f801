package archive

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	j.f.Close() // the next write fails
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
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseJournal(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > strings.Count(in, "\n") {
			t.Fatalf("%d exchanges from %d lines", len(got), strings.Count(in, "\n"))
		}
		seen := map[string]bool{}
		for _, ex := range got {
			if ex.ID == "" || seen[ex.ID] {
				t.Fatalf("exchange with ID %q returned (seen before: %v)", ex.ID, seen[ex.ID])
			}
			seen[ex.ID] = true
		}
	})
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
