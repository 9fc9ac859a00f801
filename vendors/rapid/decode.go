package rapid

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"hotelrates"
	"hotelrates/vendors/vendorhttp"
)

// MaxResponseBody is the largest answer the client reads once decompressed
// (32 MiB); the compressed body is bounded by vendorhttp.MaxBody.
const MaxResponseBody = 32 << 20

// maxResponseBody is MaxResponseBody, lowered by tests.
var maxResponseBody = MaxResponseBody

// readBody reads and closes resp.Body and decompresses it when it is
// gzipped. A body cut short, a gzip stream that is corrupt or cut short,
// and an unknown Content-Encoding are ErrBadResponse: nothing of such a
// body is used.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	raw, err := vendorhttp.ReadBody(c.cfg.Name, resp, vendorhttp.MaxBody)
	if err != nil {
		if ve, ok := errors.AsType[*hotelrates.VendorError](err); ok && ve.Err != nil {
			// A connection error names addresses: said without them.
			ve.Err = c.scrub(ve.Err, "")
		}
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return &hotelrates.VendorError{Vendor: c.cfg.Name, Kind: hotelrates.ErrBadResponse, Status: resp.StatusCode, Err: fmt.Errorf(format, args...)}
	}
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, bad("decompressing body: %v", err)
		}
		b, err := io.ReadAll(io.LimitReader(zr, int64(maxResponseBody)+1))
		if err != nil {
			return nil, bad("decompressing body: %v", err)
		}
		if len(b) > maxResponseBody {
			return nil, bad("body over %d bytes once decompressed", maxResponseBody)
		}
		return b, nil
	default:
		return nil, bad("unsupported Content-Encoding %q", clip(enc, 20))
	}
}

// decodeAnswer parses and checks a 200 answer to a request for the
// properties asked, with occupancies (one per room, as sent) in currency.
// Every listed property must have been asked, once; a property that is not
// "available" (partially_unavailable) has no offers; so has a rate whose
// status is price_changed or sold_out. Each other rate is an offer:
//
//   - Room is the room's room_name, Board is read from the rate's
//     amenities (boardOf), Refundable is the rate's refundable;
//   - Total is the sum, over the occupancies asked, of their
//     occupancy_pricing totals.inclusive.request_currency, which must be
//     exact amounts in currency. The real API prices one room per
//     occupancy, so an occupancy asked for n rooms counts n times; with
//     wholeStay (the sandbox's answers) an occupancy's totals are already
//     for all its rooms and count once;
//   - CancelDeadline, for a refundable rate, is the earliest start of its
//     cancel penalties (until then it cancels free), in UTC; zero without
//     penalties and for a rate that is not refundable.
//
// Properties without offers are left out.
func decodeAnswer(vendor string, body []byte, asked, occupancies []string, currency string, wholeStay bool) ([]hotelrates.HotelOffers, error) {
	var props []wireProperty
	if err := json.Unmarshal(body, &props); err != nil {
		return nil, vendorhttp.DecodeError(vendor, http.StatusOK, err)
	}
	bad := func(format string, args ...any) error {
		return &hotelrates.VendorError{Vendor: vendor, Kind: hotelrates.ErrBadResponse, Status: http.StatusOK, Err: fmt.Errorf(format, args...)}
	}
	if props == nil {
		return nil, bad("answer is not an array of properties")
	}
	want := make(map[string]bool, len(asked))
	for _, id := range asked {
		want[id] = false
	}
	keys, counts := distinct(occupancies)
	out := make([]hotelrates.HotelOffers, 0, len(props))
	for i, p := range props {
		seen, ok := want[p.PropertyID]
		switch {
		case !ok:
			return nil, bad("[%d]: property %q was not asked for", i, clip(p.PropertyID, 64))
		case seen:
			return nil, bad("[%d]: property %q is listed twice", i, clip(p.PropertyID, 64))
		}
		want[p.PropertyID] = true
		switch p.Status {
		case "available":
		case "partially_unavailable":
			continue
		default:
			return nil, bad("[%d]: property status %q is not available or partially_unavailable", i, clip(p.Status, 32))
		}
		var offers []hotelrates.Offer
		for j, r := range p.Rooms {
			for k, rt := range r.Rates {
				if rt.Status != "" && rt.Status != "available" {
					continue
				}
				where := fmt.Sprintf("[%d].rooms[%d].rates[%d]", i, j, k)
				if r.RoomName == "" {
					return nil, bad("%s: the room has no room_name", where)
				}
				total, err := rateTotal(rt.OccupancyPricing, keys, counts, currency, wholeStay)
				if err != nil {
					return nil, bad("%s: %v", where, err)
				}
				o := hotelrates.Offer{Vendor: vendor, Room: r.RoomName, Board: boardOf(rt.Amenities), Total: total, Refundable: rt.Refundable}
				if rt.Refundable {
					if o.CancelDeadline, err = cancelDeadline(rt.CancelPenalties); err != nil {
						return nil, bad("%s: %v", where, err)
					}
				}
				offers = append(offers, o)
			}
		}
		if len(offers) > 0 {
			out = append(out, hotelrates.HotelOffers{HotelID: p.PropertyID, Offers: offers})
		}
	}
	return out, nil
}

// distinct returns the different occupancies, in the order first asked,
// and how many rooms ask for each.
func distinct(occupancies []string) ([]string, map[string]int) {
	counts := make(map[string]int, len(occupancies))
	var keys []string
	for _, o := range occupancies {
		if counts[o] == 0 {
			keys = append(keys, o)
		}
		counts[o]++
	}
	return keys, counts
}

// rateTotal is a rate's price for every room asked (see decodeAnswer). An
// occupancy's price is found under the occupancy as sent or, failing that,
// under one naming the same adults and children's ages in another order.
func rateTotal(pricing map[string]wirePricing, keys []string, counts map[string]int, currency string, wholeStay bool) (hotelrates.Money, error) {
	var sum int64
	for _, k := range keys {
		p, ok := pricing[k]
		if !ok {
			p, ok = findPricing(pricing, k)
		}
		if !ok || p.Totals.Inclusive == nil {
			return hotelrates.Money{}, fmt.Errorf("no totals.inclusive for occupancy %q", k)
		}
		a := p.Totals.Inclusive.RequestCurrency
		if a.Currency != currency {
			return hotelrates.Money{}, fmt.Errorf("occupancy %q: request_currency is %q, asked for %s", k, clip(a.Currency, 8), currency)
		}
		m, err := hotelrates.ParseMoney(a.Value, a.Currency)
		if err != nil {
			return hotelrates.Money{}, fmt.Errorf("occupancy %q: %v", k, err)
		}
		if m.Minor < 0 {
			return hotelrates.Money{}, fmt.Errorf("occupancy %q: the total is negative", k)
		}
		n := int64(counts[k])
		if wholeStay {
			n = 1
		}
		// At most 8 rooms of at most 15 integer digits (and 2 decimals):
		// the sum cannot overflow.
		sum += m.Minor * n
	}
	return hotelrates.Money{Minor: sum, Currency: currency}, nil
}

// findPricing looks for the price of occupancy k under a key with the same
// adults and the same children's ages in any order.
func findPricing(pricing map[string]wirePricing, k string) (wirePricing, bool) {
	want, ok := canonicalOccupancy(k)
	if !ok {
		return wirePricing{}, false
	}
	for key, p := range pricing {
		if c, ok := canonicalOccupancy(key); ok && c == want {
			return p, true
		}
	}
	return wirePricing{}, false
}

// canonicalOccupancy writes an occupancy with its children's ages sorted.
func canonicalOccupancy(s string) (string, bool) {
	adults, ages, err := parseOccupancy(s)
	if err != nil {
		return "", false
	}
	slices.Sort(ages)
	b := []byte(strconv.Itoa(adults))
	for i, a := range ages {
		if i == 0 {
			b = append(b, '-')
		} else {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(a), 10)
	}
	return string(b), true
}

// cancelDeadline is the earliest start of the penalties, in UTC; zero when
// there are none.
func cancelDeadline(penalties []wirePenalty) (time.Time, error) {
	var first time.Time
	for i, p := range penalties {
		t, err := time.Parse(time.RFC3339, p.Start)
		if err != nil {
			return time.Time{}, fmt.Errorf("cancel_penalties[%d].start %q is not ISO 8601 with an offset", i, clip(p.Start, 40))
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	if first.IsZero() {
		return time.Time{}, nil
	}
	return first.UTC(), nil
}

// errorMessage reads an error body: "type: message", its nested errors'
// types and messages, the names of the fields at fault and, for a 401, the
// server's clock (servertimestamp); "" when the body is not in Rapid's
// format. Field values other than the server's clock are left out: a 401
// echoes the API key and signature. The caller redacts and clips.
func errorMessage(body []byte, redact func(string) string) string {
	var e errorBody
	if json.Unmarshal(body, &e) != nil || (e.Type == "" && e.Message == "") {
		return ""
	}
	var b strings.Builder
	// Each part is redacted before it is clipped: a clipped secret would
	// no longer match.
	b.WriteString(clip(redact(e.Type), 60))
	if e.Message != "" {
		if e.Type != "" {
			b.WriteString(": ")
		}
		b.WriteString(clip(redact(e.Message), 160))
	}
	var names []string
	server := false
	for _, f := range e.Fields {
		if !server && f.Name == "servertimestamp" && f.Value != "" && len(f.Value) <= 20 && strings.Trim(string(f.Value), "0123456789") == "" {
			b.WriteString(" (server time " + string(f.Value) + ")")
			server = true
			continue
		}
		if len(names) < 6 {
			names = append(names, clip(redact(f.Name), 30))
		}
	}
	for i, d := range e.Errors {
		if i == 4 {
			fmt.Fprintf(&b, "; and %d more", len(e.Errors)-i)
			break
		}
		fmt.Fprintf(&b, "; %s: %s", clip(redact(d.Type), 60), clip(redact(d.Message), 120))
	}
	if len(names) > 0 {
		b.WriteString(" (fields: " + strings.Join(names, ", ") + ")")
	}
	return b.String()
}
