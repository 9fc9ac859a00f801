package engine_test

import (
	"context"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// BenchmarkSearch200 is a 200-hotel search over the three default sandbox
// vendors (fixed latency, real HTTP on loopback), reported against the
// physical floor: the slowest vendor's ceil(N/C)·L, here solo's
// ceil(200/16)·40 ms = 520 ms. Expect ms/search within 10% of floor_ms.
func BenchmarkSearch200(b *testing.B) {
	cfg := sandbox.DefaultConfig()
	sim := startSim(b, cfg)
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
	sim := startSim(b, cfg)
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
