//go:build linux

package archive

import (
	"os"
	"syscall"
	"testing"
)

// TestJournalMapTrouble: what the mapped journal does when its file is
// not what it wrote, or cannot be mapped at all.
func TestJournalMapTrouble(t *testing.T) {
	t.Run("cut short by another process: reported at the next sync", func(t *testing.T) {
		dir := t.TempDir()
		j := mustOpenJournal(t, dir)
		defer j.close()
		if err := j.begin(begun(withID(exchange("solo", 1, t0), "a"))); err != nil {
			t.Fatal(err)
		}
		// A tool "cleaning" the zeros: a line copied past the new end,
		// inside its last page, does not fault.
		if err := os.Truncate(j.path, j.size); err != nil {
			t.Fatal(err)
		}
		j.begin(begun(withID(exchange("solo", 2, t0), "b")))
		if err := j.syncPending(); err == nil {
			t.Fatal("a journal file cut short went unreported")
		}
		if j.f != nil {
			t.Fatal("the journal is still on after its file was cut short")
		}
	})
	t.Run("mapping refused: lines by pwrite", func(t *testing.T) {
		old := mmapFile
		mmapFile = func(int, int64, int, int, int) ([]byte, error) { return nil, syscall.ENODEV }
		defer func() { mmapFile = old }()
		dir := t.TempDir()
		j, err := openJournal(dir, t0)
		if err != nil {
			t.Fatalf("a file system without writable shared mappings: %v", err)
		}
		for i, id := range []string{"a", "b", "c"} {
			if err := j.begin(begun(withID(exchange("solo", i, t0), id))); err != nil {
				t.Fatal(err)
			}
		}
		if err := j.done("b"); err != nil {
			t.Fatal(err)
		}
		if err := j.syncPending(); err != nil {
			t.Fatal(err)
		}
		if n := j.close(); n != 2 {
			t.Fatalf("%d entries open at close, want 2", n)
		}
		orphans, _, err := readJournals(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := openIDs(orphans); got != "a,c" {
			t.Errorf("recovered %q, want a,c", got)
		}
	})
}
