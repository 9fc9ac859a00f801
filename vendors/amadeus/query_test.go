package amadeus

import (
	"context"
	"strings"
	"testing"

	"hotelrates"
	"hotelrates/sandbox"
)

func TestBadQueries(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	ok := codeOf(1)
	set := func(k, v string) string { // validQuery with k set to v ("" drops it)
		var parts []string
		found := false
		for _, p := range strings.Split(validQuery(ok), "&") {
			if strings.HasPrefix(p, k+"=") {
				found = true
				if v == "" {
					continue
				}
				p = k + "=" + v
			}
			parts = append(parts, p)
		}
		if !found && v != "" {
			parts = append(parts, k+"="+v)
		}
		return strings.Join(parts, "&")
	}
	twentyOne := make([]string, 21)
	for i := range twentyOne {
		twentyOne[i] = codeOf(i + 1)
	}
	tests := []struct {
		name, query, param string
		code               int
	}{
		{"not a query", "hotelIds=%zz", "", CodeInvalidFormat},
		{"semicolon", validQuery(ok) + ";x=1", "", CodeInvalidFormat},
		{"no hotelIds", set("hotelIds", ""), "hotelIds", CodeMandatoryMissing},
		{"empty hotelIds", strings.Replace(validQuery(ok), "hotelIds="+ok, "hotelIds=", 1), "hotelIds", CodeMandatoryMissing},
		{"empty code", set("hotelIds", ok+",,"+ok), "hotelIds", CodeInvalidFormat},
		{"21 codes", set("hotelIds", strings.Join(twentyOne, ",")), "hotelIds", CodeInvalidFormat},
		{"short code", set("hotelIds", "HRLON01"), "hotelIds", CodeInvalidHotelCode},
		{"lower-case code", set("hotelIds", strings.ToLower(ok)), "hotelIds", CodeInvalidHotelCode},
		{"our id", set("hotelIds", "H00001"), "hotelIds", CodeInvalidHotelCode},
		{"bad check-in", set("checkInDate", "2027-13-01"), "checkInDate", CodeInvalidCheckIn},
		{"check-in with time", set("checkInDate", "2027-03-10T00:00:00Z"), "checkInDate", CodeInvalidCheckIn},
		{"bad check-out", set("checkOutDate", "12/03/2027"), "checkOutDate", CodeInvalidCheckOut},
		{"check-out before check-in", set("checkOutDate", "2027-03-09"), "checkOutDate", CodeCheckOutOrder},
		{"check-out equals check-in", set("checkOutDate", "2027-03-10"), "checkOutDate", CodeCheckOutOrder},
		{"31 nights", set("checkOutDate", "2027-04-10"), "checkOutDate", CodeMaxStay},
		{"adults 0", set("adults", "0"), "adults", CodeInvalidAdults},
		{"adults 10", set("adults", "10"), "adults", CodeInvalidAdults},
		{"adults empty", strings.Replace(validQuery(ok), "adults=2", "adults=", 1), "adults", CodeInvalidAdults},
		{"adults word", set("adults", "two"), "adults", CodeInvalidAdults},
		{"adults signed", set("adults", "+2"), "adults", CodeInvalidAdults},
		{"rooms 0", set("roomQuantity", "0"), "roomQuantity", CodeInvalidFormat},
		{"rooms 10", set("roomQuantity", "10"), "roomQuantity", CodeInvalidFormat},
		{"child 18", set("childAges", "5,18"), "childAges", CodeInvalidFormat},
		{"child empty", set("childAges", "5,"), "childAges", CodeInvalidFormat},
		{"10 children", set("childAges", "1,1,1,1,1,1,1,1,1,1"), "childAges", CodeInvalidFormat},
		{"currency JPY", set("currency", "JPY"), "currency", CodeInvalidCurrency},
		{"currency lower", set("currency", "usd"), "currency", CodeInvalidCurrency},
		{"priceRange bad", set("priceRange", "cheap"), "priceRange", CodeInvalidFormat},
		{"priceRange no currency", set("currency", "") + "&priceRange=100-200", "currency", CodeMandatoryMissing},
		{"paymentPolicy", set("paymentPolicy", "CASH"), "paymentPolicy", CodeInvalidOption},
		{"boardType", set("boardType", "BB"), "boardType", CodeInvalidOption},
		{"includeClosed", set("includeClosed", "yes"), "includeClosed", CodeInvalidFormat},
		{"bestRateOnly", set("bestRateOnly", "1"), "bestRateOnly", CodeInvalidFormat},
		{"lang", set("lang", "english"), "lang", CodeInvalidFormat},
		{"countryOfResidence", set("countryOfResidence", "gb"), "countryOfResidence", CodeInvalidFormat},
		{"repeated adults", validQuery(ok) + "&adults=2", "adults", CodeInvalidFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, m := e.get(t, cred.Secret, tt.query)
			status, code, title, param := apiErr(t, m)
			if resp.StatusCode != 400 || status != 400 || code != tt.code || title != titles[tt.code] || param != tt.param {
				t.Fatalf("query %q: status %d, %v; want 400 code %d parameter %q", tt.query, resp.StatusCode, m, tt.code, tt.param)
			}
			if ct := resp.Header.Get("Content-Type"); ct != ContentType {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	if s := e.b.Stats(); s.Throttled != 0 || s.Status["400"] != int64(len(tests)) {
		t.Errorf("stats %+v", s)
	}
	// Accepted: the optional parameters the client does not send, and
	// hotelIds repeated rather than comma-separated.
	for _, q := range []string{
		validQuery(ok) + "&lang=fr-FR&countryOfResidence=GB&priceRange=100-300&paymentPolicy=NONE&includeClosed=false",
		validQuery(ok) + "&priceRange=-300", validQuery(ok) + "&priceRange=99.50",
		strings.Replace(validQuery(ok), "hotelIds="+ok, "hotelIds="+ok+"&hotelIds="+codeOf(2), 1),
		"hotelIds=" + ok + "&unknownParameter=1",
	} {
		if resp, m := e.get(t, cred.Secret, q); resp.StatusCode != 200 {
			t.Errorf("query %q: status %d %v", q, resp.StatusCode, m)
		}
	}
	// The client maps a 400 to ErrRejected and names the code.
	bad := testStay
	bad.Currency = "JPY"
	_, err := e.fetch(context.Background(), cred, bad, ok)
	if ve := wantKind(t, err, hotelrates.ErrRejected); ve.Status != 400 || !strings.Contains(err.Error(), "61 INVALID CURRENCY CODE") || !strings.Contains(err.Error(), "parameter currency") {
		t.Errorf("error %v", err)
	}
}

// TestFilters checks the parameters the server honours beyond the
// client's: bestRateOnly (default true), boardType, paymentPolicy,
// includeClosed, and the defaults of the dates, adults and currency.
func TestFilters(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	// A London hotel (GBP, n % 8 == 0) with three offers or more, one
	// refundable and one not.
	var n int
	var truth []hotelrates.Offer
	for n = 8; ; n += 8 {
		truth = sandbox.Offers(sandbox.Amadeus, sandbox.HotelID(n), testStay)
		r, nr := 0, 0
		for _, o := range truth {
			if o.Refundable {
				r++
			} else {
				nr++
			}
		}
		if r > 0 && nr > 0 && len(truth) >= 3 {
			break
		}
	}
	code := codeOf(n)
	offersOf := func(q string) []hotelrates.Offer {
		t.Helper()
		resp, m := e.get(t, cred.Secret, q)
		if resp.StatusCode == 400 {
			if _, c, _, _ := apiErr(t, m); c == CodeNoRooms {
				return nil
			}
		}
		if resp.StatusCode != 200 {
			t.Fatalf("query %q: status %d %v", q, resp.StatusCode, m)
		}
		body, _ := jsonOf(m)
		req, _, _ := parseQuery(q, hotelrates.DateOf(e.clock.Now().UTC()), MaxHotelIDs)
		got, err := decodeOffers("amadeus", body, []string{code}, req.stay, req.adultsPerRoom)
		if err != nil {
			t.Fatalf("query %q: %v", q, err)
		}
		if len(got) == 0 {
			return nil
		}
		return got[0].Offers
	}
	cheapest := truth[0]
	for _, o := range truth {
		if o.Total.Minor < cheapest.Total.Minor {
			cheapest = o
		}
	}
	base := strings.Replace(validQuery(code), "&bestRateOnly=false", "", 1)
	if got := offersOf(base); len(got) != 1 || got[0] != cheapest {
		t.Errorf("bestRateOnly by default: %+v, want only the cheapest %+v", got, cheapest)
	}
	if got := offersOf(base + "&bestRateOnly=false"); len(got) != len(truth) {
		t.Errorf("bestRateOnly=false: %d offers, want %d", len(got), len(truth))
	}
	keep := func(f func(hotelrates.Offer) bool) []hotelrates.Offer {
		var out []hotelrates.Offer
		for _, o := range truth {
			if f(o) {
				out = append(out, o)
			}
		}
		return out
	}
	if got, want := offersOf(base+"&bestRateOnly=false&paymentPolicy=GUARANTEE"), keep(func(o hotelrates.Offer) bool { return o.Refundable }); !equalOffers(got, want) {
		t.Errorf("paymentPolicy=GUARANTEE: %+v, want %+v", got, want)
	}
	if got, want := offersOf(base+"&bestRateOnly=false&paymentPolicy=DEPOSIT"), keep(func(o hotelrates.Offer) bool { return !o.Refundable }); !equalOffers(got, want) {
		t.Errorf("paymentPolicy=DEPOSIT: %+v, want %+v", got, want)
	}
	for board, bt := range boardTypes {
		want := keep(func(o hotelrates.Offer) bool { return o.Board == board })
		if got := offersOf(base + "&bestRateOnly=false&boardType=" + bt); !equalOffers(got, want) {
			t.Errorf("boardType=%s: %+v, want %+v", bt, got, want)
		}
	}
	// No currency: the hotel's local currency (London: GBP).
	noCur := strings.Replace(base, "&currency=USD", "", 1) + "&bestRateOnly=false"
	gbp := testStay
	gbp.Currency = "GBP"
	if got, want := offersOf(noCur), sandbox.Offers(sandbox.Amadeus, sandbox.HotelID(n), gbp); !equalOffers(got, want) {
		t.Errorf("no currency: %+v, want the GBP ground truth %+v", got, want)
	}
	// No dates: check-in today (the server's clock, UTC), one night; no
	// adults: 1.
	today := hotelrates.DateOf(e.clock.Now().UTC())
	def := hotelrates.Stay{CheckIn: today, CheckOut: today.AddDays(1), Adults: 1, Rooms: 1, Currency: "EUR"}
	if got, want := offersOf("hotelIds="+code+"&currency=EUR&bestRateOnly=false"), sandbox.Offers(sandbox.Amadeus, sandbox.HotelID(n), def); !equalOffers(got, want) {
		t.Errorf("defaults: %+v, want %+v", got, want)
	}

	// includeClosed lists a sold-out hotel as available:false, no offers.
	sold := codeOf(findHotel(t, 1, testStay, func(c bool, o []hotelrates.Offer) bool { return c && o == nil }))
	resp, m := e.get(t, cred.Secret, validQuery(sold, code, codeOf(7))+"&includeClosed=true")
	data, _ := m["data"].([]any)
	if resp.StatusCode != 200 || len(data) != 2 {
		t.Fatalf("includeClosed: status %d %v", resp.StatusCode, m)
	}
	if h := data[0].(map[string]any); h["available"] != false || h["offers"] != nil || h["hotel"].(map[string]any)["hotelId"] != sold {
		t.Errorf("closed hotel entry %v", h)
	}
	if h := data[1].(map[string]any); h["available"] != true {
		t.Errorf("open hotel entry %v", h)
	}
	body, _ := jsonOf(m)
	got, err := decodeOffers("amadeus", body, []string{sold, code, codeOf(7)}, testStay, 2)
	if err != nil || len(got) != 1 || got[0].HotelID != code || !equalOffers(got[0].Offers, truth) {
		t.Errorf("client on includeClosed answer: %+v, %v", got, err)
	}
	if resp, _ := e.get(t, cred.Secret, validQuery(sold)+"&includeClosed=true"); resp.StatusCode != 200 {
		t.Errorf("includeClosed, one sold-out hotel: status %d, want 200", resp.StatusCode)
	}
}

func equalOffers(a, b []hotelrates.Offer) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
