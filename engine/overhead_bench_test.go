package engine_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/engine"
)

// The engine's own overhead: vendors that answer at once from memory (no
// HTTP, no sleep), so what is measured is planning, queueing, the loader
// hand-offs, credentials, the gate and aggregation. docs/performance.md
// keeps the figures and the before/after of every optimisation.

// instantVendor answers every hotel at once with one offer.
type instantVendor struct {
	info  hotelrates.VendorInfo
	offer []hotelrates.Offer
}

func newInstantVendor(name string, maxBatch int, auth hotelrates.AuthScheme, sessions int) *instantVendor {
	return &instantVendor{
		info: hotelrates.VendorInfo{Name: name, MaxBatch: maxBatch, Auth: auth, MaxSessions: sessions},
		offer: []hotelrates.Offer{{
			Vendor: name, Room: "Standard Double", Board: "BB",
			Total: hotelrates.Money{Minor: 24000, Currency: "USD"},
		}},
	}
}

func (v *instantVendor) Info() hotelrates.VendorInfo { return v.info }

func (v *instantVendor) Authenticate(context.Context, *http.Client) (hotelrates.Credential, error) {
	return hotelrates.Credential{Secret: "instant", Expires: time.Now().Add(time.Hour), IdleTimeout: time.Hour}, nil
}

func (v *instantVendor) Fetch(_ context.Context, _ *http.Client, _ hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	out := make([]hotelrates.HotelOffers, len(q.HotelIDs))
	for i, id := range q.HotelIDs {
		out[i] = hotelrates.HotelOffers{HotelID: id, Offers: v.offer}
	}
	return out, nil
}

func newInstantEngine(b *testing.B, vcs ...engine.VendorConfig) *engine.Engine {
	b.Helper()
	e, err := engine.New(engine.Options{
		Vendors: vcs, DefaultTimeout: time.Minute, MaxTimeout: time.Minute,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Close(ctx); err != nil {
			b.Error(err)
		}
	})
	return e
}

func instantHotels(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("H%05d", i+1)
	}
	return ids
}

var instantStay = hotelrates.Stay{
	CheckIn: hotelrates.MustDate("2027-03-10"), CheckOut: hotelrates.MustDate("2027-03-12"),
	Adults: 2, Rooms: 1, Currency: "USD",
}

// BenchmarkEngineCall is the engine's cost per vendor call: b.N calls to a
// single-hotel token vendor (concurrency 16) made as searches of up to 256
// hotels, so one op is one call with its share of a search.
func BenchmarkEngineCall(b *testing.B) {
	e := newInstantEngine(b, engine.VendorConfig{
		Vendor: newInstantVendor("instant-solo", 1, hotelrates.AuthToken, 0), Concurrency: 16, MinConcurrency: 16,
	})
	const per = 256
	hotels := instantHotels(per)
	ctx := context.Background()
	if _, err := e.Search(ctx, hotelrates.Search{HotelIDs: hotels[:32], Stay: instantStay}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for left := b.N; left > 0; left -= per {
		n := min(left, per)
		res, err := e.Search(ctx, hotelrates.Search{HotelIDs: hotels[:n], Stay: instantStay})
		if err != nil || !res.Complete || len(res.Hotels) != n {
			b.Fatalf("err %v, complete %v, %d hotels", err, res.Complete, len(res.Hotels))
		}
	}
}

// BenchmarkSearch100x3 is one search of 100 hotels over three instant
// vendors shaped like the sandbox's: one hotel per call with a token (100
// calls), batches of up to 250 signed (4 calls), batches of up to 20 on
// four sessions (8 calls).
func BenchmarkSearch100x3(b *testing.B) {
	e := newInstantEngine(b,
		engine.VendorConfig{Vendor: newInstantVendor("instant-solo", 1, hotelrates.AuthToken, 0), Concurrency: 16, MinConcurrency: 16},
		engine.VendorConfig{Vendor: newInstantVendor("instant-bulk", 250, hotelrates.AuthNone, 0), Concurrency: 4, MinConcurrency: 4},
		engine.VendorConfig{Vendor: newInstantVendor("instant-session", 20, hotelrates.AuthSession, 4), Concurrency: 4, MinConcurrency: 4},
	)
	hotels := instantHotels(100)
	ctx := context.Background()
	if _, err := e.Search(ctx, hotelrates.Search{HotelIDs: hotels, Stay: instantStay}); err != nil {
		b.Fatal(err)
	}
	calls := 0
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.Search(ctx, hotelrates.Search{HotelIDs: hotels, Stay: instantStay})
		if err != nil || !res.Complete || len(res.Hotels) != 100 {
			b.Fatalf("err %v, complete %v, %d hotels", err, res.Complete, len(res.Hotels))
		}
		for _, v := range res.Vendors {
			calls += v.Calls
		}
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/search")
}
