package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hotelrates"
	"hotelrates/engine"
	"hotelrates/internal/testlog"
	"hotelrates/sandbox"
)

// The behaviours the worker model promises, each in a synctest bubble:
// time is fake, so every bound below is exact, however busy the machine.

// soloOnly is a sandbox whose single-hotel vendor answers in lat with
// concurrency c, and an engine over it alone.
func soloOnly(t *testing.T, lat time.Duration, c int, mutate func(*engine.Options)) (*testSim, *engine.Engine) {
	t.Helper()
	cfg := fast()
	cfg.Vendors.Solo.Latency.Base = lat
	cfg.Vendors.Solo.Concurrency = c
	sim := startSim(t, cfg)
	e := newEngine(t, sim, func(o *engine.Options) {
		o.Vendors = o.Vendors[:1]
		o.Vendors[0].Concurrency = c
		if mutate != nil {
			mutate(o)
		}
	})
	return sim, e
}

// peakGoroutines samples runtime.NumGoroutine every millisecond until
// stop is called, which returns the peak.
func peakGoroutines() (stop func() int) {
	done := make(chan struct{})
	result := make(chan int)
	go func() {
		peak := runtime.NumGoroutine()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				peak = max(peak, runtime.NumGoroutine())
			case <-done:
				result <- peak
				return
			}
		}
	}()
	return func() int {
		close(done)
		return <-result
	}
}

// Ten searches of 1,000 hotels that end at their 300 ms deadline, or are
// cancelled at 120 ms: goroutines stay within the engine's bound, every
// answer is written at the deadline, each search's calls are what the
// vendor received, and no call starts once the searches have ended.
func TestSearchesEndingTogetherStayBounded(t *testing.T) {
	for _, tt := range []struct {
		name   string
		cancel time.Duration // 0: the searches run to their deadline
	}{{"at the deadline", 0}, {"cancelled", 120 * time.Millisecond}} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const searches, hotels, timeout = 10, 1000, 300 * time.Millisecond
				sim, e := soloOnly(t, 50*time.Millisecond, 8, nil)
				base := runtime.NumGoroutine()
				stop := peakGoroutines()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tt.cancel > 0 {
					time.AfterFunc(tt.cancel, cancel)
				}
				start := time.Now()
				var wg sync.WaitGroup
				results := make([]hotelrates.Result, searches)
				errs := make([]error, searches)
				ended := make([]time.Duration, searches)
				for i := range searches {
					wg.Go(func() {
						ids := sandbox.HotelIDs(1+i*hotels, (i+1)*hotels)
						results[i], errs[i] = e.Search(ctx, hotelrates.Search{HotelIDs: ids, Stay: stay(), Timeout: timeout})
						ended[i] = time.Since(start)
					})
				}
				wg.Wait()
				synctest.Wait() // calls sent before the end have reached the vendor
				sent := sim.Stats()[sandbox.Solo].RateCalls
				peak := stop()
				// The callers and the sampler, the engine's bound, and the
				// in-process sandbox's goroutine per connection.
				bound := base + searches + 1 + e.GoroutineBound(searches) + 8 + 2
				if peak > bound {
					t.Errorf("peak goroutines %d, bound %d (base %d)", peak, bound, base)
				}
				t.Logf("base %d, peak %d, bound %d; %d calls", base, peak, bound, sent)
				end := timeout - timeout/20 // the answer margin
				if tt.cancel > 0 {
					end = tt.cancel
				}
				calls, answered := 0, 0
				for i := range searches {
					if ended[i] != end {
						t.Errorf("search %d answered at %v, want %v", i, ended[i], end)
					}
					if tt.cancel > 0 && !errors.Is(errs[i], context.Canceled) {
						t.Errorf("search %d: err %v, want context.Canceled", i, errs[i])
					}
					if tt.cancel == 0 && errs[i] != nil {
						t.Errorf("search %d: %v", i, errs[i])
					}
					res := results[i]
					if res.Complete || len(res.Hotels) != hotels {
						t.Errorf("search %d: complete %v with %d hotels", i, res.Complete, len(res.Hotels))
					}
					// Earliest deadline first: the searches' deadlines tie,
					// so the first to arrive is served first.
					v := res.Vendors[0]
					if want := map[bool]hotelrates.Status{true: hotelrates.StatusPartial, false: hotelrates.StatusTimeout}[v.HotelsAnswered > 0]; v.Status != want || !strings.Contains(v.Error, "unanswered") {
						t.Errorf("search %d: status %+v", i, v)
					}
					calls += v.Calls
					answered += v.HotelsAnswered
				}
				if answered == 0 {
					t.Error("no hotel answered")
				}
				// What the searches say they asked is what the vendor got.
				if int64(calls) != sent {
					t.Errorf("searches report %d calls, the vendor received %d", calls, sent)
				}
				// 8 calls at a time, 50 ms each: at most 8 x 7 rounds by 300 ms.
				if max := int64(8 * (end/(50*time.Millisecond) + 1)); sent > max {
					t.Errorf("%d calls, at most %d fit", sent, max)
				}
				time.Sleep(time.Second)
				if later := sim.Stats()[sandbox.Solo].RateCalls; later != sent {
					t.Errorf("%d calls started after the searches ended", later-sent)
				}
				if q := e.Vendors()[0].Queued; q != 0 {
					t.Errorf("%d jobs still queued", q)
				}
			})
		})
	}
}

// A context deadline before the search's timeout is the search's deadline:
// what arrived comes back, honestly marked, with no error.
func TestContextDeadlineIsTheSearchDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, e := soloOnly(t, 20*time.Millisecond, 4, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		res, err := e.Search(ctx, hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 200), Stay: stay()})
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el != 285*time.Millisecond { // the answer margin: 300 ms / 20
			t.Errorf("answered after %v", el)
		}
		answered := 0
		for _, h := range res.Hotels {
			if h.Complete {
				answered++
				if want := truth(h.HotelID, stay(), sandbox.Solo); !equalOffers(h.Offers, want) {
					t.Errorf("hotel %s differs from the ground truth", h.HotelID)
				}
			}
		}
		v := res.Vendors[0]
		if res.Complete || len(res.Hotels) != 200 || answered == 0 || v.HotelsAnswered != answered || v.Status != hotelrates.StatusPartial || !strings.Contains(v.Error, "deadline") {
			t.Errorf("complete %v, %d hotels, %d answered, status %+v", res.Complete, len(res.Hotels), answered, v)
		}
	})
}

// A cancelled context returns what arrived with the context's error.
func TestCancelledSearchReturnsWhatArrived(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, e := soloOnly(t, 20*time.Millisecond, 4, nil)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		res, err := e.Search(ctx, hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 200), Stay: stay()})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
		answered := 0
		for _, h := range res.Hotels {
			if h.Complete {
				answered++
			}
		}
		// 4 calls per 20 ms for 100 ms (after the token fetch).
		if len(res.Hotels) != 200 || answered < 12 || answered > 20 || res.Vendors[0].HotelsAnswered != answered {
			t.Errorf("%d hotels, %d answered, status %+v", len(res.Hotels), answered, res.Vendors[0])
		}
	})
}

// panicky is a vendor whose Fetch panics for one hotel.
type panicky struct {
	hotelrates.Vendor
	hotel string
}

func (p panicky) Fetch(ctx context.Context, hc *http.Client, c hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	for _, h := range q.HotelIDs {
		if h == p.hotel {
			panic("adapter bug for " + h)
		}
	}
	return p.Vendor.Fetch(ctx, hc, c, q)
}

// A panicking vendor fails only that call, logged once with its stack.
func TestVendorPanicFailsOnlyThatCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs testlog.Buffer
		sim := startSim(t, fast())
		e := newEngine(t, sim, func(o *engine.Options) {
			o.Vendors = o.Vendors[:1]
			o.Vendors[0].Vendor = panicky{Vendor: o.Vendors[0].Vendor, hotel: "H00005"}
			o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		})
		hotels := sandbox.HotelIDs(1, 10)
		res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hotels {
			if want := h.HotelID != "H00005"; h.Complete != want {
				t.Errorf("hotel %s complete %v", h.HotelID, h.Complete)
			}
		}
		v := res.Vendors[0]
		if v.HotelsAnswered != 9 || v.Errors != 1 || v.Calls != 10 || !strings.Contains(v.Error, "vendor panicked") || !strings.Contains(v.Error, "internal") {
			t.Errorf("status %+v", v)
		}
		if n := strings.Count(logs.String(), "vendor panicked"); n != 1 || !strings.Contains(logs.String(), "goroutine") {
			t.Errorf("%d panic logs (want 1, with its stack):\n%s", n, logs.String())
		}
		// The engine goes on.
		res, err = e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(11, 20), Stay: stay()})
		if err != nil || !res.Complete {
			t.Errorf("next search: %v %+v", err, res.Vendors)
		}
	})
}

// overloaded reports whether err is the engine refusing a search, with a
// Retry-After.
func overloaded(err error) bool {
	var he *hotelrates.Error
	return errors.As(err, &he) && he.Code == hotelrates.CodeOverloaded && he.RetryAfter > 0
}

// Large searches arriving together: admission reserves each one's work
// atomically, so those that cannot meet their deadline are refused at once
// and the ones accepted complete.
func TestSimultaneousLargeSearchesAreAdmittedAtomically(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 16 calls per 40 ms: 1,000 hotels take 2.5 s; two fit in 6 s
		// (admission leaves two fifths of the 10 s deadline as a margin).
		sim, e := soloOnly(t, 40*time.Millisecond, 16, func(o *engine.Options) { o.Vendors[0].MinConcurrency = 16 })
		if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(19001, 19032), Stay: stay()}); err != nil {
			t.Fatal(err) // the engine learns the vendor's latency
		}
		sim.Reset()
		start := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		accepted, refused := 0, 0
		for i := range 8 {
			wg.Go(func() {
				res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1+i*1000, (i+1)*1000), Stay: stay(), Timeout: 10 * time.Second})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case overloaded(err):
					refused++
					if el := time.Since(start); el > 0 {
						t.Errorf("search %d refused after %v, not at once", i, el)
					}
				case err != nil:
					t.Errorf("search %d: %v", i, err)
				default:
					accepted++
					if !res.Complete {
						t.Errorf("accepted search %d incomplete: %+v", i, res.Vendors)
					}
				}
			})
		}
		wg.Wait()
		t.Logf("accepted %d, refused %d", accepted, refused)
		if accepted < 2 || refused < 4 {
			t.Errorf("accepted %d, refused %d: want the two that fit accepted and most others refused", accepted, refused)
		}
		if got, want := sim.Stats()[sandbox.Solo].RateCalls, int64(accepted*1000); got != want {
			t.Errorf("the vendor got %d calls, want %d: refused searches made calls", got, want)
		}
	})
}

// Shedding agrees with earliest-deadline-first: work due after a new
// search's deadline does not count against it.
func TestSheddingAgreesWithEDF(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, e := soloOnly(t, 50*time.Millisecond, 2, func(o *engine.Options) { o.Vendors[0].MinConcurrency = 2 })
		if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(19001, 19004), Stay: stay()}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			// 25 rounds of 50 ms: the vendor is busy for 1.25 s.
			res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 50), Stay: stay(), Timeout: 5 * time.Second})
			if err != nil || !res.Complete {
				t.Errorf("long search: %v %+v", err, res.Vendors)
			}
		})
		time.Sleep(10 * time.Millisecond)
		start := time.Now()
		res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(101, 110), Stay: stay(), Timeout: 600 * time.Millisecond})
		if err != nil || !res.Complete {
			t.Errorf("urgent search: %v %+v", err, res.Vendors)
		}
		// It waits for the two calls in flight, then takes 5 rounds.
		if el := time.Since(start); el > 300*time.Millisecond {
			t.Errorf("urgent search took %v", el)
		}
		wg.Wait()
	})
}

// A token vendor with no searches is not refreshed forever: a token no
// call used lapses, and the next search fetches one on demand.
func TestIdleTokenVendorIsNotRefreshedForever(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.TokenTTL = 2 * time.Second
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) { o.Vendors = o.Vendors[:1] })
		search := func() {
			t.Helper()
			res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 5), Stay: stay(), Fresh: true})
			if err != nil || !res.Complete {
				t.Fatalf("%v %+v", err, res.Vendors)
			}
		}
		search()
		time.Sleep(time.Minute)
		// The token the search used was refreshed once before it expired;
		// nobody used that one, so it lapsed.
		if g := sim.Stats()[sandbox.Solo].AuthGrants; g != 2 {
			t.Errorf("%d token grants in an idle minute, want 2", g)
		}
		search()
		st := sim.Stats()[sandbox.Solo]
		if st.AuthGrants != 3 || st.Status["401"] != 0 {
			t.Errorf("%d grants, %d 401s after the idle period: want one fetch on demand", st.AuthGrants, st.Status["401"])
		}
	})
}

// A call that answers after its search's deadline still fills the cache,
// and reaches every other search that joined it; each search's status
// counts the calls the vendor received for it, late ones included.
func TestLateAnswersFillTheCacheAndReachJoinedSearches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Bulk.Latency.Base = 200 * time.Millisecond
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) {
			o.Vendors = o.Vendors[1:2] // bulk
			o.Vendors[0].CacheTTL = time.Minute
		})
		// Learn the latency, then forget what was cached.
		if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(19001, 19010), Stay: stay()}); err != nil {
			t.Fatal(err)
		}
		sim.Reset()
		hotels := sandbox.HotelIDs(1, 300)
		var wg sync.WaitGroup
		var joined hotelrates.Result
		wg.Go(func() {
			time.Sleep(10 * time.Millisecond)
			joined, _ = e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels[:50], Stay: stay(), Timeout: time.Second})
		})
		res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay(), Timeout: 120 * time.Millisecond, Fresh: true})
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		v := res.Vendors[0]
		if got := sim.Stats()[sandbox.Bulk].RateCalls; v.Status != hotelrates.StatusTimeout || int64(v.Calls) != got || got == 0 {
			t.Errorf("status %+v; the vendor received %d calls", v, got)
		}
		wg.Wait()
		if !joined.Complete || joined.Vendors[0].HotelsAnswered != 50 || joined.Hotels[0].Sources[0].Shared != true {
			t.Errorf("the search that joined the late call: %+v", joined.Vendors)
		}
		synctest.Wait() // the late calls answered at the same instant as the joined one
		calls := sim.Stats()[sandbox.Bulk].RateCalls
		again, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()})
		if err != nil || !again.Complete {
			t.Fatalf("%v %+v", err, again.Vendors)
		}
		checkTruth(t, again, hotels, stay(), sandbox.Bulk)
		if later := sim.Stats()[sandbox.Bulk].RateCalls; later != calls {
			t.Errorf("the repeated search made %d calls: the late answers were not cached", later-calls)
		}
	})
}

// Dashboards see every series from the start: the engine registers them
// at 0, per vendor, before the first event.
func TestMetricsExistBeforeTheirFirstEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewPedanticRegistry()
		sim := startSim(t, fast())
		newEngine(t, sim, func(o *engine.Options) { o.Metrics = engine.NewMetrics(reg) })
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				key := mf.GetName()
				for _, l := range m.GetLabel() {
					key += "," + l.GetName() + "=" + l.GetValue()
				}
				have[key] = true
			}
		}
		for _, want := range []string{
			"hotelrates_searches_total,outcome=partial", "hotelrates_searches_shed_total,reason=backlog",
			"hotelrates_jobs_dropped_total,vendor=solo", "hotelrates_vendor_calls_total,outcome=ok,vendor=bulk",
			"hotelrates_token_refreshes_total,outcome=error,vendor=session", "hotelrates_vendor_throttled_total,vendor=bulk",
			"hotelrates_cache_hits_total,vendor=session", "hotelrates_queue_jobs,vendor=solo",
		} {
			if !have[want] {
				t.Errorf("no series %s before any search", want)
			}
		}
	})
}
