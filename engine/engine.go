// Package engine answers hotel rate searches with the worker model: per
// vendor a queue worker that owns the vendor's jobs (earliest deadline
// first), a pool of rate loaders between a minimum and a maximum, and a
// token manager that alone owns the vendor's credentials, all reached by
// messages. Goroutines and vendor calls are bounded by configuration, never
// by the number or size of searches (GoroutineBound).
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"

	"hotelrates"
)

// Recorder receives one record per vendor HTTP exchange, already redacted.
// Record must not block for long; it reports whether it took the record.
type Recorder interface {
	Record(ctx context.Context, ex hotelrates.Exchange) bool
}

// A WriteAheadRecorder is a Recorder that is also told of each exchange
// before its request is sent: Begin gets the exchange's ID and redacted
// request, Record later gets the whole exchange under the same ID. An
// archive that keeps what Begin gets (package archive writes it to a
// journal on disk) can still archive an exchange whose answer a crash cut
// off. Begin runs on the calling goroutine before the request goes out, so
// it must be quick.
type WriteAheadRecorder interface {
	Recorder
	Begin(ex hotelrates.Exchange)
}

// Options configure an Engine. Zero values take the defaults stated here.
type Options struct {
	// Vendors are the vendors searches are answered from.
	Vendors []VendorConfig
	// DefaultTimeout bounds a search that names no timeout (default 5 s);
	// MaxTimeout caps the timeout a search may ask for (default 30 s).
	DefaultTimeout time.Duration
	MaxTimeout     time.Duration
	// Limits bound what a search may ask for.
	Limits hotelrates.Limits
	// Recorder, if set, receives every vendor exchange for the archive.
	Recorder Recorder
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Metrics defaults to collectors registered nowhere.
	Metrics *Metrics
	// MaxSearches bounds the searches in progress (default 1000). Past it
	// a search is refused at once with code overloaded and a RetryAfter;
	// so is a search that the work due before its deadline at one of its
	// vendors would not let finish in time (see Stream).
	MaxSearches int
	// NoSharing turns off coalescing and cross-request batching: every
	// search makes its own vendor calls (for comparisons and debugging).
	NoSharing bool
	// Mapping, if set, says which vendors carry a hotel and under which
	// code: a vendor it covers is asked only for the hotels it carries,
	// by its own codes, and its answers are keyed by our ids. Vendors it
	// does not cover are asked for every hotel by our id.
	Mapping hotelrates.HotelMapping
	// Rates, if set, converts offers a vendor priced in another currency
	// than the search asked for (Offer.Converted, Offer.Original).
	// An offer it cannot convert (no rates, or none for its currency) is
	// dropped and logged once: it could not be compared with the others.
	Rates *hotelrates.ExchangeRates
	// StreamInterval is the least time between two calls of a Stream's
	// onHotels (default 10 ms; negative: none): hotels that complete
	// meanwhile are passed together, so a writer flushes once per
	// interval, not once per vendor call. The first hotels after a quiet
	// interval and the last of a search are never held back.
	StreamInterval time.Duration
}

// Default options.
const (
	defaultTimeout     = 5 * time.Second
	defaultMaxTimeout  = 30 * time.Second
	defaultMaxSearches = 1000
	defaultStreamGap   = 10 * time.Millisecond
)

// Engine answers searches. It is safe for concurrent use; it implements
// hotelrates.Searcher.
type Engine struct {
	opts    Options
	log     *slog.Logger
	metrics *Metrics
	vendors map[string]*vendorQueue
	order   []string // vendor names in configuration order

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	transports []*http.Transport // the engine's own, closed with it

	searching atomic.Int64  // searches in progress
	seq       atomic.Uint64 // the engine's own key for each search

	drainMu    sync.Mutex
	drainAt    time.Time     // zero until Drain
	drainTimer *time.Timer   // closes drained at drainAt
	drained    chan struct{} // closed when searches must end (Drain's time)
}

var _ hotelrates.Searcher = (*Engine)(nil)

// New starts an engine: for each vendor its queue worker, its minimum of
// rate loaders and its token manager. Close stops them.
func New(opts Options) (*Engine, error) {
	if len(opts.Vendors) == 0 {
		return nil, errors.New("engine: no vendors")
	}
	if opts.DefaultTimeout <= 0 {
		opts.DefaultTimeout = defaultTimeout
	}
	if opts.MaxTimeout <= 0 {
		opts.MaxTimeout = defaultMaxTimeout
	}
	if opts.DefaultTimeout > opts.MaxTimeout {
		return nil, fmt.Errorf("engine: default timeout %s is above the maximum %s", opts.DefaultTimeout, opts.MaxTimeout)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if opts.MaxSearches <= 0 {
		opts.MaxSearches = defaultMaxSearches
	}
	switch {
	case opts.StreamInterval == 0:
		opts.StreamInterval = defaultStreamGap
	case opts.StreamInterval < 0:
		opts.StreamInterval = 0
	}
	e := &Engine{opts: opts, log: opts.Logger, metrics: opts.Metrics, vendors: map[string]*vendorQueue{}, drained: make(chan struct{})}
	for _, vc := range opts.Vendors {
		q, err := e.newVendor(vc)
		if err != nil {
			return nil, err
		}
		e.vendors[q.name] = q
		e.order = append(e.order, q.name)
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	for _, name := range e.order {
		q := e.vendors[name]
		e.wg.Go(func() {
			q.run(e.ctx)
			q.pool.wait()
		})
		if q.info.Auth != hotelrates.AuthNone {
			e.wg.Go(func() { q.tokens.run(e.ctx) })
		} else {
			close(q.tokens.done)
		}
	}
	return e, nil
}

// newVendor wires one vendor's workers: its queue, loader pool and token
// manager, over an HTTP client that records every exchange.
func (e *Engine) newVendor(vc VendorConfig) (*vendorQueue, error) {
	if vc.Vendor == nil {
		return nil, errors.New("engine: a vendor config has no Vendor")
	}
	info := vc.Vendor.Info()
	if info.Name == "" {
		return nil, errors.New("engine: a vendor has no name")
	}
	if _, dup := e.vendors[info.Name]; dup {
		return nil, fmt.Errorf("engine: vendor %s configured twice", info.Name)
	}
	if info.MaxBatch < 1 {
		return nil, fmt.Errorf("engine: vendor %s: MaxBatch must be at least 1", info.Name)
	}
	cfg, err := vc.withDefaults(info)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	base := cfg.Transport
	if base == nil {
		own := NewTransport(cfg.Concurrency)
		e.transports = append(e.transports, own)
		base = own
	}
	var rt http.RoundTripper = base
	if e.opts.Recorder != nil {
		var secrets []string
		if sh, ok := vc.Vendor.(hotelrates.SecretHolder); ok {
			secrets = sh.Secrets()
		}
		rt = newRecordingTransport(base, info.Name, e.opts.Recorder, secrets)
	}
	hc := &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	name, log, vm := info.Name, e.log, e.metrics.vendor(info.Name)
	tokens := newTokenManager(name, vc.Vendor, info.Auth, hc, cfg, log, e.metrics)
	q := newVendorQueue(info, cfg, tokens, log, vm, e.opts.NoSharing)
	q.pool = newPool(name, vc.Vendor, hc, tokens, cfg, log, q.results, q.retire)
	q.pool.tr = newTranslator(name, e.opts.Mapping, e.opts.Rates, log)
	q.pool.m, q.pool.cache = vm, q.cache
	return q, nil
}

// Drain bounds every search, those in progress and those yet to start,
// to end by the time by at the latest: at by a search answers with what
// has arrived (Complete false, its vendors' error says the service is
// shutting down), as at its deadline. A server calls it as its graceful
// shutdown starts, with a time inside its grace period, so that no search
// is cut off without an answer. A later call may only bring the time
// forward.
func (e *Engine) Drain(by time.Time) {
	e.drainMu.Lock()
	defer e.drainMu.Unlock()
	if !e.drainAt.IsZero() && !by.Before(e.drainAt) {
		return
	}
	select {
	case <-e.drained:
		return
	default:
	}
	e.drainAt = by
	if e.drainTimer != nil {
		e.drainTimer.Stop()
	}
	e.drainTimer = time.AfterFunc(time.Until(by), func() {
		e.drainMu.Lock()
		defer e.drainMu.Unlock()
		select {
		case <-e.drained:
		default:
			close(e.drained)
		}
	})
}

// drainDeadline returns Drain's time, zero before Drain.
func (e *Engine) drainDeadline() time.Time {
	e.drainMu.Lock()
	defer e.drainMu.Unlock()
	return e.drainAt
}

// Close stops every worker: queued jobs fail, calls in flight are
// cancelled, sessions are logged out. Call it after the searches in
// progress are done (the HTTP server's graceful shutdown comes first). It
// returns ctx's error if the workers did not stop in time.
func (e *Engine) Close(ctx context.Context) error {
	e.once.Do(e.cancel)
	e.drainMu.Lock()
	if e.drainTimer != nil {
		e.drainTimer.Stop()
	}
	e.drainMu.Unlock()
	done := make(chan struct{})
	go func() {
		e.wg.Wait()
		for _, q := range e.vendors {
			if q.cache != nil {
				q.cache.StopAllGoroutines()
			}
		}
		for _, t := range e.transports {
			t.CloseIdleConnections()
		}
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("engine: workers still running: %w", ctx.Err())
	}
}

// Vendors returns the state of every vendor, in configuration order, as
// each vendor's queue worker sees it (after Close, only the configuration).
func (e *Engine) Vendors() []hotelrates.VendorState {
	out := make([]hotelrates.VendorState, 0, len(e.order))
	for _, name := range e.order {
		q := e.vendors[name]
		reply := make(chan hotelrates.VendorState, 1)
		select {
		case q.states <- reply:
			out = append(out, <-reply)
		case <-q.stopped:
			out = append(out, q.staticState())
		}
	}
	return out
}

// Health returns, per vendor, an error when its circuit breaker is open.
func (e *Engine) Health() map[string]error {
	out := map[string]error{}
	for _, name := range e.order {
		if st := e.vendors[name].breaker.State(); st == gobreaker.StateOpen {
			out[name] = fmt.Errorf("vendor %s: circuit breaker open", name)
		} else {
			out[name] = nil
		}
	}
	return out
}

// VendorNames returns the configured vendor names in configuration order.
func (e *Engine) VendorNames() []string { return append([]string(nil), e.order...) }

// Limits returns the limits searches are validated against.
func (e *Engine) Limits() hotelrates.Limits { return e.opts.Limits }

func (e *Engine) pick(names []string) ([]*vendorQueue, error) {
	if len(names) == 0 {
		out := make([]*vendorQueue, 0, len(e.order))
		for _, n := range e.order {
			out = append(out, e.vendors[n])
		}
		return out, nil
	}
	seen := map[string]bool{}
	var out []*vendorQueue
	for i, n := range names {
		v, ok := e.vendors[n]
		if !ok {
			return nil, hotelrates.Errorf(hotelrates.CodeInvalidArgument, fmt.Sprintf("vendors[%d]", i), "unknown vendor %q (configured: %v)", clip(n, 64), e.order)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, v)
		}
	}
	return out, nil
}

// NewID returns a random 16-hex-digit id.
func NewID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// clip bounds how much of a caller's text an error message repeats.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
