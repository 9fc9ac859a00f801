//go:build !linux

package archive

import "os"

// journalFlags are the access flags a journal file is opened with: every
// line is appended with write(2).
const journalFlags = os.O_WRONLY | os.O_APPEND

// journalMap puts a journal's lines in its file. Here it maps nothing:
// each line is one write(2), in the kernel once the call returns. (Only
// Linux promises that fsync writes back the pages of a shared mapping,
// which the mapped journal, journal_map_linux.go, relies on.)
type journalMap struct{}

// mapJournal returns the journalMap of f: nothing to set up here.
func mapJournal(f *os.File, size, rotateAt int64) (journalMap, error) {
	return journalMap{}, nil
}

// append writes p at the end of f in one write.
func (*journalMap) append(f *os.File, off int64, p []byte) error {
	_, err := f.Write(p)
	return err
}

// check has nothing to check: f holds its lines only.
func (*journalMap) check(f *os.File) error { return nil }

// release does nothing: f holds its lines only.
func (*journalMap) release(f *os.File, size int64) error { return nil }
