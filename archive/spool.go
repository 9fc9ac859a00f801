package archive

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"hotelrates"
)

// spool is the on-disk layout:
//
//	DIR/open/<escaped key>.ndjson   a segment being written, one record per line
//	DIR/ready/<escaped key>         a closed segment (gzip NDJSON) awaiting upload
//	DIR/journal/<start>.ndjson      exchanges in flight (see journal)
//
// where <escaped key> is url.PathEscape of the segment's key.
type spool struct {
	dir, open, ready, journal string
	limit                     int64
	lock                      *os.File // held while the archiver runs (nil where locks are not supported)
	// zw compresses segments as they close, reset for each: a gzip
	// writer's state is about a megabyte. buf is what sealFile reads a
	// segment into, sealBuffer at a time. sealFile runs on one goroutine
	// at a time (the start's recovery, then the writer).
	zw  *gzip.Writer
	buf []byte
}

const openSuffix = ".ndjson"

func openSpool(dir string, limit int64) (*spool, error) {
	s := &spool{dir: dir, open: filepath.Join(dir, "open"), ready: filepath.Join(dir, "ready"), journal: filepath.Join(dir, "journal"), limit: limit}
	for _, d := range []string{s.open, s.ready} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("archive: spool: %w", err)
		}
	}
	lock, err := lockSpool(dir)
	if err != nil {
		return nil, err
	}
	s.lock = lock
	return s, nil
}

// unlock releases the spool for another archiver.
func (s *spool) unlock() {
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
}

func (s *spool) openPath(key string) string {
	return filepath.Join(s.open, url.PathEscape(key)+openSuffix)
}

func (s *spool) readyPath(key string) string { return filepath.Join(s.ready, url.PathEscape(key)) }

// recovered is what an earlier run left in the spool.
type recovered struct {
	bytes   int64
	torn    int64
	pending map[string]time.Time
}

// recover closes the segments a crash left open (cutting off a torn last
// record) and counts what is ready to upload.
func (s *spool) recover() (recovered, error) {
	r := recovered{pending: map[string]time.Time{}}
	opens, err := os.ReadDir(s.open)
	if err != nil {
		return r, fmt.Errorf("archive: spool: %w", err)
	}
	for _, e := range opens {
		name := e.Name()
		if !strings.HasSuffix(name, openSuffix) {
			continue
		}
		key, err := url.PathUnescape(strings.TrimSuffix(name, openSuffix))
		if err != nil {
			continue
		}
		torn, err := s.sealFile(filepath.Join(s.open, name), key, time.Time{}, nil)
		if err != nil {
			return r, err
		}
		r.torn += torn
	}
	readies, err := os.ReadDir(s.ready)
	if err != nil {
		return r, fmt.Errorf("archive: spool: %w", err)
	}
	for _, e := range readies {
		name := e.Name()
		if strings.HasPrefix(name, ".tmp-") {
			os.Remove(filepath.Join(s.ready, name)) // an unfinished seal: its open file is still there
			continue
		}
		key, err := url.PathUnescape(name)
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		r.bytes += info.Size()
		r.pending[key] = info.ModTime()
	}
	return r, nil
}

// sealFile compresses an open segment file into the ready directory under
// key and removes it. A last line without its newline is a record torn by
// a crash: it is cut off and counted. first, when known, becomes the
// closed segment's modification time (the age of its oldest record).
//
// visible, if not nil, is called with the closed segment's size just
// before it appears in the ready directory (where the uploader may take
// and delete it at once), and with minus that size if it then does not.
// An error after the segment is in the ready directory (the open file
// cannot be removed) wraps errSealedOpenLeft.
//
// The file is streamed through s.buf into s.zw rather than read whole: a
// segment is DefaultSegmentBytes, and reading it whole allocated that
// much at every seal.
func (s *spool) sealFile(path, key string, first time.Time, visible func(size int64)) (torn int64, err error) {
	src, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("archive: spool: %w", err)
	}
	defer func() {
		if src != nil {
			src.Close()
		}
	}()
	if s.buf == nil {
		s.buf = make([]byte, sealBuffer)
	}
	end, size, err := wholeLines(src, s.buf)
	if err != nil {
		return 0, fmt.Errorf("archive: spool: %w", err)
	}
	if end < size {
		torn = 1
	}
	if end == 0 {
		src.Close() // before the remove: some systems refuse to remove an open file
		src = nil
		return torn, os.Remove(path)
	}
	if first.IsZero() {
		first = firstStart(io.NewSectionReader(src, 0, end))
	}
	tmp := filepath.Join(s.ready, ".tmp-"+url.PathEscape(key))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return torn, fmt.Errorf("archive: spool: %w", err)
	}
	if s.zw == nil {
		s.zw, _ = gzip.NewWriterLevel(f, sealLevel) // the level is valid: no error
	} else {
		s.zw.Reset(f)
	}
	err = copyRange(s.zw, src, end, s.buf)
	err = errors.Join(err, s.zw.Close(), syncFile(f))
	src.Close()
	src = nil
	var zsize int64
	if info, serr := f.Stat(); serr == nil {
		zsize = info.Size()
	} else {
		err = errors.Join(err, serr)
	}
	err = errors.Join(err, f.Close())
	if err == nil {
		if visible != nil {
			visible(zsize)
		}
		if err = os.Rename(tmp, s.readyPath(key)); err != nil && visible != nil {
			visible(-zsize)
		}
	}
	if err == nil {
		sealRenamed(key)
	}
	if err != nil {
		os.Remove(tmp)
		return torn, fmt.Errorf("archive: spool: closing segment %s: %w", key, err)
	}
	if !first.IsZero() {
		os.Chtimes(s.readyPath(key), first, first)
	}
	syncDir(s.ready)
	if err := os.Remove(path); err != nil {
		return torn, fmt.Errorf("archive: spool: %w: %w", errSealedOpenLeft, err)
	}
	syncDir(s.open)
	return torn, nil
}

// sealLevel is the gzip level of closed segments, compressed with
// github.com/klauspost/compress/gzip (standard gzip, which any reader
// reads; the archive's own readers use the standard library's). Sealing is
// the largest part of the writer's CPU per record. On realistic records
// (vendor JSON answers of a few KB; BenchmarkGzipLevel) its level 3 takes
// half the CPU of the standard library's level 3, itself 55% less than
// the default level 6, for segments 8% larger (10.6% of the NDJSON
// instead of 9.8%). Its levels 1 and 2 save a little more (about 15% and
// 8% of its level 3) for segments another 8% and 3% larger.
const sealLevel = 3

// sealBuffer is the size of the buffer sealFile streams a segment through.
const sealBuffer = 128 << 10

// wholeLines returns how many of f's bytes are whole lines (up to and
// including its last newline) and f's size. It reads f backwards from its
// end, a buf at a time, so it reads only the torn line, if any, and the
// end of the last whole one.
func wholeLines(f *os.File, buf []byte) (end, size int64, err error) {
	info, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	size = info.Size()
	for end = size; end > 0; {
		start := max(0, end-int64(len(buf)))
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil {
			return 0, 0, err
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			return start + int64(i) + 1, size, nil
		}
		end = start
	}
	return 0, size, nil
}

// copyRange writes src's first n bytes to w through buf.
func copyRange(w io.Writer, src io.ReaderAt, n int64, buf []byte) error {
	for off := int64(0); off < n; {
		m, err := src.ReadAt(buf[:min(int64(len(buf)), n-off)], off)
		if m > 0 {
			if _, werr := w.Write(buf[:m]); werr != nil {
				return werr
			}
			off += int64(m)
		}
		if err != nil && (err != io.EOF || off < n) {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF // the file shrank while it was read
			}
			return err
		}
	}
	return nil
}

// errSealedOpenLeft: a segment is closed into the ready directory, but its
// open file could not be removed (the next start closes it again, under
// the same key).
var errSealedOpenLeft = errors.New("segment closed, its open file left")

// firstStart returns the Start of the first record of NDJSON r (the zero
// time if it has none that parses).
func firstStart(r io.Reader) time.Time {
	line, _ := bufio.NewReader(r).ReadBytes('\n')
	var ex struct {
		Start time.Time `json:"start"`
	}
	json.Unmarshal(line, &ex)
	return ex.Start
}

// readyKeys lists the closed segments, oldest first.
func (s *spool) readyKeys() ([]string, error) {
	entries, err := os.ReadDir(s.ready)
	if err != nil {
		return nil, err
	}
	type kt struct {
		key string
		t   time.Time
	}
	var list []kt
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			continue
		}
		key, err := url.PathUnescape(e.Name())
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		list = append(list, kt{key, info.ModTime()})
	}
	slices.SortFunc(list, func(a, b kt) int {
		if c := a.t.Compare(b.t); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	keys := make([]string, len(list))
	for i, x := range list {
		keys[i] = x.key
	}
	return keys, nil
}

// SpoolSegment is a segment found in a spool directory.
type SpoolSegment struct {
	Key   string
	Path  string
	Size  int64
	Ready bool // closed and waiting for upload; false: still being written
}

// ListSpool lists the segments in a spool directory, for operators.
func ListSpool(dir string) ([]SpoolSegment, error) {
	s := &spool{dir: dir, open: filepath.Join(dir, "open"), ready: filepath.Join(dir, "ready")}
	var out []SpoolSegment
	for _, d := range []struct {
		dir    string
		suffix string
		ready  bool
	}{{s.ready, "", true}, {s.open, openSuffix, false}} {
		entries, err := os.ReadDir(d.dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".tmp-") || !strings.HasSuffix(e.Name(), d.suffix) {
				continue
			}
			key, err := url.PathUnescape(strings.TrimSuffix(e.Name(), d.suffix))
			if err != nil {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue
			}
			out = append(out, SpoolSegment{Key: key, Path: filepath.Join(d.dir, e.Name()), Size: info.Size(), Ready: d.ready})
		}
	}
	slices.SortFunc(out, func(a, b SpoolSegment) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// ReadSpoolSegment reads the records of a spool segment, closed (gzip) or
// open (plain NDJSON, possibly with a torn last line), with ReadSegment's
// errors for torn and corrupt lines.
func ReadSpoolSegment(seg SpoolSegment) ([]hotelrates.Exchange, error) {
	f, err := os.Open(seg.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if seg.Ready {
		return ReadSegment(f)
	}
	return readLines(bufio.NewReader(f))
}

// openSeg is a segment the writer is appending to.
type openSeg struct {
	key     string
	path    string
	f       *os.File
	opened  time.Time
	first   time.Time
	bytes   int64
	records int
	dirty   bool
	// unsynced are the IDs of records written since the file's last
	// fsync: their journal entries end once they are durable, so a crash
	// of the machine cannot keep a done line and lose its record.
	unsynced []string
	// pend holds records encoded but not yet written (pendIDs their IDs):
	// the writer takes every record already waiting in its queue, then
	// writes each segment's in one write (flush).
	pend     []byte
	pendIDs  []string
	pendEnds []int // where each pending record ends in pend
	broken   bool  // a failed write could not be cut off: the file takes no more
}

// syncSeg makes the segment's records durable, then ends their journal
// entries.
func (a *Archiver) syncSeg(s *openSeg) {
	a.flush(s)
	if s.f != nil && s.dirty {
		if err := syncFile(s.f); err != nil {
			a.errors.Add(1)
			a.log.Error("archive: fsync of a spool segment failed", "key", s.key, "err", err)
			return // the journal keeps the entries: a crash archives them as interrupted
		}
		s.dirty = false
	}
	a.endJournal(s.unsynced...)
	s.unsynced = s.unsynced[:0]
}

// runWriter is the writer goroutine: it appends each record to its
// vendor's open segment, the records already waiting in its queue (up to
// maxBatch) in one write per segment, closes segments at their size or
// age limit, and fsyncs open segments every SyncInterval. unsealed holds
// segments whose seal failed (journal recovery's, at the start); they are
// retried on each tick.
func (a *Archiver) runWriter(seq uint64, unsealed []*openSeg) {
	defer close(a.written)
	open := map[string]*openSeg{}
	seal := func(s *openSeg) {
		if !a.seal(s) {
			unsealed = append(unsealed, s)
		}
	}
	tick := time.NewTicker(min(a.syncEvery, max(a.segAge/4, 5*time.Millisecond)))
	defer tick.Stop()
	lastSync := a.now()
	for {
		select {
		case ex, ok := <-a.in:
			if a.aborted() {
				a.leaveToJournal(open, ex, ok)
				return
			}
			if !ok {
				for v, s := range open {
					if a.aborted() {
						a.leaveToJournal(open, ex, ok)
						return
					}
					seal(s)
					delete(open, v)
				}
				for _, s := range unsealed {
					a.seal(s) // a last try; what fails stays for the next start
				}
				return
			}
			if a.writeHook != nil {
				a.writeHook()
			}
			seq = a.write(open, ex, seq, seal)
			// The records already waiting go out in the same writes; none
			// waits for more to come.
			for n := 1; n < maxBatch && !a.aborted(); n++ {
				ex, more := a.take()
				if !more {
					break // none waiting, or the queue closed: the loop's next receive sees it
				}
				if a.writeHook != nil {
					a.writeHook()
				}
				seq = a.write(open, ex, seq, seal)
			}
			a.flushAll(open, seal)
		case <-tick.C:
			now := a.now()
			if err := a.journal.syncPending(); err != nil {
				a.errors.Add(1)
				a.log.Error("archive: journal sync failed", "err", err)
			}
			unsealed = slices.DeleteFunc(unsealed, a.seal)
			for v, s := range open {
				if now.Sub(s.opened) >= a.segAge {
					seal(s)
					delete(open, v)
				}
			}
			if now.Sub(lastSync) >= a.syncEvery {
				for _, s := range open {
					a.syncSeg(s)
				}
				lastSync = now
			}
		}
	}
}

// maxBatch bounds the records the writer takes from its queue before it
// writes them.
const maxBatch = 64

// take returns a record already waiting in the queue, without waiting.
func (a *Archiver) take() (hotelrates.Exchange, bool) {
	select {
	case ex, ok := <-a.in:
		return ex, ok
	default:
		return hotelrates.Exchange{}, false
	}
}

// flushAll writes every open segment's pending records; a segment a
// failed write left broken is sealed (which cuts its torn line off).
func (a *Archiver) flushAll(open map[string]*openSeg, seal func(*openSeg)) {
	for v, s := range open {
		a.flush(s)
		if s.broken {
			seal(s)
			delete(open, v)
		}
	}
}

// flush writes s's pending records in one write. If that fails, the
// fragment it left is cut off and each record is written on its own: one
// whose own write fails is lost (counted, logged, its journal entry ended
// as for any lost record). If a fragment cannot be cut off, nothing more
// goes into the file (s.broken: the caller seals it, which cuts the torn
// line off).
func (a *Archiver) flush(s *openSeg) {
	if len(s.pendIDs) == 0 {
		return
	}
	a.pendBytes -= int64(len(s.pend))
	defer func() { s.pend, s.pendIDs, s.pendEnds = s.pend[:0], s.pendIDs[:0], s.pendEnds[:0] }()
	if s.f == nil || s.broken {
		a.lose(s, s.pendIDs, errors.New("segment closed after a failed write"))
		return
	}
	if _, err := spoolWrite(s.f, s.pend); err == nil {
		a.wrote(s, int64(len(s.pend)), s.pendIDs)
		return
	} else if len(s.pendIDs) == 1 {
		a.lose(s, s.pendIDs, err)
		a.cut(s)
		return
	}
	if !a.cut(s) {
		a.lose(s, s.pendIDs, errors.New("segment closed after a failed write"))
		return
	}
	start := 0
	for i, end := range s.pendEnds {
		rec, id := s.pend[start:end], s.pendIDs[i:i+1]
		start = end
		if s.broken {
			a.lose(s, id, errors.New("segment closed after a failed write"))
			continue
		}
		if _, err := spoolWrite(s.f, rec); err != nil {
			a.lose(s, id, err)
			a.cut(s)
			continue
		}
		a.wrote(s, int64(len(rec)), id)
	}
}

// wrote accounts records of n bytes that reached s's file.
func (a *Archiver) wrote(s *openSeg, n int64, ids []string) {
	if s.records == 0 {
		a.setPending(s.key, s.first) // pending from its first record on
	}
	s.unsynced = append(s.unsynced, ids...)
	s.dirty = true
	s.bytes += n
	s.records += len(ids)
	a.spoolBytes.Add(n)
}

// lose counts and logs records that could not be written.
func (a *Archiver) lose(s *openSeg, ids []string, err error) {
	a.errors.Add(1)
	a.lost.Add(int64(len(ids)))
	a.log.Error("archive: exchange records LOST: spool write failed", "key", s.key, "records", len(ids), "err", err)
	a.endJournal(ids...)
}

// cut cuts a failed write's fragment off s's file; if it cannot, s takes
// no more records.
func (a *Archiver) cut(s *openSeg) bool {
	if err := s.f.Truncate(s.bytes); err != nil {
		a.log.Error("archive: cannot cut a failed write off a spool segment; closing it", "key", s.key, "err", err)
		s.broken = true
		return false
	}
	return true
}

// write appends ex to its vendor's open segment (opening one when
// needed; the record is written by the next flush) and hands the segment
// to seal when it is full.
func (a *Archiver) write(open map[string]*openSeg, ex hotelrates.Exchange, seq uint64, seal func(*openSeg)) uint64 {
	// The request's encoding is copied from its journal begin line, when
	// it has one that matches (see encodeRecord): not encoded twice.
	a.line, _ = encodeRecord(a.line[:0], "", &ex, a.journal.request(ex.ID))
	a.line = append(a.line, '\n')
	line := a.line
	if !a.recovering && int64(len(line)) > a.spool.limit {
		// It can never fit: refused, without calling the spool full.
		a.drop(ex.ID, "record larger than the spool limit")
		a.records.Add(-1)
		return seq
	}
	if !a.recovering && (a.full.Load() || a.spoolBytes.Load()+a.pendBytes+int64(len(line)) > a.spool.limit) {
		if !a.full.Swap(true) {
			a.log.Error("archive: spool is full; refusing records until uploads free room", "spool_bytes", a.spoolBytes.Load(), "limit", a.spool.limit)
		}
		a.drop(ex.ID, "spool full")
		a.records.Add(-1) // counted as accepted by Record; it is a drop
		return seq
	}
	s := open[ex.Vendor]
	if s == nil {
		now := a.now()
		first := ex.Start
		if first.IsZero() {
			first = now
		}
		key := segmentKey(a.prefix, ex.Vendor, a.instance, first, seq)
		seq++
		path := a.spool.openPath(key)
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			a.errors.Add(1)
			a.lost.Add(1)
			a.log.Error("archive: exchange record LOST: cannot open a spool segment", "key", key, "err", err)
			a.endJournal(ex.ID)
			return seq
		}
		syncDir(a.spool.open)
		s = &openSeg{key: key, path: path, f: f, opened: now, first: first}
		open[ex.Vendor] = s
	}
	// Written by the next flush, in one write with the records taken with
	// it: a crash leaves at most the last line torn.
	s.pend = append(s.pend, line...)
	s.pendIDs = append(s.pendIDs, ex.ID)
	s.pendEnds = append(s.pendEnds, len(s.pend))
	a.pendBytes += int64(len(line))
	if s.bytes+int64(len(s.pend)) >= a.segBytes || s.broken {
		seal(s)
		delete(open, ex.Vendor)
	}
	return seq
}

// seal closes an open segment into the ready directory and wakes the
// uploader. It reports false when the segment could not be compressed
// into the ready directory: its open file stays, still counted in the
// spool and pending, and the caller retries later (or the next start
// does).
func (a *Archiver) seal(s *openSeg) bool {
	a.flush(s)
	if s.f != nil {
		s.dirty = true // fsync, even if the tick just did
		a.syncSeg(s)
		s.f.Close()
		s.f = nil
	}
	if s.records == 0 {
		// Nothing was written to it (its first write failed).
		os.Remove(s.path)
		return true
	}
	err := sealFault(s.key)
	if err == nil {
		// The closed segment is counted before the uploader can see it,
		// so its upload never subtracts bytes not yet added.
		_, err = a.spool.sealFile(s.path, s.key, s.first, func(size int64) { a.spoolBytes.Add(size) })
	}
	if err != nil && !errors.Is(err, errSealedOpenLeft) {
		a.errors.Add(1)
		a.log.Error("archive: cannot close a spool segment; it stays in the spool and is retried", "key", s.key, "err", err)
		return false
	}
	if err != nil {
		a.errors.Add(1)
		a.log.Error("archive: a spool segment was closed but its open file stays; the next start closes it again under the same key", "key", s.key, "err", err)
	}
	a.spoolBytes.Add(-s.bytes)
	a.syncSeg(s) // the closed segment is durable: any entries still open end
	a.segments.Add(1)
	a.checkRoom()
	a.kick()
	return true
}

// sealFault lets tests fail a seal; it returns nil in production.
var sealFault = func(key string) error { return nil }

// spoolWrite appends a record to an open segment; tests replace it (a
// short write).
var spoolWrite = func(f *os.File, b []byte) (int, error) { return f.Write(b) }

// sealRenamed is called once a closed segment is in the ready directory;
// tests use it to let the uploader win a race.
var sealRenamed = func(key string) {}

// checkRoom ends the spool-full state once the spool is back under
// spoolResume of its limit (compression or uploads freed room): the gap
// keeps readiness from flapping at the edge.
func (a *Archiver) checkRoom() {
	if a.full.Load() && a.spoolBytes.Load() <= a.spool.limit/10*spoolResume && a.full.CompareAndSwap(true, false) {
		a.log.Info("archive: spool has room again; taking records", "spool_bytes", a.spoolBytes.Load(), "limit", a.spool.limit)
	}
}

// spoolResume is the tenths of the spool limit under which a full spool
// takes records again.
const spoolResume = 9
