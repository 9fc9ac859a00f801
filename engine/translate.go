package engine

import (
	"log/slog"
	"sync"

	"hotelrates"
)

// translator is a vendor's side of the hotel mapping and of currency
// conversion, applied by a loader around each call: our hotel ids become
// the vendor's codes on the way out, its codes our ids on the way back,
// and offers it priced in another currency than the search asked for are
// converted. It never modifies what the vendor returned (an adapter may
// hand out a slice it keeps). The zero translator changes nothing.
type translator struct {
	vendor  string
	mapping hotelrates.HotelMapping // nil: the vendor knows hotels by our ids
	rates   *hotelrates.ExchangeRates
	warned  *warnOnce
}

// warnOnce logs a problem once per key: a currency the rates cannot
// convert would otherwise be logged on every call. It remembers at most
// maxWarnKeys keys (the currencies come from vendors' answers); past them
// it stops logging.
type warnOnce struct {
	log  *slog.Logger
	mu   sync.Mutex
	seen map[string]bool
}

func (w *warnOnce) warn(key, msg string, args ...any) {
	if w == nil {
		return
	}
	w.mu.Lock()
	first := !w.seen[key] && len(w.seen) < maxWarnKeys
	if first {
		w.seen[key] = true
	}
	w.mu.Unlock()
	if first {
		w.log.Warn(msg, args...)
	}
}

const maxWarnKeys = 64

func newTranslator(vendor string, m hotelrates.HotelMapping, rates *hotelrates.ExchangeRates, log *slog.Logger) translator {
	t := translator{vendor: vendor, rates: rates, warned: &warnOnce{log: log, seen: map[string]bool{}}}
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
	var out []string
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

// answer returns the vendor's answer to a call for our hotels asked (sent
// as codes), keyed by our ids: a hotel it was not asked for is dropped,
// and offers priced in another currency than currency are converted; one
// that cannot be (no exchange rates, or none for its currency) is dropped
// and logged once, for it cannot be compared with the others. The common
// answer, already right, is returned as it is, without allocating.
func (t translator) answer(offers []hotelrates.HotelOffers, asked, codes []string, currency string) []hotelrates.HotelOffers {
	var index map[string]string // code -> our id, for large batches
	if len(codes) > 16 {
		index = make(map[string]string, len(codes))
		for i, c := range codes {
			index[c] = asked[i]
		}
	}
	ours := func(code string) (string, bool) {
		if index != nil {
			id, ok := index[code]
			return id, ok
		}
		for i, c := range codes {
			if c == code {
				return asked[i], true
			}
		}
		return "", false
	}
	same := true
	for _, ho := range offers {
		id, ok := ours(ho.HotelID)
		same = same && ok && id == ho.HotelID && !foreign(ho.Offers, currency)
	}
	if same {
		return offers
	}
	out := make([]hotelrates.HotelOffers, 0, len(offers))
	for _, ho := range offers {
		id, ok := ours(ho.HotelID)
		if !ok {
			continue
		}
		ho.HotelID = id
		ho.Offers = t.convert(ho.Offers, currency)
		out = append(out, ho)
	}
	return out
}

// foreign reports whether an offer is priced in another currency.
func foreign(offers []hotelrates.Offer, currency string) bool {
	for _, o := range offers {
		if o.Total.Currency != currency {
			return true
		}
	}
	return false
}

// convert returns offers with those priced in another currency than
// currency converted, in a new slice when any is.
func (t translator) convert(offers []hotelrates.Offer, currency string) []hotelrates.Offer {
	if !foreign(offers, currency) {
		return offers
	}
	out := make([]hotelrates.Offer, 0, len(offers))
	for _, o := range offers {
		if o.Total.Currency == currency {
			out = append(out, o)
			continue
		}
		if t.rates == nil {
			t.warned.warn(o.Total.Currency, "offers priced in another currency than asked are dropped: no exchange rates (config currency.rates)",
				"vendor", t.vendor, "currency", o.Total.Currency, "asked", currency)
			continue
		}
		m, err := t.rates.Convert(o.Total, currency)
		if err != nil {
			t.warned.warn(o.Total.Currency+">"+currency, "offers the exchange rates cannot convert are dropped",
				"vendor", t.vendor, "currency", o.Total.Currency, "asked", currency, "err", err)
			continue
		}
		o.Original, o.Total, o.Converted = o.Total, m, true
		out = append(out, o)
	}
	return out
}
