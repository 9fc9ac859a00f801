package engine

import (
	"math"
	"testing"
	"time"
)

// The gate's response to push back: one cut per round trip, and a ceiling
// from what the vendor took (the limit less the calls it rejected).
func TestGateCongestionCeiling(t *testing.T) {
	tests := []struct {
		name       string
		ceiling    int
		rejections int // congestion signals inside one round trip
		wantLimit  float64
		wantCap    float64
	}{
		{"one rejection at 16", 16, 1, 12, 13.5},
		{"four rejections at 16: the vendor took 12", 16, 4, 10.8, 10.8},
		{"eight rejections at 16: the vendor took 8", 16, 8, 7.2, 7.2},
		{"never below the floor", 16, 16, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate(2, tt.ceiling, 0, 0)
			g.srtt = time.Hour // every signal falls in the same round trip
			now := time.Unix(1e9, 0)
			for range tt.ceiling {
				if ok, _ := g.ready(now); !ok {
					t.Fatal("gate not ready")
				}
				g.start(now)
			}
			for range tt.rejections {
				g.done(now, 0, 1, outcomeCongestion)
			}
			limit, inflight := g.limit, g.inflight
			if math.Abs(limit-tt.wantLimit) > 1e-9 || math.Abs(g.cap-tt.wantCap) > 1e-9 {
				t.Errorf("limit %.2f cap %.2f, want %.2f and %.2f", limit, g.cap, tt.wantLimit, tt.wantCap)
			}
			if want := tt.ceiling - tt.rejections; inflight != want {
				t.Errorf("in flight %d, want %d", inflight, want)
			}
		})
	}
}

// Vegas: the limit grows while the vendor's queue is short, shrinks when it
// grows long, and never passes the ceiling after congestion.
func TestGateVegas(t *testing.T) {
	const base = 20 * time.Millisecond
	tests := []struct {
		name      string
		rtt       time.Duration // after the baseline is learnt
		start     float64
		wantUp    bool
		wantBelow float64
	}{
		{"no queueing: grows", base, 8, true, 16.0001},
		{"half the calls queued: shrinks", 2 * base, 12, false, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate(2, 16, 0, 0)
			now := time.Unix(1e9, 0)
			for range rttWindow {
				g.inflight++
				now = now.Add(time.Millisecond)
				g.done(now, base, 1, outcomeOK)
			}
			g.limit = tt.start
			for range 200 {
				g.inflight++
				now = now.Add(time.Millisecond)
				g.done(now, tt.rtt, 1, outcomeOK)
				g.lastCut = time.Time{} // let each sample count
			}
			limit := g.limit
			if up := limit > tt.start; up != tt.wantUp || limit >= tt.wantBelow {
				t.Errorf("limit %.2f from %.0f", limit, tt.start)
			}
		})
	}
}
