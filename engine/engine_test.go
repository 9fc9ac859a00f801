package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"hotelrates"
	"hotelrates/engine"
	"hotelrates/internal/pipenet"
	"hotelrates/sandbox"
	"hotelrates/vendorsim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fast is a sandbox config with short fixed latencies.
func fast() sandbox.Config {
	c := sandbox.DefaultConfig()
	c.Vendors.Solo.Latency.Base = 2 * time.Millisecond
	c.Vendors.Bulk.Latency.Base = 5 * time.Millisecond
	c.Vendors.Bulk.Latency.PerHotel = 10 * time.Microsecond
	c.Vendors.Bulk.RPS, c.Vendors.Bulk.Burst = 1000, 1000
	c.Vendors.Session.Latency.Base = 3 * time.Millisecond
	c.Vendors.Session.Latency.PerHotel = 50 * time.Microsecond
	return c
}

// testSim is a sandbox on an in-memory network, so a test runs in a
// testing/synctest bubble: real HTTP, fake time.
type testSim struct {
	*vendorsim.Sim
	ln *pipenet.Listener
}

func startSim(t testing.TB, cfg sandbox.Config) *testSim {
	t.Helper()
	ln := pipenet.Listen("sandbox.test")
	sim, err := vendorsim.Serve(cfg, ln)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return &testSim{Sim: sim, ln: ln}
}

// startLoopbackSim is a sandbox on a loopback TCP port, for benchmarks:
// they measure real time over real sockets.
func startLoopbackSim(t testing.TB, cfg sandbox.Config) *testSim {
	t.Helper()
	sim, err := vendorsim.Start(cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return &testSim{Sim: sim}
}

// memRecorder keeps every archive record.
type memRecorder struct {
	mu  sync.Mutex
	exs []hotelrates.Exchange
}

func (r *memRecorder) Record(_ context.Context, ex hotelrates.Exchange) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exs = append(r.exs, ex)
	return true
}

// aheadRecorder is a memRecorder that is also told of each exchange
// before its request goes out.
type aheadRecorder struct {
	memRecorder
	begun []hotelrates.Exchange
}

func (r *aheadRecorder) Begin(ex hotelrates.Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.begun = append(r.begun, ex)
}

func (r *memRecorder) all() []hotelrates.Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.exs)
}

// newEngine starts an engine over the sandbox's three vendors with the
// sandbox's concurrency; mutate may change the options.
func newEngine(t testing.TB, sim *testSim, mutate func(*engine.Options)) *engine.Engine {
	t.Helper()
	cfg := sim.Config()
	var vcs []engine.VendorConfig
	for _, v := range vendorsim.Clients(sim.URL(), cfg) {
		vcs = append(vcs, engine.VendorConfig{Vendor: v, Concurrency: cfg.Vendors.Get(v.Info().Name).Concurrency})
	}
	opts := engine.Options{Vendors: vcs, DefaultTimeout: 20 * time.Second, MaxTimeout: 30 * time.Second}
	if mutate != nil {
		mutate(&opts)
	}
	for i := range opts.Vendors {
		if opts.Vendors[i].Transport == nil && sim.ln != nil {
			c := opts.Vendors[i].Concurrency
			if c <= 0 {
				c = 4
			}
			tr := sim.ln.Transport(c + 2)
			t.Cleanup(tr.CloseIdleConnections)
			opts.Vendors[i].Transport = tr
		}
	}
	e, err := engine.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return e
}

func stay() hotelrates.Stay {
	return hotelrates.Stay{CheckIn: hotelrates.MustDate("2027-03-10"), CheckOut: hotelrates.MustDate("2027-03-13"), Adults: 2, Rooms: 1, Currency: "EUR"}
}

// truth returns the sandbox's offers for a hotel from the named vendors,
// in the engine's order.
func truth(hotel string, st hotelrates.Stay, vendors ...string) []hotelrates.Offer {
	var all []hotelrates.Offer
	for _, v := range vendors {
		all = append(all, sandbox.Offers(v, hotel, st)...)
	}
	slices.SortStableFunc(all, func(a, b hotelrates.Offer) int {
		if c := a.Total.Minor - b.Total.Minor; c != 0 {
			return int(c)
		}
		if c := strings.Compare(a.Vendor, b.Vendor); c != 0 {
			return c
		}
		if c := strings.Compare(a.Room, b.Room); c != 0 {
			return c
		}
		return strings.Compare(a.Board, b.Board)
	})
	return all
}

func equalOffers(a, b []hotelrates.Offer) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Vendor != b[i].Vendor || a[i].Room != b[i].Room || a[i].Board != b[i].Board || a[i].Total != b[i].Total ||
			a[i].Refundable != b[i].Refundable || !a[i].CancelDeadline.Equal(b[i].CancelDeadline) {
			return false
		}
	}
	return true
}

// checkTruth asserts every requested hotel is in the result exactly once
// and its offers equal the sandbox's ground truth.
func checkTruth(t *testing.T, res hotelrates.Result, hotels []string, st hotelrates.Stay, vendors ...string) {
	t.Helper()
	seen := map[string]int{}
	for _, h := range res.Hotels {
		seen[h.HotelID]++
		if want := truth(h.HotelID, st, vendors...); !equalOffers(h.Offers, want) {
			t.Errorf("hotel %s: offers differ from ground truth\n got %+v\nwant %+v", h.HotelID, h.Offers, want)
		}
	}
	for _, h := range hotels {
		if seen[h] != 1 {
			t.Errorf("hotel %s appears %d times", h, seen[h])
		}
	}
	if len(res.Hotels) != len(hotelrates.UniqueHotelIDs(hotels)) {
		t.Errorf("%d hotels in result, want %d", len(res.Hotels), len(hotels))
	}
}

func TestSearchEqualsGroundTruth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, fast())
		e := newEngine(t, sim, nil)
		hotels := append(sandbox.HotelIDs(1, 300), "X-not-a-hotel", "H99999", "H00007")
		for _, tt := range []struct {
			name    string
			vendors []string
		}{
			{"all vendors", nil},
			{"single-hotel vendor", []string{sandbox.Solo}},
			{"batch vendor", []string{sandbox.Bulk}},
			{"session vendor", []string{sandbox.Session}},
		} {
			func() { // one bubble for all: synctest forbids t.Run inside it
				res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay(), Vendors: tt.vendors})
				if err != nil {
					t.Errorf("%s: %v", tt.name, err)
					return
				}
				want := tt.vendors
				if want == nil {
					want = sandbox.VendorNames
				}
				checkTruth(t, res, hotels, stay(), want...)
				if !res.Complete {
					t.Errorf("incomplete: %+v", res.Vendors)
				}
				for _, v := range res.Vendors {
					if v.Status != hotelrates.StatusOK || v.HotelsAnswered != 302 || v.HotelsRequested != 302 || v.Errors != 0 {
						t.Errorf("%s: vendor status %+v", tt.name, v)
					}
				}
			}()
		}
	})
}

func TestBatchPlanningCallCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, fast())
		e := newEngine(t, sim, nil)
		sim.Reset()
		if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 200), Stay: stay()}); err != nil {
			t.Fatal(err)
		}
		st := sim.Stats()
		// solo: one call per hotel; bulk (max 250, C=4): four calls of 50;
		// session (max 20, C=4): 10 calls needed, 3 rounds of 4 -> 12 calls.
		for _, tt := range []struct {
			vendor      string
			calls, hots int64
		}{{sandbox.Solo, 200, 200}, {sandbox.Bulk, 4, 200}, {sandbox.Session, 12, 200}} {
			if s := st[tt.vendor]; s.RateCalls != tt.calls || s.Hotels != tt.hots {
				t.Errorf("%s: %d calls for %d hotels, want %d for %d", tt.vendor, s.RateCalls, s.Hotels, tt.calls, tt.hots)
			}
		}
	})
}

func TestConcurrencyNeverAboveConfigured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.Latency.Base = 10 * time.Millisecond
		sim := startSim(t, cfg)
		limits := map[string]int{sandbox.Solo: 5, sandbox.Bulk: 2, sandbox.Session: 3}
		e := newEngine(t, sim, func(o *engine.Options) {
			for i := range o.Vendors {
				o.Vendors[i].Concurrency = limits[o.Vendors[i].Vendor.Info().Name]
			}
		})
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				hotels := sandbox.HotelIDs(1+i*50, 100+i*50)
				res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()})
				if err != nil {
					t.Error(err)
					return
				}
				checkTruth(t, res, hotels, stay(), sandbox.VendorNames...)
			})
		}
		wg.Wait()
		st := sim.Stats()
		for _, v := range e.Vendors() {
			if st[v.Name].PeakInService > int64(limits[v.Name]) || v.PeakInFlight > int64(limits[v.Name]) {
				t.Errorf("%s: sandbox peak %d, engine peak %d, limit %d", v.Name, st[v.Name].PeakInService, v.PeakInFlight, limits[v.Name])
			}
			if v.PeakInFlight < 2 {
				t.Errorf("%s: peak in flight %d: the pool never grew", v.Name, v.PeakInFlight)
			}
			if st[v.Name].Throttled != 0 {
				t.Errorf("%s: %d throttled", v.Name, st[v.Name].Throttled)
			}
		}
	})
}

func TestPoolGrowsAndShrinks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, fast())
		e := newEngine(t, sim, func(o *engine.Options) {
			for i := range o.Vendors {
				o.Vendors[i].MinWorkers = 1
				o.Vendors[i].IdleTimeout = 100 * time.Millisecond
			}
		})
		if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 400), Stay: stay(), Vendors: []string{sandbox.Solo}}); err != nil {
			t.Fatal(err)
		}
		solo := func() hotelrates.VendorState { return e.Vendors()[0] }
		if s := solo(); s.Workers < 4 || s.Workers > int64(s.MaxWorkers) {
			t.Errorf("after a 400-hotel search the pool has %d workers (max %d)", s.Workers, s.MaxWorkers)
		}
		deadline := time.Now().Add(10 * time.Second)
		for solo().Workers != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("pool did not shrink to its minimum: %+v", solo())
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestEarliestDeadlineFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.Latency.Base = 20 * time.Millisecond
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) {
			o.Vendors = o.Vendors[:1] // solo
			o.Vendors[0].Concurrency = 1
		})
		var late, early time.Time
		var wg sync.WaitGroup
		wg.Go(func() {
			// 40 calls of 20 ms one at a time: about 800 ms.
			if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 40), Stay: stay(), Timeout: 20 * time.Second}); err != nil {
				t.Error(err)
			}
			late = time.Now()
		})
		time.Sleep(100 * time.Millisecond)
		res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(101, 103), Stay: stay(), Timeout: 10 * time.Second})
		early = time.Now()
		if err != nil || !res.Complete {
			t.Fatalf("err %v, result %+v", err, res.Vendors)
		}
		wg.Wait()
		if !early.Before(late) {
			t.Errorf("the search with the earlier deadline finished %v after the other", early.Sub(late))
		}
	})
}

func TestTokenRefreshedOnceUnderLoadAndBeforeExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.TokenTTL = 2 * time.Second
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) { o.Vendors = o.Vendors[:1] })
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Go(func() {
				if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1+i*5, 5+i*5), Stay: stay()}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if g := sim.Stats()[sandbox.Solo].AuthGrants; g != 1 {
			t.Fatalf("%d tokens granted for 30 concurrent searches, want exactly 1", g)
		}
		// Keep searching across two token lifetimes: the token is refreshed
		// before it expires, so the vendor never answers 401.
		end := time.Now().Add(4500 * time.Millisecond)
		for time.Now().Before(end) {
			res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 10), Stay: stay()})
			if err != nil || !res.Complete {
				t.Fatalf("err %v result %+v", err, res.Vendors)
			}
			time.Sleep(50 * time.Millisecond)
		}
		st := sim.Stats()[sandbox.Solo]
		if st.Status["401"] != 0 || st.AuthGrants < 3 || st.AuthGrants > 4 {
			t.Errorf("401s %d, grants %d: want no 401 and a refresh per lifetime", st.Status["401"], st.AuthGrants)
		}
	})
}

func TestRevokedTokenRefreshedOnceAndRetried(t *testing.T) {
	for _, tt := range []struct {
		name        string
		concurrency int
	}{{"one call at a time", 1}, {"concurrent calls", 16}} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := fast()
				cfg.Vendors.Solo.Faults.Revoke = 0.03
				sim := startSim(t, cfg)
				e := newEngine(t, sim, func(o *engine.Options) {
					o.Vendors = o.Vendors[:1]
					o.Vendors[0].Concurrency = tt.concurrency
				})
				hotels := sandbox.HotelIDs(1, 400)
				res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()})
				if err != nil {
					t.Fatal(err)
				}
				st := sim.Stats()[sandbox.Solo]
				revoked := st.Faults["revoke"]
				if revoked == 0 {
					t.Fatal("no revocation happened; raise the probability")
				}
				v := res.Vendors[0]
				// Every call either answered its hotel or met a 401; a 401 on a
				// first try is retried once, a 401 on the retry loses the hotel.
				if v.Calls != v.HotelsAnswered+int(st.Status["401"]) || st.RateCalls != int64(v.Calls) {
					t.Errorf("%d calls (vendor saw %d), %d answered, %d 401s", v.Calls, st.RateCalls, v.HotelsAnswered, st.Status["401"])
				}
				if tt.concurrency == 1 {
					// Every revoked token is replaced by exactly one refresh,
					// and a hotel is lost only if its retry was revoked too.
					if st.AuthGrants != 1+revoked {
						t.Errorf("%d grants for %d revocations, want %d", st.AuthGrants, revoked, 1+revoked)
					}
					if lost := 400 - v.HotelsAnswered; int64(lost) > revoked/4+1 {
						t.Errorf("%d hotels unanswered for %d revocations", lost, revoked)
					}
				} else if st.AuthGrants < 2 || st.AuthGrants > 1+revoked {
					// Calls in flight with a revoked token share one refresh.
					t.Errorf("%d grants for %d revocations", st.AuthGrants, revoked)
				}
				for _, h := range res.Hotels {
					if h.Complete {
						if want := truth(h.HotelID, stay(), sandbox.Solo); !equalOffers(h.Offers, want) {
							t.Errorf("hotel %s differs from ground truth", h.HotelID)
						}
					}
				}
			})
		})
	}
}

func TestSessionsLeasedOnePerCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Session.Latency.Base = 10 * time.Millisecond
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) { o.Vendors = o.Vendors[2:] })
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				hotels := sandbox.HotelIDs(1+i*100, 100+i*100)
				res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()})
				if err != nil {
					t.Error(err)
					return
				}
				checkTruth(t, res, hotels, stay(), sandbox.Session)
			})
		}
		wg.Wait()
		st := sim.Stats()[sandbox.Session]
		if st.Status["409"] != 0 || st.Status["401"] != 0 {
			t.Errorf("session busy %d, invalid %d: a session served two calls at once", st.Status["409"], st.Status["401"])
		}
		if st.AuthGrants < 2 || st.AuthGrants > 4 {
			t.Errorf("%d sessions opened, want 2..4", st.AuthGrants)
		}
		if st.PeakInService < 2 {
			t.Errorf("peak %d: sessions were not used in parallel", st.PeakInService)
		}
	})
}

func TestDeadlineGivesPartialResultAndHonestStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.Latency.Base = 100 * time.Millisecond
		cfg.Vendors.Session.Faults.Hang = 1
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) { o.Vendors[0].Concurrency = 2 })
		hotels := sandbox.HotelIDs(1, 40)
		start := time.Now()
		res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay(), Timeout: 700 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("search took %v with a 700ms deadline", el)
		}
		if res.Complete {
			t.Error("complete despite the deadline")
		}
		status := map[string]hotelrates.VendorStatus{}
		for _, v := range res.Vendors {
			status[v.Vendor] = v
		}
		if s := status[sandbox.Solo]; s.Status != hotelrates.StatusPartial || s.HotelsAnswered == 0 || s.HotelsAnswered >= 40 || s.Error == "" {
			t.Errorf("solo: %+v", s)
		}
		if s := status[sandbox.Bulk]; s.Status != hotelrates.StatusOK || s.HotelsAnswered != 40 {
			t.Errorf("bulk: %+v", s)
		}
		if s := status[sandbox.Session]; s.Status != hotelrates.StatusTimeout || s.HotelsAnswered != 0 {
			t.Errorf("session: %+v", s)
		}
		// What did arrive is correct, and every hotel is there once.
		seen := map[string]bool{}
		for _, h := range res.Hotels {
			if seen[h.HotelID] {
				t.Errorf("hotel %s twice", h.HotelID)
			}
			seen[h.HotelID] = true
			if h.Complete {
				t.Errorf("hotel %s complete though session never answered", h.HotelID)
			}
			for _, o := range h.Offers {
				found := false
				for _, w := range sandbox.Offers(o.Vendor, h.HotelID, stay()) {
					found = found || equalOffers([]hotelrates.Offer{o}, []hotelrates.Offer{w})
				}
				if !found {
					t.Errorf("offer %+v of %s is not in the ground truth", o, h.HotelID)
				}
			}
		}
		if len(seen) != 40 {
			t.Errorf("%d hotels, want 40", len(seen))
		}
	})
}

func TestCancelStopsVendorWork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.Latency.Base = 20 * time.Millisecond
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) {
			o.Vendors = o.Vendors[:1]
			o.Vendors[0].Concurrency = 4
		})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(150*time.Millisecond, cancel)
		_, err := e.Search(ctx, hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 1000), Stay: stay()})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		time.Sleep(300 * time.Millisecond)
		calls := sim.Stats()[sandbox.Solo].RateCalls
		time.Sleep(300 * time.Millisecond)
		after := sim.Stats()[sandbox.Solo].RateCalls
		// 1000 calls would take 5 s; about 30 were made before the cancel.
		if calls > 100 || after != calls {
			t.Errorf("vendor calls after cancel: %d, then %d", calls, after)
		}
		if q := e.Vendors()[0].Queued; q != 0 {
			t.Errorf("%d jobs still queued", q)
		}
	})
}

func TestArchiveRecordsEqualExchangesAndHoldNoSecrets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.Faults.Revoke = 0.05
		sim := startSim(t, cfg)
		rec := &aheadRecorder{}
		e := newEngine(t, sim, func(o *engine.Options) { o.Recorder = rec })
		sim.Reset()
		res, err := e.Search(context.Background(), hotelrates.Search{ID: "search-archive-1", HotelIDs: sandbox.HotelIDs(1, 120), Stay: stay()})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Close(ctx); err != nil { // logs sessions out: those are exchanges too
			t.Fatal(err)
		}
		st := sim.Stats()
		exs := rec.all()
		byVendor := map[string]int64{}
		for _, ex := range exs {
			byVendor[ex.Vendor]++
			if ex.Kind == hotelrates.CallRates && ex.SearchID != res.SearchID {
				t.Errorf("rate exchange with search id %q", ex.SearchID)
			}
			if ex.Status == 0 && ex.Error == "" {
				t.Errorf("exchange with neither status nor error: %+v", ex)
			}
		}
		for _, name := range sandbox.VendorNames {
			if byVendor[name] != st[name].Requests {
				t.Errorf("%s: %d records, sandbox saw %d requests", name, byVendor[name], st[name].Requests)
			}
		}
		// Each exchange was begun first, under the same ID, with its request
		// and without an answer.
		rec.mu.Lock()
		begun := slices.Clone(rec.begun)
		rec.mu.Unlock()
		ids := map[string]hotelrates.Exchange{}
		for _, ex := range begun {
			if ex.ID == "" || ex.Status != 0 || ex.ResponseBody != "" {
				t.Errorf("begun exchange %+v", ex)
			}
			ids[ex.ID] = ex
		}
		if len(ids) != len(exs) || len(begun) != len(exs) {
			t.Errorf("%d begun (%d ids), %d records", len(begun), len(ids), len(exs))
		}
		for _, ex := range exs {
			b, ok := ids[ex.ID]
			if !ok || b.URL != ex.URL || b.RequestBody != ex.RequestBody || b.Kind != ex.Kind {
				t.Errorf("record %s: begun as %+v", ex.ID, b)
			}
		}
		b, _ := json.Marshal(append(exs, begun...))
		for _, secret := range []string{sandbox.DemoSoloClientSecret, sandbox.DemoBulkSecret, sandbox.DemoBulkAPIKey, sandbox.DemoSessionPassword, "Signature="} {
			if strings.Contains(string(b), secret) {
				t.Errorf("archive holds %q", secret)
			}
		}
		// Tokens (40 hex digits), session ids (32) and signatures (128) must
		// not survive anywhere in a record.
		if m := regexp.MustCompile(`[0-9a-fA-F]{32,}`).FindString(string(b)); m != "" {
			t.Errorf("archive holds a token, session id or signature: %s", m)
		}
		kinds := map[hotelrates.CallKind]int{}
		for _, ex := range exs {
			kinds[ex.Kind]++
			for _, v := range ex.RequestHeader["Authorization"] {
				if v != "[REDACTED]" {
					t.Errorf("authorization header kept: %q", v)
				}
			}
		}
		if kinds[hotelrates.CallAuth] < 2 || kinds[hotelrates.CallLogout] < 1 || kinds[hotelrates.CallRates] < 120 {
			t.Errorf("record kinds %v", kinds)
		}
	})
}

func TestGoroutinesBoundedByConfiguration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		sim := startSim(t, cfg)
		e := newEngine(t, sim, nil)
		base := runtime.NumGoroutine()
		var peak atomic.Int64
		stop := make(chan struct{})
		var sampler sync.WaitGroup
		sampler.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
					n := int64(runtime.NumGoroutine())
					if n > peak.Load() {
						peak.Store(n)
					}
				}
			}
		})
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				hotels := sandbox.HotelIDs(1+i*20, 20+i*20)
				res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()})
				if err != nil || !res.Complete {
					t.Errorf("search %d: %v %+v", i, err, res.Vendors)
				}
			})
		}
		wg.Wait()
		close(stop)
		sampler.Wait()
		// 100 searching goroutines (the callers) and the sampler, the
		// engine's own bound (pools' maxima, per-vendor constants, two per
		// connection), and the in-process sandbox's goroutine per connection
		// (at most Concurrency+2 per vendor). 2,000 hotel-searches would be
		// 2,000 goroutines in a goroutine-per-hotel design.
		conns := (16 + 2) + (4 + 2) + (4 + 2)
		bound := int64(base + 100 + 1 + e.GoroutineBound(100) + conns)
		if p := peak.Load(); p > bound {
			t.Errorf("peak goroutines %d, bound %d (base %d)", p, bound, base)
		}
		t.Logf("base %d, peak %d, bound %d", base, peak.Load(), bound)
		for _, v := range e.Vendors() {
			t.Logf("%s: latency %.1f ms, limit %.1f, peak in flight %d, hotels per call %.1f", v.Name, v.LatencyMS, v.ConcurrencyLimit, v.PeakInFlight, v.HotelsPerCall)
		}
	})
}

func TestInvalidSearches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, fast())
		e := newEngine(t, sim, nil)
		good := hotelrates.Search{HotelIDs: []string{"H00001"}, Stay: stay()}
		tests := []struct {
			name   string
			mutate func(*hotelrates.Search)
			field  string
		}{
			{"no hotels", func(s *hotelrates.Search) { s.HotelIDs = nil }, "hotel_ids"},
			{"too many hotels", func(s *hotelrates.Search) { s.HotelIDs = sandbox.HotelIDs(1, 5001) }, "hotel_ids"},
			{"bad hotel id", func(s *hotelrates.Search) { s.HotelIDs = []string{"H00001", "has space"} }, "hotel_ids[1]"},
			{"reversed dates", func(s *hotelrates.Search) { s.Stay.CheckOut = s.Stay.CheckIn.AddDays(-1) }, "check_out"},
			{"31 nights", func(s *hotelrates.Search) { s.Stay.CheckOut = s.Stay.CheckIn.AddDays(31) }, "check_out"},
			{"no adults", func(s *hotelrates.Search) { s.Stay.Adults = 0 }, "adults"},
			{"currency", func(s *hotelrates.Search) { s.Stay.Currency = "XYZ" }, "currency"},
			{"unknown vendor", func(s *hotelrates.Search) { s.Vendors = []string{"solo", "nope"} }, "vendors[1]"},
		}
		for _, tt := range tests {
			s := good
			tt.mutate(&s)
			_, err := e.Search(context.Background(), s)
			var he *hotelrates.Error
			if !errors.As(err, &he) || he.Code != hotelrates.CodeInvalidArgument || he.Field != tt.field {
				t.Errorf("%s: err = %v, want invalid_argument on %s", tt.name, err, tt.field)
			}
		}
	})
}

func TestStreamYieldsEveryHotelOnceAsItCompletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, fast())
		e := newEngine(t, sim, nil)
		hotels := sandbox.HotelIDs(1, 150)
		seen := map[string]int{}
		var firstAt time.Duration
		start := time.Now()
		sum, err := e.Stream(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()}, func(hs []hotelrates.HotelResult) error {
			if len(seen) == 0 {
				firstAt = time.Since(start)
			}
			for _, h := range hs {
				seen[h.HotelID]++
				if !h.Complete {
					return fmt.Errorf("hotel %s incomplete", h.HotelID)
				}
				if want := truth(h.HotelID, stay(), sandbox.VendorNames...); !equalOffers(h.Offers, want) {
					return fmt.Errorf("hotel %s differs", h.HotelID)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !sum.Complete || sum.Hotels != nil || len(sum.Vendors) != 3 {
			t.Errorf("summary %+v", sum)
		}
		if len(seen) != 150 {
			t.Errorf("%d hotels streamed", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s streamed %d times", id, n)
			}
		}
		if firstAt >= time.Since(start) {
			t.Error("first hotel came only at the end")
		}
	})
}

// TestStreamInterval: hotels completing within the interval of the last
// batch go together at its end; the first batch and the last are not held
// back, so the search ends as soon as without an interval.
func TestStreamInterval(t *testing.T) {
	type run struct {
		times   []time.Duration // of each onHotels call, since the start
		elapsed time.Duration
	}
	stream := func(t *testing.T, interval time.Duration) run {
		var r run
		synctest.Test(t, func(t *testing.T) {
			cfg := fast()
			cfg.Vendors.Solo.Concurrency = 4
			sim := startSim(t, cfg)
			e := newEngine(t, sim, func(o *engine.Options) {
				o.StreamInterval = interval
				o.Vendors = o.Vendors[:1] // solo: one hotel per call, 4 at a time
				o.Vendors[0].Concurrency = 4
			})
			hotels := sandbox.HotelIDs(1, 120)
			seen := map[string]int{}
			start := time.Now()
			sum, err := e.Stream(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()}, func(hs []hotelrates.HotelResult) error {
				r.times = append(r.times, time.Since(start))
				for _, h := range hs {
					seen[h.HotelID]++
				}
				return nil
			})
			r.elapsed = time.Since(start)
			if err != nil || !sum.Complete {
				t.Fatalf("err %v, complete %v", err, sum.Complete)
			}
			if len(seen) != len(hotels) {
				t.Errorf("%d hotels streamed, want %d", len(seen), len(hotels))
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("%s streamed %d times", id, n)
				}
			}
		})
		return r
	}
	none := stream(t, -1)
	for _, interval := range []time.Duration{5 * time.Millisecond, 20 * time.Millisecond} {
		t.Run(interval.String(), func(t *testing.T) {
			r := stream(t, interval)
			if len(r.times) < 2 {
				t.Fatalf("%d batches", len(r.times))
			}
			if r.times[0] != none.times[0] {
				t.Errorf("first batch at %v, without an interval at %v", r.times[0], none.times[0])
			}
			for i := 1; i < len(r.times)-1; i++ { // the last batch ends the search: not held back
				if gap := r.times[i] - r.times[i-1]; gap < interval {
					t.Errorf("batch %d came %v after the one before, within the interval %v", i, gap, interval)
				}
			}
			if r.elapsed != none.elapsed {
				t.Errorf("search took %v, without an interval %v: the last hotels were held back", r.elapsed, none.elapsed)
			}
			if len(r.times) >= len(none.times) {
				t.Errorf("%d batches, without an interval %d", len(r.times), len(none.times))
			}
		})
	}
}

func TestNoCredentialInLogs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.Faults.Revoke = 0.1
		cfg.Vendors.Solo.Faults.Error500 = 0.1
		cfg.Vendors.Session.Faults.Revoke = 0.1
		sim := startSim(t, cfg)
		var logs syncBuf
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		e := newEngine(t, sim, func(o *engine.Options) { o.Logger = log })
		if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 100), Stay: stay()}); err != nil {
			t.Fatal(err)
		}
		// A vendor whose credentials are wrong logs its failures too.
		bad := sim.Config()
		bad.Vendors.Session.Credentials.Password = "wrong-password-123"
		bad.Vendors.Solo.Credentials.ClientSecret = "wrong-secret-456"
		tr := sim.ln.Transport(8)
		defer tr.CloseIdleConnections()
		e2, err := engine.New(engine.Options{Logger: log, Vendors: []engine.VendorConfig{
			{Vendor: vendorsim.Clients(sim.URL(), bad)[0], Transport: tr}, {Vendor: vendorsim.Clients(sim.URL(), bad)[2], Concurrency: 4, Transport: tr},
		}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e2.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1, 10), Stay: stay()})
		e2.Close(context.Background())
		if err != nil || res.Vendors[0].Status != hotelrates.StatusFailed || res.Vendors[1].Status != hotelrates.StatusFailed {
			t.Fatalf("err %v vendors %+v", err, res.Vendors)
		}
		out := logs.String()
		if !strings.Contains(out, "failed") {
			t.Fatalf("expected failure logs, got:\n%s", out)
		}
		for _, secret := range []string{sandbox.DemoSoloClientSecret, sandbox.DemoBulkSecret, sandbox.DemoSessionPassword, "wrong-password-123", "wrong-secret-456"} {
			if strings.Contains(out, secret) {
				t.Errorf("log holds %q", secret)
			}
		}
		if m := regexp.MustCompile(`[0-9a-fA-F]{32,}`).FindString(out); m != "" {
			t.Errorf("log holds a token or session id: %s", m)
		}
		for _, v := range res.Vendors {
			if strings.Contains(v.Error, "wrong-") {
				t.Errorf("vendor error holds a credential: %s", v.Error)
			}
		}
	})
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Drain ends searches in progress by its time, with what arrived and an
// honest status, long before their own deadline; a search started after
// Drain gets no more than the time left.
func TestDrainEndsSearchesByItsTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Session.Faults.Hang = 1 // never answers
		sim := startSim(t, cfg)
		e := newEngine(t, sim, nil)
		hotels := sandbox.HotelIDs(1, 20)
		type out struct {
			res hotelrates.Result
			err error
		}
		done := make(chan out, 1)
		start := time.Now()
		go func() {
			res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay(), Timeout: 25 * time.Second})
			done <- out{res, err}
		}()
		time.Sleep(200 * time.Millisecond)
		e.Drain(time.Now().Add(300 * time.Millisecond))
		e.Drain(time.Now().Add(time.Hour)) // later: ignored
		got := <-done
		if got.err != nil {
			t.Fatal(got.err)
		}
		if el := time.Since(start); el > 10*time.Second {
			t.Errorf("a drained search took %v", el)
		}
		if got.res.Complete || len(got.res.Hotels) != len(hotels) {
			t.Errorf("complete %v with %d hotels", got.res.Complete, len(got.res.Hotels))
		}
		for _, v := range got.res.Vendors {
			switch v.Vendor {
			case sandbox.Session:
				if v.Status != hotelrates.StatusTimeout || !strings.Contains(v.Error, "shutting down") {
					t.Errorf("session: %+v", v)
				}
			default:
				if v.Status != hotelrates.StatusOK || v.HotelsAnswered != len(hotels) {
					t.Errorf("%s: %+v", v.Vendor, v)
				}
			}
		}
		// After the drain time a new search ends at once.
		start = time.Now()
		res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay(), Timeout: 25 * time.Second})
		if err != nil || res.Complete || time.Since(start) > 5*time.Second {
			t.Errorf("search after the drain: complete %v, %v, took %v", res.Complete, err, time.Since(start))
		}
	})
}
