package amadeus

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// TestGroundTruth asks, over real HTTP and in batches of up to 20, for a
// spread of hotels (carried, not carried, sold out, codes no hotel has)
// and stays (children, several rooms, every sandbox currency, 1 and 30
// nights): every hotel's offers equal sandbox.Offers for its catalog id,
// in order, field by field, and one call answers each batch.
func TestGroundTruth(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	var codes []string
	for n := 1; n <= 70; n++ {
		codes = append(codes, codeOf(n)) // n % 7 == 0: not carried
	}
	// Well-formed codes no catalog hotel has: a wrong city for the
	// number, a number past the catalog, another chain.
	codes = append(codes, "HRLON001", "HRLONZZZ", "MCLONGHM", codeOf(20001))
	stays := []hotelrates.Stay{
		testStay,
		{CheckIn: hotelrates.MustDate("2027-02-27"), CheckOut: hotelrates.MustDate("2027-03-29"), Adults: 9, Rooms: 9, Currency: "EUR"},
		{CheckIn: hotelrates.MustDate("2026-06-30"), CheckOut: hotelrates.MustDate("2026-07-01"), Adults: 1, Rooms: 1, Currency: "GBP"},
		{CheckIn: hotelrates.MustDate("2027-07-01"), CheckOut: hotelrates.MustDate("2027-07-08"), Adults: 2, Rooms: 1, Children: []int{7, 1, 12}, Currency: "USD"},
		{CheckIn: hotelrates.MustDate("2027-07-01"), CheckOut: hotelrates.MustDate("2027-07-04"), Adults: 4, Rooms: 2, Children: []int{0}, Currency: "EUR"},
		{CheckIn: hotelrates.MustDate("2027-12-30"), CheckOut: hotelrates.MustDate("2028-01-02"), Adults: 6, Rooms: 3, Currency: "GBP"},
	}
	soldOut, withOffers, notCarried, refundable, nonRefundable, calls := 0, 0, 0, 0, 0, 0
	for _, stay := range stays {
		for i := 0; i < len(codes); i += MaxHotelIDs {
			batch := codes[i:min(i+MaxHotelIDs, len(codes))]
			calls++
			got, err := e.fetch(context.Background(), cred, stay, batch...)
			if err != nil {
				t.Fatalf("%s %v: %v", stay.Key(), batch, err)
			}
			byID := map[string][]hotelrates.Offer{}
			for _, h := range got {
				if _, dup := byID[h.HotelID]; dup || len(h.Offers) == 0 {
					t.Errorf("%s: hotel %s listed twice or with no offers", stay.Key(), h.HotelID)
				}
				byID[h.HotelID] = h.Offers
			}
			for _, code := range batch {
				our, ok := sandbox.HotelOf(sandbox.Amadeus, code)
				var want []hotelrates.Offer
				switch {
				case !ok:
					notCarried++
				default:
					if want = sandbox.Offers(sandbox.Amadeus, our, stay); want == nil {
						soldOut++
					} else {
						withOffers++
					}
				}
				if !reflect.DeepEqual(byID[code], want) {
					t.Errorf("%s %s (%s):\n got %+v\nwant %+v", stay.Key(), code, our, byID[code], want)
				}
				for _, o := range want {
					if o.Refundable {
						refundable++
					} else {
						nonRefundable++
					}
				}
				delete(byID, code)
			}
			if len(byID) != 0 {
				t.Errorf("%s: answer holds hotels not asked for: %v", stay.Key(), byID)
			}
		}
	}
	if soldOut == 0 || withOffers == 0 || notCarried == 0 || refundable == 0 || nonRefundable == 0 {
		t.Errorf("sold out %d, with offers %d, not carried %d, refundable %d, non-refundable %d: the test must cover each",
			soldOut, withOffers, notCarried, refundable, nonRefundable)
	}
	if s := e.b.Stats(); s.RateCalls != int64(calls) || s.Hotels != int64(len(stays)*len(codes)) {
		t.Errorf("rate_calls %d (want %d), hotels %d (want %d)", s.RateCalls, calls, s.Hotels, len(stays)*len(codes))
	}
}

// TestNoRoomsAnywhere: a call whose hotels are all sold out or unknown is
// answered 400 code 3664 on the wire, which the client reports as no
// offers and a nil error.
func TestNoRoomsAnywhere(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	sold := findHotel(t, 1, testStay, func(carried bool, o []hotelrates.Offer) bool { return carried && o == nil })
	for _, batch := range [][]string{{codeOf(7)}, {codeOf(sold)}, {codeOf(7), codeOf(14), codeOf(sold), "HRLON001"}} {
		resp, m := e.get(t, cred.Secret, validQuery(batch...))
		status, code, title, param := apiErr(t, m)
		if resp.StatusCode != 400 || status != 400 || code != CodeNoRooms || title != "NO ROOMS AVAILABLE AT REQUESTED PROPERTY" || param != "hotelIds" {
			t.Errorf("%v: status %d %v", batch, resp.StatusCode, m)
		}
		got, err := e.fetch(context.Background(), cred, testStay, batch...)
		if err != nil || got != nil {
			t.Errorf("%v: got %v, %v; want no offers and a nil error", batch, got, err)
		}
	}
}

// TestClientSkipsMalformedCodes: codes that cannot be Amadeus property
// codes are answered with no offers and not sent; a call of nothing but
// such codes makes no request.
func TestClientSkipsMalformedCodes(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	good := codeOf(findHotel(t, 1, testStay, func(c bool, o []hotelrates.Offer) bool { return o != nil }))
	got, err := e.fetch(context.Background(), cred, testStay, "H00001", good, "hrlon001", "HRLON0011", "X1", good)
	if err != nil || len(got) != 1 || got[0].HotelID != good {
		t.Fatalf("got %v, %v", got, err)
	}
	ex := e.cap.all()
	last := ex[len(ex)-1]
	if !strings.Contains(last.rawQuery, "hotelIds="+good+"&") {
		t.Errorf("query %q: want only %s sent", last.rawQuery, good)
	}
	calls := e.b.Stats().RateCalls
	if got, err := e.fetch(context.Background(), cred, testStay, "H00001", "x"); got != nil || err != nil {
		t.Errorf("malformed only: %v, %v", got, err)
	}
	if e.b.Stats().RateCalls != calls {
		t.Error("a call of malformed codes only reached the vendor")
	}
}

// TestRequestOnTheWire checks the query the client sends.
func TestRequestOnTheWire(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	stay := hotelrates.Stay{CheckIn: hotelrates.MustDate("2027-05-01"), CheckOut: hotelrates.MustDate("2027-05-04"),
		Adults: 4, Rooms: 2, Children: []int{3, 11}, Currency: "GBP"}
	if _, err := e.fetch(context.Background(), cred, stay, codeOf(1), codeOf(2), codeOf(1)); err != nil {
		t.Fatal(err)
	}
	ex := e.cap.all()
	last := ex[len(ex)-1]
	want := "hotelIds=" + codeOf(1) + "," + codeOf(2) + "&checkInDate=2027-05-01&checkOutDate=2027-05-04&adults=2&roomQuantity=2&childAges=3,11&currency=GBP&bestRateOnly=false"
	if last.method != "GET" || last.path != OffersPath || last.rawQuery != want {
		t.Errorf("request %s %s?%s\nwant GET %s?%s", last.method, last.path, last.rawQuery, OffersPath, want)
	}
	if got := last.reqHeader.Get("Authorization"); got != "Bearer "+cred.Secret {
		t.Errorf("Authorization %q", got)
	}
	if got := last.reqHeader.Get("Accept"); !strings.HasPrefix(got, ContentType) {
		t.Errorf("Accept %q", got)
	}
	// Token request: the credentials in the form.
	tokReq := ex[0]
	if tokReq.method != "POST" || tokReq.path != TokenPath || !strings.HasPrefix(tokReq.reqHeader.Get("Content-Type"), formCT) ||
		!strings.Contains(string(tokReq.reqBody), "client_secret=") || tokReq.reqHeader.Get("Authorization") != "" {
		t.Errorf("token request %s %s %v %q", tokReq.method, tokReq.path, tokReq.reqHeader, tokReq.reqBody)
	}
}

func TestBatchLimits(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	var codes []string
	for n := 1; len(codes) < 21; n++ {
		if c, ok := sandbox.VendorCode(sandbox.Amadeus, sandbox.HotelID(n)); ok {
			codes = append(codes, c)
		}
	}
	// 20 distinct codes (with repeats) is one call; 21, or none, is
	// refused before a call.
	if _, err := e.fetch(context.Background(), cred, testStay, append(codes[:20:20], codes[0], codes[1])...); err != nil {
		t.Fatalf("20 hotels: %v", err)
	}
	for _, batch := range [][]string{codes, nil} {
		_, err := e.fetch(context.Background(), cred, testStay, batch...)
		wantKind(t, err, hotelrates.ErrRejected)
	}
	small := New(Config{BaseURL: e.base, MaxBatch: 3})
	_, err := small.Fetch(context.Background(), e.hc, cred, hotelrates.Query{Stay: testStay, HotelIDs: codes[:4]})
	wantKind(t, err, hotelrates.ErrRejected)
	if got := e.b.Stats().RateCalls; got != 1 {
		t.Errorf("rate_calls = %d, want 1: refused batches must not reach the vendor", got)
	}
	// The server refuses 21 hotelIds with the API's error.
	resp, m := e.get(t, cred.Secret, validQuery(codes...))
	if status, code, _, param := apiErr(t, m); resp.StatusCode != 400 || status != 400 || code != CodeInvalidFormat || param != "hotelIds" {
		t.Errorf("21 hotelIds: status %d %v", resp.StatusCode, m)
	}
	// A sandbox configured below 20 refuses past its own max_batch.
	e2 := newEnv(t, func(c *sandbox.VendorConfig) { c.MaxBatch = 2 })
	resp, m = e2.get(t, e2.token(t).Secret, validQuery(codes[:3]...))
	if _, code, _, _ := apiErr(t, m); resp.StatusCode != 400 || code != CodeInvalidFormat {
		t.Errorf("max_batch 2, 3 hotelIds: status %d %v", resp.StatusCode, m)
	}
}

func TestAdultsPerRoom(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	for _, s := range []struct{ adults, rooms int }{{3, 2}, {1, 2}, {0, 1}, {2, 0}, {20, 2}, {10, 10}} {
		stay := testStay
		stay.Adults, stay.Rooms = s.adults, s.rooms
		_, err := e.fetch(context.Background(), cred, stay, codeOf(1))
		wantKind(t, err, hotelrates.ErrRejected)
	}
	if got := e.b.Stats().RateCalls; got != 0 {
		t.Errorf("rate_calls = %d, want 0", got)
	}
}

func TestDeterministic(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	batch := []string{codeOf(1), codeOf(2), codeOf(3), codeOf(4)}
	a, err1 := e.fetch(context.Background(), cred, testStay, batch...)
	b, err2 := e.fetch(context.Background(), cred, testStay, batch...)
	if err1 != nil || err2 != nil || !reflect.DeepEqual(a, b) || len(a) == 0 {
		t.Errorf("%v %v\n%v\n%v", err1, err2, a, b)
	}
	_, m1 := e.get(t, cred.Secret, validQuery(batch...))
	_, m2 := e.get(t, cred.Secret, validQuery(batch...))
	if !reflect.DeepEqual(m1, m2) {
		t.Error("two answers to the same query differ (offer ids included)")
	}
}

// TestWireOffers checks how the sandbox carries a ground-truth offer: the
// room name in room.description.text, the board as boardType, the total
// as price.total, refundable in policies.refundable, and the deadline in
// policies.cancellations in the hotel's UTC offset.
func TestWireOffers(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	// A Paris hotel (n % 8 == 1, UTC+1) with a refundable and a
	// non-refundable offer.
	both := func(c bool, o []hotelrates.Offer) bool {
		r, nr := false, false
		for _, x := range o {
			r, nr = r || x.Refundable, nr || !x.Refundable
		}
		return r && nr
	}
	n := findHotel(t, 1, testStay, both)
	for n%8 != 1 {
		n = findHotel(t, n+1, testStay, both)
	}
	code := codeOf(n)
	want := sandbox.Offers(sandbox.Amadeus, sandbox.HotelID(n), testStay)
	_, m := e.get(t, cred.Secret, validQuery(code))
	data := m["data"].([]any)
	h := data[0].(map[string]any)
	if h["type"] != "hotel-offers" || h["available"] != true {
		t.Errorf("hotel entry %v", h)
	}
	if hh := h["hotel"].(map[string]any); hh["hotelId"] != code || hh["cityCode"] != "PAR" || hh["name"] == "" {
		t.Errorf("hotel %v", hh)
	}
	offers := h["offers"].([]any)
	if len(offers) != len(want) {
		t.Fatalf("%d offers, want %d", len(offers), len(want))
	}
	for i, x := range offers {
		o, w := x.(map[string]any), want[i]
		room := o["room"].(map[string]any)
		pr := o["price"].(map[string]any)
		pol := o["policies"].(map[string]any)
		if room["description"].(map[string]any)["text"] != w.Room || o["boardType"] != boardTypes[w.Board] ||
			pr["total"] != w.Total.Amount() || pr["currency"] != "USD" || o["checkInDate"] != "2027-03-10" {
			t.Errorf("offer %d %v, want %+v", i, o, w)
		}
		refund := pol["refundable"].(map[string]any)["cancellationRefund"]
		canc := pol["cancellations"].([]any)[0].(map[string]any)
		if w.Refundable {
			wantDeadline := w.CancelDeadline.In(time.FixedZone("", 3600)).Format(time.RFC3339)
			if refund != "REFUNDABLE_UP_TO_DEADLINE" || canc["deadline"] != wantDeadline || !strings.HasSuffix(wantDeadline, "+01:00") || pol["paymentType"] != "GUARANTEE" {
				t.Errorf("refundable offer %d policies %v, want deadline %s", i, pol, wantDeadline)
			}
		} else if refund != "NON_REFUNDABLE" || canc["deadline"] != nil || pol["paymentType"] != "DEPOSIT" {
			t.Errorf("non-refundable offer %d policies %v", i, pol)
		}
	}
}
