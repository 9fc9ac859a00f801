package engine

import (
	"log/slog"
	"reflect"
	"testing"

	"hotelrates"
)

func TestTranslatorAnswer(t *testing.T) {
	usd := func(m int64) hotelrates.Money { return hotelrates.Money{Minor: m, Currency: "USD"} }
	m := &hotelrates.Mapping{}
	for _, h := range []string{"H1", "H2"} {
		if err := m.Add(h, "v", "X-"+h); err != nil {
			t.Fatal(err)
		}
	}
	rates, err := hotelrates.NewExchangeRates("EUR", "", map[string]string{"USD": "1.1"})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name         string
		mapping      hotelrates.HotelMapping
		rates        *hotelrates.ExchangeRates
		asked, codes []string
		answer, want []hotelrates.HotelOffers
	}{
		{"already right: as it is", nil, rates, []string{"H1"}, []string{"H1"},
			[]hotelrates.HotelOffers{{HotelID: "H1", Offers: []hotelrates.Offer{{Total: usd(100)}}}},
			[]hotelrates.HotelOffers{{HotelID: "H1", Offers: []hotelrates.Offer{{Total: usd(100)}}}}},
		{"codes back to our ids, a hotel not asked dropped", m, rates, []string{"H1"}, []string{"X-H1"},
			[]hotelrates.HotelOffers{{HotelID: "X-H1", Offers: []hotelrates.Offer{{Total: usd(100)}}}, {HotelID: "X-H2", Offers: []hotelrates.Offer{{Total: usd(200)}}}},
			[]hotelrates.HotelOffers{{HotelID: "H1", Offers: []hotelrates.Offer{{Total: usd(100)}}}}},
		{"unmapped vendor: a hotel not asked dropped", nil, rates, []string{"H1"}, []string{"H1"},
			[]hotelrates.HotelOffers{{HotelID: "H2", Offers: []hotelrates.Offer{{Total: usd(200)}}}, {HotelID: "H1"}},
			[]hotelrates.HotelOffers{{HotelID: "H1"}}},
		{"converted, the unconvertible dropped", nil, rates, []string{"H1"}, []string{"H1"},
			[]hotelrates.HotelOffers{{HotelID: "H1", Offers: []hotelrates.Offer{{Room: "a", Total: hotelrates.Money{Minor: 10000, Currency: "EUR"}}, {Room: "b", Total: hotelrates.Money{Minor: 5, Currency: "AED"}}, {Room: "c", Total: usd(7)}}}},
			[]hotelrates.HotelOffers{{HotelID: "H1", Offers: []hotelrates.Offer{{Room: "a", Total: usd(11000), Converted: true, Original: hotelrates.Money{Minor: 10000, Currency: "EUR"}}, {Room: "c", Total: usd(7)}}}}},
		{"no rates: foreign offers dropped", nil, nil, []string{"H1"}, []string{"H1"},
			[]hotelrates.HotelOffers{{HotelID: "H1", Offers: []hotelrates.Offer{{Room: "a", Total: hotelrates.Money{Minor: 10000, Currency: "EUR"}}}}},
			[]hotelrates.HotelOffers{{HotelID: "H1", Offers: []hotelrates.Offer{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTranslator("v", tt.mapping, tt.rates, log)
			before := clone(tt.answer)
			got := tr.answer(tt.answer, tt.asked, tt.codes, "USD")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
			if !reflect.DeepEqual(tt.answer, before) {
				t.Errorf("the vendor's own answer was modified: %+v", tt.answer)
			}
		})
	}
	// The common answer costs nothing.
	tr := newTranslator("v", nil, rates, log)
	ans := []hotelrates.HotelOffers{{HotelID: "H1", Offers: []hotelrates.Offer{{Total: usd(100)}}}}
	asked := []string{"H1"}
	if n := testing.AllocsPerRun(100, func() { tr.answer(ans, asked, asked, "USD") }); n != 0 {
		t.Errorf("%v allocations for an answer already right", n)
	}
}

func clone(hs []hotelrates.HotelOffers) []hotelrates.HotelOffers {
	out := make([]hotelrates.HotelOffers, len(hs))
	for i, h := range hs {
		out[i] = hotelrates.HotelOffers{HotelID: h.HotelID, Offers: append([]hotelrates.Offer(nil), h.Offers...)}
	}
	return out
}
