package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"

	"hotelrates"
)

// pool is one vendor's rate-loader pool. Each loader is a goroutine that
// takes one attempt at a time from its own channel (work, from the vendor
// queue), gets a credential from the token manager, calls the vendor and
// reports on results (to the queue); after IdleTimeout without work it
// asks the queue on retire to stop. The queue owns the pool's size: it
// starts loaders up to MaxWorkers when work waits and agrees to a retire
// while the pool is above MinWorkers. ctx, the engine's, stops them all.
type pool struct {
	name    string
	vendor  hotelrates.Vendor
	hc      *http.Client
	tokens  *tokenManager
	cfg     VendorConfig
	log     *slog.Logger
	results chan<- attemptResult
	retire  chan<- *loader
	tr      translator
	m       *vendorMetrics                  // the vendor's, counted by the loaders as calls end
	cache   *otter.Cache[flightKey, cached] // the rate cache the loaders fill (nil: none)
	wg      sync.WaitGroup
}

// loader is one loader's mailbox.
type loader struct {
	work        chan *attempt   // buffered 1: the queue hands work only to an idle loader
	retireReply chan bool       // buffered 1
	creds       chan leaseReply // buffered 1: the token manager's answers to this loader
}

func newPool(name string, v hotelrates.Vendor, hc *http.Client, tokens *tokenManager, cfg VendorConfig, log *slog.Logger, results chan<- attemptResult, retire chan<- *loader) *pool {
	return &pool{name: name, vendor: v, hc: hc, tokens: tokens, cfg: cfg, log: log, results: results, retire: retire}
}

// start starts one loader, owned by the pool's WaitGroup, stopped by ctx.
func (p *pool) start(ctx context.Context) *loader {
	l := &loader{work: make(chan *attempt, 1), retireReply: make(chan bool, 1), creds: make(chan leaseReply, 1)}
	p.wg.Go(func() { p.run(ctx, l) })
	return l
}

// wait returns when every loader has stopped.
func (p *pool) wait() { p.wg.Wait() }

func (p *pool) run(ctx context.Context, l *loader) {
	idle := time.NewTimer(p.cfg.IdleTimeout)
	defer idle.Stop()
	for {
		select {
		case a := <-l.work:
			r := p.call(l, a)
			r.l = l
			// The attempt ends here, on the loader: its context (and
			// timer) go before the queue hears of it.
			r.abandoned = a.ctx.Err() != nil
			a.cancel()
			select {
			case p.results <- r:
			case <-ctx.Done():
				return
			}
			idle.Reset(p.cfg.IdleTimeout)
		case <-idle.C:
			select {
			case p.retire <- l:
			case <-ctx.Done():
				return
			}
			select {
			case ok := <-l.retireReply:
				if ok {
					return
				}
			case <-ctx.Done():
				return
			}
			idle.Reset(p.cfg.IdleTimeout)
		case <-ctx.Done():
			return
		}
	}
}

// call makes one attempt: a credential, then, unless every search has
// left by then, one vendor call, all inside the attempt's context (the
// call timeout from dispatch).
func (p *pool) call(l *loader, a *attempt) attemptResult {
	j := a.job
	cred, err := p.tokens.acquire(a.ctx, l.creds)
	if err != nil {
		return attemptResult{a: a, err: err}
	}
	if !j.markSent() {
		p.tokens.release(cred, false)
		return attemptResult{a: a, err: errNotSent}
	}
	cctx := hotelrates.ContextWithCall(a.ctx, hotelrates.Call{SearchID: a.searches, Kind: hotelrates.CallRates, Report: &a.report})
	start := time.Now()
	codes := p.tr.codes(j.hotels)
	offers, err := p.fetch(cctx, cred, hotelrates.Query{Stay: j.stay, HotelIDs: codes})
	rtt := time.Since(start)
	if err == nil {
		offers = p.tr.answer(offers, j.hotels, codes, j.stay.Currency)
	}
	cause := context.Cause(a.ctx)
	timedOut := err != nil && (cause == errCallTimeout || cause == errHung)
	kind, isVendorErr := hotelrates.KindOf(err)
	if timedOut && !isVendorErr && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		// An adapter that returned its context's error: the vendor did
		// not answer in time, which is retried like a connection error.
		err = &hotelrates.VendorError{Vendor: p.name, Kind: hotelrates.ErrUnavailable, Err: fmt.Errorf("%w: %w", cause, err)}
		kind, isVendorErr = hotelrates.ErrUnavailable, true
	}
	bad := err != nil && isVendorErr && kind == hotelrates.ErrUnauthorized
	p.tokens.release(cred, bad)
	if bad {
		// The token is stale for everyone: the first report starts one
		// refresh.
		p.tokens.invalidate(cred)
	}
	// What needs no decision of the queue's is done here, in parallel
	// across the loaders, not on the queue's one goroutine.
	p.m.callDuration.Observe(rtt.Seconds())
	if err == nil {
		p.m.callsOK.Inc()
		remember(p.cache, j.stayKey, j.hotels, offers, time.Now())
	} else {
		p.m.calls.WithLabelValues(outcome(err)).Inc()
	}
	return attemptResult{a: a, offers: offers, err: err, sent: true, rtt: rtt, timedOut: timedOut, hung: timedOut && cause == errHung, limit: a.report.RateLimit}
}

// errPanicked is the cause of a call whose vendor adapter panicked.
var errPanicked = errors.New("vendor panicked")

// fetch calls the vendor; a panic in the adapter fails only this call
// (kind internal), logged once with its stack.
func (p *pool) fetch(ctx context.Context, cred hotelrates.Credential, q hotelrates.Query) (offers []hotelrates.HotelOffers, err error) {
	defer func() {
		if v := recover(); v != nil {
			p.log.Error("vendor panicked", "vendor", p.name, "panic", clip(fmt.Sprint(v), 200), "stack", string(debug.Stack()))
			offers, err = nil, &hotelrates.VendorError{Vendor: p.name, Kind: hotelrates.ErrInternal, Err: errPanicked}
		}
	}()
	return p.vendor.Fetch(ctx, p.hc, cred, q)
}
