package engine

import (
	"context"
	"math/bits"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// gate admits one vendor's calls. It waits out a pause the vendor asked
// for (Retry-After), takes a token of the vendor's rate limit, and holds
// the calls in flight to an adaptive limit between a floor and a ceiling.
//
// The limit adapts like TCP Vegas: from the calls' latency it estimates how
// many calls wait in the vendor's own queue (limit x (1 - baseline/RTT)),
// grows by about one per round trip while that queue is short, shrinks by
// one when it grows long, and falls by a quarter on a 429, a 503 or a
// timeout; after such a cut it stays under 90% of the calls the vendor
// took when it pushed back (the limit less the calls it rejected in that
// round trip), a ceiling that climbs by one every 30 s, so a vendor with a
// short queue is not pushed into 429s again and again. The baseline is,
// per batch-size class, the lowest 10th percentile of latency over recent
// windows, so jitter is not mistaken for queueing. Its state is small and
// private: a mutex guards it.
type gate struct {
	rps *rate.Limiter // nil: no rate limit

	mu          sync.Mutex
	limit       float64
	floor, ceil float64
	// cap is the ceiling after congestion: just below the limit at which
	// the vendor last pushed back; it climbs by one every capRecovery.
	cap         float64
	capGrown    time.Time
	inflight    int
	waiters     []chan struct{}
	pausedUntil time.Time
	lastCut     time.Time
	srtt        time.Duration
	classes     map[int]*rttClass
}

// rttClass tracks the latency of calls of one batch-size class.
type rttClass struct {
	window   []time.Duration // the current window's samples
	p10s     []time.Duration // recent windows' 10th percentiles
	baseline time.Duration   // min of p10s
	srtt     time.Duration
}

const (
	rttWindow   = 50
	rttWindows  = 8
	vegasAlpha  = 2.0 // queue estimates below alpha*log10(limit) grow the limit
	vegasBeta   = 4.0 // above beta*log10(limit) shrink it
	cutFactor   = 0.75
	cutFallback = 100 * time.Millisecond // spacing of cuts before any latency is known
	capRecovery = 30 * time.Second       // how often the post-congestion ceiling may climb by one
)

func newGate(floor, ceiling int, rps float64, burst int) *gate {
	g := &gate{limit: float64(ceiling), floor: float64(floor), ceil: float64(ceiling), cap: float64(ceiling), classes: map[int]*rttClass{}}
	if rps > 0 {
		g.rps = rate.NewLimiter(rate.Limit(rps), max(1, burst))
	}
	return g
}

// acquire waits until the vendor may get another call, or ctx ends.
func (g *gate) acquire(ctx context.Context) error {
	if err := g.waitPause(ctx); err != nil {
		return err
	}
	g.mu.Lock()
	if g.inflight < int(g.limit) && len(g.waiters) == 0 {
		g.inflight++
		g.mu.Unlock()
	} else {
		ch := make(chan struct{})
		g.waiters = append(g.waiters, ch)
		g.mu.Unlock()
		select {
		case <-ch: // the slot was handed over
		case <-ctx.Done():
			g.mu.Lock()
			if i := slices.Index(g.waiters, ch); i >= 0 {
				g.waiters = slices.Delete(g.waiters, i, i+1)
				g.mu.Unlock()
			} else {
				// Handed over just now: give it back.
				g.mu.Unlock()
				g.done(0, 0, outcomeNone)
			}
			return context.Cause(ctx)
		}
	}
	// A pause that began while this call waited for its slot (another
	// call's 429) holds it back too; it keeps the slot meanwhile.
	if err := g.waitPause(ctx); err != nil {
		g.done(0, 0, outcomeNone)
		return err
	}
	if g.rps != nil {
		if err := g.rps.Wait(ctx); err != nil {
			g.done(0, 0, outcomeNone)
			return err
		}
	}
	return nil
}

// waitPause waits out a pause the vendor asked for, or until ctx ends.
func (g *gate) waitPause(ctx context.Context) error {
	for {
		g.mu.Lock()
		wait := time.Until(g.pausedUntil)
		g.mu.Unlock()
		if wait <= 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		}
	}
}

// tryAcquire takes a slot only if one is free now (for hedged calls).
func (g *gate) tryAcquire() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inflight >= int(g.limit) || len(g.waiters) > 0 || time.Now().Before(g.pausedUntil) {
		return false
	}
	if g.rps != nil && !g.rps.Allow() {
		return false
	}
	g.inflight++
	return true
}

type callOutcome int

const (
	outcomeNone       callOutcome = iota // no signal (cancelled, rejected, auth)
	outcomeOK                            // answered
	outcomeCongestion                    // 429, 503, timeout
)

// done gives a slot back with what the call taught about the vendor: its
// latency for a batch of hotels, and its outcome.
func (g *gate) done(rtt time.Duration, hotels int, o callOutcome) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inflight--
	now := time.Now()
	switch o {
	case outcomeCongestion:
		g.cut(now, cutFactor)
	case outcomeOK:
		g.srtt = ewma(g.srtt, rtt)
		c := g.classes[bits.Len(uint(hotels))]
		if c == nil {
			c = &rttClass{}
			g.classes[bits.Len(uint(hotels))] = c
		}
		c.add(rtt)
		if c.baseline > 0 && c.srtt > 0 {
			queue := g.limit * (1 - float64(c.baseline)/float64(c.srtt))
			l := max(1, log10(g.limit))
			switch {
			case queue < vegasAlpha*l:
				if g.cap < g.ceil && now.Sub(g.capGrown) > capRecovery {
					g.cap = min(g.ceil, g.cap+1)
					g.capGrown = now
				}
				g.limit = min(g.cap, g.limit+1/g.limit)
			case queue > vegasBeta*l && now.Sub(g.lastCut) > g.srtt:
				g.limit = max(g.floor, g.limit-1)
				g.lastCut = now
			}
		}
	}
	for len(g.waiters) > 0 && g.inflight < int(g.limit) {
		ch := g.waiters[0]
		g.waiters = g.waiters[1:]
		g.inflight++
		close(ch)
	}
}

// cut shrinks the limit, at most once per round trip. The post-congestion
// ceiling is set from what the vendor took: of the L calls in flight when
// it pushed back, each rejected one (the first, and every further push back
// inside the same round trip) was one more than it could take, so after k
// rejections the ceiling is 90% of L-k, below the vendor's real edge.
func (g *gate) cut(now time.Time, f float64) {
	spacing := g.srtt
	if spacing == 0 {
		spacing = cutFallback
	}
	if now.Sub(g.lastCut) > spacing {
		g.cap = max(g.floor, min(g.cap, (g.limit-1)*0.9))
		g.capGrown = now
		g.limit = max(g.floor, g.limit*f)
		g.lastCut = now
		return
	}
	g.cap = max(g.floor, g.cap-0.9)
	g.capGrown = now
	g.limit = min(g.limit, g.cap)
}

// pause stops new calls for d (the vendor's Retry-After).
func (g *gate) pause(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until := time.Now().Add(d); until.After(g.pausedUntil) {
		g.pausedUntil = until
	}
}

// state returns the current limit and calls in flight.
func (g *gate) state() (limit float64, inflight int, paused bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.limit, g.inflight, time.Now().Before(g.pausedUntil)
}

// latency returns the smoothed latency of a call, 0 before the first.
func (g *gate) latency() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.srtt
}

func (c *rttClass) add(rtt time.Duration) {
	c.srtt = ewma(c.srtt, rtt)
	c.window = append(c.window, rtt)
	switch {
	case len(c.window) >= rttWindow:
		c.p10s = append(c.p10s, p10(c.window))
		if len(c.p10s) > rttWindows {
			c.p10s = c.p10s[1:]
		}
		c.baseline = slices.Min(c.p10s)
		c.window = c.window[:0]
	case len(c.p10s) == 0 && len(c.window) >= 10:
		c.baseline = p10(c.window) // provisional, until the first full window
	}
}

func p10(samples []time.Duration) time.Duration {
	s := slices.Clone(samples)
	slices.Sort(s)
	return s[len(s)/10]
}

func ewma(avg, sample time.Duration) time.Duration {
	if avg == 0 {
		return sample
	}
	return (avg*4 + sample) / 5
}

func log10(x float64) float64 {
	l := 0.0
	for x >= 10 {
		x /= 10
		l++
	}
	return l + (x-1)/9 // linear between powers of ten: enough for thresholds
}
