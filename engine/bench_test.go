package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/engine"
	"hotelrates/sandbox"
)

// BenchmarkSearch200 is a 200-hotel search over the three default sandbox
// vendors (fixed latency, real HTTP on loopback), reported against the
// physical floor: the slowest vendor's ceil(N/C)·L, here solo's
// ceil(200/16)·40 ms = 520 ms. Expect ms/search within 10% of floor_ms.
func BenchmarkSearch200(b *testing.B) {
	cfg := sandbox.DefaultConfig()
	sim := startLoopbackSim(b, cfg)
	e := newEngine(b, sim, nil)
	hotels := sandbox.HotelIDs(1, 200)
	st := hotelrates.Stay{CheckIn: hotelrates.MustDate("2027-03-10"), CheckOut: hotelrates.MustDate("2027-03-12"), Adults: 2, Rooms: 1, Currency: "USD"}
	// Warm up: token, sessions, connections.
	if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels[:20], Stay: st}); err != nil {
		b.Fatal(err)
	}
	floor := sandbox.SearchFloor(cfg, len(hotels), sandbox.VendorNames...)
	var total time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: st})
		if err != nil || !res.Complete {
			b.Fatalf("err %v, %+v", err, res.Vendors)
		}
		total += time.Since(start)
	}
	mean := total / time.Duration(b.N)
	b.ReportMetric(float64(mean.Microseconds())/1000, "ms/search")
	b.ReportMetric(float64(floor.Microseconds())/1000, "floor_ms")
	b.ReportMetric(float64(mean)/float64(floor), "x_floor")
}

// BenchmarkCachedSearch100 is a 100-hotel search over the three sandbox
// vendors answered wholly from the rate cache: the engine's own cost of a
// search without vendor work.
func BenchmarkCachedSearch100(b *testing.B) {
	cfg := sandbox.DefaultConfig()
	sim := startLoopbackSim(b, cfg)
	e := newEngine(b, sim, withCache(time.Hour))
	hotels := sandbox.HotelIDs(1, 100)
	st := hotelrates.Stay{CheckIn: hotelrates.MustDate("2027-03-10"), CheckOut: hotelrates.MustDate("2027-03-12"), Adults: 2, Rooms: 1, Currency: "USD"}
	if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: st}); err != nil {
		b.Fatal(err)
	}
	calls := sim.Stats()[sandbox.Solo].RateCalls
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: hotels, Stay: st})
		if err != nil || !res.Complete {
			b.Fatalf("err %v, %+v", err, res.Vendors)
		}
	}
	if sim.Stats()[sandbox.Solo].RateCalls != calls {
		b.Fatal("the cached search called the vendor")
	}
}

// BenchmarkSearchesEndingAtDeadline is ten searches of 1,000 hotels on a
// single-hotel vendor (C=8, 50 ms, real HTTP on loopback) that all end at
// their 300 ms deadline: late_ms is how long after its deadline the last
// of them returned.
func BenchmarkSearchesEndingAtDeadline(b *testing.B) {
	cfg := sandbox.DefaultConfig()
	cfg.Vendors.Solo.Latency.Base = 50 * time.Millisecond
	cfg.Vendors.Solo.Latency.Jitter = "none"
	cfg.Vendors.Solo.Concurrency = 8
	sim := startLoopbackSim(b, cfg)
	e := newEngine(b, sim, func(o *engine.Options) {
		o.Vendors = o.Vendors[:1]
		o.Vendors[0].Concurrency = 8
	})
	st := hotelrates.Stay{CheckIn: hotelrates.MustDate("2027-03-10"), CheckOut: hotelrates.MustDate("2027-03-12"), Adults: 2, Rooms: 1, Currency: "USD"}
	if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(19001, 19016), Stay: st}); err != nil {
		b.Fatal(err)
	}
	const timeout = 300 * time.Millisecond
	var worst, total time.Duration
	for b.Loop() {
		start := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var late time.Duration
		for i := range 10 {
			wg.Go(func() {
				e.Search(context.Background(), hotelrates.Search{HotelIDs: sandbox.HotelIDs(1+i*1000, (i+1)*1000), Stay: st, Timeout: timeout, Fresh: true})
				mu.Lock()
				late = max(late, time.Since(start)-timeout)
				mu.Unlock()
			})
		}
		wg.Wait()
		worst, total = max(worst, late), total+late
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "late_ms")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst_late_ms")
}
