package engine_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"hotelrates"
	"hotelrates/engine"
	"hotelrates/sandbox"
	"hotelrates/vendorsim"
)

// Faults at 5% 500s, 2% hangs, 1% malformed bodies, 1% slow bodies and
// token/session revocations: every offer returned equals the ground
// truth, and a hotel is missing only with a vendor status that says why.
func TestFaultsStillGiveGroundTruth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		for _, name := range sandbox.VendorNames {
			v := cfg.Vendors.Get(name)
			v.Faults = sandbox.Faults{Error500: 0.05, Hang: 0.02, Malformed: 0.01, SlowBody: 0.01, Revoke: 0.01, SlowBodyDelay: 200 * time.Millisecond}
		}
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) {
			for i := range o.Vendors {
				o.Vendors[i].CallTimeout = 300 * time.Millisecond // cuts hangs and slow bodies
				o.Vendors[i].BreakerFailures = 50                 // this test is about retries, not the breaker
			}
		})
		total, incomplete := 0, 0
		for day := range 8 {
			st := stay()
			st.CheckIn, st.CheckOut = st.CheckIn.AddDays(day), st.CheckOut.AddDays(day)
			hotels := sandbox.HotelIDs(1+day*150, 150+day*150)
			res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: st, Timeout: 15 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range res.Hotels {
				total++
				if !h.Complete {
					incomplete++
					continue
				}
				if want := truth(h.HotelID, st, sandbox.VendorNames...); !equalOffers(h.Offers, want) {
					t.Errorf("hotel %s differs from the ground truth", h.HotelID)
				}
			}
			for _, v := range res.Vendors {
				if v.HotelsAnswered < v.HotelsRequested && (v.Status == hotelrates.StatusOK || v.Error == "") {
					t.Errorf("vendor %s lost hotels without saying so: %+v", v.Vendor, v)
				}
				if v.Status != hotelrates.StatusOK {
					t.Logf("%s: %s, %d/%d answered, %d calls, %d errors, %q", v.Vendor, v.Status, v.HotelsAnswered, v.HotelsRequested, v.Calls, v.Errors, v.Error)
				}
			}
		}
		faults := map[string]int64{}
		for _, name := range sandbox.VendorNames {
			for k, n := range sim.Stats()[name].Faults {
				faults[k] += n
			}
		}
		t.Logf("faults %v; %d of %d hotels incomplete", faults, incomplete, total)
		for _, k := range []string{"error_500", "hang", "malformed", "slow_body", "revoke"} {
			if faults[k] == 0 {
				t.Errorf("no %s fault happened", k)
			}
		}
		// A 15 s deadline leaves time for every retry: nothing is missing.
		if incomplete > 0 {
			t.Errorf("%d of %d hotels incomplete", incomplete, total)
		}
		for _, v := range e.Vendors() {
			if v.Retries == 0 && v.Name != sandbox.Bulk {
				t.Errorf("%s: no retries", v.Name)
			}
		}
	})
}

// flaky wraps a vendor and fails every call while down is set.
type flaky struct {
	hotelrates.Vendor
	down  atomic.Bool
	calls atomic.Int64
}

func (f *flaky) Fetch(ctx context.Context, hc *http.Client, c hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return nil, &hotelrates.VendorError{Vendor: f.Info().Name, Kind: hotelrates.ErrUnavailable, Status: 502, Err: errors.New("bad gateway")}
	}
	return f.Vendor.Fetch(ctx, hc, c, q)
}

func TestVendorDownOpensBreakerAndOthersStillAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, fast())
		var bulk *flaky
		e := newEngine(t, sim, func(o *engine.Options) {
			bulk = &flaky{Vendor: o.Vendors[1].Vendor}
			bulk.down.Store(true)
			o.Vendors[1].Vendor = bulk
			o.Vendors[1].BreakerCooldown = 500 * time.Millisecond
		})
		for i := range 3 {
			start := time.Now()
			res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 60), Stay: stay(), Timeout: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("search %d took %v, past its deadline", i, el)
			}
			for _, v := range res.Vendors {
				switch v.Vendor {
				case sandbox.Bulk:
					if v.Status != hotelrates.StatusFailed {
						t.Errorf("bulk status %+v", v)
					}
					if i > 0 && !strings.Contains(v.Error, "circuit_open") {
						t.Errorf("search %d: bulk error %q, want circuit_open", i, v.Error)
					}
				default:
					if v.Status != hotelrates.StatusOK {
						t.Errorf("%s status %+v", v.Vendor, v)
					}
				}
			}
			for _, h := range res.Hotels {
				if want := truth(h.HotelID, stay(), sandbox.Solo, sandbox.Session); !equalOffers(h.Offers, want) {
					t.Errorf("hotel %s differs", h.HotelID)
				}
			}
		}
		if st := e.Vendors()[1]; st.Breaker != "open" {
			t.Errorf("breaker %s", st.Breaker)
		}
		// While open, calls fail fast: the vendor is not hammered.
		calls := bulk.calls.Load()
		if calls > 20 {
			t.Errorf("%d calls to a vendor that is down", calls)
		}
		// The vendor recovers: after the cool-down a probe closes the breaker.
		bulk.down.Store(false)
		time.Sleep(600 * time.Millisecond)
		if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 5), Stay: stay(), Vendors: []string{sandbox.Bulk}}); err != nil {
			t.Fatal(err)
		}
		res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 60), Stay: stay()})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Complete || e.Vendors()[1].Breaker != "closed" {
			t.Errorf("after recovery: complete %v, breaker %s, %+v", res.Complete, e.Vendors()[1].Breaker, res.Vendors)
		}
	})
}

// A vendor whose real capacity is half the configured concurrency: the
// adaptive limit settles below the cap and the vendor's 429s stop.
func TestAdaptiveConcurrencySettlesBelowRealCapacity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.Concurrency = 8 // the vendor's real capacity
		cfg.Vendors.Solo.QueueLimit = 4
		cfg.Vendors.Solo.Latency.Base = 20 * time.Millisecond
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) {
			o.Vendors = o.Vendors[:1]
			o.Vendors[0].Concurrency = 16 // configured: twice the real capacity
			o.Vendors[0].MinConcurrency = 2
		})
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for c := range 6 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					from := 1 + (c*3000+i*50)%19000
					e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(from, from+49), Stay: stay()})
				}
			})
		}
		time.Sleep(5 * time.Second)
		early := sim.Stats()[sandbox.Solo].Throttled
		time.Sleep(2 * time.Second)
		late := sim.Stats()[sandbox.Solo].Throttled
		close(stop)
		wg.Wait()
		st := e.Vendors()[0]
		t.Logf("429s in the first 5 s: %d, in the next 2 s: %d; limit %.1f, peak in flight %d", early, late-early, st.ConcurrencyLimit, st.PeakInFlight)
		if early == 0 {
			t.Error("no 429 at first: the test does not overload the vendor")
		}
		if late != early {
			t.Errorf("%d 429s after the limit should have settled", late-early)
		}
		if st.ConcurrencyLimit >= 16 || st.ConcurrencyLimit < 2 {
			t.Errorf("limit %.1f, want below the configured 16", st.ConcurrencyLimit)
		}
	})
}

// A vendor's Retry-After pauses its loaders instead of retrying into it.
func TestRetryAfterPausesTheVendor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Bulk.RPS, cfg.Vendors.Bulk.Burst = 4, 4
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) {
			o.Vendors = o.Vendors[1:2]
			o.Vendors[0].RetryAttempts = 10
			o.Vendors[0].RetryBudget = 1
		})
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				hotels := sandbox.HotelIDs(1+i*40, 40+i*40)
				res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay(), Timeout: 15 * time.Second})
				if err != nil {
					t.Error(err)
					return
				}
				checkTruth(t, res, hotels, stay(), sandbox.Bulk)
			})
		}
		wg.Wait()
		st := sim.Stats()[sandbox.Bulk]
		// 16 calls against 4 per second: a few 429s, each pausing the vendor
		// for its Retry-After (1 s), not a storm of retries.
		if st.Throttled == 0 || st.Throttled > 12 {
			t.Errorf("%d 429s for %d calls", st.Throttled, st.RateCalls)
		}
	})
}

func TestEngineRateLimitKeepsVendorUnderItsLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Bulk.RPS, cfg.Vendors.Bulk.Burst = 10, 10
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) {
			o.Vendors = o.Vendors[1:2]
			o.Vendors[0].RateLimit, o.Vendors[0].Burst = 9, 1
		})
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				st := stay() // a stay per search: no two searches share a call
				st.CheckOut = st.CheckOut.AddDays(i)
				if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1+i*100, 100+i*100), Stay: st, Timeout: 10 * time.Second}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		st := sim.Stats()[sandbox.Bulk]
		if st.Throttled != 0 {
			t.Errorf("%d 429s with the engine's rate limit below the vendor's", st.Throttled)
		}
		// 24 calls at 9 per second take at least 2.5 s.
		if el := time.Since(start); el < 2*time.Second || st.RateCalls != 24 {
			t.Errorf("%d calls in %v", st.RateCalls, el)
		}
	})
}

func TestRetryBudgetBoundsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.Faults.Error500 = 0.5
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) {
			o.Vendors = o.Vendors[:1]
			o.Vendors[0].BreakerFailures = 1000 // keep the breaker out of this
		})
		if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 300), Stay: stay()}); err != nil {
			t.Fatal(err)
		}
		v := e.Vendors()[0]
		// Retries are at most 20% of first attempts, plus the allowance of 10.
		if v.Retries > 300/5+10 || v.RetriesDenied == 0 {
			t.Errorf("%d retries, %d denied for 300 calls", v.Retries, v.RetriesDenied)
		}
	})
}

func TestHedgingCutsTheTailWithinBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.Latency.Base = 10 * time.Millisecond
		cfg.Vendors.Solo.Latency.Jitter = "lognormal"
		cfg.Vendors.Solo.Latency.Sigma = 1.2
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) {
			o.Vendors = o.Vendors[:1]
			o.Vendors[0].Hedge = true
		})
		// Searches of 8 hotels leave room under the concurrency for hedges.
		for i := range 75 {
			hotels := sandbox.HotelIDs(1+i*8, 8+i*8)
			res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay(), Timeout: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			checkTruth(t, res, hotels, stay(), sandbox.Solo)
		}
		v := e.Vendors()[0]
		calls := sim.Stats()[sandbox.Solo].RateCalls
		t.Logf("%d hedges (%d won) for 600 hotels, %d vendor calls", v.Hedges, v.HedgesWon, calls)
		if v.Hedges == 0 || v.HedgesWon == 0 || v.Hedges > 600/20+1 || calls < 600 || calls > 600+v.Hedges {
			t.Errorf("%d hedges (%d won), %d calls: want some, within 5%%", v.Hedges, v.HedgesWon, calls)
		}
	})
}

func TestOverloadIsShedAtTheFrontDoor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.Latency.Base = 40 * time.Millisecond
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) {
			o.Vendors = o.Vendors[:1]
			o.MaxSearches = 50
		})
		// Warm up so the engine knows the vendor's latency.
		e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 32), Stay: stay()})
		// Capacity: 16 calls per 40 ms = 400 hotels/s = 4 searches of 100/s.
		// Offer 40/s for 2 s.
		var (
			wg                sync.WaitGroup
			mu                sync.Mutex
			accepted, shed    int
			late, incomplete  int
			slowShed          time.Duration
			retryAfterMissing int
		)
		tick := time.NewTicker(25 * time.Millisecond)
		for i := range 80 {
			<-tick.C
			wg.Go(func() {
				from := 1 + i*100%19000
				start := time.Now()
				res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(from, from+99), Stay: stay(), Timeout: 2 * time.Second})
				el := time.Since(start)
				mu.Lock()
				defer mu.Unlock()
				var he *hotelrates.Error
				switch {
				case errors.As(err, &he) && he.Code == hotelrates.CodeOverloaded:
					shed++
					slowShed = max(slowShed, el)
					if he.RetryAfter <= 0 {
						retryAfterMissing++
					}
				case err != nil:
					t.Error(err)
				default:
					accepted++
					if el > 2500*time.Millisecond {
						late++
					}
					if !res.Complete {
						incomplete++
					}
				}
			})
		}
		tick.Stop()
		wg.Wait()
		t.Logf("accepted %d, shed %d (slowest shed %v), late %d, incomplete %d", accepted, shed, slowShed, late, incomplete)
		if shed == 0 || accepted == 0 {
			t.Fatalf("accepted %d, shed %d", accepted, shed)
		}
		if slowShed > 500*time.Millisecond || retryAfterMissing > 0 { // generous: a shed search makes no call
			t.Errorf("shedding is not fast or lacks Retry-After: %v, %d", slowShed, retryAfterMissing)
		}
		if late > 0 || incomplete > accepted/10 {
			t.Errorf("%d accepted searches late, %d incomplete", late, incomplete)
		}
		if st := sim.Stats()[sandbox.Solo]; st.Throttled != 0 {
			t.Errorf("the vendor sent %d 429s", st.Throttled)
		}
	})
}

var _ = vendorsim.Clients
