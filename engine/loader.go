package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"hotelrates"
)

// maxAuthRetries bounds the retries of one job after its credential was
// rejected: the first is free, the others come from the retry budget.
const maxAuthRetries = 3

var errStopped = hotelrates.Errorf(hotelrates.CodeUnavailable, "", "engine is stopping")

// startLoader starts one rate loader; the vendor's WaitGroup owns it and
// ctx stops it.
func (v *vendorRT) startLoader(ctx context.Context) {
	v.loaders.Go(func() { v.loader(ctx) })
}

// loader takes jobs from the vendor's queue worker and calls the vendor,
// one job at a time. After IdleTimeout without work it asks to retire;
// the queue worker agrees while the pool is above its minimum.
func (v *vendorRT) loader(ctx context.Context) {
	idle := time.NewTimer(v.cfg.IdleTimeout)
	defer idle.Stop()
	for {
		select {
		case j := <-v.work:
			v.run(ctx, j)
			idle.Reset(v.cfg.IdleTimeout)
		case <-idle.C:
			reply := make(chan bool, 1)
			select {
			case v.retire <- reply:
			case <-ctx.Done():
				return
			}
			if <-reply {
				return
			}
			idle.Reset(v.cfg.IdleTimeout)
		case <-ctx.Done():
			return
		}
	}
}

// run performs one job. Each attempt passes the vendor's circuit breaker,
// gets a credential from the token manager, waits at the vendor's gate
// (pause, rate limit, adaptive concurrency) and calls the vendor. A
// rejected credential is invalidated and the call retried (once for free,
// up to maxAuthRetries times within the retry budget); a busy
// session is retried once; a retryable failure (connection error, 5xx,
// 429, malformed answer) is retried with exponential backoff and jitter
// while the search's deadline leaves time and the vendor's retry budget
// allows.
func (v *vendorRT) run(ctx context.Context, j *job) {
	var (
		offers      []hotelrates.HotelOffers
		err         error
		calls, errs int
	)
	defer func() {
		if err == nil {
			v.remember(j, offers)
		}
		v.deliver(j, offers, err, calls, errs)
	}()
	v.budget.deposit()
	v.metrics.batch.WithLabelValues(v.name).Observe(float64(len(j.hotels)))
	v.jobsRun.Add(1)
	v.jobHotels.Add(int64(len(j.hotels)))
	authRetries, retriedBusy, retries := 0, false, 0
	for {
		if cerr := j.ctx.Err(); cerr != nil {
			err = context.Cause(j.ctx)
			return
		}
		done, berr := v.breaker.Allow()
		if berr != nil {
			err = fmt.Errorf("%w: vendor %s is failing; calls are paused (%v)", errCircuitOpen, v.name, berr)
			return
		}
		cred, aerr := v.tokens.acquire(j.ctx)
		if aerr != nil {
			done(context.Canceled) // not the vendor's call: excluded
			err = aerr
			return
		}
		offers, err = v.call(j, cred)
		if err != nil && j.ctx.Err() != nil {
			done(context.Canceled) // its searches ended or the engine stops: not the vendor's failure
		} else {
			done(err)
		}
		calls++
		kind, isVendorErr := hotelrates.KindOf(err)
		v.tokens.release(cred, err != nil && isVendorErr && kind == hotelrates.ErrUnauthorized)
		if err == nil {
			return
		}
		errs++
		if !isVendorErr || j.ctx.Err() != nil {
			return
		}
		switch kind {
		case hotelrates.ErrUnauthorized:
			// The token (or session) is stale for everyone: the first
			// report starts one refresh. The first retry is free; a token
			// revoked again while the retry was in flight allows a few
			// more, paid from the retry budget and only while the
			// deadline leaves time, so a vendor that rejects every token
			// is not hammered.
			v.tokens.invalidate(cred)
			if authRetries > 0 {
				if authRetries >= maxAuthRetries {
					return
				}
				if rerr := v.mayRetry(j, 0, err); rerr != nil {
					err = rerr
					return
				}
			}
			authRetries++
			continue
		case hotelrates.ErrBusy:
			if retriedBusy {
				return
			}
			retriedBusy = true
			continue
		case hotelrates.ErrRejected:
			return
		}
		// Retryable: unavailable, throttled, bad response.
		if retries+1 >= v.cfg.RetryAttempts {
			return
		}
		var ve *hotelrates.VendorError
		errors.As(err, &ve)
		wait := backoff(retries+1, v.cfg.RetryBackoff, ve.RetryAfter)
		if rerr := v.mayRetry(j, wait, err); rerr != nil {
			err = rerr
			return
		}
		retries++
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-j.ctx.Done():
			t.Stop()
			return
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}

// mayRetry returns nil, having taken a retry from the vendor's budget, if
// job j may be retried after wait: the deadline leaves time for the wait
// and a call, and the budget allows it. Otherwise it returns err saying
// which did not.
func (v *vendorRT) mayRetry(j *job, wait time.Duration, err error) error {
	v.fmu.Lock()
	due := j.want // a search that joined the call may need it sooner
	v.fmu.Unlock()
	if time.Until(due) < wait+v.gate.latency() {
		return fmt.Errorf("%w (no time left to retry before the deadline)", err)
	}
	if !v.budget.take() {
		return fmt.Errorf("%w (retry budget spent)", err)
	}
	return nil
}

// call makes one vendor call (or a hedged pair) inside the search
// deadline, the call timeout and the engine's lifetime, through the
// vendor's gate. The job's context is a child of the engine's (newJob),
// so it ends with the engine and with the last search waiting for it.
func (v *vendorRT) call(j *job, cred hotelrates.Credential) ([]hotelrates.HotelOffers, error) {
	if err := v.gate.acquire(j.ctx); err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(j.ctx, v.cfg.CallTimeout)
	defer cancel()
	cctx = hotelrates.ContextWithCall(cctx, hotelrates.Call{SearchID: v.searchIDs(j), Kind: hotelrates.CallRates})
	q := hotelrates.Query{Stay: j.stay, HotelIDs: j.hotels}

	n := v.inflight.Add(1)
	for {
		p := v.peakInflight.Load()
		if n <= p || v.peakInflight.CompareAndSwap(p, n) {
			break
		}
	}
	v.metrics.inflight.WithLabelValues(v.name).Inc()
	start := time.Now()
	offers, err := v.fetch(cctx, q, cred)
	rtt := time.Since(start)
	v.metrics.callDuration.WithLabelValues(v.name).Observe(rtt.Seconds())
	v.metrics.inflight.WithLabelValues(v.name).Dec()
	v.inflight.Add(-1)
	v.metrics.calls.WithLabelValues(v.name, outcome(err)).Inc()
	v.gate.done(rtt, len(q.HotelIDs), v.signal(err, cctx, j))
	limit, _, _ := v.gate.state()
	v.metrics.limit.WithLabelValues(v.name).Set(limit)
	if err == nil && v.cfg.Hedge {
		v.lat.add(rtt)
	}
	return offers, err
}

// signal tells the gate what a call's outcome says about the vendor's
// load: an answer, congestion (429, 503, a call timeout), or nothing.
func (v *vendorRT) signal(err error, cctx context.Context, j *job) callOutcome {
	if err == nil {
		return outcomeOK
	}
	var ve *hotelrates.VendorError
	if errors.As(err, &ve) {
		if ve.Kind == hotelrates.ErrThrottled {
			v.metrics.throttled.WithLabelValues(v.name).Inc()
			if ve.RetryAfter > 0 {
				v.gate.pause(ve.RetryAfter)
			}
			return outcomeCongestion
		}
		if ve.Status == 503 {
			if ve.RetryAfter > 0 {
				v.gate.pause(ve.RetryAfter)
			}
			return outcomeCongestion
		}
	}
	if errors.Is(cctx.Err(), context.DeadlineExceeded) && j.ctx.Err() == nil {
		return outcomeCongestion // the call timed out, not the search
	}
	return outcomeNone
}

// fetch calls the vendor. For single-hotel vendors with hedging on, when
// the call has not answered by the vendor's observed 95th percentile a
// second call goes out (within the hedge budget and a free gate slot) and
// the first answer wins; the other is cancelled.
func (v *vendorRT) fetch(cctx context.Context, q hotelrates.Query, cred hotelrates.Credential) ([]hotelrates.HotelOffers, error) {
	if !v.cfg.Hedge || v.info.MaxBatch != 1 || v.info.Auth == hotelrates.AuthSession {
		return v.vendor.Fetch(cctx, v.hc, cred, q)
	}
	p95 := v.lat.p95()
	if p95 == 0 {
		return v.vendor.Fetch(cctx, v.hc, cred, q)
	}
	type answer struct {
		offers []hotelrates.HotelOffers
		err    error
		hedge  bool
	}
	answers := make(chan answer, 2)
	hctx, cancel := context.WithCancel(cctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	wg.Go(func() {
		o, err := v.vendor.Fetch(hctx, v.hc, cred, q)
		answers <- answer{o, err, false}
	})
	timer := time.NewTimer(p95)
	defer timer.Stop()
	pending := 1
	for {
		select {
		case a := <-answers:
			pending--
			if a.err == nil || pending == 0 {
				if a.hedge && a.err == nil {
					v.lat.won()
				}
				return a.offers, a.err
			}
		case <-timer.C:
			if pending == 1 && v.gate.tryAcquire() {
				if !v.lat.takeHedge() {
					v.gate.done(0, 0, outcomeNone)
					continue
				}
				pending++
				v.metrics.hedges.WithLabelValues(v.name).Inc()
				wg.Go(func() {
					start := time.Now()
					o, err := v.vendor.Fetch(hctx, v.hc, cred, q)
					oc := outcomeNone
					if err == nil {
						oc = outcomeOK
					}
					v.gate.done(time.Since(start), len(q.HotelIDs), oc)
					answers <- answer{o, err, true}
				})
			}
		}
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
