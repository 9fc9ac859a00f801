//go:build linux

package archive

import (
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
)

// journalFlags are the access flags a journal file is opened with: read
// and write, as a shared writable mapping needs.
const journalFlags = os.O_RDWR

// journalRoom is how much room, zeros, a journal file is given past its
// lines at a time (at most its journal's rotateAt): one write(2) per
// journalRoom bytes of lines.
const journalRoom = 64 << 10

// journalZeros are the zeros of a journal file's room, written from here.
var journalZeros [journalRoom]byte

// journalMapSpans is the address space a journal file's mapping takes,
// past the file's end, in rotateAts (64 MiB for journalRotate), or twice
// the file if that is more: the file grows under it without a new
// mapping. The file is rotated once its lines pass rotateAt, so it rarely
// needs more.
const journalMapSpans = 8

// journalMap puts a journal's lines in its file through a shared writable
// mapping of the file (MAP_SHARED): a line is copied into the mapping,
// that is into the kernel's page cache of the file, with no system call,
// so it is in the kernel once the copy ends and a SIGKILL of the process
// loses nothing; fsync of the file (syncFile) writes back the pages
// dirtied through the mapping, as Linux does for a shared mapping.
//
// The file is given room past its lines, zeros, written with write(2) a
// step (journalRoom) at a time when a line needs more room than is left: the
// write puts the pages in the page cache and reserves their blocks, so a
// full disk fails that write, which the journal reports, rather than a
// later store to the mapping (on ext4 and XFS; on a copy-on-write file
// system a store can still find the disk full: the fault is recovered
// below), and the copy of a line only maps a page
// when it first writes to it (a page fault, about a microsecond, once per
// 4 KiB of lines). The mapping spans more than the file
// (journalMapSpans): only a file that outgrows it is mapped anew.
// parseJournal reads no line in the zeros, nor in the bytes before a zero
// (a line torn by a crash). A fault on the mapping (the file cut short
// under it, an I/O error) is recovered into an error: the journal turns
// off, as after a failed write. A file cut short within its last page does
// not fault; check, before each fsync, reports it. A file that cannot be
// mapped at all gets its lines by pwrite (direct).
type journalMap struct {
	// data is the mapping: the file (its lines, then zeros), then
	// address space past the file's end, not to be touched.
	data []byte
	size int64 // the file's size: the bytes of data that may be written
	step int64 // the room given at a time
	span int64 // the least address space a mapping takes
	// direct: the file could not be mapped (a file system that refuses a
	// writable shared mapping, such as FUSE with direct_io or 9p without
	// a cache, or no address space left), so each line is one pwrite, as
	// on systems without the mapping.
	direct bool
}

// mmapFile maps a journal file; tests replace it to see a refused mapping.
var mmapFile = syscall.Mmap

// mapJournal maps f, whose size bytes are lines, with room past them, in
// steps of journalRoom or, if smaller, rotateAt (rounded up to pages).
func mapJournal(f *os.File, size, rotateAt int64) (journalMap, error) {
	page := int64(os.Getpagesize())
	rotateAt = max(rotateAt, 1)
	m := journalMap{size: size, step: (min(rotateAt, journalRoom) + page - 1) / page * page, span: journalMapSpans * rotateAt}
	if err := m.grow(f, size); err != nil {
		m.unmap()
		return journalMap{}, err
	}
	return m, nil
}

// grow makes f longer than need bytes, to a multiple of the step, with
// zeros, mapped whole: a new mapping only when the file outgrows the old
// one's span.
func (m *journalMap) grow(f *os.File, need int64) error {
	size := (need/m.step + 1) * m.step
	if span := int64(len(m.data)); size > span {
		span = max(m.span, 2*size)
		if span != int64(int(span)) {
			return fmt.Errorf("archive: journal %s: %d bytes cannot be mapped", f.Name(), span)
		}
		data, err := mmapFile(int(f.Fd()), 0, int(span), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
		if err != nil {
			// The lines go by pwrite from here (the page cache holds what
			// a mapping already wrote; pwrite writes to the same pages).
			m.unmap()
			m.direct = true
			return nil
		}
		m.unmap()
		m.data = data
	}
	for m.size < size {
		n, err := f.WriteAt(journalZeros[:min(size-m.size, int64(len(journalZeros)))], m.size)
		m.size += int64(n)
		if err != nil {
			return err
		}
	}
	return nil
}

// append copies p into the mapping at off, the end of f's lines, growing
// the file first if p needs more room than is left.
func (m *journalMap) append(f *os.File, off int64, p []byte) error {
	if m.direct {
		_, err := f.WriteAt(p, off)
		return err
	}
	end := off + int64(len(p))
	if end > m.size {
		if err := m.grow(f, end); err != nil {
			return err
		}
	}
	return copyToMapping(m.data[off:end], p, f.Name())
}

// copyToMapping copies src into dst, memory of a file's mapping, and
// returns the fault that the copy hit, if any (the file cut short under
// the mapping, its disk failing), as an error instead of a crash of the
// process.
func copyToMapping(dst, src []byte, name string) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if _, ok := r.(interface{ Addr() uintptr }); ok {
			err = fmt.Errorf("archive: journal %s: a line could not be written through its mapping: the file was cut short or its disk failed", name)
			return
		}
		panic(r)
	}()
	copy(dst, src)
	return nil
}

// check reports a file cut shorter than the room written for it, by
// something else than the journal: a line copied past its end within its
// last page would not fault, and would be lost silently. The writer's tick
// asks before each fsync, so at most one tick's lines go unreported.
func (m *journalMap) check(f *os.File) error {
	if m.data == nil {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < m.size {
		return fmt.Errorf("archive: journal %s: cut to %d bytes by another process (it had %d)", f.Name(), fi.Size(), m.size)
	}
	return nil
}

// release unmaps f and cuts it to its lines, size bytes: the zeros of its
// room go.
func (m *journalMap) release(f *os.File, size int64) error {
	m.unmap()
	if m.size <= size {
		return nil // never given room (a file not mapped from the start)
	}
	return f.Truncate(size)
}

// unmap drops the mapping (not f's pages: they stay in the page cache,
// for fsync to write back).
func (m *journalMap) unmap() {
	if m.data != nil {
		syscall.Munmap(m.data) // fails only for a slice not from Mmap
		m.data = nil
	}
}
