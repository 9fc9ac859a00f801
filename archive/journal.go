package archive

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"hotelrates"
	"hotelrates/internal/jsonw"
)

// journal is the archiver's write-ahead log of exchanges in flight:
//
//	DIR/journal/<start unix nanoseconds>.ndjson
//
// Begin appends an exchange's request ({"id":...,"vendor":...}) before the
// request goes out; once the whole record is in a spool segment the writer
// appends {"done":ID}. A line is in the kernel when the call that appends
// it returns, so a SIGKILL of the process loses none: on Linux it is
// copied, under j.mu and with no system call, into a shared mapping of
// the file, that is into its page cache (see journalMap); elsewhere it is
// one write(2). Lines are appended one at a time, so a SIGKILL leaves
// whole lines and at most a torn last one (a batch of done lines, copied
// at once, may be torn anywhere inside: harmless, for their records are in
// a synced segment already, which recovery checks). The lines are made durable by
// fsync, off the vendor call's path (syncPending, sync: one fsync for all
// the callers waiting); a crash of the machine may lose or tear lines
// appended since. A mapped file ends in zeros, its room: parseJournal
// reads no line in zeros, nor in the bytes before a zero. At the next
// start every exchange begun but not done, and not in any spool segment,
// becomes an Interrupted record in the spool: the vendor saw the request,
// so the archive keeps it even though its answer is lost.
//
// The file is rewritten, keeping only the open entries, when it passes
// journalRotate bytes, and removed on a clean Close with nothing open (with
// entries open, it is cut to its lines, without the zeros). When a write,
// a growth of the file or an fsync fails, the journal turns off and its
// file is removed; begin tries a new file j.retry later.
type journal struct {
	dir string

	mu       sync.Mutex
	f        *os.File   // nil: the journal failed (off until reopened) or is closed
	m        journalMap // how lines get into f (journal_map_*.go)
	closed   bool
	path     string
	size     int64 // bytes of lines in f
	rotateAt int64
	// open holds the exchanges begun and not done: ID -> its begin line
	// (enc), with what the writer's record of the exchange may copy from
	// it (see encodeRecord). An entry is never modified once made, so
	// the writer reads it after letting go of mu.
	open    map[string]*encodedRequest
	failed  time.Time     // when the journal last failed (it is off until reopened)
	retry   time.Duration // how long after a failure begin tries a new file
	written uint64        // lines written so far (all files)
	synced  uint64        // of those, how many are known durable
	doneBuf []byte        // done's lines, reused call after call

	// syncMu is held by the one caller at a time that syncFiles the
	// file: callers that wait for it find their line made durable by that
	// fsync, or share the next one (group commit).
	syncMu sync.Mutex
}

// syncFile makes a file's data durable (fsync) before a journal or spool
// step that relies on it (on Linux, fsync writes back the pages dirtied
// through the journal's shared mapping too); tests replace it to see what
// a crash of the machine would keep.
var syncFile = func(f *os.File) error { return f.Sync() }

// journalRetry is how long after a failure the journal tries a new file.
const journalRetry = 5 * time.Second

// journalRotate is the size at which the journal is rewritten.
const journalRotate = 8 << 20

// journalLine is one line of a journal: an exchange begun, or the ID of
// one that is done.
type journalLine struct {
	Done string `json:"done,omitempty"`
	hotelrates.Exchange
}

func openJournal(dir string, now time.Time) (*journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("archive: journal: %w", err)
	}
	path := filepath.Join(dir, strconv.FormatInt(now.UnixNano(), 10)+".ndjson")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|journalFlags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("archive: journal: %w", err)
	}
	m, err := mapJournal(f, 0, journalRotate)
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("archive: journal: %w", err)
	}
	syncDir(dir)
	return &journal{dir: dir, f: f, m: m, path: path, rotateAt: journalRotate, open: map[string]*encodedRequest{}, retry: journalRetry}, nil
}

// reopen starts a new journal file after a failure. j.mu is held.
func (j *journal) reopen() error {
	if j.closed || time.Since(j.failed) < j.retry {
		return errJournalOff
	}
	nj, err := openJournal(j.dir, time.Now())
	if err != nil {
		j.failed = time.Now()
		return errJournalOff
	}
	j.f, j.m, j.path, j.size = nj.f, nj.m, nj.path, 0
	j.synced = j.written // the lines of the failed file are gone
	return nil
}

// errJournalOff: the journal is off after a failure (already reported).
var errJournalOff = errors.New("archive: journal off")

// begin writes ex's begin line. It returns an error only when the journal
// has just failed; it is then off until a new file opens, j.retry later.
func (j *journal) begin(ex hotelrates.Exchange) error {
	if j == nil || ex.ID == "" {
		return nil
	}
	// Encoded on the stack, outside the lock, then copied once at its
	// size: the journal keeps the line until the exchange is done.
	var scratch [beginScratch]byte
	enc, spans := encodeRecord(scratch[:0], "", &ex, nil)
	enc = append(enc, '\n')
	line := append(make([]byte, 0, len(enc)), enc...)
	req := newEncodedRequest(line, spans, &ex)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil && (j.failed.IsZero() || j.reopen() != nil) {
		return nil // closed, or off until its retry
	}
	if err := j.write(line); err != nil {
		return err
	}
	j.open[ex.ID] = req
	return nil // made durable by the writer's next sync (syncPending), not on the call's path
}

// beginScratch is the size of begin's buffer on the stack: a begin line
// longer than this (a large request body) is encoded on the heap.
const beginScratch = 2048

// request returns the begin line of exchange id, open in the journal, for
// its record to copy the request's encoding from; nil when there is none
// (never begun, done, or the journal is off).
func (j *journal) request(id string) *encodedRequest {
	if j == nil || id == "" {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.open[id]
}

// syncPending fsyncs the journal if lines were written since its last
// fsync: the archive's writer calls it on every tick, so a crash of the
// machine loses at most the begin lines of that last interval, and a
// vendor call never waits for a disk flush.
func (j *journal) syncPending() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	n, pending := j.written, j.written > j.synced
	j.mu.Unlock()
	if !pending {
		return nil
	}
	return j.syncTo(n)
}

// isOpen reports whether exchange id is begun and not done.
func (j *journal) isOpen(id string) bool {
	if j == nil || id == "" {
		return false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	_, ok := j.open[id]
	return ok && j.f != nil
}

// sync makes every line written so far durable.
func (j *journal) sync() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	n := j.written
	j.mu.Unlock()
	return j.syncTo(n)
}

// syncTo returns once the first n lines written are durable (syncFile),
// or the journal turned off. Concurrent callers share fsyncs: while one
// runs, the others wait, and the next one covers all their lines. j.mu
// must not be held.
func (j *journal) syncTo(n uint64) error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	j.mu.Lock()
	f, upto := j.f, j.written
	if j.synced >= n || f == nil {
		j.mu.Unlock()
		return nil // durable already, or the journal is off or closed (already reported)
	}
	if err := j.m.check(f); err != nil {
		defer j.mu.Unlock()
		return j.fail(err)
	}
	j.mu.Unlock()
	err := syncFile(f)
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.f != f:
		// Rotated (the new file was fsynced whole) or failed meanwhile.
		return nil
	case err != nil:
		return j.fail(err)
	}
	j.synced = max(j.synced, upto)
	return nil
}

// done marks the exchanges ids archived (or given up on: a drop is counted
// and logged where it happens).
func (j *journal) done(ids ...string) error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	// One write for all: the done lines of a segment's records end
	// together, once the segment is durable.
	lines := j.doneBuf[:0]
	for _, id := range ids {
		if _, ok := j.open[id]; !ok || id == "" {
			continue
		}
		delete(j.open, id)
		lines = appendDone(lines, id)
	}
	if cap(lines) <= maxDoneBuf {
		j.doneBuf = lines
	}
	if len(lines) == 0 {
		return nil
	}
	if err := j.write(lines); err != nil {
		return err
	}
	if j.size >= j.rotateAt {
		return j.rotate()
	}
	return nil
}

// maxDoneBuf bounds the buffer done keeps for its next call.
const maxDoneBuf = 1 << 20

// doneTail is what follows the ID in every done line: the rest of
// appendRecord(id, an empty exchange), the same for every ID.
var doneTail = func() []byte {
	const id = "x"
	line := appendRecord(nil, id, &hotelrates.Exchange{})
	return line[len(`{"done":"`+id+`"`):]
}()

// appendDone appends the journal line that ends exchange id: the bytes
// of appendRecord(b, id, &hotelrates.Exchange{}) and a newline, with only
// the ID encoded (TestAppendDone).
func appendDone(b []byte, id string) []byte {
	b = append(b, `{"done":`...)
	b = jsonw.AppendString(b, id)
	b = append(b, doneTail...)
	return append(b, '\n')
}

// write appends lines, whole, to the journal's file (journalMap: a copy
// into its mapping, or one write); on failure the journal turns off. j.mu
// is held.
func (j *journal) write(line []byte) error {
	if err := j.m.append(j.f, j.size, line); err != nil {
		return j.fail(err)
	}
	j.size += int64(len(line))
	j.written++
	return nil
}

// fail turns the journal off after a failed write: its file is removed,
// for its begin lines would have no done lines and the next start would
// archive those exchanges a second time, as interrupted. The exchanges in
// flight lose their protection against a crash; begin tries a new file
// after j.retry. j.mu is held.
func (j *journal) fail(err error) error {
	j.m.release(j.f, j.size)
	j.f.Close()
	j.f = nil
	j.failed = time.Now()
	clear(j.open)
	if rerr := os.Remove(j.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		return fmt.Errorf("archive: journal turned off: %w; and its file %s could not be removed (%v): the next start may archive some exchanges twice, once as interrupted", err, j.path, rerr)
	}
	syncDir(j.dir) // a crash of the machine must not bring the file back
	return fmt.Errorf("archive: journal turned off for %s: %w", j.retry, err)
}

// rotate rewrites the journal with only the open entries. j.mu is held.
func (j *journal) rotate() error {
	tmp := j.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return j.fail(err)
	}
	// The open entries in a few large writes, not one each: j.mu is held.
	w := bufio.NewWriterSize(f, rotateBuf)
	var size int64
	for _, req := range j.open {
		w.Write(req.enc) // an error sticks, for Flush to return
		size += int64(len(req.enc))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		os.Remove(tmp)
		return j.fail(err)
	}
	if err := errors.Join(syncFile(f), f.Close()); err != nil {
		os.Remove(tmp)
		return j.fail(err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		os.Remove(tmp)
		return j.fail(err)
	}
	syncDir(j.dir)
	nf, err := os.OpenFile(j.path, journalFlags, 0o600)
	if err != nil {
		return j.fail(err)
	}
	nm, err := mapJournal(nf, size, j.rotateAt)
	if err != nil {
		nf.Close()
		return j.fail(err)
	}
	j.m.release(j.f, j.size) // the old file, replaced
	j.f.Close()
	j.f, j.m, j.size = nf, nm, size
	j.synced = j.written // every open line is in the new file, fsynced
	return nil
}

// rotateBuf is the size of rotate's writes.
const rotateBuf = 64 << 10

// close closes the journal and removes its file when nothing is open;
// otherwise the file is cut to its lines and fsynced. It returns how many
// entries stay open (for the next start to recover).
func (j *journal) close() int {
	if j == nil {
		return 0
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = true
	if j.f == nil {
		return len(j.open)
	}
	j.m.release(j.f, j.size) // on failure the zeros stay: the next start reads them as no line
	syncFile(j.f)
	j.f.Close()
	j.f = nil
	if len(j.open) == 0 {
		os.Remove(j.path)
		syncDir(j.dir)
	}
	return len(j.open)
}

// readJournals returns the exchanges begun but not done in the journal
// files under dir, oldest first, and the files read.
func readJournals(dir string) (orphans []hotelrates.Exchange, files []string, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("archive: journal: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(path) // an unfinished rotation: the journal itself is whole
			continue
		}
		if !strings.HasSuffix(name, ".ndjson") {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, fmt.Errorf("archive: journal: %w", err)
		}
		begun, err := parseJournal(f)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("archive: journal %s: %w", name, err)
		}
		orphans = append(orphans, begun...)
		files = append(files, path)
	}
	slices.SortStableFunc(orphans, func(a, b hotelrates.Exchange) int { return a.Start.Compare(b.Start) })
	return orphans, files, nil
}

// parseJournal returns the exchanges a journal holds as begun and not done.
// A line is what follows the start, a newline or a NUL byte, up to and
// including the next newline. JSON never holds a raw NUL, and a journal
// file's unused room is zeros (journalMap), so neither the zeros nor the
// bytes before them, a line torn by a crash (cut off, or with pages of it
// never written back), are read as a line; a line after zeros is. Lines
// that do not parse (a torn last line) are skipped.
func parseJournal(r io.Reader) ([]hotelrates.Exchange, error) {
	begun := map[string]hotelrates.Exchange{}
	var order []string
	br := bufio.NewReaderSize(r, journalReadBuf)
	var long []byte // the start of a line longer than br's buffer
	for {
		b, err := br.ReadSlice('\n')
		if bytes.IndexByte(b, 0) >= 0 {
			// What comes before a NUL is no line (zeros, or a torn one).
			long, b = long[:0], b[bytes.LastIndexByte(b, 0)+1:]
		}
		if err == bufio.ErrBufferFull {
			long = append(long, b...)
			continue
		}
		if len(long) > 0 {
			b = append(long, b...)
			long = b[:0]
		}
		if len(b) > 0 && b[len(b)-1] == '\n' {
			var l journalLine
			if json.Unmarshal(b, &l) == nil {
				switch {
				case l.Done != "":
					delete(begun, l.Done)
				case l.ID != "":
					if _, seen := begun[l.ID]; !seen {
						order = append(order, l.ID)
					}
					begun[l.ID] = l.Exchange
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	out := make([]hotelrates.Exchange, 0, len(begun))
	for _, id := range order {
		if ex, ok := begun[id]; ok {
			out = append(out, ex)
			delete(begun, id)
		}
	}
	return out, nil
}

// journalReadBuf is parseJournal's read buffer: longer lines are put
// together in memory of their own, runs of zeros are not.
const journalReadBuf = 64 << 10

// interruptedError is the error of an Interrupted record. The journal
// notes a request just before it is sent (the engine's recording
// transport calls Begin right before the round trip), so a process
// stopped in between leaves a request the vendor never received: the
// record cannot tell, and says so.
const interruptedError = "interrupted: the process stopped before this exchange's outcome was archived; the request was journaled just before it was sent, so it may not have reached the vendor; the answer is unknown"

// recoverJournal archives, as Interrupted records, the exchanges an
// earlier run began and never archived, then removes its journals. It
// runs in New, before the writer starts, and returns the segments whose
// seal failed, for the writer to retry.
func (a *Archiver) recoverJournal(seq uint64) (_ uint64, unsealed []*openSeg, _ error) {
	orphans, files, err := readJournals(a.spool.journal)
	if err != nil || len(files) == 0 {
		return seq, nil, err
	}
	if len(orphans) > 0 {
		// A record written just before the crash, with its done line
		// lost, is in a segment: it is not archived twice.
		have, err := a.spool.recordIDs()
		if err != nil {
			return seq, nil, err
		}
		open := map[string]*openSeg{}
		seal := func(s *openSeg) {
			if !a.seal(s) {
				unsealed = append(unsealed, s)
			}
		}
		n := 0
		a.recovering = true
		defer func() { a.recovering = false }()
		for _, ex := range orphans {
			if have[ex.ID] {
				continue
			}
			ex.Interrupted = true
			ex.Error = interruptedError
			a.records.Add(1)
			a.interrupted.Add(1)
			seq = a.write(open, ex, seq, seal)
			n++
		}
		for _, s := range open {
			seal(s)
		}
		if n > 0 {
			a.log.Warn("archive: exchanges cut off by the end of an earlier run archived as interrupted (request kept, answer unknown)", "exchanges", n)
		}
	}
	for _, f := range files {
		os.Remove(f)
	}
	syncDir(a.spool.journal)
	return seq, unsealed, nil
}

// recordIDs returns the IDs of the records in the closed segments.
func (s *spool) recordIDs() (map[string]bool, error) {
	segs, err := ListSpool(s.dir)
	if err != nil {
		return nil, fmt.Errorf("archive: spool: %w", err)
	}
	ids := map[string]bool{}
	for _, seg := range segs {
		if !seg.Ready {
			continue
		}
		exs, _ := ReadSpoolSegment(seg) // whatever it holds whole
		for _, ex := range exs {
			if ex.ID != "" {
				ids[ex.ID] = true
			}
		}
	}
	return ids, nil
}
