package loadtest

import (
	"context"
	"sync"
	"time"
)

// Schedule is an open-model arrival schedule: Count requests arrive at a
// fixed Rate whatever happens to the ones before them, so a slow system
// shows in the latency of what arrives next instead of slowing the
// arrivals down (the closed-loop mistake that hides overload).
type Schedule struct {
	// Rate is arrivals per second; zero or less means all Count arrive at
	// once (a crowd).
	Rate float64
	// Count is how many requests arrive; the generator stops after it.
	Count int
	// MaxOutstanding bounds the requests in progress at once (at least 1).
	// An arrival that finds it reached is not sent and is counted as
	// dropped: the schedule is never delayed, and memory stays bounded.
	MaxOutstanding int
}

// At returns when arrival i (from 0) is due after start.
func (s Schedule) At(start time.Time, i int) time.Time {
	if s.Rate <= 0 {
		return start
	}
	return start.Add(time.Duration(float64(i) / s.Rate * float64(time.Second)))
}

// GenStats is what the generator did.
type GenStats struct {
	// Sent is the arrivals launched; Dropped those not sent because
	// MaxOutstanding requests were in progress.
	Sent, Dropped int
	// PeakOutstanding is the most requests in progress at once.
	PeakOutstanding int
	// Elapsed runs from the first arrival until the last request ended.
	Elapsed time.Duration
}

// Generate runs the schedule: at each arrival's due time it calls do in a
// new goroutine with the arrival's index and due time (measure latency from
// the due time, so time the generator itself lost is not hidden). It
// returns when every call has returned; do must return when ctx ends.
// Cancelling ctx stops further arrivals.
func Generate(ctx context.Context, s Schedule, do func(ctx context.Context, i int, due time.Time)) GenStats {
	var (
		st    GenStats
		wg    sync.WaitGroup
		slots = make(chan struct{}, max(1, s.MaxOutstanding))
		timer = time.NewTimer(time.Hour)
	)
	timer.Stop()
	defer timer.Stop()
	start := time.Now()
arrivals:
	for i := range s.Count {
		due := s.At(start, i)
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				break arrivals
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case slots <- struct{}{}:
		default:
			st.Dropped++
			continue
		}
		st.Sent++
		st.PeakOutstanding = max(st.PeakOutstanding, len(slots))
		wg.Go(func() {
			defer func() { <-slots }()
			do(ctx, i, due)
		})
	}
	wg.Wait()
	st.Elapsed = time.Since(start)
	return st
}
