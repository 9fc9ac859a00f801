package engine

import (
	"math"
	"math/bits"
	"slices"
	"time"

	"golang.org/x/time/rate"
)

// gate decides when one vendor may get another call: not during a pause
// the vendor asked for (Retry-After), only with a token of the vendor's
// rate limit, and only while the calls in flight are under an adaptive
// limit between a floor and a ceiling. Its owner is the vendor's queue
// worker (queue.go): the queue asks ready before it hands a job to a
// loader, start when it does, and done with what the call taught; no other
// goroutine touches it, so it needs no lock.
//
// The limit adapts like TCP Vegas: from the calls' latency it estimates how
// many calls wait in the vendor's own queue (limit x (1 - baseline/RTT)),
// grows by about one per round trip while that queue is short, shrinks by
// one when it grows long, and falls by a quarter on a 429, a timeout or
// a 503 the queue takes as overload (vendorQueue.signal); after such a cut it stays under 90% of the calls the vendor
// took when it pushed back (the limit less the calls it rejected in that
// round trip), a ceiling that climbs by one every 30 s, so a vendor with a
// short queue is not pushed into 429s again and again. The baseline is,
// per batch-size class, the lowest 10th percentile of latency over recent
// windows, so jitter is not mistaken for queueing.
type gate struct {
	rps *rate.Limiter // nil: no rate limit

	limit       float64
	floor, ceil float64
	// cap is the ceiling after congestion: just below the limit at which
	// the vendor last pushed back; it climbs by one every capRecovery.
	cap         float64
	capGrown    time.Time
	inflight    int
	peak        int
	pausedUntil time.Time
	lastCut     time.Time
	srtt        time.Duration
	// slat is the latency over a longer horizon (admitHorizon, in time,
	// not samples) and lastDone when a call last came back: admission's
	// view (admitLatency), which a burst of local work does not sway.
	slat     time.Duration
	slatAt   time.Time
	lastDone time.Time
	classes  map[int]*rttClass
	// The vendor's published budget (hotelrates.ReportRateLimit): at most
	// budgetLeft more calls before budgetUntil, spaced budgetEvery apart.
	budgetLeft  int
	budgetUntil time.Time
	budgetEvery time.Duration
	budgetLast  time.Time
}

// rttClass tracks the latency of calls of one batch-size class.
type rttClass struct {
	window   []time.Duration // the current window's samples
	p10s     []time.Duration // recent windows' 10th percentiles
	baseline time.Duration   // min of p10s
	srtt     time.Duration
	n        int           // answers so far
	wait     time.Duration // smoothed wait: answers, and calls given up as hung (hangAfter)
}

// hangAfter is how long a call of hotels may go unanswered, from when it
// goes out, before it is taken for hung: hangFactor times the smoothed wait of the
// vendor's calls of that size, at least hangMin; 0 (no such cut) while
// that size has fewer than hangSamples answers. A hung call is given up
// and retried like a timed-out one; it is the vendor's overload only when
// push backs are many (vendorQueue.signal). The configured CallTimeout
// still bounds every call.
func (g *gate) hangAfter(hotels int) time.Duration {
	c := g.classes[bits.Len(uint(hotels))]
	if c == nil || c.n < hangSamples || c.wait <= 0 {
		return 0
	}
	return max(hangMin, hangFactor*c.wait)
}

const (
	rttWindow   = 50
	rttWindows  = 8
	vegasAlpha  = 2.0 // queue estimates below alpha*log10(limit) grow the limit
	vegasBeta   = 4.0 // above beta*log10(limit) shrink it
	cutFactor   = 0.75
	cutFallback = 100 * time.Millisecond // spacing of cuts before any latency is known
	// admitHorizon is the time constant of the latency admission judges
	// by: a few hundred milliseconds of calls slowed by this machine's own
	// burst of work (searches arriving together) barely move it, a vendor
	// that stays slower is seen within seconds.
	admitHorizon = 2 * time.Second
	capRecovery  = 30 * time.Second // how often the post-congestion ceiling may climb by one
	// A call unanswered after hangFactor times the vendor's smoothed
	// latency for its size, and at least hangMin, is taken for hung
	// (hangAfter): far past the tail of a vendor's own latencies (for a
	// log-normal spread of sigma 0.8, about one call in a thousand takes
	// that long), short of a search's deadline. hangMin keeps a busy
	// machine's own delays (a process short of CPU reads an answer late)
	// from being taken for a vendor's hang.
	hangFactor  = 8
	hangMin     = time.Second
	hangSamples = 10
)

func newGate(floor, ceiling int, rps float64, burst int) *gate {
	g := &gate{limit: float64(ceiling), floor: float64(floor), ceil: float64(ceiling), cap: float64(ceiling), classes: map[int]*rttClass{}}
	if rps > 0 {
		g.rps = rate.NewLimiter(rate.Limit(rps), max(1, burst))
	}
	return g
}

// ready reports whether a call may start at now. If not, at is when to ask
// again (a pause's end, the rate limit's next token), or zero when only a
// call in flight finishing can free a slot.
func (g *gate) ready(now time.Time) (ok bool, at time.Time) {
	if now.Before(g.pausedUntil) {
		return false, g.pausedUntil
	}
	if g.inflight >= int(g.limit) {
		return false, time.Time{}
	}
	if now.Before(g.budgetUntil) {
		if g.budgetLeft <= 0 {
			return false, g.budgetUntil
		}
		if at := g.budgetLast.Add(g.budgetEvery); now.Before(at) {
			return false, at
		}
	}
	if g.rps != nil {
		if tokens := g.rps.TokensAt(now); tokens < 1 {
			wait := time.Duration((1 - tokens) / float64(g.rps.Limit()) * float64(time.Second))
			return false, now.Add(max(wait, time.Millisecond))
		}
	}
	return true, time.Time{}
}

// start takes a slot (and a rate token) for a call that ready allowed.
func (g *gate) start(now time.Time) {
	g.inflight++
	g.peak = max(g.peak, g.inflight)
	if now.Before(g.budgetUntil) {
		g.budgetLeft--
		g.budgetLast = now
	}
	if g.rps != nil {
		g.rps.AllowN(now, 1)
	}
}

type callOutcome int

const (
	outcomeNone       callOutcome = iota // no signal (cancelled, rejected, auth)
	outcomeOK                            // answered
	outcomeCongestion                    // 429, 503, timeout
)

// done gives a slot back with what the call taught about the vendor: its
// latency for a batch of hotels, and its outcome.
func (g *gate) done(now time.Time, rtt time.Duration, hotels int, o callOutcome) {
	g.inflight--
	if o != outcomeNone {
		g.lastDone = now
	}
	switch o {
	case outcomeCongestion:
		g.cut(now, cutFactor)
	case outcomeOK:
		g.srtt = ewma(g.srtt, rtt)
		g.slowAdd(now, rtt)
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

// pause stops new calls until now+d (the vendor's Retry-After).
func (g *gate) pause(now time.Time, d time.Duration) {
	if until := now.Add(d); until.After(g.pausedUntil) {
		g.pausedUntil = until
	}
}

// budget takes the vendor's word that remaining more calls may start
// before reset from now: the calls still in flight count against it, and
// the rest are spread evenly over the time left, so the vendor's own limit
// is not reached and answered with 429s. A report of a later window (a reset
// over a second later) replaces the budget; within one window the budget
// never rises, for answers reach the queue out of order.
func (g *gate) budget(now time.Time, remaining int, reset time.Duration) {
	if reset <= 0 {
		return
	}
	left := max(0, remaining-g.inflight)
	until := now.Add(reset)
	if d := until.Sub(g.budgetUntil); now.Before(g.budgetUntil) && d < time.Second && d > -time.Second {
		// The same window: answers reach the queue in another order than
		// the vendor counted them, so a report with more calls left is an
		// older one, and must not raise the budget.
		left = min(left, g.budgetLeft)
	}
	g.budgetLeft, g.budgetUntil = left, until
	g.budgetEvery = 0
	if left > 0 {
		g.budgetEvery = reset / time.Duration(left+1)
	}
}

// paused reports whether a pause holds calls back at now.
func (g *gate) paused(now time.Time) bool { return now.Before(g.pausedUntil) }

// latency returns the smoothed latency of a call, 0 before the first.
func (g *gate) latency() time.Duration { return g.srtt }

// slowAdd adds a latency sample at now to the long-horizon average: an
// exponential average in time (weight 1-e^(-dt/admitHorizon)), so many
// samples in a short burst weigh as much as that short time.
func (g *gate) slowAdd(now time.Time, rtt time.Duration) {
	if g.slat == 0 {
		g.slat, g.slatAt = rtt, now
		return
	}
	w := -math.Expm1(-float64(now.Sub(g.slatAt)) / float64(admitHorizon))
	g.slat += time.Duration(w * float64(rtt-g.slat))
	g.slatAt = now
}

// admitLatency is the latency admission estimates work with, 0 before the
// first answer: the smoothed latency, but no more than the long-horizon
// one. When searches arrive together the calls in flight answer late
// for a moment because this machine is busy planning them, not because
// the vendor slowed: judged by that moment's latency, searches that
// would finish in time were refused.
func (g *gate) admitLatency() time.Duration { return min(g.srtt, g.slat) }

// hung learns from a call of hotels given up as hung after waited: the
// smoothed wait of its size (hangAfter's, not the latency the limit and
// admission judge by) takes waited as a sample, so that a vendor that
// turned slower for good is soon waited for long enough, instead of every
// call being given up at the old latency.
func (g *gate) hung(hotels int, waited time.Duration) {
	if c := g.classes[bits.Len(uint(hotels))]; c != nil {
		c.wait = ewma(c.wait, waited)
	}
}

func (c *rttClass) add(rtt time.Duration) {
	c.n++
	c.srtt = ewma(c.srtt, rtt)
	c.wait = ewma(c.wait, rtt)
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
