package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sony/gobreaker/v2"

	"hotelrates"
)

// retryBudget lets retries be at most a fraction of calls: every first
// attempt deposits ratio of a token (up to a cap), every retry takes one.
// The vendor's queue worker owns it.
type retryBudget struct {
	tokens  float64
	ratio   float64
	cap     float64
	retries int64
	denied  int64
}

// newRetryBudget returns a budget that remembers the deposits of about
// the last 200 calls, plus an allowance of 10 retries.
func newRetryBudget(ratio float64) *retryBudget {
	return &retryBudget{ratio: ratio, cap: 10 + 200*ratio, tokens: 10}
}

func (b *retryBudget) deposit() {
	b.tokens = min(b.cap, b.tokens+b.ratio)
}

// take reports whether a retry may be made now.
func (b *retryBudget) take() bool {
	if b.tokens < 1 {
		b.denied++
		return false
	}
	b.tokens--
	b.retries++
	return true
}

func (b *retryBudget) stats() (retries, denied int64, tokens float64) {
	return b.retries, b.denied, b.tokens
}

// backoff returns the wait before retry n (1, 2, ...): exponential from
// base with full jitter, at least the vendor's Retry-After.
func backoff(n int, base, retryAfter time.Duration) time.Duration {
	d := base << min(n-1, 10)
	d = time.Duration(rand.Int64N(int64(d)) + 1)
	return max(d, retryAfter)
}

// latencies keeps recent call latencies to tell when a call is slower
// than the vendor's 95th percentile (for hedging). The vendor's queue
// worker owns it.
type latencies struct {
	ring    []time.Duration
	next    int
	full    bool
	hedges  float64 // hedge tokens
	ratio   float64
	hedged  int64
	hedgeWn int64 // hedges that answered first
	sorted  []time.Duration
	dirty   bool
}

func newLatencies(n int, ratio float64) *latencies {
	return &latencies{ring: make([]time.Duration, n), ratio: ratio, hedges: 1}
}

func (l *latencies) add(d time.Duration) {
	l.ring[l.next] = d
	l.next = (l.next + 1) % len(l.ring)
	l.full = l.full || l.next == 0
	l.hedges = min(5, l.hedges+l.ratio)
	l.dirty = true
}

// p95 returns the 95th percentile, or 0 with fewer than 20 samples.
// It sorts a copy of the samples only after new ones arrived.
func (l *latencies) p95() time.Duration {
	if l.sorted != nil && !l.dirty {
		return l.sorted[len(l.sorted)*95/100]
	}
	n := l.next
	if l.full {
		n = len(l.ring)
	}
	if n < 20 {
		return 0
	}
	l.sorted = append(l.sorted[:0], l.ring[:n]...)
	slices.Sort(l.sorted)
	l.dirty = false
	return l.sorted[n*95/100]
}

// takeHedge reports whether the hedge budget allows one more hedge.
func (l *latencies) takeHedge() bool {
	if l.hedges < 1 {
		return false
	}
	l.hedges--
	l.hedged++
	return true
}

func (l *latencies) won() {
	l.hedgeWn++
}

func (l *latencies) stats() (hedged, won int64) {
	return l.hedged, l.hedgeWn
}

// errCircuitOpen fails a call fast while the vendor's breaker is open.
var errCircuitOpen = errors.New("circuit_open")

func newBreaker(name string, failures int, cooldown time.Duration, onChange func(from, to gobreaker.State)) *gobreaker.TwoStepCircuitBreaker[struct{}] {
	return gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        name,
		MaxRequests: 1,
		Interval:    10 * time.Second,
		Timeout:     cooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= uint32(failures) ||
				(c.Requests >= 4*uint32(failures) && c.TotalFailures*2 >= c.Requests)
		},
		// Only the vendor's own failures count; a search that ended, a
		// request the vendor refused, a throttle or a sporadic hang (the
		// queue's own errHung verdict, not a failure that wraps it) do not
		// trip the breaker.
		IsExcluded: func(err error) bool {
			if errors.Is(err, context.Canceled) || errors.Is(err, errDeadline) || errors.Is(err, errAllLeft) || errors.Is(err, errStopped) || errors.Is(err, errNotSent) || err == errHung {
				return true
			}
			k, ok := hotelrates.KindOf(err)
			return ok && (k == hotelrates.ErrRejected || k == hotelrates.ErrUnauthorized || k == hotelrates.ErrThrottled || k == hotelrates.ErrBusy || k == hotelrates.ErrQuota)
		},
		OnStateChange: func(_ string, from, to gobreaker.State) { onChange(from, to) },
	})
}
