// Package archive writes every vendor HTTP exchange to durable storage for
// later audit: an Archiver receives one hotelrates.Exchange per exchange
// over a bounded queue and writes them, grouped by vendor, as
// gzip-compressed NDJSON segments through a Sink (a directory now, S3
// later).
//
// Records must be redacted (package redact) before they are given to
// Record; the archiver writes what it is given.
//
// Segment keys are
//
//	PREFIX/vendor=V/date=YYYY-MM-DD/hour=HH/INSTANCE-SEQ.ndjson.gz
//
// where date and hour are the UTC time of the segment's first record, and
// SEQ is a 20-digit counter that starts at the archiver's start time in
// Unix microseconds and grows by one per segment, so a restarted instance
// does not overwrite the segments of its previous run.
package archive

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hotelrates"
)

// Defaults of Options.
const (
	DefaultSegmentBytes = 8 << 20 // 8 MiB of uncompressed NDJSON
	DefaultSegmentAge   = time.Minute
	DefaultQueue        = 4096
	DefaultEnqueueWait  = 50 * time.Millisecond
)

// Backoff between failed Puts of one segment.
const (
	retryFirst = 100 * time.Millisecond
	retryMax   = 5 * time.Second
)

// Options configure an Archiver. Only Sink is required.
type Options struct {
	// Sink stores the segments.
	Sink Sink
	// Instance names this archiver in segment keys. The default is
	// "HOSTNAME-PID". It is sanitized like vendor names: characters other
	// than ASCII letters, digits, '.', '_' and '-' become '_'.
	Instance string
	// Prefix starts every key ("exchanges" gives "exchanges/vendor=...").
	// Leading and trailing slashes are ignored; empty means no prefix.
	Prefix string
	// SegmentBytes closes a segment once its uncompressed NDJSON reaches
	// this size. Default DefaultSegmentBytes.
	SegmentBytes int64
	// SegmentAge closes a segment this long after it was opened (by Now).
	// Default DefaultSegmentAge.
	SegmentAge time.Duration
	// Queue is the capacity of the queue between Record and the worker.
	// Default DefaultQueue.
	Queue int
	// EnqueueWait is how long Record may wait for room in a full queue
	// before it drops the record. Default DefaultEnqueueWait; negative
	// means never wait.
	EnqueueWait time.Duration
	// Logger receives warnings (drops, failed writes). Default
	// slog.Default().
	Logger *slog.Logger
	// Now tells the time, for segment ages and sequence numbers, and the
	// partition of records whose Start is zero. Default time.Now.
	Now func() time.Time
}

// Stats are an Archiver's counters since New.
type Stats struct {
	// Records is how many records Record accepted.
	Records int64
	// Dropped is how many records Record refused: queue full, context
	// ended, or archiver closed.
	Dropped int64
	// Segments is how many segments were written to the sink.
	Segments int64
	// Bytes is how many (compressed) bytes were written to the sink.
	Bytes int64
	// Errors counts failed Put attempts and records that could not be
	// encoded.
	Errors int64
	// Written is how many records are in the segments written.
	Written int64
	// Lost is how many accepted records were not written: their segment
	// could not be stored before Close's deadline, or they could not be
	// encoded. Each loss is logged at error level.
	Lost int64
}

// Archiver writes exchange records to a Sink. Its methods are safe for
// concurrent use. Create it with New and stop it with Close.
type Archiver struct {
	sink        Sink
	log         *slog.Logger
	now         func() time.Time
	prefix      string
	instance    string
	segBytes    int64
	segAge      time.Duration
	enqueueWait time.Duration

	in      chan hotelrates.Exchange
	closing chan struct{} // closed when Close starts: waiting Records give up
	done    chan struct{} // closed when the worker has exited

	// mu orders Record's sends before Close's close(in): Record sends
	// holding the read lock, Close sets closed holding the write lock.
	mu        sync.RWMutex
	closed    bool
	closeOnce sync.Once

	// ctx is the worker's: Puts and their retries stop when it ends, which
	// is when Close's ctx ends.
	ctx    context.Context
	cancel context.CancelCauseFunc

	closeErr error // set by the worker before done is closed

	records, dropped, segments, bytes, errors, written, lost atomic.Int64
	lastDropLog                                              atomic.Int64 // unix nanos
}

// New validates opts, applies the defaults and starts the archiver's
// worker goroutine, which runs until Close.
func New(opts Options) (*Archiver, error) {
	if opts.Sink == nil {
		return nil, errors.New("archive: Options.Sink is nil")
	}
	if opts.SegmentBytes < 0 || opts.SegmentAge < 0 || opts.Queue < 0 {
		return nil, errors.New("archive: negative SegmentBytes, SegmentAge or Queue")
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
		in:          make(chan hotelrates.Exchange, cmp.Or(opts.Queue, DefaultQueue)),
		closing:     make(chan struct{}),
		done:        make(chan struct{}),
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
	a.instance = sanitize(a.instance, "archiver")
	a.ctx, a.cancel = context.WithCancelCause(context.Background())
	seq := uint64(max(a.now().UnixMicro(), 0))
	go a.run(seq)
	return a, nil
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
		a.drop("archiver closed")
		return false
	}
	select {
	case a.in <- ex:
		a.records.Add(1)
		return true
	default:
	}
	if a.enqueueWait < 0 {
		a.drop("queue full")
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
		a.drop("queue full")
	case <-ctx.Done():
		a.drop("context ended while the queue was full")
	case <-a.closing:
		a.drop("archiver closing")
	}
	return false
}

func (a *Archiver) drop(reason string) {
	n := a.dropped.Add(1)
	now := time.Now().UnixNano()
	last := a.lastDropLog.Load()
	if now-last >= int64(time.Second) && a.lastDropLog.CompareAndSwap(last, now) {
		a.log.Warn("archive: exchange record dropped", "reason", reason, "dropped_total", n)
	}
}

// Close stops accepting records, writes every record already accepted
// (the queue is drained and every open segment closed and stored) and
// stops the worker. ctx is the grace deadline: while it lasts, failed
// Puts are retried; once it ends, whatever could not be stored is logged
// at error level, counted in Stats.Lost, and Close returns an error saying
// how much was lost. Close waits for the worker to exit, which is
// prompt once ctx ends if the Sink honours ctx. Calling Close again
// returns the first call's result once the worker has exited.
func (a *Archiver) Close(ctx context.Context) error {
	a.closeOnce.Do(func() {
		close(a.closing)
		a.mu.Lock()
		a.closed = true
		a.mu.Unlock()
		close(a.in) // no Record can be sending now
	})
	stop := context.AfterFunc(ctx, func() {
		a.cancel(fmt.Errorf("archive: close deadline: %w", context.Cause(ctx)))
	})
	defer stop()
	<-a.done
	a.cancel(context.Canceled)
	return a.closeErr
}

// Stats returns the archiver's counters.
func (a *Archiver) Stats() Stats {
	return Stats{
		Records:  a.records.Load(),
		Dropped:  a.dropped.Load(),
		Segments: a.segments.Load(),
		Bytes:    a.bytes.Load(),
		Errors:   a.errors.Load(),
		Written:  a.written.Load(),
		Lost:     a.lost.Load(),
	}
}

// worker is the state owned by the worker goroutine.
type worker struct {
	*Archiver
	seq      uint64
	open     map[string]*segment // by vendor
	lostSegs int
	lostRecs int64
}

func (a *Archiver) run(seq uint64) {
	defer close(a.done)
	w := &worker{Archiver: a, seq: seq, open: map[string]*segment{}}
	tick := time.NewTicker(min(max(a.segAge/4, 5*time.Millisecond), time.Second))
	defer tick.Stop()
	for {
		select {
		case ex, ok := <-a.in:
			if !ok {
				w.flushAll(func(*segment) bool { return true })
				if w.lostSegs > 0 {
					a.closeErr = fmt.Errorf("archive: %d records in %d segments not written: %w",
						w.lostRecs, w.lostSegs, context.Cause(a.ctx))
				}
				return
			}
			w.add(ex)
		case <-tick.C:
			now := a.now()
			w.flushAll(func(s *segment) bool { return now.Sub(s.opened) >= a.segAge })
		}
	}
}

func (w *worker) add(ex hotelrates.Exchange) {
	line, err := json.Marshal(ex)
	if err != nil {
		w.errors.Add(1)
		w.lost.Add(1)
		w.log.Error("archive: exchange record LOST: cannot encode it",
			"vendor", ex.Vendor, "search_id", ex.SearchID, "url", ex.URL, "start", ex.Start, "err", err)
		return
	}
	s := w.open[ex.Vendor]
	if s == nil {
		now := w.now()
		t := ex.Start
		if t.IsZero() {
			t = now
		}
		s = newSegment(ex.Vendor, segmentKey(w.prefix, ex.Vendor, w.instance, t, w.seq), now)
		w.seq++
		w.open[ex.Vendor] = s
	}
	if err := s.add(line, ex.Start); err != nil { // writes to memory: cannot fail
		w.errors.Add(1)
		w.lost.Add(1)
		w.log.Error("archive: exchange record LOST: cannot compress it", "key", s.key, "err", err)
		return
	}
	if s.raw >= w.segBytes {
		delete(w.open, ex.Vendor)
		w.store(s)
	}
}

// flushAll stores and forgets the open segments for which due is true, in
// key order.
func (w *worker) flushAll(due func(*segment) bool) {
	var segs []*segment
	for v, s := range w.open {
		if due(s) {
			segs = append(segs, s)
			delete(w.open, v)
		}
	}
	slices.SortFunc(segs, func(a, b *segment) int { return strings.Compare(a.key, b.key) })
	for _, s := range segs {
		w.store(s)
	}
}

// store closes s and Puts it, retrying with backoff until it succeeds or
// the worker's context (Close's deadline) ends.
func (w *worker) store(s *segment) {
	body, err := s.finish()
	if err == nil {
		err = w.put(s.key, body)
	}
	if err == nil {
		w.segments.Add(1)
		w.bytes.Add(int64(len(body)))
		w.written.Add(int64(s.records))
		return
	}
	w.lost.Add(int64(s.records))
	w.lostSegs++
	w.lostRecs += int64(s.records)
	w.log.Error("archive: segment NOT WRITTEN, its records are lost",
		"key", s.key, "vendor", s.vendor, "records", s.records, "bytes", s.raw,
		"first_start", s.first, "last_start", s.last, "err", err)
}

func (w *worker) put(key string, body []byte) error {
	wait := retryFirst
	for attempt := 1; ; attempt++ {
		if err := context.Cause(w.ctx); err != nil {
			return err
		}
		err := w.sink.Put(w.ctx, key, bytes.NewReader(body), int64(len(body)))
		if err == nil {
			return nil
		}
		w.errors.Add(1)
		w.log.Warn("archive: segment write failed, will retry",
			"key", key, "attempt", attempt, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-w.ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (after %d attempts, last error: %v)", context.Cause(w.ctx), attempt, err)
		}
		wait = min(2*wait, retryMax)
	}
}
