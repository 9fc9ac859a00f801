// Package engine answers hotel rate searches with the worker model: per
// vendor a job queue served earliest-deadline-first, a pool of rate loaders
// between a minimum and a maximum, and a token manager that alone owns the
// vendor's credentials. Goroutines and vendor calls are bounded by
// configuration, never by the number or size of searches.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
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

// Options configure an Engine.
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
	// MaxSearches bounds the searches in progress (default 1000). Past it,
	// and when the work queued ahead of a new search at one of its vendors
	// would take more than half its timeout, the search is refused at once
	// with code overloaded and a RetryAfter, so accepted searches still
	// meet their deadlines and memory stays bounded.
	MaxSearches int
	// NoSharing turns off coalescing and cross-request batching: every
	// search makes its own vendor calls (for comparisons and debugging).
	NoSharing bool
}

// VendorConfig is one vendor and the engine's resources for it.
type VendorConfig struct {
	Vendor hotelrates.Vendor
	// Concurrency is the most calls in flight to the vendor (default 4; for
	// session vendors at most the vendor's MaxSessions).
	Concurrency int
	// MinWorkers and MaxWorkers bound the rate-loader pool (defaults 1 and
	// Concurrency). MaxWorkers may not exceed Concurrency.
	MinWorkers int
	MaxWorkers int
	// IdleTimeout is how long a loader above the minimum waits for work
	// before it stops (default 30 s).
	IdleTimeout time.Duration
	// CallTimeout bounds one vendor call inside the search deadline
	// (default 10 s). AuthTimeout bounds one login or token request
	// (default 10 s).
	CallTimeout time.Duration
	AuthTimeout time.Duration
	// RefreshBefore is how long before expiry a token is refreshed
	// (default 60 s, never more than a tenth of the token's life).
	RefreshBefore time.Duration
	// QueueLimit is the most jobs that may wait for the vendor (default
	// 100000); jobs past it fail with code overloaded.
	QueueLimit int
	// Transport is the vendor's own connection pool (default: a new
	// http.Transport with MaxIdleConnsPerHost of at least Concurrency).
	Transport http.RoundTripper

	// MinConcurrency is the floor of the adaptive concurrency limit
	// (default Concurrency/4, at least 1); Concurrency is its ceiling. Set
	// it to Concurrency for a fixed limit.
	MinConcurrency int
	// RateLimit is the most calls per second (0: no limit), with bursts of
	// Burst (default 1).
	RateLimit float64
	Burst     int
	// RetryAttempts is the most attempts of one call that fails in a
	// retryable way (default 3; 1: no retries); RetryBackoff the first
	// backoff (default 50 ms, doubling, with full jitter); RetryBudget the
	// most retries as a fraction of calls (default 0.2).
	RetryAttempts int
	RetryBackoff  time.Duration
	RetryBudget   float64
	// BreakerFailures consecutive failures (or half of at least 4x that many calls)
	// open the vendor's circuit breaker (default 5); after BreakerCooldown
	// (default 5 s) one probe call decides whether it closes.
	BreakerFailures int
	BreakerCooldown time.Duration
	// Hedge sends a second call for a single-hotel vendor when the first
	// has not answered by the vendor's observed 95th percentile latency, at
	// most HedgeBudget extra calls (default 0.05). Off by default.
	Hedge       bool
	HedgeBudget float64

	// CacheTTL keeps the vendor's offers per hotel and stay for this long
	// (0: no cache); CacheEmptyTTL is the shorter life of an answer without
	// offers (default CacheTTL/6); CacheSize bounds the entries (default
	// 100000).
	CacheTTL      time.Duration
	CacheEmptyTTL time.Duration
	CacheSize     int
	// BatchWindow, for batch vendors, lets a queued job wait this long for
	// other searches' hotels of the same stay to ride in the same call
	// (0: no wait; jobs are still merged when they would wait for a loader
	// anyway). Never past any member's deadline. The vendor's queue waits
	// behind the held job, so keep it to a few milliseconds.
	BatchWindow time.Duration
}

func (c VendorConfig) withDefaults(info hotelrates.VendorInfo) (VendorConfig, error) {
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if info.Auth == hotelrates.AuthSession {
		if info.MaxSessions < 1 {
			return c, fmt.Errorf("vendor %s: a session vendor needs MaxSessions", info.Name)
		}
		c.Concurrency = min(c.Concurrency, info.MaxSessions)
	}
	if c.MinWorkers <= 0 {
		c.MinWorkers = 1
	}
	if c.MaxWorkers <= 0 {
		c.MaxWorkers = c.Concurrency
	}
	if c.MaxWorkers > c.Concurrency {
		return c, fmt.Errorf("vendor %s: max workers %d is above its concurrency %d", info.Name, c.MaxWorkers, c.Concurrency)
	}
	if c.MinWorkers > c.MaxWorkers {
		return c, fmt.Errorf("vendor %s: min workers %d is above max workers %d", info.Name, c.MinWorkers, c.MaxWorkers)
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Second
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 10 * time.Second
	}
	if c.AuthTimeout <= 0 {
		c.AuthTimeout = 10 * time.Second
	}
	if c.RefreshBefore <= 0 {
		c.RefreshBefore = time.Minute
	}
	if c.QueueLimit <= 0 {
		c.QueueLimit = 100000
	}
	if c.MinConcurrency <= 0 {
		c.MinConcurrency = max(1, c.Concurrency/4)
	}
	c.MinConcurrency = min(c.MinConcurrency, c.Concurrency)
	if c.RateLimit < 0 {
		return c, fmt.Errorf("vendor %s: negative rate limit", info.Name)
	}
	if c.Burst <= 0 {
		c.Burst = 1
	}
	if c.RetryAttempts <= 0 {
		c.RetryAttempts = 3
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 50 * time.Millisecond
	}
	if c.RetryBudget <= 0 {
		c.RetryBudget = 0.2
	}
	if c.BreakerFailures <= 0 {
		c.BreakerFailures = 5
	}
	if c.BreakerCooldown <= 0 {
		c.BreakerCooldown = 5 * time.Second
	}
	if c.HedgeBudget <= 0 {
		c.HedgeBudget = 0.05
	}
	if c.CacheEmptyTTL <= 0 {
		c.CacheEmptyTTL = c.CacheTTL / 6
	}
	if c.CacheSize <= 0 {
		c.CacheSize = 100000
	}
	return c, nil
}

// NewTransport returns an http.Transport for one vendor that keeps enough
// idle connections for concurrency calls in flight.
func NewTransport(concurrency int) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          max(100, 2*concurrency),
		MaxIdleConnsPerHost:   max(2, concurrency),
		MaxConnsPerHost:       0,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 0, // the call's context bounds it
		ForceAttemptHTTP2:     true,
	}
}

// vendorRT is the runtime of one vendor: queue worker, loader pool, token
// manager and the HTTP client that records exchanges.
type vendorRT struct {
	name    string
	info    hotelrates.VendorInfo
	vendor  hotelrates.Vendor
	cfg     VendorConfig
	hc      *http.Client
	tokens  *tokenManager
	metrics *Metrics

	submit  chan []*job
	work    chan *job
	reorder chan struct{} // buffered 1: a queued job's deadline moved up
	retire  chan chan bool
	stopped chan struct{} // closed when the queue worker has returned
	loaders sync.WaitGroup

	noSharing bool // no coalescing, no cross-request batching

	fmu     sync.Mutex
	flights map[string]*job // stay key|hotel -> the job that will answer it
	cache   *otter.Cache[string, cached]

	hits, misses, coalesced atomic.Int64
	jobsRun, jobHotels      atomic.Int64 // for hotels per call

	gate    *gate
	budget  *retryBudget
	lat     *latencies
	breaker *gobreaker.TwoStepCircuitBreaker[struct{}]

	workers      atomic.Int64
	queued       atomic.Int64
	inflight     atomic.Int64
	peakInflight atomic.Int64
}

// Engine answers searches. It is safe for concurrent use.
type Engine struct {
	opts    Options
	log     *slog.Logger
	metrics *Metrics
	vendors map[string]*vendorRT
	order   []string // vendor names in configuration order

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	searching atomic.Int64 // searches in progress

	drainMu    sync.Mutex
	drainAt    time.Time     // zero until Drain
	drainTimer *time.Timer   // closes drained at drainAt
	drained    chan struct{} // closed when searches must end (Drain's time)
}

// New starts an engine: for each vendor its queue worker, its minimum of
// rate loaders and its token manager. Close stops them.
func New(opts Options) (*Engine, error) {
	if len(opts.Vendors) == 0 {
		return nil, errors.New("engine: no vendors")
	}
	if opts.DefaultTimeout <= 0 {
		opts.DefaultTimeout = 5 * time.Second
	}
	if opts.MaxTimeout <= 0 {
		opts.MaxTimeout = 30 * time.Second
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
		opts.MaxSearches = 1000
	}
	e := &Engine{opts: opts, log: opts.Logger, metrics: opts.Metrics, vendors: map[string]*vendorRT{}, drained: make(chan struct{})}
	for _, vc := range opts.Vendors {
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
			base = NewTransport(cfg.Concurrency)
		}
		var rt http.RoundTripper = base
		if opts.Recorder != nil {
			var secrets []string
			if sh, ok := vc.Vendor.(hotelrates.SecretHolder); ok {
				secrets = sh.Secrets()
			}
			rt = newRecordingTransport(base, info.Name, opts.Recorder, secrets)
		}
		hc := &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		v := &vendorRT{
			name: info.Name, info: info, vendor: vc.Vendor, cfg: cfg, hc: hc, metrics: opts.Metrics, noSharing: opts.NoSharing,
			submit:  make(chan []*job),
			work:    make(chan *job),
			reorder: make(chan struct{}, 1),
			retire:  make(chan chan bool),
			stopped: make(chan struct{}),
		}
		v.tokens = newTokenManager(info.Name, vc.Vendor, info.Auth, hc, cfg, opts.Logger, opts.Metrics)
		v.gate = newGate(cfg.MinConcurrency, cfg.Concurrency, cfg.RateLimit, cfg.Burst)
		v.flights = map[string]*job{}
		v.cache = newCache(cfg)
		v.budget = newRetryBudget(cfg.RetryBudget)
		v.lat = newLatencies(256, cfg.HedgeBudget)
		name, log, m := info.Name, opts.Logger, opts.Metrics
		m.breaker.WithLabelValues(name).Set(0)
		v.breaker = newBreaker(name, cfg.BreakerFailures, cfg.BreakerCooldown, func(from, to gobreaker.State) {
			log.Warn("vendor circuit breaker", "vendor", name, "from", from.String(), "to", to.String())
			m.breaker.WithLabelValues(name).Set(float64(to))
		})
		e.vendors[info.Name] = v
		e.order = append(e.order, info.Name)
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	for _, name := range e.order {
		v := e.vendors[name]
		e.wg.Go(func() {
			defer close(v.stopped)
			v.dispatch(e.ctx)
			v.loaders.Wait()
		})
		if v.info.Auth != hotelrates.AuthNone {
			e.wg.Go(func() { v.tokens.run(e.ctx) })
		} else {
			close(v.tokens.done)
		}
	}
	return e, nil
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
		for _, v := range e.vendors {
			if v.cache != nil {
				v.cache.StopAllGoroutines()
			}
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

// VendorState is a live view of one vendor's resources.
type VendorState struct {
	Name         string `json:"vendor"`
	Strategy     string `json:"strategy"` // "single" (one hotel per call) or "batch"
	MaxBatch     int    `json:"max_batch"`
	Auth         string `json:"auth"`
	Concurrency  int    `json:"concurrency"`
	MinWorkers   int    `json:"min_workers"`
	MaxWorkers   int    `json:"max_workers"`
	Workers      int64  `json:"workers"`
	Queued       int64  `json:"queued"`
	InFlight     int64  `json:"in_flight"`
	PeakInFlight int64  `json:"peak_in_flight"`
	// ConcurrencyLimit is the adaptive limit now, between MinConcurrency
	// and Concurrency.
	ConcurrencyLimit float64 `json:"concurrency_limit"`
	MinConcurrency   int     `json:"min_concurrency"`
	RateLimit        float64 `json:"rate_limit,omitempty"`
	// Paused is true while the vendor's Retry-After holds calls back.
	Paused bool `json:"paused"`
	// Breaker is the circuit breaker's state: closed, open or half-open.
	Breaker string `json:"breaker"`
	// Retries made, retries the budget refused, and the budget left (in
	// retries, to two decimals).
	Retries       int64   `json:"retries"`
	RetriesDenied int64   `json:"retries_denied"`
	RetryBudget   float64 `json:"retry_budget_left"`
	Hedges        int64   `json:"hedges"`
	HedgesWon     int64   `json:"hedges_won"`
	// LatencyMS is the smoothed latency of a call.
	LatencyMS float64 `json:"latency_ms"`
	// Rate cache hits and misses (hotel lookups), the cache's size, and
	// hotels that joined another search's call in flight.
	CacheHits   int64 `json:"cache_hits"`
	CacheMisses int64 `json:"cache_misses"`
	CacheSize   int   `json:"cache_entries"`
	Coalesced   int64 `json:"coalesced"`
	// HotelsPerCall is the mean number of hotels in the vendor's calls.
	HotelsPerCall float64 `json:"hotels_per_call"`
}

// Vendors returns the state of every vendor, in configuration order.
func (e *Engine) Vendors() []VendorState {
	out := make([]VendorState, 0, len(e.order))
	for _, name := range e.order {
		v := e.vendors[name]
		strategy := "batch"
		if v.info.MaxBatch == 1 {
			strategy = "single"
		}
		limit, _, paused := v.gate.state()
		retries, denied, tokens := v.budget.stats()
		hedged, won := v.lat.stats()
		out = append(out, VendorState{
			Name: name, Strategy: strategy, MaxBatch: v.info.MaxBatch, Auth: v.info.Auth.String(),
			Concurrency: v.cfg.Concurrency, MinWorkers: v.cfg.MinWorkers, MaxWorkers: v.cfg.MaxWorkers,
			Workers: v.workers.Load(), Queued: v.queued.Load(), InFlight: v.inflight.Load(), PeakInFlight: v.peakInflight.Load(),
			ConcurrencyLimit: limit, MinConcurrency: v.cfg.MinConcurrency, RateLimit: v.cfg.RateLimit, Paused: paused,
			Breaker: v.breaker.State().String(), Retries: retries, RetriesDenied: denied, RetryBudget: math.Round(tokens*100) / 100,
			Hedges: hedged, HedgesWon: won, LatencyMS: float64(v.gate.latency().Microseconds()) / 1000,
			CacheHits: v.hits.Load(), CacheMisses: v.misses.Load(), Coalesced: v.coalesced.Load(),
		})
		if n := v.jobsRun.Load(); n > 0 {
			out[len(out)-1].HotelsPerCall = float64(v.jobHotels.Load()) / float64(n)
		}
		if v.cache != nil {
			out[len(out)-1].CacheSize = v.cache.EstimatedSize()
		}
	}
	return out
}

// backlog estimates how long the work queued at the vendor will take:
// jobs waiting, divided by the calls allowed in flight, times a call's
// latency, or jobs waiting over the rate limit if that is longer. Zero
// before the first call.
func (v *vendorRT) backlog() time.Duration {
	lat := v.gate.latency()
	limit, _, _ := v.gate.state()
	if lat == 0 || limit < 1 {
		return 0
	}
	q := float64(v.queued.Load())
	wait := time.Duration(q / limit * float64(lat))
	if v.cfg.RateLimit > 0 {
		wait = max(wait, time.Duration(q/v.cfg.RateLimit*float64(time.Second)))
	}
	return wait
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

// Search answers s from every vendor it names (all, when it names none)
// and returns when every vendor answered for every hotel, or when the
// search's deadline passes, with what arrived: every hotel once, in the
// order of s.HotelIDs. The error is an
// *hotelrates.Error for invalid input, or the context's error when ctx
// was cancelled.
func (e *Engine) Search(ctx context.Context, s hotelrates.Search) (hotelrates.Result, error) {
	var hotels []hotelrates.HotelResult
	res, err := e.Stream(ctx, s, func(h hotelrates.HotelResult) error {
		hotels = append(hotels, h)
		return nil
	})
	if err != nil {
		return res, err
	}
	// In request order, as the API promises.
	pos := make(map[string]int, len(s.HotelIDs))
	for i, id := range s.HotelIDs {
		if _, ok := pos[id]; !ok {
			pos[id] = i
		}
	}
	slices.SortFunc(hotels, func(a, b hotelrates.HotelResult) int { return pos[a.HotelID] - pos[b.HotelID] })
	res.Hotels = hotels
	return res, nil
}

// Stream answers s like Search but calls onHotel with each hotel's offers
// as soon as every vendor has answered for it (or, at the deadline, with
// whatever arrived, Complete false). Every hotel is passed exactly once.
// The Result returned last carries the summary: Hotels is nil. If onHotel
// returns an error the search stops and Stream returns it.
func (e *Engine) Stream(ctx context.Context, s hotelrates.Search, onHotel func(hotelrates.HotelResult) error) (hotelrates.Result, error) {
	start := time.Now()
	if err := s.Validate(e.opts.Limits); err != nil {
		return hotelrates.Result{}, err
	}
	vendors, err := e.pick(s.Vendors)
	if err != nil {
		return hotelrates.Result{}, err
	}
	if e.ctx.Err() != nil {
		return hotelrates.Result{}, errStopped
	}
	if s.ID == "" {
		s.ID = NewID()
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = e.opts.DefaultTimeout
	}
	timeout = min(timeout, e.opts.MaxTimeout)
	if by := e.drainDeadline(); !by.IsZero() {
		timeout = max(min(timeout, time.Until(by)), time.Millisecond)
	}
	if n := e.searching.Add(1); n > int64(e.opts.MaxSearches) {
		e.searching.Add(-1)
		e.metrics.shed.WithLabelValues("searches").Inc()
		return hotelrates.Result{}, &hotelrates.Error{Code: hotelrates.CodeOverloaded, RetryAfter: time.Second,
			Message: fmt.Sprintf("%d searches in progress, the most this service takes; retry shortly", e.opts.MaxSearches)}
	}
	e.metrics.searchesActive.Inc()
	defer func() {
		e.searching.Add(-1)
		e.metrics.searchesActive.Dec()
	}()
	for _, v := range vendors {
		if wait := v.backlog(); wait > timeout/2 {
			e.metrics.shed.WithLabelValues("backlog").Inc()
			return hotelrates.Result{}, &hotelrates.Error{Code: hotelrates.CodeOverloaded, RetryAfter: wait - timeout/2,
				Message: fmt.Sprintf("vendor %s has %s of work queued, more than half this search's %s deadline; retry later", v.name, wait.Round(time.Millisecond), timeout)}
		}
	}
	sctx, cancel := context.WithTimeoutCause(ctx, timeout, errDeadline)
	defer cancel()
	deadline, _ := sctx.Deadline()

	hotels := hotelrates.UniqueHotelIDs(s.HotelIDs)
	agg := newAggregator(s.ID, hotels, vendors, start)

	// Per vendor: hotels the cache answers, hotels that join a call
	// another search has queued or in flight, and new calls for the rest.
	results := newInbox()
	pending := 0
	for _, v := range vendors {
		p := v.plan(e.ctx, sctx, s.ID, s.Stay, hotels, s.Fresh, !e.opts.NoSharing, deadline, results)
		pending += p.parts
		v.metrics.hotels.WithLabelValues(v.name).Add(float64(len(hotels)))
		for _, h := range p.hits {
			agg.addCached(v.name, h.hotel, h.c)
		}
		// Queued under the engine's lifetime, not the search's: another
		// search may already have joined these jobs. If this search ends
		// first, the queue drops the jobs nobody waits for.
		if err := v.enqueue(e.ctx, p.jobs); err != nil {
			for _, j := range p.jobs {
				v.deliver(j, nil, err, 0, 0)
			}
		}
	}

	var emitErr error
	cut := "deadline passed" // why a search ends with hotels unanswered
	emit := func(h hotelrates.HotelResult) {
		if emitErr == nil {
			emitErr = onHotel(h)
			if emitErr != nil {
				cancel()
			}
		}
	}
	for _, h := range agg.ready() {
		emit(h)
	}
loop:
	for pending > 0 && emitErr == nil {
		select {
		case <-results.notify:
			for _, r := range results.take() {
				pending--
				agg.add(r)
			}
			for _, h := range agg.ready() {
				emit(h)
			}
		case <-sctx.Done():
			break loop
		case <-e.drained:
			cut = "service shutting down"
			break loop
		}
	}
	if emitErr != nil {
		e.metrics.searches.WithLabelValues("canceled").Inc()
		return hotelrates.Result{}, emitErr
	}
	if ctx.Err() != nil {
		// The caller went away: nobody is left to answer.
		e.metrics.searches.WithLabelValues("canceled").Inc()
		return hotelrates.Result{}, context.Cause(ctx)
	}
	for _, h := range agg.rest() {
		emit(h)
	}
	if pending == 0 {
		cut = ""
	}
	res := agg.result(cut)
	res.Elapsed = time.Since(start)
	outcome := "complete"
	if !res.Complete {
		outcome = "partial"
	}
	e.metrics.searches.WithLabelValues(outcome).Inc()
	e.metrics.searchDuration.Observe(res.Elapsed.Seconds())
	return res, emitErr
}

var errDeadline = errors.New("search deadline exceeded")

func (e *Engine) pick(names []string) ([]*vendorRT, error) {
	if len(names) == 0 {
		out := make([]*vendorRT, 0, len(e.order))
		for _, n := range e.order {
			out = append(out, e.vendors[n])
		}
		return out, nil
	}
	seen := map[string]bool{}
	var out []*vendorRT
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

// aggregator owns one search's state; only the search's own goroutine
// touches it.
type aggregator struct {
	searchID string
	start    time.Time
	order    []string
	hotels   map[string]*hotelState
	vendors  []*vendorTally
	byName   map[string]*vendorTally
	queue    []string // hotels completed since the last ready()
}

type hotelState struct {
	offers  []hotelrates.Offer
	sources []hotelrates.Source
	waiting int  // vendors yet to answer
	failed  bool // a vendor could not answer
	emitted bool
}

type vendorTally struct {
	status  hotelrates.VendorStatus
	lastErr error
	last    time.Time
}

func newAggregator(id string, hotels []string, vendors []*vendorRT, start time.Time) *aggregator {
	a := &aggregator{searchID: id, start: start, order: hotels, hotels: make(map[string]*hotelState, len(hotels)), byName: map[string]*vendorTally{}}
	for _, h := range hotels {
		a.hotels[h] = &hotelState{waiting: len(vendors)}
	}
	for _, v := range vendors {
		t := &vendorTally{status: hotelrates.VendorStatus{Vendor: v.name, HotelsRequested: len(hotels)}}
		a.vendors = append(a.vendors, t)
		a.byName[v.name] = t
	}
	return a
}

func (a *aggregator) add(r jobResult) {
	t := a.byName[r.vendor]
	t.status.Calls += r.calls
	t.status.Errors += r.errors
	t.last = time.Now()
	var byHotel map[string][]hotelrates.Offer
	if r.err == nil {
		byHotel = make(map[string][]hotelrates.Offer, len(r.offers))
		for _, ho := range r.offers {
			byHotel[ho.HotelID] = append(byHotel[ho.HotelID], ho.Offers...)
		}
	} else {
		t.lastErr = r.err
	}
	for _, id := range r.hotels {
		h := a.hotels[id]
		if h == nil || h.emitted {
			continue
		}
		h.waiting--
		if r.err != nil {
			h.failed = true
		} else {
			t.status.HotelsAnswered++
			for _, o := range byHotel[id] {
				o.Vendor = r.vendor
				h.offers = append(h.offers, o)
			}
			h.sources = append(h.sources, hotelrates.Source{Vendor: r.vendor, Shared: r.shared})
		}
		if h.waiting == 0 {
			a.queue = append(a.queue, id)
		}
	}
}

// addCached takes a vendor's answer for a hotel from the rate cache.
func (a *aggregator) addCached(vendor, id string, c cached) {
	t := a.byName[vendor]
	t.last = time.Now()
	h := a.hotels[id]
	h.waiting--
	t.status.HotelsAnswered++
	for _, o := range c.offers {
		o.Vendor = vendor
		h.offers = append(h.offers, o)
	}
	h.sources = append(h.sources, hotelrates.Source{Vendor: vendor, Cached: true, Age: time.Since(c.at)})
	if h.waiting == 0 {
		a.queue = append(a.queue, id)
	}
}

// ready returns the hotels every vendor has now answered for.
func (a *aggregator) ready() []hotelrates.HotelResult {
	out := make([]hotelrates.HotelResult, 0, len(a.queue))
	for _, id := range a.queue {
		out = append(out, a.finish(id))
	}
	a.queue = a.queue[:0]
	return out
}

// rest returns the hotels not yet passed on, at the end of the search.
func (a *aggregator) rest() []hotelrates.HotelResult {
	var out []hotelrates.HotelResult
	for _, id := range a.order {
		if !a.hotels[id].emitted {
			out = append(out, a.finish(id))
		}
	}
	return out
}

func (a *aggregator) finish(id string) hotelrates.HotelResult {
	h := a.hotels[id]
	h.emitted = true
	sortOffers(h.offers)
	return hotelrates.HotelResult{HotelID: id, Offers: h.offers, Complete: h.waiting == 0 && !h.failed, Sources: h.sources}
}

// sortOffers orders offers cheapest first, then by vendor, room and board,
// so results are deterministic.
func sortOffers(o []hotelrates.Offer) {
	sort.SliceStable(o, func(i, j int) bool {
		a, b := o[i], o[j]
		if a.Total.Minor != b.Total.Minor {
			return a.Total.Minor < b.Total.Minor
		}
		if a.Vendor != b.Vendor {
			return a.Vendor < b.Vendor
		}
		if a.Room != b.Room {
			return a.Room < b.Room
		}
		return a.Board < b.Board
	})
}

func (a *aggregator) result(cut string) hotelrates.Result {
	res := hotelrates.Result{SearchID: a.searchID, Complete: true}
	for _, t := range a.vendors {
		s := t.status
		unanswered := s.HotelsRequested - s.HotelsAnswered
		switch {
		case unanswered == 0:
			s.Status = hotelrates.StatusOK
		case s.HotelsAnswered > 0:
			s.Status = hotelrates.StatusPartial
		case t.lastErr != nil && !errors.Is(t.lastErr, errDeadline):
			s.Status = hotelrates.StatusFailed
		default:
			s.Status = hotelrates.StatusTimeout
		}
		if unanswered > 0 {
			res.Complete = false
			switch {
			case t.lastErr != nil && !errors.Is(t.lastErr, errDeadline):
				s.Error = t.lastErr.Error()
			case cut != "":
				s.Error = fmt.Sprintf("%s with %d hotels unanswered", cut, unanswered)
			}
			if s.Error == "" {
				s.Error = fmt.Sprintf("%d hotels unanswered", unanswered)
			}
		}
		end := t.last
		if unanswered > 0 || end.IsZero() {
			end = time.Now()
		}
		s.Elapsed = end.Sub(a.start)
		res.Vendors = append(res.Vendors, s)
	}
	return res
}

// clip bounds how much of a caller's text an error message repeats.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
