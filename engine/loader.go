package engine

import (
	"context"
	"errors"
	"time"

	"hotelrates"
)

var errStopped = hotelrates.Errorf(hotelrates.CodeUnavailable, "", "engine is stopping")

// startLoader starts one rate loader; the vendor's WaitGroup owns it and
// ctx stops it.
func (v *vendorRT) startLoader(ctx context.Context) {
	v.loaders.Go(func() { v.loader(ctx) })
}

// loader takes jobs from the vendor's queue worker and calls the vendor,
// one call at a time. After IdleTimeout without work it asks to retire;
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

// run performs one job: get a credential from the token manager, call the
// vendor, give the credential back. A rejected credential is invalidated
// and the call retried once with a fresh one; a busy session is retried
// once with another.
func (v *vendorRT) run(ctx context.Context, j *job) {
	res := jobResult{vendor: v.name, hotels: j.query.HotelIDs}
	defer func() { j.results <- res }()
	retriedAuth, retriedBusy := false, false
	for {
		if err := j.ctx.Err(); err != nil {
			res.err = context.Cause(j.ctx)
			return
		}
		cred, err := v.tokens.acquire(j.ctx)
		if err != nil {
			res.err = err
			return
		}
		offers, err := v.call(ctx, j, cred)
		res.calls++
		res.called = true
		kind, isVendorErr := hotelrates.KindOf(err)
		v.tokens.release(cred, err != nil && isVendorErr && kind == hotelrates.ErrUnauthorized)
		if err == nil {
			res.offers, res.err = offers, nil
			return
		}
		res.errors++
		res.err = err
		switch {
		case !isVendorErr:
		case kind == hotelrates.ErrUnauthorized && !retriedAuth:
			retriedAuth = true
			v.tokens.invalidate(cred)
			continue
		case kind == hotelrates.ErrBusy && !retriedBusy:
			retriedBusy = true
			continue
		}
		return
	}
}

// call makes one vendor call inside the search deadline, the call timeout
// and the engine's lifetime.
func (v *vendorRT) call(ctx context.Context, j *job, cred hotelrates.Credential) ([]hotelrates.HotelOffers, error) {
	cctx, cancel := context.WithTimeout(j.ctx, v.cfg.CallTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	cctx = hotelrates.ContextWithCall(cctx, hotelrates.Call{SearchID: j.searchID, Kind: hotelrates.CallRates})

	n := v.inflight.Add(1)
	for {
		p := v.peakInflight.Load()
		if n <= p || v.peakInflight.CompareAndSwap(p, n) {
			break
		}
	}
	v.metrics.inflight.WithLabelValues(v.name).Inc()
	start := time.Now()
	offers, err := v.vendor.Fetch(cctx, v.hc, cred, j.query)
	v.metrics.callDuration.WithLabelValues(v.name).Observe(time.Since(start).Seconds())
	v.metrics.inflight.WithLabelValues(v.name).Dec()
	v.inflight.Add(-1)
	v.metrics.calls.WithLabelValues(v.name, outcome(err)).Inc()
	if err != nil && j.ctx.Err() != nil && !errors.Is(err, context.DeadlineExceeded) {
		// The search ended while the call was in flight: say so, not what
		// the aborted call happened to return.
		return nil, err
	}
	return offers, err
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
