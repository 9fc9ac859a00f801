// Package archive keeps every vendor HTTP exchange for later audit. An
// Archiver receives one hotelrates.Exchange per exchange over a bounded
// queue; its writer appends each record to a segment file in a local
// spool as soon as it arrives; a segment closes at a size or age limit and
// is compressed (gzip NDJSON); its uploader puts closed segments to a Sink
// (S3, or a directory) under deterministic keys and deletes a segment from
// the spool only after the sink confirmed it. Segments left in the spool
// by a crash or an outage are found and uploaded at the next start.
//
// Records must be redacted (package redact) before they are given to
// Record; the archiver writes what it is given.
//
// Segment keys are
//
//	PREFIX/vendor=V/date=YYYY-MM-DD/hour=HH/INSTANCE-RUN-SEQ.ndjson.gz
//
// where date and hour are the UTC time of the segment's first record, RUN
// is 16 random hex digits drawn at New (two runs of one instance never
// write the same key), and SEQ is a 20-digit counter that starts at the
// archiver's start time in Unix microseconds and grows by one per segment. The key is fixed when
// the segment opens and kept in the spool file's name, so an upload
// retried after a crash overwrites the same object instead of adding one.
package archive

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hotelrates"
)

// Defaults of Options.
const (
	DefaultSegmentBytes  = 8 << 20 // 8 MiB of uncompressed NDJSON
	DefaultSegmentAge    = time.Minute
	DefaultQueue         = 4096
	DefaultEnqueueWait   = 50 * time.Millisecond
	DefaultSpoolLimit    = 1 << 30 // 1 GiB
	DefaultUploadTimeout = 30 * time.Second
	DefaultSyncInterval  = time.Second
)

// Backoff between failed uploads.
const (
	retryFirst = 100 * time.Millisecond
	retryMax   = 30 * time.Second
)

// Options configure an Archiver. Sink and SpoolDir are required.
type Options struct {
	// Sink stores the segments.
	Sink Sink
	// SpoolDir holds segments until the sink has them. It must be on a
	// local disk. One archiver at a time uses it: New takes a lock on
	// SpoolDir/LOCK (where the platform has flock) and fails with
	// ErrSpoolInUse while another archiver holds it; Close releases it.
	SpoolDir string
	// SpoolLimit bounds the spool's bytes (open and closed segments).
	// When it is reached new records are refused: each is counted in
	// Stats.Dropped and logged, and Ready reports the spool full, until
	// uploads bring the spool under 90% of the limit. (Interrupted records
	// recovered from the journal at start are written past it.) Default
	// DefaultSpoolLimit.
	SpoolLimit int64
	// Instance names this archiver in segment keys. The default is
	// "HOSTNAME-PID". Characters other than ASCII letters, digits, '.',
	// '_' and '-' become '_'. New refuses a Prefix and Instance that would
	// make spool file names longer than 255 bytes or keys longer than 1024.
	Instance string
	// Prefix starts every key ("exchanges" gives "exchanges/vendor=...").
	Prefix string
	// SegmentBytes closes a segment once its uncompressed NDJSON reaches
	// this size. Default DefaultSegmentBytes.
	SegmentBytes int64
	// SegmentAge closes a segment this long after it was opened. Default
	// DefaultSegmentAge.
	SegmentAge time.Duration
	// Queue is the capacity of the queue between Record and the writer.
	// Default DefaultQueue.
	Queue int
	// EnqueueWait is how long Record may wait for room in a full queue
	// before it drops the record. Default DefaultEnqueueWait; negative
	// means never wait.
	EnqueueWait time.Duration
	// UploadTimeout bounds one upload attempt. Default DefaultUploadTimeout.
	UploadTimeout time.Duration
	// SyncInterval is how often open segments are fsynced. Default
	// DefaultSyncInterval. (Each record is written to the file at once, so
	// a crash of the process loses nothing the writer took; fsync guards
	// against a crash of the machine.)
	SyncInterval time.Duration
	// Logger receives warnings (drops, failed uploads). Default
	// slog.Default().
	Logger *slog.Logger
	// Now tells the time. Default time.Now.
	Now func() time.Time
}

// Stats are an Archiver's counters since New.
type Stats struct {
	// Records is how many records Record accepted.
	Records int64
	// Dropped is how many records were refused: queue full, spool full
	// (or a record larger than SpoolLimit), context ended, archiver
	// closed, or still queued when Close's ctx ended (those journaled by
	// Begin are archived as interrupted at the next start).
	Dropped int64
	// Segments is how many segments were closed into the spool.
	Segments int64
	// Uploaded is how many segments the sink confirmed.
	Uploaded int64
	// UploadedRecords is how many records those segments held.
	UploadedRecords int64
	// Bytes is how many (compressed) bytes were uploaded.
	Bytes int64
	// Errors counts failed uploads and failed spool writes.
	Errors int64
	// Lost is how many accepted records could not be written to the spool
	// (the local disk failed). Each loss is logged at error level.
	Lost int64
	// Torn is how many partial records were cut off segments recovered
	// after a crash.
	Torn int64
	// Interrupted is how many exchanges an earlier run began and never
	// archived (a crash cut them off) were archived at this start as
	// Interrupted records, from the journal.
	Interrupted int64
	// SpoolBytes is the spool's size now.
	SpoolBytes int64
	// Pending is how many segments (open or closed) are not yet uploaded.
	Pending int
	// OldestPending is the age of the oldest record not yet uploaded; zero
	// when everything is uploaded.
	OldestPending time.Duration
	// SpoolFull is true while new records are refused for lack of spool room.
	SpoolFull bool
}

// Archiver writes exchange records through a local spool to a Sink. Its
// methods are safe for concurrent use. Create it with New and stop it
// with Close.
type Archiver struct {
	sink        Sink
	spool       *spool
	log         *slog.Logger
	now         func() time.Time
	prefix      string
	instance    string
	segBytes    int64
	segAge      time.Duration
	enqueueWait time.Duration
	uploadTO    time.Duration
	syncEvery   time.Duration

	in      chan hotelrates.Exchange
	closing chan struct{} // closed when Close starts: waiting Records give up
	abort   chan struct{} // closed when Close's ctx ends first: the writer stops writing
	wake    chan struct{} // a segment is ready to upload (buffered 1)
	written chan struct{} // closed when the writer has exited
	line    []byte        // the writer's encoding buffer, reused record after record
	// pendBytes are the records encoded and not yet written (the writer's).
	pendBytes int64
	// unwritten is how many records Close's deadline left unwritten (set
	// by the writer as it stops, read by Close after it has).
	unwritten atomic.Int64
	done      chan struct{} // closed when the uploader has exited

	mu         sync.RWMutex
	closed     bool
	closeOnce  sync.Once
	abortOnce  sync.Once
	unlockOnce sync.Once

	// upCtx bounds uploads: it ends when Close's ctx ends.
	upCtx    context.Context
	upCancel context.CancelCauseFunc

	records, dropped, segments, uploaded, upRecords, bytes, errors, lost, torn, interrupted atomic.Int64
	spoolBytes                                                                              atomic.Int64
	full                                                                                    atomic.Bool
	lastDropLog                                                                             atomic.Int64

	pmu     sync.Mutex
	pending map[string]time.Time // segment key -> its first record's time

	journal *journal // exchanges begun and not yet in a segment

	// recovering is set while New archives an earlier run's interrupted
	// exchanges: those are written past the spool limit, since their only
	// other copy, the journal, is deleted next.
	recovering bool

	writeHook func() // tests: called before each spool write (a slow disk)
}

// New validates opts, recovers what an earlier run left in the spool, and
// starts the writer and uploader goroutines, which run until Close.
func New(opts Options) (*Archiver, error) {
	if opts.Sink == nil {
		return nil, errors.New("archive: Options.Sink is nil")
	}
	if opts.SpoolDir == "" {
		return nil, errors.New("archive: Options.SpoolDir is empty")
	}
	if opts.SegmentBytes < 0 || opts.SegmentAge < 0 || opts.Queue < 0 || opts.SpoolLimit < 0 {
		return nil, errors.New("archive: negative SegmentBytes, SegmentAge, Queue or SpoolLimit")
	}
	prefix := strings.Trim(opts.Prefix, "/")
	for _, el := range strings.Split(prefix, "/") {
		if prefix != "" && (el == "" || el == "." || el == ".." || strings.Contains(el, `\`)) {
			return nil, fmt.Errorf("archive: invalid Prefix %q", opts.Prefix)
		}
	}
	a := &Archiver{
		sink:        opts.Sink,
		log:         cmp.Or(opts.Logger, slog.Default()),
		now:         opts.Now,
		prefix:      prefix,
		instance:    opts.Instance,
		segBytes:    cmp.Or(opts.SegmentBytes, DefaultSegmentBytes),
		segAge:      cmp.Or(opts.SegmentAge, DefaultSegmentAge),
		enqueueWait: cmp.Or(opts.EnqueueWait, DefaultEnqueueWait),
		uploadTO:    cmp.Or(opts.UploadTimeout, DefaultUploadTimeout),
		syncEvery:   cmp.Or(opts.SyncInterval, DefaultSyncInterval),
		in:          make(chan hotelrates.Exchange, cmp.Or(opts.Queue, DefaultQueue)),
		closing:     make(chan struct{}),
		abort:       make(chan struct{}),
		wake:        make(chan struct{}, 1),
		written:     make(chan struct{}),
		done:        make(chan struct{}),
		pending:     map[string]time.Time{},
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.instance == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "host"
		}
		a.instance = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	// A random run ID in every key: two runs of one instance name never
	// write the same key, whatever their clocks say.
	var run [8]byte
	rand.Read(run[:])
	a.instance = sanitize(a.instance, "archiver") + "-" + hex.EncodeToString(run[:])
	if err := checkNameLengths(prefix, a.instance); err != nil {
		return nil, err
	}
	sp, err := openSpool(opts.SpoolDir, cmp.Or(opts.SpoolLimit, DefaultSpoolLimit))
	if err != nil {
		return nil, err
	}
	a.spool = sp
	ok := false
	defer func() {
		if !ok {
			sp.unlock()
		}
	}()
	rec, err := sp.recover()
	if err != nil {
		return nil, err
	}
	a.spoolBytes.Store(rec.bytes)
	a.torn.Add(rec.torn)
	for key, first := range rec.pending {
		a.pending[key] = first
	}
	if len(rec.pending) > 0 {
		a.log.Info("archive: segments from an earlier run found in the spool; uploading them",
			"segments", len(rec.pending), "bytes", rec.bytes, "torn_records_dropped", rec.torn)
	}
	seq := uint64(max(a.now().UnixMicro(), 0))
	seq, unsealed, err := a.recoverJournal(seq)
	if err != nil {
		return nil, err
	}
	if a.journal, err = openJournal(sp.journal, a.now()); err != nil {
		return nil, err
	}
	a.upCtx, a.upCancel = context.WithCancelCause(context.Background())
	go a.runWriter(seq, unsealed)
	go a.runUploader()
	a.kick()
	ok = true
	return a, nil
}

// Limits on names: a spool file's name (the escaped key plus a suffix or
// a temporary prefix) must fit a file system's name limit, and a key an
// object store's (S3: 1024 bytes).
const (
	maxFileName = 255
	maxKey      = 1024
)

// checkNameLengths refuses a prefix and instance that would give spool
// file names or keys too long to store, with the longest vendor element
// a key can have: otherwise every record would be lost.
func checkNameLengths(prefix, instance string) error {
	worst := segmentKey(prefix, strings.Repeat("v", maxVendorElem), instance, time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC), math.MaxUint64)
	name := len(url.PathEscape(worst)) + max(len(openSuffix), len(".tmp-"))
	if name > maxFileName || len(worst) > maxKey {
		return fmt.Errorf("archive: Prefix (%d bytes) and Instance (%d bytes, with the run ID) too long: spool file names would be up to %d bytes (the limit is %d) and keys up to %d bytes (the limit is %d); shorten them",
			len(prefix), len(instance), name, maxFileName, len(worst), maxKey)
	}
	return nil
}

// Begin notes, in the spool's journal, an exchange whose request is about
// to be sent; ex must be redacted and carry an ID, under which Record will
// later get the whole exchange. If the process dies before that record is
// in the spool, the next start archives ex as Interrupted. Begin appends
// one line to the journal's file, in the kernel's page cache when it
// returns (on Linux a copy into a mapping of the file, with no system
// call; elsewhere one write); the writer fsyncs it later. It implements
// engine.WriteAheadRecorder.
func (a *Archiver) Begin(ex hotelrates.Exchange) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed {
		return
	}
	if err := a.journal.begin(ex); err != nil {
		a.errors.Add(1)
		a.log.Error("archive: the journal failed; until it reopens, exchanges cut off by a crash will not be archived", "err", err)
	}
}

// Record queues ex for archiving. It never blocks longer than
// Options.EnqueueWait (nor past ctx's end): when the queue stays full it
// drops ex, counts the drop in Stats.Dropped, logs (at most once a second)
// and returns false. After Close it returns false at once. ex must
// already be redacted.
func (a *Archiver) Record(ctx context.Context, ex hotelrates.Exchange) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed {
		a.drop(ex.ID, "archiver closed")
		return false
	}
	select {
	case a.in <- ex:
		a.records.Add(1)
		return true
	default:
	}
	if a.enqueueWait < 0 {
		a.drop(ex.ID, "queue full")
		return false
	}
	if ctx == nil {
		ctx = context.Background()
	}
	t := time.NewTimer(a.enqueueWait)
	defer t.Stop()
	select {
	case a.in <- ex:
		a.records.Add(1)
		return true
	case <-t.C:
		a.drop(ex.ID, "queue full: the spool disk is slow")
	case <-ctx.Done():
		a.drop(ex.ID, "context ended while the queue was full")
	case <-a.closing:
		a.drop(ex.ID, "archiver closing")
	}
	return false
}

// drop counts and logs (at most once a second) a record given up on, and
// ends its journal entry: a drop is reported here, not at the next start.
func (a *Archiver) drop(id, reason string) {
	a.endJournal(id)
	n := a.dropped.Add(1)
	now := time.Now().UnixNano()
	last := a.lastDropLog.Load()
	if now-last >= int64(time.Second) && a.lastDropLog.CompareAndSwap(last, now) {
		a.log.Warn("archive: exchange record dropped", "reason", reason, "dropped_total", n)
	}
}

// Ready reports an error while the archive refuses records: from the
// moment the spool limit is reached until uploads bring the spool under
// 90% of it.
func (a *Archiver) Ready() error {
	if a.full.Load() {
		return fmt.Errorf("archive spool is full (%d bytes): uploads are not keeping up", a.spoolBytes.Load())
	}
	return nil
}

// Close stops accepting records, writes every record already accepted to
// the spool, closes the open segments, and uploads what the spool holds
// until ctx ends. If ctx ends while records are still queued (a slow
// disk), the writer stops after the write in progress: the rest stay in
// the journal, for the next start to archive as interrupted, and the open
// segments stay in the spool. What could not be uploaded stays in the spool for the
// next start; Close then returns an error saying how much. Calling Close
// again waits for the first call's work and returns its result.
func (a *Archiver) Close(ctx context.Context) error {
	a.closeOnce.Do(func() {
		close(a.closing)
		a.mu.Lock()
		a.closed = true
		a.mu.Unlock()
		close(a.in) // no Record can be sending now
	})
	stop := context.AfterFunc(ctx, func() {
		a.upCancel(fmt.Errorf("archive: close deadline: %w", context.Cause(ctx)))
	})
	defer stop()
	select {
	case <-a.written:
	case <-ctx.Done():
		// The writer stops after the write in progress; what it has not
		// written stays in the journal for the next start.
		a.abortOnce.Do(func() { close(a.abort) })
		<-a.written
	}
	if n := a.journal.close(); n > 0 {
		a.log.Info("archive: exchanges still in flight at close stay in the journal; the next start archives them as interrupted", "exchanges", n)
	}
	<-a.done
	a.unlockOnce.Do(a.spool.unlock)
	if n := a.unwritten.Load(); n > 0 {
		return fmt.Errorf("archive: %d records not written by the close deadline; those journaled are archived as interrupted at the next start", n)
	}
	if s := a.Stats(); s.Pending > 0 {
		return fmt.Errorf("archive: %d segments (%d bytes) not uploaded yet; they stay in the spool for the next start", s.Pending, s.SpoolBytes)
	}
	return nil
}

// Stats returns the archiver's counters.
func (a *Archiver) Stats() Stats {
	s := Stats{
		Records:         a.records.Load(),
		Dropped:         a.dropped.Load(),
		Segments:        a.segments.Load(),
		Uploaded:        a.uploaded.Load(),
		UploadedRecords: a.upRecords.Load(),
		Bytes:           a.bytes.Load(),
		Errors:          a.errors.Load(),
		Lost:            a.lost.Load(),
		Torn:            a.torn.Load(),
		Interrupted:     a.interrupted.Load(),
		SpoolBytes:      a.spoolBytes.Load(),
		SpoolFull:       a.full.Load(),
	}
	a.pmu.Lock()
	s.Pending = len(a.pending)
	var oldest time.Time
	for _, t := range a.pending {
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	a.pmu.Unlock()
	if !oldest.IsZero() {
		s.OldestPending = max(0, a.now().Sub(oldest))
	}
	return s
}

// aborted reports whether Close's deadline has passed.
func (a *Archiver) aborted() bool {
	select {
	case <-a.abort:
		return true
	default:
		return false
	}
}

// leaveToJournal stops the writer at Close's deadline: the open segments'
// files are closed as they are (the next start closes them into segments),
// and the records still queued (ex, if ok, and the rest of the channel)
// are not written. Each is counted as dropped; those journaled (all that
// came through the engine's Begin) are archived as interrupted at the
// next start, the others are lost, and the log says how many of each.
func (a *Archiver) leaveToJournal(open map[string]*openSeg, ex hotelrates.Exchange, ok bool) {
	for v, s := range open {
		if s.f != nil {
			s.f.Close()
		}
		delete(open, v)
	}
	var journaled, lost int
	leave := func(ex hotelrates.Exchange) {
		a.dropped.Add(1)
		if a.journal.isOpen(ex.ID) {
			journaled++
		} else {
			lost++
		}
	}
	if ok {
		leave(ex)
		for ex := range a.in {
			leave(ex)
		}
	}
	if journaled+lost > 0 {
		a.log.Error("archive: Close's deadline passed with records not yet written to the spool; those in the journal are archived as interrupted (request only) at the next start, the others are lost",
			"journaled", journaled, "lost", lost)
	}
	a.unwritten.Store(int64(journaled + lost))
}

// endJournal marks exchange id done in the journal.
func (a *Archiver) endJournal(ids ...string) {
	if err := a.journal.done(ids...); err != nil {
		a.errors.Add(1)
		a.log.Error("archive: the journal failed; until it reopens, exchanges cut off by a crash will not be archived", "err", err)
	}
}

func (a *Archiver) setPending(key string, first time.Time) {
	a.pmu.Lock()
	a.pending[key] = first
	a.pmu.Unlock()
}

func (a *Archiver) donePending(key string) {
	a.pmu.Lock()
	delete(a.pending, key)
	a.pmu.Unlock()
}

// kick wakes the uploader.
func (a *Archiver) kick() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}
