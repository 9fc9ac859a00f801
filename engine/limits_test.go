package engine_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"hotelrates"
	"hotelrates/engine"
)

// windowVendor allows perWindow calls per window of time, says so on every
// answer (hotelrates.ReportRateLimit, as Rapid's Rate-Limit-* headers do),
// and answers 429 past it; with quota set, it answers that the account's
// quota is used up.
type windowVendor struct {
	info      hotelrates.VendorInfo
	perWindow int
	window    time.Duration
	quota     bool

	mu        sync.Mutex
	start     time.Time
	used      int
	calls     int
	throttled int
}

func (v *windowVendor) Info() hotelrates.VendorInfo { return v.info }

func (v *windowVendor) Authenticate(context.Context, *http.Client) (hotelrates.Credential, error) {
	return hotelrates.Credential{}, nil
}

func (v *windowVendor) Fetch(ctx context.Context, _ *http.Client, _ hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls++
	if v.quota {
		return nil, &hotelrates.VendorError{Vendor: v.info.Name, Kind: hotelrates.ErrQuota, Status: 403, RetryAfter: time.Hour}
	}
	now := time.Now()
	if v.start.IsZero() || now.Sub(v.start) >= v.window {
		v.start, v.used = now, 0
	}
	reset := v.start.Add(v.window).Sub(now)
	if v.used >= v.perWindow {
		v.throttled++
		return nil, &hotelrates.VendorError{Vendor: v.info.Name, Kind: hotelrates.ErrThrottled, Status: 429, RetryAfter: reset}
	}
	v.used++
	hotelrates.ReportRateLimit(ctx, v.perWindow-v.used, reset)
	out := make([]hotelrates.HotelOffers, 0, len(q.HotelIDs))
	for _, h := range q.HotelIDs {
		out = append(out, hotelrates.HotelOffers{HotelID: h, Offers: []hotelrates.Offer{{Room: "Double", Board: "RO", Total: hotelrates.Money{Minor: 100, Currency: "USD"}}}})
	}
	return out, nil
}

// TestPublishedRateLimitSlowsCallsBefore429: once the vendor says how many
// calls are left in its window, the engine spreads them out and never
// reaches its limit.
func TestPublishedRateLimitSlowsCallsBefore429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := &windowVendor{info: hotelrates.VendorInfo{Name: "windowed", MaxBatch: 1}, perWindow: 4, window: time.Second}
		e := newCodedEngine(t, engine.Options{}, v)
		hotels := []string{"H1", "H2", "H3", "H4", "H5", "H6", "H7", "H8", "H9", "H10"}
		var before int
		for i := range 2 {
			res, err := e.Search(t.Context(), hotelrates.Search{HotelIDs: hotels, Stay: instantStay, Fresh: true})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Complete {
				t.Fatalf("incomplete: %+v", res.Vendors)
			}
			if i == 0 {
				// Calls sent before the first answer told the budget may
				// meet the limit (how many go first depends on scheduling);
				// the second search starts with the budget known.
				v.mu.Lock()
				before = v.throttled
				v.mu.Unlock()
			}
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		if n := v.throttled - before; n > 0 {
			t.Errorf("with the budget known, the vendor answered 429 %d times (%d calls in all)", n, v.calls)
		}
	})
}

// TestQuotaExhaustedPausesTheVendor: a used-up quota pauses the vendor
// until it is renewed; meanwhile its work fails at once, without a call,
// and the status says why.
func TestQuotaExhaustedPausesTheVendor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := &windowVendor{info: hotelrates.VendorInfo{Name: "quota", MaxBatch: 10}, quota: true, perWindow: 100, window: time.Second}
		e := newCodedEngine(t, engine.Options{}, v)
		search := func() hotelrates.VendorStatus {
			res, err := e.Search(t.Context(), hotelrates.Search{HotelIDs: []string{"H1", "H2"}, Stay: instantStay, Fresh: true})
			if err != nil {
				t.Fatal(err)
			}
			return res.Vendors[0]
		}
		first := search()
		v.mu.Lock()
		calls := v.calls
		v.mu.Unlock()
		if first.Status != hotelrates.StatusFailed || !strings.Contains(first.Error, "quota") {
			t.Errorf("first search: %+v", first)
		}
		if st := e.Vendors()[0]; st.Retries != 0 {
			t.Errorf("a used-up quota was retried %d times", st.Retries)
		}
		start := time.Now()
		second := search()
		if second.Status != hotelrates.StatusFailed || !strings.Contains(second.Error, "quota is used up") || second.Calls != 0 {
			t.Errorf("second search: %+v, want failed at once without a call", second)
		}
		if waited := time.Since(start); waited > time.Millisecond {
			t.Errorf("the second search waited %v", waited)
		}
		if st := e.Vendors(); len(st) != 1 || !st[0].Paused || st[0].QuotaExhaustedUntil.IsZero() {
			t.Errorf("vendor state %+v, want paused", st)
		}
		v.mu.Lock()
		if v.calls != calls {
			t.Errorf("%d calls after the first search's %d", v.calls, calls)
		}
		v.quota = false
		v.mu.Unlock()
		time.Sleep(time.Hour + time.Second) // the quota is renewed
		if s := search(); s.Status != hotelrates.StatusOK {
			t.Errorf("after the quota's renewal: %+v", s)
		}
	})
}
