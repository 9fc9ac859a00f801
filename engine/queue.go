package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/sony/gobreaker/v2"

	"hotelrates"
)

// vendorQueue is one vendor's queue worker: a single goroutine (run) that
// owns the vendor's jobs — the earliest-deadline-first heap, retries
// waiting out their backoff, the table of calls queued or in flight that
// coalescing and cross-search batching need — and the loader pool's
// bookkeeping, the gate, the retry budget and the hedging state; it reads
// the rate cache, which the loaders fill. Searches, loaders and timers
// reach it only by messages:
//
//   - plans: a search's hotels for this vendor; the queue answers from the
//     cache, joins calls already queued or in flight, plans new calls with
//     the planner and admits them, or refuses the search (overloaded);
//   - commits: a search admitted by every vendor; its planned calls join
//     the heap;
//   - leaves: a search ended (answered, deadline, cancelled, caller gone);
//     its jobs no other search waits for are dropped, and their calls in
//     flight get a short grace to answer for the cache;
//   - results: a loader's attempt is over;
//   - retire: an idle loader asks to stop;
//   - states: Engine.Vendors asks for a live view.
//
// The queue hands an attempt to an idle loader only when the gate allows
// a call (pause, rate limit, adaptive concurrency) and the breaker is
// closed, so loaders never wait for the vendor's limits themselves.
type vendorQueue struct {
	name string
	info hotelrates.VendorInfo
	cfg  VendorConfig
	// quotaUntil is when the account's used-up quota is renewed: until
	// then no call goes out and work for the vendor fails at once.
	quotaUntil time.Time
	// pushBack is the share of push backs (429, 503, timeout) among the
	// vendor's recent answers, a moving average over about pushWindow of
	// them: past overloadShare a 503 is taken as overload (see signal).
	pushBack  float64
	log       *slog.Logger
	m         *vendorMetrics
	noSharing bool

	plans   chan *planReq
	commits chan uint64
	leaves  chan *leaveReq
	results chan attemptResult
	retire  chan *loader
	states  chan chan hotelrates.VendorState
	stopped chan struct{} // closed when run has returned

	pool    *pool
	tokens  *tokenManager
	planner planner
	gate    *gate
	budget  *retryBudget
	lat     *latencies
	breaker *gobreaker.TwoStepCircuitBreaker[struct{}]
	cache   *otter.Cache[flightKey, cached]

	// Owned by run.
	edf      edf // the jobs queued, earliest deadline first
	delayed  []*job
	running  []*job
	reserved int
	flights  map[flightKey]*job
	waiters  map[uint64]*waiter
	seq      uint64
	idle     []*loader // LIFO, so loaders above the minimum idle and retire
	workers  int
	timer    *time.Timer
	wake     time.Time

	hits, misses, coalesced int64
	jobsRun, jobHotels      int64
}

// newVendorQueue returns one vendor's queue with its inputs — plans,
// commits, leaves (from searches), results and retire (from its loaders),
// states (from Engine.Vendors) — and its gate, breaker, budget, hedging
// state and rate cache. The caller attaches the loader pool (whose
// loaders report on results and retire) before run starts.
func newVendorQueue(info hotelrates.VendorInfo, cfg VendorConfig, tokens *tokenManager, log *slog.Logger, m *vendorMetrics, noSharing bool) *vendorQueue {
	name := info.Name
	m.breaker.Set(0)
	return &vendorQueue{
		name: name, info: info, cfg: cfg, log: log, m: m, noSharing: noSharing,
		plans:   make(chan *planReq),
		commits: make(chan uint64),
		leaves:  make(chan *leaveReq),
		results: make(chan attemptResult),
		retire:  make(chan *loader),
		states:  make(chan chan hotelrates.VendorState),
		stopped: make(chan struct{}),
		tokens:  tokens,
		planner: newPlanner(info.MaxBatch, cfg.MaxWorkers, cfg.RateLimit > 0 && info.MaxBatch > 1),
		gate:    newGate(cfg.MinConcurrency, cfg.Concurrency, cfg.RateLimit, cfg.Burst),
		budget:  newRetryBudget(cfg.RetryBudget),
		lat:     newLatencies(256, cfg.HedgeBudget),
		cache:   newCache(cfg),
		flights: map[flightKey]*job{},
		waiters: map[uint64]*waiter{},
		breaker: newBreaker(name, cfg.BreakerFailures, cfg.BreakerCooldown, func(from, to gobreaker.State) {
			log.Warn("vendor circuit breaker", "vendor", name, "from", from.String(), "to", to.String())
			m.breaker.Set(float64(to))
		}),
	}
}

// planReq asks a vendor's queue to plan one search's hotels.
type planReq struct {
	seq      uint64
	id       string
	stay     hotelrates.Stay
	stayKey  string
	hotels   []string
	fresh    bool
	deadline time.Time
	admitBy  time.Time // the deadline admission judges by: the search's own, even while the engine drains
	commit   bool      // queue the new calls at once: the search has no other vendor to wait for
	inbox    *inbox
	reply    chan planReply // buffered 1
}

// planReply is the queue's answer to a planReq.
type planReply struct {
	hits  []hit // answered by the rate cache
	parts int   // results the search will get: new calls and calls joined
	err   error // the search is refused (overloaded)
}

// leaveReq says a search ended; the reply is the calls sent for it that
// had not answered yet.
type leaveReq struct {
	seq   uint64
	reply chan int // buffered 1
}

var (
	errAllLeft     = errors.New("every search waiting for this call has ended")
	errCallTimeout = errors.New("vendor call timed out")
	errHung        = errors.New("vendor call gave no answer in many times the vendor's usual latency")
	errNotSent     = errors.New("every search waiting for this call ended before it was sent")
	errStopped     = hotelrates.Errorf(hotelrates.CodeUnavailable, "", "engine is stopping")
)

// pushWindow is about how many of a vendor's latest answers the share of
// push backs is taken over; past overloadShare of them, a 503 is overload
// (signal). A vendor whose backend fails a call now and then stays under
// it; one that turns away a quarter of the calls it is sent does not.
const (
	pushWindow    = 20.0
	overloadShare = 0.2
)

// maxAuthRetries bounds the retries of one job after its credential was
// rejected: the first is free, the others come from the retry budget.
const maxAuthRetries = 3

// Admission: a search is refused when the work due before its deadline at
// a vendor, its own included, would take more than admitShare of the time
// it has (the rest is a margin for the estimate's error: latency grows
// with load, and a busy machine slows every call), unless its own work
// alone would: such a search asks for what arrives by its deadline.
const admitShare = 0.6

// lateGraceMin is the least time a call in flight is given to answer after
// its last search left (lateGrace).
const lateGraceMin = 20 * time.Millisecond

// run is the queue's loop; it returns when ctx ends, after failing the
// jobs still waiting.
func (q *vendorQueue) run(ctx context.Context) {
	defer close(q.stopped)
	q.timer = time.NewTimer(time.Hour)
	q.timer.Stop()
	defer q.timer.Stop()
	for range q.cfg.MinWorkers {
		q.grow(ctx)
	}
	for {
		q.pump(ctx, time.Now())
		select {
		case r := <-q.plans:
			// Answers already back are taken first, so admission judges
			// the calls really in flight: while the queue was busy (a
			// burst of searches to plan), their age is its own backlog,
			// not the vendor's latency.
			q.drainResults()
			q.plan(r, time.Now())
		case seq := <-q.commits:
			q.commit(seq)
		case r := <-q.leaves:
			r.reply <- q.leave(r.seq, time.Now())
		case r := <-q.results:
			q.result(r, time.Now())
		case l := <-q.retire:
			l.retireReply <- q.retireLoader(l)
		case r := <-q.states:
			r <- q.state(time.Now())
		case <-q.timer.C:
			q.wake = time.Time{}
		case <-ctx.Done():
			q.stop()
			return
		}
	}
}

// drainResults takes every loader's answer that is ready now.
func (q *vendorQueue) drainResults() {
	for {
		select {
		case r := <-q.results:
			q.result(r, time.Now())
		default:
			return
		}
	}
}

// grow starts a loader; it is idle until the queue hands it an attempt.
func (q *vendorQueue) grow(ctx context.Context) {
	q.idle = append(q.idle, q.pool.start(ctx))
	q.workers++
	q.m.workers.Set(float64(q.workers))
}

// retireLoader lets an idle loader stop while the pool is above its
// minimum. A loader the queue has just given work is not idle: it stays.
func (q *vendorQueue) retireLoader(l *loader) bool {
	i := slices.Index(q.idle, l)
	if i < 0 || q.workers <= q.cfg.MinWorkers {
		return false
	}
	q.idle = slices.Delete(q.idle, i, i+1)
	q.workers--
	q.m.workers.Set(float64(q.workers))
	return true
}

// pump starts every call that may start now, earliest deadline first,
// then sets the timer for the next moment something is due: a retry's
// backoff, a collection window, the gate's pause or next rate token, a
// hedge, the end of a late call's grace.
func (q *vendorQueue) pump(ctx context.Context, now time.Time) {
	var next time.Time
	due := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if len(q.delayed) > 0 {
		kept := q.delayed[:0]
		for _, j := range q.delayed {
			if now.Before(j.retryAt) {
				kept = append(kept, j)
				due(j.retryAt)
				continue
			}
			j.state = jobQueued
			q.edf.push(j)
		}
		clear(q.delayed[len(kept):])
		q.delayed = kept
	}
	for _, j := range q.running {
		if j.abandonAt.IsZero() {
			continue
		}
		if now.Before(j.abandonAt) {
			due(j.abandonAt)
			continue
		}
		j.abandonAt = time.Time{}
		q.forget(j) // no search joins a call being cancelled
		for _, a := range j.running {
			a.giveUp()
		}
	}
	for q.edf.len() > 0 {
		j := q.edf.top()
		if now.Before(q.quotaUntil) {
			q.finish(j, nil, &hotelrates.VendorError{Vendor: q.name, Kind: hotelrates.ErrQuota, RetryAfter: q.quotaUntil.Sub(now),
				Err: fmt.Errorf("the account's quota is used up; calls are paused until %s", q.quotaUntil.UTC().Format(time.RFC3339))})
			continue
		}
		if !q.latestDeadline(j).After(now) {
			q.expire(now)
			continue
		}
		if wait := q.holdFor(j, now); wait > 0 {
			due(now.Add(wait))
			break
		}
		ok, at := q.gate.ready(now)
		if !ok {
			due(at)
			break
		}
		if len(q.idle) == 0 {
			if q.workers >= q.cfg.MaxWorkers {
				break
			}
			q.grow(ctx)
		}
		verdict, err := q.breaker.Allow()
		if errors.Is(err, gobreaker.ErrTooManyRequests) {
			break // half-open: the probe call decides; the others wait for it
		}
		if err != nil {
			q.finish(j, nil, fmt.Errorf("%w: vendor %s is failing; calls are paused (%v)", errCircuitOpen, q.name, err))
			continue
		}
		if q.info.MaxBatch > 1 && !q.noSharing {
			q.merge(j)
		}
		q.edf.remove(j)
		q.dispatch(ctx, j, false, verdict, now)
	}
	q.hedge(ctx, now, due)
	q.m.queued.Set(float64(q.queued()))
	if !next.Equal(q.wake) {
		q.wake = next
		if next.IsZero() {
			q.timer.Stop()
		} else {
			q.timer.Reset(max(0, next.Sub(now)))
		}
	}
}

// expire drops every queued job whose searches are all past their
// deadline: no call starts for them, and their leave, on its way, finds
// the jobs gone. Searches that end together leave together, so this is
// one pass over the queue, not a step per job at its top.
func (q *vendorQueue) expire(now time.Time) {
	n := 0
	for _, j := range q.edf.all() {
		if !q.latestDeadline(j).After(now) {
			q.edf.remove(j)
			j.markGone()
			q.forget(j)
			j.state = jobDone
			n++
		}
	}
	q.m.dropped.Add(float64(n))
}

// hedge sends a second call for a single-hotel job that has not answered
// by the vendor's 95th percentile, when a loader and a slot are free, no
// job waits, and the hedge budget allows.
func (q *vendorQueue) hedge(ctx context.Context, now time.Time, due func(time.Time)) {
	if !q.hedging() {
		return
	}
	for _, j := range q.running {
		if j.hedgeAt.IsZero() {
			continue
		}
		if now.Before(j.hedgeAt) {
			due(j.hedgeAt)
			continue
		}
		j.hedgeAt = time.Time{} // one chance per call
		if len(j.running) != 1 || j.active == 0 || q.edf.len() > 0 || !q.latestDeadline(j).After(now) {
			continue
		}
		if ok, _ := q.gate.ready(now); !ok {
			continue
		}
		if len(q.idle) == 0 {
			if q.workers >= q.cfg.MaxWorkers {
				continue
			}
			q.grow(ctx)
		}
		if !q.lat.takeHedge() {
			continue
		}
		verdict, err := q.breaker.Allow()
		if err != nil {
			continue
		}
		q.m.hedges.Inc()
		q.dispatch(ctx, j, true, verdict, now)
	}
}

func (q *vendorQueue) hedging() bool {
	return q.cfg.Hedge && q.info.MaxBatch == 1 && q.info.Auth != hotelrates.AuthSession
}

// dispatch hands one attempt of j to an idle loader. The loader's channel
// is buffered and empty while it is idle, so this never blocks.
func (q *vendorQueue) dispatch(ctx context.Context, j *job, hedge bool, verdict func(error), now time.Time) {
	timeout, cause := q.cfg.CallTimeout, errCallTimeout
	if q.tokens.ready(now) {
		// The call goes out at once (no credential to wait for), so its
		// hang clock can start here. (A session serves one request at a
		// time: one given up while the vendor still works on it would
		// answer the next "busy"; sessions keep CallTimeout only.)
		if h := q.gate.hangAfter(len(j.hotels)); h > 0 && h < timeout {
			timeout, cause = h, errHung
		}
	}
	actx, cancel := context.WithDeadlineCause(ctx, now.Add(timeout), cause)
	a := &j.primary
	if hedge {
		a = &attempt{}
	}
	*a = attempt{job: j, ctx: actx, cancel: cancel, searches: q.searchIDs(j), hedge: hedge, started: now, done: verdict}
	if j.running == nil {
		j.running = j.runBuf[:0]
	}
	j.running = append(j.running, a)
	if j.state != jobRunning {
		j.state = jobRunning
		q.running = append(q.running, j)
	}
	if !hedge {
		if j.attempts == 0 {
			q.budget.deposit()
			q.m.batch.Observe(float64(len(j.hotels)))
			q.jobsRun++
			q.jobHotels += int64(len(j.hotels))
		}
		if q.hedging() {
			if p95 := q.lat.p95(); p95 > 0 {
				j.hedgeAt = now.Add(p95)
			}
		}
	}
	j.attempts++
	q.gate.start(now)
	q.m.inflight.Set(float64(q.gate.inflight))
	l := q.idle[len(q.idle)-1]
	q.idle = q.idle[:len(q.idle)-1]
	l.work <- a
}

// result takes a loader's report of an attempt: the gate, the breaker and
// the budget learn from it, and the job is answered, retried or failed.
func (q *vendorQueue) result(r attemptResult, now time.Time) {
	q.idle = append(q.idle, r.l)
	a, j := r.a, r.a.job
	abandoned := r.abandoned
	if i := slices.Index(j.running, a); i >= 0 {
		j.running = slices.Delete(j.running, i, i+1)
	}
	oc := outcomeNone
	if r.sent {
		oc = q.signal(r, abandoned, now)
		if r.err == nil && q.hedging() {
			q.lat.add(r.rtt)
		}
		if r.err != nil {
			j.errs++
		}
	}
	q.gate.done(now, r.rtt, len(j.hotels), oc)
	if r.hung {
		q.gate.hung(len(j.hotels), r.rtt)
	}
	if rl := r.limit; rl.Known {
		q.gate.budget(now, rl.Remaining, rl.Reset)
	}
	q.m.inflight.Set(float64(q.gate.inflight))
	q.m.limit.Set(q.gate.limit)
	switch {
	case r.err != nil && (!r.sent || abandoned && !r.timedOut):
		a.done(context.Canceled) // not the vendor's failure
	case r.hung && oc == outcomeNone:
		// One hang among answers that come back: the breaker does not
		// count it (many hangs, or the configured timeout, it does).
		a.done(errHung)
	default:
		a.done(r.err)
	}
	if j.state == jobDone {
		return // a hedge that lost, or a call answered after the job ended
	}
	if r.err == nil {
		if a.hedge {
			q.lat.won()
		}
		q.finish(j, r.offers, nil)
		return
	}
	j.lastErr = r.err
	if len(j.running) > 0 {
		return // the other call of a hedged pair may still answer
	}
	if !r.sent && j.active > 0 && (errors.Is(r.err, errNotSent) || a.gaveUp || errors.Is(r.err, errHung)) {
		// Given up for searches that left, before it was sent; a search
		// joined since: it goes out again for that one. (Or its hang
		// clock ran out while it waited for a token the manager had to
		// fetch after all: it goes out again, then on call_timeout.)
		q.unrun(j)
		j.state = jobQueued
		q.edf.push(j)
		return
	}
	if j.active == 0 || !r.sent {
		q.finish(j, nil, r.err)
		return
	}
	if wait, ok := q.retry(j, r.err, now); ok {
		q.unrun(j)
		if wait <= 0 {
			j.state = jobQueued
			q.edf.push(j)
		} else {
			j.state, j.retryAt = jobDelayed, now.Add(wait)
			q.delayed = append(q.delayed, j)
		}
		return
	}
	q.finish(j, nil, j.lastErr)
}

// signal tells what a call's outcome says about the vendor's load: an
// answer, congestion (a 429, a call timeout, a 503 while push backs are
// more than overloadShare of the answers), or nothing; the Retry-After of
// a congestion pauses the vendor.
func (q *vendorQueue) signal(r attemptResult, abandoned bool, now time.Time) callOutcome {
	q.pushBack -= q.pushBack / pushWindow // this answer joins the average
	if r.err == nil {
		return outcomeOK
	}
	if ve, ok := errors.AsType[*hotelrates.VendorError](r.err); ok {
		if ve.Kind == hotelrates.ErrThrottled {
			q.m.throttled.Inc()
		}
		if ve.Kind == hotelrates.ErrQuota {
			// The account's quota is used up: nothing goes to the vendor
			// until it is renewed, and work for it fails at once (pump).
			until := now.Add(max(ve.RetryAfter, time.Second))
			if until.After(q.quotaUntil) {
				q.quotaUntil = until
				q.log.Warn("vendor quota exhausted; calls paused", "vendor", q.name, "until", until.UTC().Format(time.RFC3339))
			}
			q.gate.pause(now, until.Sub(now))
			return outcomeNone
		}
		if ve.Kind == hotelrates.ErrThrottled || ve.Status == 503 {
			q.pushBack += 1 / pushWindow
			if ve.Kind != hotelrates.ErrThrottled && q.pushBack <= overloadShare {
				// A 503 among answers that mostly succeed is a fault of
				// this call, not the vendor's overload: its job's retry
				// waits out the Retry-After (retry), the other calls go
				// on. Pausing the vendor and cutting its limit on every
				// sporadic 503 (a flaky backend behind the vendor's API)
				// would bring its throughput down to the floor. When
				// push backs are more than overloadShare of the answers,
				// a 503 does both, as a 429 always does.
				return outcomeNone
			}
			if ve.RetryAfter > 0 {
				q.gate.pause(now, ve.RetryAfter)
			}
			return outcomeCongestion
		}
	}
	if r.timedOut {
		q.pushBack += 1 / pushWindow
		if r.hung && q.pushBack <= overloadShare {
			// One call that hung among answers that mostly come back in
			// time is that call's fault (a stuck connection, a lost
			// request): it is retried, the others go on, the limit
			// stays. Many of them are the vendor's overload.
			return outcomeNone
		}
		return outcomeCongestion // the call timed out, not the search
	}
	return outcomeNone
}

// retry decides whether a failed job is tried again, and after how long:
// a rejected credential once for free and up to maxAuthRetries within the
// budget; a busy session once; a retryable failure (connection error, 5xx,
// 429, malformed answer) with exponential backoff and jitter while a
// search waiting for the job has time left and the retry budget allows.
func (q *vendorQueue) retry(j *job, err error, now time.Time) (time.Duration, bool) {
	kind, ok := hotelrates.KindOf(err)
	if !ok {
		return 0, false
	}
	switch kind {
	case hotelrates.ErrUnauthorized:
		if j.authRetries > 0 {
			if j.authRetries >= maxAuthRetries || !q.mayRetry(j, 0, now) {
				return 0, false
			}
		}
		j.authRetries++
		return 0, true
	case hotelrates.ErrBusy:
		if j.retriedBusy {
			return 0, false
		}
		j.retriedBusy = true
		return 0, true
	case hotelrates.ErrRejected, hotelrates.ErrInternal, hotelrates.ErrQuota:
		return 0, false
	}
	if j.retries+1 >= q.cfg.RetryAttempts {
		return 0, false
	}
	var after time.Duration
	if ve, ok := errors.AsType[*hotelrates.VendorError](err); ok {
		after = ve.RetryAfter
	}
	wait := backoff(j.retries+1, q.cfg.RetryBackoff, after)
	if !q.mayRetry(j, wait, now) {
		return 0, false
	}
	j.retries++
	return wait, true
}

// mayRetry reports, having taken a retry from the vendor's budget, whether
// j may be retried after wait: a search waiting for it has time left for
// the wait and a call, and the budget allows. If not, it says why in the
// job's last error.
func (q *vendorQueue) mayRetry(j *job, wait time.Duration, now time.Time) bool {
	if q.latestDeadline(j).Sub(now) < wait+q.gate.latency() {
		j.lastErr = fmt.Errorf("%w (no time left to retry before the deadline)", j.lastErr)
		return false
	}
	if !q.budget.take() {
		j.lastErr = fmt.Errorf("%w (retry budget spent)", j.lastErr)
		return false
	}
	return true
}

// finish ends a job: it leaves the queue's tables, and each member whose
// search still waits gets its share of the answer or the error.
func (q *vendorQueue) finish(j *job, offers []hotelrates.HotelOffers, err error) {
	q.remove(j)
	j.state = jobDone
	q.forget(j)
	for _, a := range j.running {
		a.giveUp() // the other call of a hedged pair
	}
	live := 0
	for _, m := range j.members {
		if !m.done && m.job == j {
			live++
		}
	}
	if live == 0 {
		return
	}
	var byHotel map[string]hotelrates.HotelOffers
	if err == nil && live > 1 {
		byHotel = make(map[string]hotelrates.HotelOffers, len(offers))
		for _, ho := range offers {
			byHotel[ho.HotelID] = ho
		}
	}
	calls := j.calls()
	for _, m := range j.members {
		if m.done || m.job != j {
			continue
		}
		m.done = true
		r := jobResult{vendor: q.name, hotels: m.hotels, err: err, calls: calls, errors: j.errs, shared: m.shared}
		if err == nil {
			if byHotel == nil {
				r.offers = offers
			} else {
				for _, h := range m.hotels {
					if ho, ok := byHotel[h]; ok {
						r.offers = append(r.offers, ho)
					}
				}
			}
		}
		m.w.inbox.put(r)
	}
}

// remove takes j out of whichever table holds it by its state.
func (q *vendorQueue) remove(j *job) {
	switch j.state {
	case jobQueued:
		q.edf.remove(j)
	case jobDelayed:
		if i := slices.Index(q.delayed, j); i >= 0 {
			q.delayed = slices.Delete(q.delayed, i, i+1)
		}
	case jobRunning:
		q.unrun(j)
	case jobReserved:
		q.reserved--
	}
}

func (q *vendorQueue) unrun(j *job) {
	if i := slices.Index(q.running, j); i >= 0 {
		q.running = slices.Delete(q.running, i, i+1)
	}
	j.hedgeAt, j.abandonAt = time.Time{}, time.Time{}
}

// forget removes a job's flights, so later searches do not join it.
func (q *vendorQueue) forget(j *job) {
	for _, h := range j.hotels {
		if k := (flightKey{j.stayKey, h}); q.flights[k] == j {
			delete(q.flights, k)
		}
	}
}

// remember fills the rate cache with one call's answer: per hotel of the
// call, its offers (none for a hotel the vendor answered without). A
// loader calls it as the answer arrives, before the queue hears of it, so
// the cache's work is spread over the loaders instead of the queue's one
// goroutine; a late answer (a hedge that lost, a call in its grace) fills
// it too.
func remember(cache *otter.Cache[flightKey, cached], stayKey string, hotels []string, offers []hotelrates.HotelOffers, now time.Time) {
	if cache == nil {
		return
	}
	if len(hotels) == 1 {
		var o []hotelrates.Offer
		if len(offers) == 1 {
			o = offers[0].Offers // newCached copies what it keeps
		} else {
			for _, ho := range offers {
				o = append(o, ho.Offers...)
			}
		}
		cache.Set(flightKey{stayKey, hotels[0]}, newCached(o, now))
		return
	}
	by := make(map[string][]hotelrates.Offer, len(offers))
	for _, ho := range offers {
		by[ho.HotelID] = append(by[ho.HotelID], ho.Offers...)
	}
	for _, h := range hotels {
		cache.Set(flightKey{stayKey, h}, newCached(by[h], now))
	}
}

// plan answers a search's hotels from the cache (unless fresh), joins
// calls already queued or in flight for the same hotel and stay, and plans
// new calls for the rest. The new calls are admitted here, atomically: if
// the work due before the search's deadline would not let it finish, the
// search is refused and nothing changes.
func (q *vendorQueue) plan(r *planReq, now time.Time) {
	var hits []hit
	var todo []string
	var joined []*job
	var joinedHotels [][]string
	share := !q.noSharing
	var hitN, missN int64
	for _, h := range r.hotels {
		k := flightKey{r.stayKey, h}
		if !r.fresh && q.cache != nil {
			if c, ok := q.cache.GetIfPresent(k); ok {
				hits = append(hits, hit{h, c})
				hitN++
				continue
			}
			missN++
		}
		if j := q.flights[k]; share && j != nil {
			i := slices.Index(joined, j)
			if i < 0 {
				joined = append(joined, j)
				joinedHotels = append(joinedHotels, nil)
				i = len(joined) - 1
			}
			joinedHotels[i] = append(joinedHotels[i], h)
			continue
		}
		todo = append(todo, h)
	}
	q.hits += hitN
	q.misses += missN
	q.m.cacheHits.Add(float64(hitN))
	q.m.cacheMisses.Add(float64(missN))
	q.m.hotels.Add(float64(len(r.hotels)))
	batches := q.planner.split(todo)
	if err := q.admit(len(batches), r.admitBy, now); err != nil {
		r.reply <- planReply{err: err}
		return
	}
	w := &waiter{id: r.id, seq: r.seq, inbox: r.inbox, deadline: r.deadline, committed: r.commit}
	q.waiters[r.seq] = w
	for i, j := range joined {
		m := &member{w: w, hotels: joinedHotels[i], shared: true, job: j}
		j.members = append(j.members, m)
		if j.active == 0 {
			// A call in its grace, its searches gone: this search takes it
			// over instead of paying for the same call again.
			j.revive()
			j.abandonAt = time.Time{}
		}
		j.active++
		w.members = append(w.members, m)
		if r.deadline.Before(j.deadline) {
			// A more urgent search: the job moves up.
			j.setDeadline(r.deadline)
			q.edf.moved(j)
		}
		q.coalesced += int64(len(joinedHotels[i]))
		q.m.coalesced.Add(float64(len(joinedHotels[i])))
	}
	for _, b := range batches {
		q.seq++
		j := &job{stay: r.stay, stayKey: r.stayKey, hotels: b, seq: q.seq, enqueued: now}
		j.setDeadline(r.deadline)
		j.first = member{w: w, hotels: b, job: j}
		m := &j.first
		j.inline[0] = m
		j.members, j.active = j.inline[:1:1], 1
		w.members = append(w.members, m)
		for _, h := range b {
			q.flights[flightKey{r.stayKey, h}] = j
		}
		if r.commit {
			j.state = jobQueued
			q.edf.push(j)
		} else {
			j.state = jobReserved
			w.reserved = append(w.reserved, j)
			q.reserved++
		}
	}
	r.reply <- planReply{hits: hits, parts: len(joined) + len(batches)}
}

// stallMin is the shortest silence with calls in flight that admission
// takes for a stalled vendor.
const stallMin = 50 * time.Millisecond

// admit decides whether calls new calls for a search due by deadline fit:
// the work due before that deadline (earliest deadline first: later work
// does not count against it), the search's own calls included, must take
// at most admitShare of the time left. A search too large to finish in
// time even alone is admitted: it gets what arrives by its deadline, and
// EDF keeps it from delaying searches due earlier. Before the vendor's
// latency is known every search is admitted.
func (q *vendorQueue) admit(calls int, deadline, now time.Time) error {
	if calls == 0 {
		return nil
	}
	if q.queued()+calls > q.cfg.QueueLimit {
		q.log.Debug("search shed: queue full", "vendor", q.name)
		return &hotelrates.Error{Code: hotelrates.CodeOverloaded, RetryAfter: time.Second,
			Message: fmt.Sprintf("vendor %s has %d calls queued, the most it takes; retry shortly", q.name, q.queued())}
	}
	lat := q.gate.admitLatency()
	if lat <= 0 {
		return nil
	}
	// No answer for a while with calls in flight: the vendor stalls, and
	// the oldest call's age says how slow it is now (a vendor that still
	// answers, only slower, is seen by admitLatency).
	stuckAfter := max(4*lat, stallMin)
	stuck, oldest := 0, time.Duration(0)
	for _, j := range q.running {
		for _, a := range j.running {
			if age := now.Sub(a.started); age > stuckAfter {
				stuck++
				oldest = max(oldest, age)
			}
		}
	}
	switch {
	case stuck > 0 && now.Sub(q.gate.lastDone) > stuckAfter:
		lat = max(lat, oldest) // nothing answers: the vendor stalls
	case stuck > 0:
		// Some calls hang while others answer: the hung ones hold slots.
		slots := max(1, math.Floor(q.gate.limit))
		lat = time.Duration(float64(lat) * slots / max(1, slots-float64(stuck)))
	}
	ahead := q.reserved + q.edf.due(int64(deadline.Sub(deadlineEpoch)))
	for _, j := range q.delayed {
		if !j.deadline.After(deadline) {
			ahead++
		}
	}
	if ahead == 0 {
		return nil
	}
	avail := deadline.Sub(now)
	share := time.Duration(admitShare * float64(avail))
	if own := q.workTime(float64(calls), calls, lat, now); own > share {
		return nil // too large to finish even alone: it asks for what arrives by its deadline
	}
	need := q.workTime(float64(ahead+calls)+float64(q.gate.inflight)/2, ahead+calls, lat, now)
	if need <= share {
		return nil
	}
	return &hotelrates.Error{Code: hotelrates.CodeOverloaded, RetryAfter: max(need-share, 100*time.Millisecond),
		Message: fmt.Sprintf("vendor %s has %s of work due before this search's %s deadline; retry later", q.name, need.Round(time.Millisecond), avail.Round(time.Millisecond))}
}

// workTime estimates how long the vendor needs for work calls in rounds of
// its concurrency limit at latency lat, or at its rate limit, plus a pause
// in force.
func (q *vendorQueue) workTime(work float64, calls int, lat time.Duration, now time.Time) time.Duration {
	limit := max(1, math.Floor(q.gate.limit))
	need := time.Duration(math.Ceil(work/limit) * float64(lat))
	if q.cfg.RateLimit > 0 {
		need = max(need, time.Duration(float64(calls)/q.cfg.RateLimit*float64(time.Second)))
	}
	if q.gate.paused(now) {
		need += q.gate.pausedUntil.Sub(now)
	}
	return need
}

// commit queues the calls planned for an admitted search.
func (q *vendorQueue) commit(seq uint64) {
	w := q.waiters[seq]
	if w == nil {
		return
	}
	w.committed = true
	for _, j := range w.reserved {
		if j.state == jobReserved {
			q.reserved--
			j.state = jobQueued
			q.edf.push(j)
		}
	}
	w.reserved = nil
}

// leave ends a search at this vendor: each job it waited for loses a
// member, and a job no search waits for any more is dropped if it had not
// started, or, in flight, makes no further call and is cancelled after a
// short grace (a late answer still fills the cache). It returns the calls
// sent for the search that had not answered.
func (q *vendorQueue) leave(seq uint64, now time.Time) int {
	w := q.waiters[seq]
	if w == nil {
		return 0
	}
	delete(q.waiters, seq)
	calls := 0
	for _, m := range w.members {
		if m.done {
			continue
		}
		m.done = true
		j := m.job
		j.active--
		if j.active == 0 {
			q.abandon(j, now) // no call starts for it from here: the count below is final
		}
		calls += j.calls()
	}
	// Planned calls other searches joined go on for them: queued if one of
	// them is admitted everywhere, else still reserved, for the first of
	// them to commit or withdraw.
	for _, j := range w.reserved {
		if j.state != jobReserved || j.active == 0 {
			continue
		}
		var heir *waiter
		for _, m := range j.members {
			if m.done || m.job != j {
				continue
			}
			if m.w.committed {
				heir = nil
				break
			}
			if heir == nil {
				heir = m.w
			}
		}
		if heir != nil {
			heir.reserved = append(heir.reserved, j)
			continue
		}
		q.reserved--
		j.state = jobQueued
		q.edf.push(j)
	}
	return calls
}

// abandon drops a job no search waits for any more.
func (q *vendorQueue) abandon(j *job, now time.Time) {
	j.markGone() // a loader that gets its credential now makes no call
	if j.state == jobRunning {
		// Its flights stay: a search that needs the same hotels during
		// the grace joins the call instead of paying for another.
		j.hedgeAt = time.Time{}
		j.abandonAt = now.Add(q.lateGrace())
		return
	}
	q.forget(j)
	if j.state == jobQueued || j.state == jobDelayed {
		q.m.dropped.Inc()
	}
	q.remove(j)
	j.state = jobDone
}

// lateGrace is how long a call in flight may still answer after its last
// search left: twice the vendor's smoothed latency (at least lateGraceMin),
// never past the call timeout; the whole call timeout before any latency
// is known.
func (q *vendorQueue) lateGrace() time.Duration {
	lat := q.gate.latency()
	if lat <= 0 {
		return q.cfg.CallTimeout
	}
	return min(q.cfg.CallTimeout, max(2*lat, lateGraceMin))
}

// latestDeadline is the deadline of the last search still waiting for j.
func (q *vendorQueue) latestDeadline(j *job) time.Time {
	var d time.Time
	for _, m := range j.members {
		if !m.done && m.job == j && m.w.deadline.After(d) {
			d = m.w.deadline
		}
	}
	return d
}

// holdFor returns how long the head job should wait in the collection
// window for other searches' hotels: only for a batch vendor with a
// window, a job with room for more hotels, and never so long that the
// job could miss its deadline.
func (q *vendorQueue) holdFor(j *job, now time.Time) time.Duration {
	if q.cfg.BatchWindow <= 0 || q.info.MaxBatch <= 1 || len(j.hotels) >= q.info.MaxBatch || q.noSharing {
		return 0
	}
	wait := j.enqueued.Add(q.cfg.BatchWindow).Sub(now)
	if slack := j.deadline.Sub(now) - 2*q.gate.latency(); wait > slack {
		return 0
	}
	return wait
}

// merge folds other searches' queued jobs for the head job's stay into it,
// up to the batch limit, when they would otherwise wait for a slot (or a
// collection window is set).
func (q *vendorQueue) merge(head *job) {
	if len(head.hotels) >= q.info.MaxBatch {
		return
	}
	if q.cfg.BatchWindow <= 0 && q.queued() <= int(q.gate.limit)-q.gate.inflight {
		return // every queued job can start now: merging would only slow the head
	}
	var merged []*job
	if head.attempts > 0 {
		return // a retry: its calls are counted for its own searches
	}
	q.edf.each(func(k *job) bool {
		if k == head || k.state != jobQueued || k.attempts > 0 || k.stayKey != head.stayKey || len(head.hotels) >= q.info.MaxBatch || sharesSearch(k, head) {
			return true
		}
		var add []string
		for _, h := range k.hotels {
			if !slices.Contains(head.hotels, h) {
				add = append(add, h)
			}
		}
		if len(head.hotels)+len(add) > q.info.MaxBatch {
			return true
		}
		head.hotels = append(head.hotels[:len(head.hotels):len(head.hotels)], add...)
		for _, m := range k.members {
			if m.done || m.job != k {
				continue
			}
			m.job = head
			head.members = append(head.members, m)
			head.active++
		}
		for _, h := range k.hotels {
			q.flights[flightKey{k.stayKey, h}] = head
		}
		if k.deadline.Before(head.deadline) {
			head.setDeadline(k.deadline)
		}
		merged = append(merged, k)
		return true
	})
	for _, k := range merged {
		q.edf.remove(k)
		k.state = jobDone
		q.m.merged.Inc()
	}
	// head, at the queue's top, leaves it next (pump): its deadline, maybe
	// earlier now, needs no new place.
}

// sharesSearch reports whether jobs a and b wait for a search in common:
// such jobs were split on purpose, to run side by side.
func sharesSearch(a, b *job) bool {
	for _, m := range a.members {
		if m.done || m.job != a {
			continue
		}
		for _, n := range b.members {
			if !n.done && n.job == b && n.w == m.w {
				return true
			}
		}
	}
	return false
}

// searchIDs returns the ids of the searches a job's call is made for,
// comma-separated, for the archive.
func (q *vendorQueue) searchIDs(j *job) string {
	var first string
	var ids []string
	for _, m := range j.members {
		if m.done || m.job != j {
			continue
		}
		switch {
		case first == "":
			first = m.w.id
		case m.w.id != first && !slices.Contains(ids, m.w.id):
			if ids == nil {
				ids = []string{first}
			}
			ids = append(ids, m.w.id)
		}
	}
	if ids == nil {
		return first
	}
	return strings.Join(ids, ",")
}

// queued counts the jobs waiting for the vendor: planned, queued, or
// waiting out a retry's backoff.
func (q *vendorQueue) queued() int { return q.edf.len() + len(q.delayed) + q.reserved }

// stop fails every job still waiting, when the engine closes. Calls in
// flight end with the engine's context.
func (q *vendorQueue) stop() {
	var all []*job
	all = append(all, q.edf.all()...)
	all = append(all, q.delayed...)
	all = append(all, q.running...)
	for _, w := range q.waiters {
		for _, j := range w.reserved {
			if j.state == jobReserved {
				all = append(all, j)
			}
		}
	}
	for _, j := range all {
		if j.state != jobDone {
			q.finish(j, nil, errStopped)
		}
	}
	q.m.queued.Set(0)
}

// state is the queue's live view of the vendor.
func (q *vendorQueue) state(now time.Time) hotelrates.VendorState {
	s := q.staticState()
	retries, denied, tokens := q.budget.stats()
	hedged, won := q.lat.stats()
	s.Workers, s.Queued, s.InFlight, s.PeakInFlight = int64(q.workers), int64(q.queued()), int64(q.gate.inflight), int64(q.gate.peak)
	s.ConcurrencyLimit, s.Paused = q.gate.limit, q.gate.paused(now)
	if now.Before(q.quotaUntil) {
		s.QuotaExhaustedUntil = q.quotaUntil.UTC()
	}
	s.Retries, s.RetriesDenied, s.RetryBudget = retries, denied, math.Round(tokens*100)/100
	s.Hedges, s.HedgesWon = hedged, won
	s.LatencyMS = float64(q.gate.latency().Microseconds()) / 1000
	s.CacheHits, s.CacheMisses, s.Coalesced = q.hits, q.misses, q.coalesced
	if q.jobsRun > 0 {
		s.HotelsPerCall = float64(q.jobHotels) / float64(q.jobsRun)
	}
	if q.cache != nil {
		s.CacheSize = q.cache.EstimatedSize()
	}
	return s
}

// staticState is what is known of the vendor without asking its queue.
func (q *vendorQueue) staticState() hotelrates.VendorState {
	strategy := "batch"
	if q.info.MaxBatch == 1 {
		strategy = "single"
	}
	return hotelrates.VendorState{
		Name: q.name, Strategy: strategy, MaxBatch: q.info.MaxBatch, Auth: q.info.Auth.String(),
		Concurrency: q.cfg.Concurrency, MinWorkers: q.cfg.MinWorkers, MaxWorkers: q.cfg.MaxWorkers,
		MinConcurrency: q.cfg.MinConcurrency, RateLimit: q.cfg.RateLimit, Breaker: q.breaker.State().String(),
	}
}

func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	if k, ok := hotelrates.KindOf(err); ok {
		return k.String()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	return "error"
}
