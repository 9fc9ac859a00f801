package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"hotelrates"
	"hotelrates/engine"
)

// codedVendor knows hotels only by its own codes ("X-" + our id), prices
// in EUR whatever it is asked, and keeps every query it gets.
type codedVendor struct {
	info    hotelrates.VendorInfo
	mu      sync.Mutex
	queries [][]string
}

func (v *codedVendor) Info() hotelrates.VendorInfo { return v.info }

func (v *codedVendor) Authenticate(context.Context, *http.Client) (hotelrates.Credential, error) {
	return hotelrates.Credential{}, nil
}

func (v *codedVendor) Fetch(_ context.Context, _ *http.Client, _ hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	v.mu.Lock()
	v.queries = append(v.queries, slices.Clone(q.HotelIDs))
	v.mu.Unlock()
	var out []hotelrates.HotelOffers
	for _, code := range q.HotelIDs {
		if !strings.HasPrefix(code, "X-") {
			continue // a code it does not know: no offers
		}
		out = append(out, hotelrates.HotelOffers{HotelID: code, Offers: []hotelrates.Offer{
			{Vendor: v.info.Name, Room: "Double", Board: "BB", Total: hotelrates.Money{Minor: 10000, Currency: "EUR"}},
		}})
	}
	return out, nil
}

func (v *codedVendor) asked() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var all []string
	for _, q := range v.queries {
		all = append(all, q...)
	}
	slices.Sort(all)
	return all
}

func newCodedEngine(t *testing.T, opts engine.Options, vendors ...hotelrates.Vendor) *engine.Engine {
	t.Helper()
	for _, v := range vendors {
		opts.Vendors = append(opts.Vendors, engine.VendorConfig{Vendor: v, Concurrency: 4})
	}
	opts.DefaultTimeout, opts.MaxTimeout, opts.Logger = 10*time.Second, 10*time.Second, slog.New(slog.DiscardHandler)
	e, err := engine.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return e
}

// TestMappingAsksOnlyCarryingVendors: a vendor the mapping covers gets
// only the hotels it carries, by its codes; its answers come back under
// our ids, converted to the search's currency; its status counts only
// those hotels. A vendor the mapping does not cover gets every hotel.
func TestMappingAsksOnlyCarryingVendors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &hotelrates.Mapping{}
		for _, h := range []string{"H1", "H3"} {
			if err := m.Add(h, "coded", "X-"+h); err != nil {
				t.Fatal(err)
			}
		}
		rates, err := hotelrates.NewExchangeRates("EUR", "2026-12-01", map[string]string{"USD": "1.1"})
		if err != nil {
			t.Fatal(err)
		}
		coded := &codedVendor{info: hotelrates.VendorInfo{Name: "coded", MaxBatch: 10}}
		plain := &codedVendor{info: hotelrates.VendorInfo{Name: "plain", MaxBatch: 10}}
		e := newCodedEngine(t, engine.Options{Mapping: m, Rates: rates}, coded, plain)
		res, err := e.Search(t.Context(), hotelrates.Search{HotelIDs: []string{"H1", "H2", "H3"}, Stay: instantStay})
		if err != nil {
			t.Fatal(err)
		}
		if got := coded.asked(); !slices.Equal(got, []string{"X-H1", "X-H3"}) {
			t.Errorf("coded vendor asked for %v, want its codes of H1 and H3", got)
		}
		if got := plain.asked(); !slices.Equal(got, []string{"H1", "H2", "H3"}) {
			t.Errorf("plain vendor asked for %v, want every hotel by our id", got)
		}
		if !res.Complete || len(res.Hotels) != 3 {
			t.Fatalf("complete %v, %d hotels", res.Complete, len(res.Hotels))
		}
		for _, h := range res.Hotels {
			want := 0
			if h.HotelID != "H2" {
				want = 1
			}
			if len(h.Offers) != want {
				t.Errorf("%s: %d offers, want %d (the plain vendor knows no hotel by our id)", h.HotelID, len(h.Offers), want)
			}
			for _, o := range h.Offers {
				if o.Vendor != "coded" || !o.Converted || o.Total != (hotelrates.Money{Minor: 11000, Currency: "USD"}) || o.Original != (hotelrates.Money{Minor: 10000, Currency: "EUR"}) {
					t.Errorf("%s: offer %+v, want 100.00 EUR converted to 110.00 USD", h.HotelID, o)
				}
			}
		}
		for _, s := range res.Vendors {
			want := map[string]int{"coded": 2, "plain": 3}[s.Vendor]
			if s.HotelsRequested != want || s.HotelsAnswered != want || s.Status != hotelrates.StatusOK {
				t.Errorf("%s: %+v, want %d hotels requested and answered", s.Vendor, s, want)
			}
		}
	})
}

// TestChildrenSkipVendorsThatCannotPriceThem: with children in the stay,
// a vendor that cannot price them is not asked and its status says so,
// and the search is complete once the vendors that can have answered.
func TestChildrenSkipVendorsThatCannotPriceThem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		kids := &codedVendor{info: hotelrates.VendorInfo{Name: "kids", MaxBatch: 10, Children: true}}
		adults := &codedVendor{info: hotelrates.VendorInfo{Name: "adults", MaxBatch: 10}}
		e := newCodedEngine(t, engine.Options{}, kids, adults)
		st := instantStay
		st.Children = []int{9, 4}
		res, err := e.Search(t.Context(), hotelrates.Search{HotelIDs: []string{"H1", "H2"}, Stay: st})
		if err != nil {
			t.Fatal(err)
		}
		if len(adults.asked()) != 0 {
			t.Errorf("the vendor without children was asked for %v", adults.asked())
		}
		if len(kids.asked()) != 2 {
			t.Errorf("the vendor with children was asked for %v", kids.asked())
		}
		if !res.Complete {
			t.Error("the search is not complete")
		}
		for _, s := range res.Vendors {
			switch s.Vendor {
			case "adults":
				if s.Status != hotelrates.StatusSkipped || s.HotelsRequested != 0 || s.Calls != 0 || !strings.Contains(s.Error, "children") {
					t.Errorf("adults: %+v, want skipped, saying why", s)
				}
			case "kids":
				if s.Status != hotelrates.StatusOK || s.HotelsRequested != 2 {
					t.Errorf("kids: %+v", s)
				}
			}
		}
	})
}

// pickyVendor cannot price stays of more than one room.
type pickyVendor struct{ codedVendor }

func (v *pickyVendor) CanPrice(s hotelrates.Stay) error {
	if s.Rooms > 1 {
		return errors.New("one room per call only")
	}
	return nil
}

// TestStayCheckerSkipsVendorsThatCannotPriceTheStay: a vendor that says it
// cannot price the stay is not asked, and its status says why.
func TestStayCheckerSkipsVendorsThatCannotPriceTheStay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		picky := &pickyVendor{codedVendor{info: hotelrates.VendorInfo{Name: "picky", MaxBatch: 10}}}
		e := newCodedEngine(t, engine.Options{}, picky)
		st := instantStay
		st.Adults, st.Rooms = 4, 2
		res, err := e.Search(t.Context(), hotelrates.Search{HotelIDs: []string{"H1"}, Stay: st})
		if err != nil {
			t.Fatal(err)
		}
		if s := res.Vendors[0]; s.Status != hotelrates.StatusSkipped || !strings.Contains(s.Error, "one room per call only") || len(picky.asked()) != 0 {
			t.Errorf("status %+v, asked %v", s, picky.asked())
		}
		if res, err = e.Search(t.Context(), hotelrates.Search{HotelIDs: []string{"H1"}, Stay: instantStay}); err != nil || res.Vendors[0].Status != hotelrates.StatusOK {
			t.Errorf("one room: %v, %+v", err, res.Vendors)
		}
	})
}
