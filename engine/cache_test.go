package engine_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"hotelrates"
	"hotelrates/engine"
	"hotelrates/sandbox"
)

func withCache(ttl time.Duration) func(*engine.Options) {
	return func(o *engine.Options) {
		for i := range o.Vendors {
			o.Vendors[i].CacheTTL = ttl
		}
	}
}

func requests(sim interface {
	Stats() map[string]sandbox.VendorStats
}) (n int64) {
	for _, st := range sim.Stats() {
		n += st.RateCalls
	}
	return n
}

func TestRepeatedSearchIsAnsweredFromTheCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, fast())
		e := newEngine(t, sim, withCache(time.Minute))
		hotels := append(sandbox.HotelIDs(1, 120), "H99999")
		first, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()})
		if err != nil {
			t.Fatal(err)
		}
		calls := requests(sim)
		time.Sleep(20 * time.Millisecond)
		second, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()})
		if err != nil {
			t.Fatal(err)
		}
		if n := requests(sim); n != calls {
			t.Errorf("the repeated search made %d vendor calls", n-calls)
		}
		checkTruth(t, second, hotels, stay(), sandbox.VendorNames...)
		for i, h := range second.Hotels {
			if !equalOffers(h.Offers, first.Hotels[i].Offers) || !h.Complete {
				t.Errorf("%s: cached offers differ", h.HotelID)
			}
			if len(h.Sources) != 3 {
				t.Fatalf("%s: sources %+v", h.HotelID, h.Sources)
			}
			for _, s := range h.Sources {
				if !s.Cached || s.Age < 20*time.Millisecond || s.Age > time.Minute {
					t.Errorf("%s: source %+v", h.HotelID, s)
				}
			}
		}
		for _, h := range first.Hotels {
			for _, s := range h.Sources {
				if s.Cached {
					t.Errorf("%s: first answer marked cached", h.HotelID)
				}
			}
		}
		for _, v := range e.Vendors() {
			if v.CacheHits != 121 || v.CacheMisses != 121 || v.CacheSize == 0 {
				t.Errorf("%s: hits %d misses %d size %d", v.Name, v.CacheHits, v.CacheMisses, v.CacheSize)
			}
		}
	})
}

func TestCacheExpiresAndFreshBypasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, fast())
		// A TTL long enough that a slow machine finishes two searches within
		// it (the first answers are cached as the first search runs).
		const ttl = 2 * time.Second
		e := newEngine(t, sim, withCache(ttl))
		hotels := sandbox.HotelIDs(1, 40)
		search := func(fresh bool) int64 {
			before := requests(sim)
			res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay(), Fresh: fresh})
			if err != nil {
				t.Fatal(err)
			}
			checkTruth(t, res, hotels, stay(), sandbox.VendorNames...)
			return requests(sim) - before
		}
		if n := search(false); n == 0 {
			t.Fatal("first search made no calls")
		}
		if n := search(false); n != 0 {
			t.Errorf("cached search made %d calls", n)
		}
		if n := search(true); n == 0 {
			t.Error(`"fresh" search made no calls`)
		}
		time.Sleep(ttl + 200*time.Millisecond)
		if n := search(false); n == 0 {
			t.Error("search after the TTL made no calls")
		}
	})
}

func TestSoldOutAnswersExpireSooner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, fast())
		e := newEngine(t, sim, func(o *engine.Options) {
			o.Vendors = o.Vendors[:1]
			o.Vendors[0].CacheTTL = time.Minute
			o.Vendors[0].CacheEmptyTTL = 200 * time.Millisecond
		})
		// H00004 is not carried by solo: an answer without offers.
		hotels := []string{"H00001", "H00004"}
		e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()})
		time.Sleep(300 * time.Millisecond)
		before := sim.Stats()[sandbox.Solo].RateCalls
		e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()})
		if n := sim.Stats()[sandbox.Solo].RateCalls - before; n != 1 {
			t.Errorf("%d calls: want only the empty answer fetched again", n)
		}
	})
}

func TestConcurrentIdenticalSearchesShareCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.Latency.Base = 30 * time.Millisecond
		cfg.Vendors.Bulk.Latency.Base = 30 * time.Millisecond
		cfg.Vendors.Session.Latency.Base = 30 * time.Millisecond
		sim := startSim(t, cfg)
		e := newEngine(t, sim, nil) // no cache: only coalescing
		hotels := sandbox.HotelIDs(1, 64)
		var wg sync.WaitGroup
		res := make([]hotelrates.Result, 2)
		for i := range 2 {
			wg.Go(func() {
				var err error
				if res[i], err = e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		st := sim.Stats()
		if st[sandbox.Solo].RateCalls != 64 || st[sandbox.Solo].Hotels != 64 {
			t.Errorf("solo: %d calls for 64 hotels asked twice at once", st[sandbox.Solo].RateCalls)
		}
		for _, name := range []string{sandbox.Bulk, sandbox.Session} {
			if st[name].Hotels != 64 {
				t.Errorf("%s: %d hotels asked, want 64", name, st[name].Hotels)
			}
		}
		shared := 0
		for i := range 2 {
			checkTruth(t, res[i], hotels, stay(), sandbox.VendorNames...)
			for _, h := range res[i].Hotels {
				for _, s := range h.Sources {
					if s.Shared {
						shared++
					}
				}
			}
		}
		if shared != 64*3 {
			t.Errorf("%d shared answers, want %d", shared, 64*3)
		}
	})
}

func TestCancelledCallerDoesNotFailTheOther(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Solo.Latency.Base = 50 * time.Millisecond
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) {
			o.Vendors = o.Vendors[:1]
			o.Vendors[0].Concurrency = 4
		})
		hotels := sandbox.HotelIDs(1, 40) // 10 rounds of 4: about 500 ms
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() {
			e.Search(ctx, hotelrates.Search{HotelIDs: hotels, Stay: stay()})
		})
		time.Sleep(20 * time.Millisecond) // the first search's calls are queued and in flight
		var res hotelrates.Result
		var err error
		wg.Go(func() {
			res, err = e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()})
		})
		time.Sleep(30 * time.Millisecond)
		cancel()
		wg.Wait()
		if err != nil || !res.Complete {
			t.Fatalf("the other search: %v, %+v", err, res.Vendors)
		}
		checkTruth(t, res, hotels, stay(), sandbox.Solo)
		if n := sim.Stats()[sandbox.Solo].RateCalls; n != 40 {
			t.Errorf("%d calls for 40 hotels", n)
		}
		if e.Vendors()[0].Coalesced == 0 {
			t.Error("nothing was coalesced")
		}
	})
}

func TestBatchVendorCallsFillUpUnderConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := fast()
		cfg.Vendors.Bulk.Latency.Base = 80 * time.Millisecond
		sim := startSim(t, cfg)
		e := newEngine(t, sim, func(o *engine.Options) {
			o.Vendors = o.Vendors[1:2]
			o.Vendors[0].BatchWindow = 10 * time.Millisecond
		})
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Go(func() {
				hotels := sandbox.HotelIDs(1+i*20, 20+i*20)
				res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: stay()})
				if err != nil {
					t.Error(err)
					return
				}
				checkTruth(t, res, hotels, stay(), sandbox.Bulk)
			})
		}
		wg.Wait()
		st := sim.Stats()[sandbox.Bulk]
		perCall := float64(st.Hotels) / float64(st.RateCalls)
		t.Logf("%d calls for %d hotels: %.1f hotels per call (alone, each search makes 4 calls of 5)", st.RateCalls, st.Hotels, perCall)
		if st.Hotels != 240 || perCall < 10 {
			t.Errorf("%d hotels in %d calls", st.Hotels, st.RateCalls)
		}
		if v := e.Vendors()[0]; v.HotelsPerCall != perCall {
			t.Errorf("/v1/vendors says %.1f hotels per call, the vendor saw %.1f", v.HotelsPerCall, perCall)
		}
	})
}
