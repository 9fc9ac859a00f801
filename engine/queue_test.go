package engine

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"hotelrates"
)

// These tests drive one vendor queue by hand — plan, commit, leave, pump,
// result, in the order the test chooses — to pin down interleavings that
// searches alone cannot force. Each runs in a synctest bubble.

// scriptedVendor answers every hotel with no offers unless fail says
// otherwise for call n (1, 2, ...); it counts calls.
type scriptedVendor struct {
	batch int
	calls atomic.Int64
	fail  func(n int64) error
}

func (v *scriptedVendor) Info() hotelrates.VendorInfo {
	return hotelrates.VendorInfo{Name: "v", MaxBatch: v.batch, Auth: hotelrates.AuthNone}
}

func (v *scriptedVendor) Authenticate(context.Context, *http.Client) (hotelrates.Credential, error) {
	return hotelrates.Credential{}, nil
}

func (v *scriptedVendor) Fetch(ctx context.Context, _ *http.Client, _ hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	if v.fail != nil {
		if err := v.fail(v.calls.Add(1)); err != nil {
			return nil, err
		}
	} else {
		v.calls.Add(1)
	}
	out := make([]hotelrates.HotelOffers, len(q.HotelIDs))
	for i, h := range q.HotelIDs {
		out[i] = hotelrates.HotelOffers{HotelID: h}
	}
	return out, nil
}

// handQueue is a vendor queue the test drives instead of its run loop.
type handQueue struct {
	*vendorQueue
	ctx context.Context
	t   *testing.T
}

func newHandQueue(t *testing.T, v hotelrates.Vendor, cfg VendorConfig) *handQueue {
	t.Helper()
	e := &Engine{log: slog.New(slog.DiscardHandler), metrics: NewMetrics(nil), vendors: map[string]*vendorQueue{}}
	cfg.Vendor = v
	q, err := e.newVendor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	q.timer = time.NewTimer(time.Hour)
	q.timer.Stop()
	t.Cleanup(func() {
		cancel()
		q.pool.wait()
		if q.cache != nil {
			q.cache.StopAllGoroutines()
		}
	})
	return &handQueue{vendorQueue: q, ctx: ctx, t: t}
}

// search plans hotels for search seq, committed or only reserved.
func (h *handQueue) search(seq uint64, hotels []string, timeout time.Duration, commit bool) (planReply, *inbox) {
	in := newInbox()
	dl := time.Now().Add(timeout)
	r := &planReq{seq: seq, id: string(rune('A' - 1 + seq)), stayKey: "stay", hotels: hotels, deadline: dl, admitBy: dl, commit: commit, inbox: in, reply: make(chan planReply, 1)}
	h.plan(r, time.Now())
	return <-r.reply, in
}

// step lets the queue start what it may, waits for the loaders to block,
// and takes every result they reported.
func (h *handQueue) step() {
	h.pump(h.ctx, time.Now())
	synctest.Wait()
	for {
		select {
		case r := <-h.results:
			h.result(r, time.Now())
			h.pump(h.ctx, time.Now())
			synctest.Wait()
		default:
			return
		}
	}
}

// A job a search reserved and another, not yet admitted everywhere,
// joined is not sent when the first withdraws: it waits for the second to
// commit (or withdraw too).
func TestReservedJobWaitsForACommittedSearch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := &scriptedVendor{batch: 1}
		q := newHandQueue(t, v, VendorConfig{Concurrency: 2})
		q.search(1, []string{"h1"}, time.Second, false)
		if rb, _ := q.search(2, []string{"h1"}, time.Second, false); rb.parts != 1 {
			t.Fatalf("B did not join A's planned call: %+v", rb)
		}
		q.leave(1, time.Now()) // A refused at another vendor
		q.step()
		if n := v.calls.Load(); n != 0 {
			t.Fatalf("%d calls for a search not admitted everywhere", n)
		}
		q.commit(2)
		q.step()
		if n := v.calls.Load(); n != 1 {
			t.Errorf("%d calls after B's commit, want 1", n)
		}
	})
}

// A job waiting to be retried is not merged into another search's batch:
// its calls stay counted for its own search.
func TestRetriedJobsAreNotMerged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := &scriptedVendor{batch: 10, fail: func(n int64) error {
			if n == 1 {
				return &hotelrates.VendorError{Vendor: "v", Kind: hotelrates.ErrUnavailable, Status: 500}
			}
			return nil
		}}
		q := newHandQueue(t, v, VendorConfig{Concurrency: 1, MaxWorkers: 1, MinConcurrency: 1})
		_, inA := q.search(1, []string{"h1"}, 5*time.Second, true)
		q.step() // A's call fails: a retry waits out its backoff
		q.search(2, []string{"h2"}, time.Second, true)
		q.search(3, []string{"h3"}, 2*time.Second, true)
		time.Sleep(time.Second / 2)
		q.step()
		time.Sleep(time.Second)
		q.step()
		for _, r := range inA.take() {
			if r.err != nil || r.calls != 2 || r.errors != 1 {
				t.Errorf("A: %d calls, %d errors, %v; want 2 calls of its own, one failed", r.calls, r.errors, r.err)
			}
		}
	})
}

// While the breaker's half-open probe is out, the other queued calls wait
// for its verdict instead of failing at once.
func TestHalfOpenProbeHoldsBackTheOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := &scriptedVendor{batch: 1, fail: func(n int64) error {
			if n == 1 {
				return &hotelrates.VendorError{Vendor: "v", Kind: hotelrates.ErrUnavailable, Status: 500}
			}
			return nil
		}}
		q := newHandQueue(t, v, VendorConfig{Concurrency: 4, RetryAttempts: 1, BreakerFailures: 1, BreakerCooldown: time.Second})
		q.search(1, []string{"h0"}, 10*time.Second, true)
		q.step() // fails: the breaker opens
		time.Sleep(2 * time.Second)
		_, inA := q.search(2, []string{"h1"}, 10*time.Second, true)
		_, inB := q.search(3, []string{"h2"}, 10*time.Second, true)
		q.step()
		for _, in := range []*inbox{inA, inB} {
			rs := in.take()
			if len(rs) != 1 || rs[0].err != nil {
				t.Errorf("results %+v: want each answered once the probe succeeded", rs)
			}
		}
	})
}

// A search that needs a hotel whose call is in flight in its grace (its
// searches left) joins that call instead of paying for another.
func TestSearchJoinsACallInItsGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		v := &scriptedVendor{batch: 1, fail: func(n int64) error {
			if n == 1 {
				<-release
			}
			return nil
		}}
		q := newHandQueue(t, v, VendorConfig{Concurrency: 4})
		q.search(1, []string{"h1"}, 10*time.Second, true)
		q.step()
		q.leave(1, time.Now()) // A ends; its call is in flight
		rb, inB := q.search(2, []string{"h1"}, 10*time.Second, true)
		q.step()
		if rb.parts != 1 || v.calls.Load() != 1 {
			t.Fatalf("B parts %d, %d calls: want B to join the call in flight", rb.parts, v.calls.Load())
		}
		close(release)
		q.step()
		rs := inB.take()
		if len(rs) != 1 || rs[0].err != nil || !rs[0].shared || rs[0].calls != 1 {
			t.Errorf("B got %+v", rs)
		}
		if n := v.calls.Load(); n != 1 {
			t.Errorf("%d calls for one hotel", n)
		}
	})
}

// seedLatency feeds the gate answers of latency rtt, one every step, over
// span ending at end.
func seedLatency(g *gate, end time.Time, span, step, rtt time.Duration) {
	for at := end.Add(-span); !at.After(end); at = at.Add(step) {
		g.start(at)
		g.done(at, rtt, 1, outcomeOK)
	}
}

// Admission judges the work due by the vendor's latency over seconds, not
// by a moment in which this machine's own burst of work made answers late;
// a vendor that stays slower, or stops answering, is seen.
func TestAdmissionLatencyIgnoresABurstButNotASlowVendor(t *testing.T) {
	for _, tt := range []struct {
		name   string
		burst  time.Duration // how long answers came 10x slower, just now
		admits bool
	}{
		{"steady", 0, true},
		{"a 300 ms burst of local work", 300 * time.Millisecond, true},
		{"the vendor is 10x slower for 10 s", 10 * time.Second, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := newHandQueue(t, &scriptedVendor{batch: 1}, VendorConfig{Concurrency: 4, MinConcurrency: 4})
				now := time.Now()
				seedLatency(q.gate, now.Add(-tt.burst), 20*time.Second, 10*time.Millisecond, 10*time.Millisecond)
				if tt.burst > 0 {
					seedLatency(q.gate, now, tt.burst, time.Millisecond, 100*time.Millisecond)
				}
				// 1,000 calls due first; the next search's 100 fit in 60% of its
				// 20 s at 10 ms a call (2.75 s; 6.2 s at the 22.6 ms the burst
				// brings), not at 100 ms (27.5 s).
				if rep, _ := q.search(1, hotelIDs(1, 1000), 20*time.Second, true); rep.err != nil {
					t.Fatal(rep.err)
				}
				rep, _ := q.search(2, hotelIDs(2001, 2100), 20*time.Second, true)
				if got := rep.err == nil; got != tt.admits {
					t.Errorf("admitted %v (%v), want %v", got, rep.err, tt.admits)
				}
			})
		})
	}
}

// A vendor with calls in flight and no answer for a while is judged by
// the age of those calls.
func TestAdmissionSeesAStalledVendor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := &fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthNone}, block: true, inFetch: make(chan struct{}, 8)}
		q := newHandQueue(t, v, VendorConfig{Concurrency: 4, MinConcurrency: 4})
		seedLatency(q.gate, time.Now(), 20*time.Second, 10*time.Millisecond, 10*time.Millisecond)
		if rep, _ := q.search(1, hotelIDs(1, 8), 10*time.Second, true); rep.err != nil {
			t.Fatal(rep.err)
		}
		q.step() // four calls in flight, blocked
		if rep, _ := q.search(2, hotelIDs(101, 101), 10*time.Second, true); rep.err != nil {
			t.Fatalf("refused while the vendor answers in time: %v", rep.err)
		}
		time.Sleep(5 * time.Second) // no answer
		if rep, _ := q.search(3, hotelIDs(201, 201), 10*time.Second, true); rep.err == nil {
			t.Error("admitted although the vendor has not answered for 5 s")
		}
	})
}

// hotelIDs returns "h<from>" ... "h<to>".
func hotelIDs(from, to int) []string {
	out := make([]string, 0, to-from+1)
	for i := from; i <= to; i++ {
		out = append(out, "h"+strconv.Itoa(i))
	}
	return out
}

// Calls that hang while another slot still answers hold their slots:
// admission counts them, though no answer reports their latency.
func TestAdmissionSeesHungCallsWhileOthersAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := &fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthNone}, block: true, inFetch: make(chan struct{}, 16)}
		q := newHandQueue(t, v, VendorConfig{Concurrency: 8, MinConcurrency: 8, CallTimeout: 30 * time.Second})
		seedLatency(q.gate, time.Now(), 20*time.Second, 10*time.Millisecond, 10*time.Millisecond)
		if rep, _ := q.search(1, hotelIDs(1, 7), time.Minute, true); rep.err != nil {
			t.Fatal(rep.err)
		}
		q.step() // seven calls in flight, hung
		if q.gate.inflight != 7 {
			t.Fatalf("%d calls in flight, want 7", q.gate.inflight)
		}
		time.Sleep(5 * time.Second)
		// The eighth slot answered every 10 ms meanwhile.
		seedLatency(q.gate, time.Now(), 5*time.Second, 10*time.Millisecond, 10*time.Millisecond)
		if rep, _ := q.search(2, hotelIDs(1001, 2000), 15*time.Second, true); rep.err != nil {
			t.Fatal(rep.err)
		}
		// 1,001 calls on the one slot that answers take 10 s, more than 60%
		// of 15 s.
		if rep, _ := q.search(3, hotelIDs(3001, 3001), 15*time.Second, true); rep.err == nil {
			t.Error("admitted although 7 of 8 slots have hung for 5 s")
		}
	})
}

// A call that runs into the call timeout is congestion: the limit is cut.
func TestCallTimeoutIsCongestion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := &fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthNone}, block: true, inFetch: make(chan struct{}, 16)}
		q := newHandQueue(t, v, VendorConfig{Concurrency: 8, MinConcurrency: 1, CallTimeout: time.Second, RetryAttempts: 1})
		if rep, _ := q.search(1, hotelIDs(1, 4), time.Minute, true); rep.err != nil {
			t.Fatal(rep.err)
		}
		q.step()
		before := q.gate.limit
		time.Sleep(2 * time.Second)
		q.step()
		if q.gate.inflight != 0 {
			t.Fatalf("%d calls still in flight", q.gate.inflight)
		}
		if q.gate.limit >= before {
			t.Errorf("4 call timeouts left the limit at %.2f (was %.2f)", q.gate.limit, before)
		}
	})
}

// A 503 among answers that mostly succeed is that call's fault: the
// vendor is neither paused for its Retry-After nor its limit cut, so a
// flaky backend behind a vendor's API does not bring its throughput down
// to the floor. When push backs are a large share of the answers, a 503
// is overload, and a 429 always is.
func TestSporadic503IsNotOverload(t *testing.T) {
	unavailable := &hotelrates.VendorError{Vendor: "v", Kind: hotelrates.ErrUnavailable, Status: 503, RetryAfter: time.Second}
	throttled := &hotelrates.VendorError{Vendor: "v", Kind: hotelrates.ErrThrottled, Status: 429, RetryAfter: time.Second}
	tests := []struct {
		name string
		err  error
		// every is how often an answer is err (the others succeed).
		every          int
		wantCongestion bool // some answer of the 200 counted as congestion
	}{
		{"one 503 in 20", unavailable, 20, false},
		{"one 503 in 10", unavailable, 10, false},
		{"one 503 in 3", unavailable, 3, true},
		{"every answer a 503", unavailable, 1, true},
		{"one 429 in 20", throttled, 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := newHandQueue(t, &fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthNone}}, VendorConfig{Concurrency: 16})
				congestion, paused := false, false
				for i := 1; i <= 200; i++ {
					r := attemptResult{sent: true, rtt: 30 * time.Millisecond}
					if i%tt.every == 0 {
						r.err = tt.err
					}
					now := time.Now()
					if q.signal(r, false, now) == outcomeCongestion {
						congestion = true
					}
					if q.gate.pausedUntil.After(now) {
						paused = true
					}
					time.Sleep(2 * time.Millisecond)
				}
				if congestion != tt.wantCongestion || paused != tt.wantCongestion {
					t.Errorf("congestion %v, paused %v; want %v", congestion, paused, tt.wantCongestion)
				}
			})
		})
	}
}
