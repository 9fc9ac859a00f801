package engine

import "hotelrates"

// translator is a vendor's side of the hotel mapping and of currency
// conversion, applied by a loader around each call: our hotel ids become
// the vendor's codes on the way out, its codes our ids on the way back,
// and offers it priced in another currency than the search asked for are
// converted. The zero translator changes nothing.
type translator struct {
	vendor  string
	mapping hotelrates.HotelMapping // nil: the vendor knows hotels by our ids
	rates   *hotelrates.ExchangeRates
}

func newTranslator(vendor string, m hotelrates.HotelMapping, rates *hotelrates.ExchangeRates) translator {
	t := translator{vendor: vendor, rates: rates}
	if m != nil && m.Covers(vendor) {
		t.mapping = m
	}
	return t
}

// carries returns the hotels of ids the vendor carries: all of them when
// the mapping does not cover it. ids itself is returned when nothing is
// left out.
func (t translator) carries(ids []string) []string {
	if t.mapping == nil {
		return ids
	}
	out := ids[:0:0]
	for i, id := range ids {
		if _, ok := t.mapping.VendorCode(t.vendor, id); !ok {
			if out == nil {
				out = make([]string, i, len(ids))
				copy(out, ids[:i])
			}
			continue
		}
		if out != nil {
			out = append(out, id)
		}
	}
	if out == nil {
		return ids
	}
	return out
}

// codes returns the vendor's codes of ids (planned from carries, so each
// has one).
func (t translator) codes(ids []string) []string {
	if t.mapping == nil {
		return ids
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		c, ok := t.mapping.VendorCode(t.vendor, id)
		if !ok {
			c = id
		}
		out[i] = c
	}
	return out
}

// answer keys the vendor's answer by our ids (dropping hotels it was not
// asked for under any code it has) and converts offers priced in another
// currency than currency.
func (t translator) answer(offers []hotelrates.HotelOffers, currency string) []hotelrates.HotelOffers {
	if t.mapping != nil {
		kept := offers[:0]
		for _, ho := range offers {
			id, ok := t.mapping.HotelID(t.vendor, ho.HotelID)
			if !ok {
				continue
			}
			ho.HotelID = id
			kept = append(kept, ho)
		}
		offers = kept
	}
	if t.rates == nil {
		return offers
	}
	for i := range offers {
		for j := range offers[i].Offers {
			o := &offers[i].Offers[j]
			if o.Total.Currency == currency || o.Converted {
				continue
			}
			if m, err := t.rates.Convert(o.Total, currency); err == nil {
				o.Original, o.Total, o.Converted = o.Total, m, true
			}
		}
	}
	return offers
}
