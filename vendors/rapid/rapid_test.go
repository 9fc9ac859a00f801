package rapid

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// notRapid are codes that name no hotel Rapid carries: a catalog hotel it
// does not carry (H00001, H00004), codes off its numbering, outside the
// catalog, or written with a leading zero.
var notRapid = []string{"2000007", "2000028", "2000008", "1999993", "2140007", "999", "02000014"}

func TestFetchMatchesGroundTruth(t *testing.T) {
	e := newEnv(t, testConfig())
	full := append(codes(1, 365), notRapid...) // 243 carried + 7 others
	if len(full) != MaxProperties {
		t.Fatalf("batch of %d", len(full))
	}
	stay := func(currency string, adults, rooms, nights int, children ...int) hotelrates.Stay {
		s := testStay
		s.Currency, s.Adults, s.Rooms, s.Children = currency, adults, rooms, children
		s.CheckOut = s.CheckIn.AddDays(nights)
		return s
	}
	tests := []struct {
		name  string
		codes []string
		stay  hotelrates.Stay
	}{
		{"250 properties USD", full, testStay},
		{"EUR 3 adults 2 rooms 2 children", append(codes(1, 150), notRapid...), stay("EUR", 3, 2, 2, 9, 4)},
		{"28 nights GBP", codes(1000, 1040), stay("GBP", 2, 1, MaxNights)},
		{"same occupancy twice USD", codes(400, 600), stay("USD", 4, 2, 3)},
		{"one adult per room EUR", codes(2000, 2100), stay("EUR", 2, 2, 1)},
		{"infant GBP", codes(3000, 3100), stay("GBP", 2, 2, 4, 1)},
		{"8 rooms 3 children USD", codes(4000, 4100), stay("USD", 8, 8, 2, 3, 12, 17)},
		{"9 adults 4 rooms EUR", codes(5000, 5100), stay("EUR", 9, 4, 5)},
		{"6 children GBP", codes(6000, 6100), stay("GBP", 1, 1, 2, 0, 5, 10, 15, 16, 17)},
		{"one property", []string{code(2)}, testStay},
		{"duplicates answered once", []string{code(3), code(2), code(3), "999", code(2)}, testStay},
		{"nothing carried", notRapid, testStay},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.fetch(tc.codes, tc.stay)
			if err != nil {
				t.Fatal(err)
			}
			sameOffers(t, got, groundTruth(tc.codes, tc.stay))
		})
	}

	// The spread holds what it claims: sold-out hotels, refundable and
	// non-refundable offers, a room type listed twice in one property
	// (offers keep the ground truth's order), and every board.
	var soldOut, refundable, fixed, split int
	boards := map[string]bool{}
	for _, c := range full[:243] {
		id, _ := sandbox.HotelOf(sandbox.Rapid, c)
		offers := sandbox.Offers(sandbox.Rapid, id, testStay)
		if offers == nil {
			soldOut++
		}
		seen := map[string]bool{}
		for i, o := range offers {
			boards[o.Board] = true
			if o.Refundable {
				refundable++
			} else {
				fixed++
			}
			if seen[o.Room] && offers[i-1].Room != o.Room {
				split++
			}
			seen[o.Room] = true
		}
	}
	if soldOut == 0 || refundable == 0 || fixed == 0 || split == 0 || len(boards) != 5 {
		t.Fatalf("spread: %d sold out, %d refundable, %d not, %d split rooms, boards %v", soldOut, refundable, fixed, split, boards)
	}
}

func TestAnswerFormat(t *testing.T) {
	e := newEnv(t, testConfig())
	s := testStay
	s.Adults, s.Rooms, s.Children, s.Currency = 5, 3, []int{7}, "EUR"
	ids := codes(1, 30)
	a := e.get(t, query(ids, s), nil)
	if a.status != 200 || a.header.Get("Content-Encoding") != "gzip" || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, headers %v", a.status, a.header)
	}
	var props []propertyOut
	if err := json.Unmarshal(a.body, &props); err != nil {
		t.Fatal(err)
	}
	occ, _ := Occupancies(s) // "2-7", "2", "1"
	if !slices.Equal(occ, []string{"2-7", "2", "1"}) {
		t.Fatalf("occupancies %v", occ)
	}
	for _, p := range props {
		id, _ := sandbox.HotelOf(sandbox.Rapid, p.PropertyID)
		truth := sandbox.Offers(sandbox.Rapid, id, s)
		if p.Status != "available" || p.Links.AdditionalRates.Href == "" {
			t.Fatalf("property %+v", p)
		}
		i := 0
		for _, r := range p.Rooms {
			for _, rt := range r.Rates {
				o := truth[i]
				i++
				var sum int64
				for _, k := range occ {
					pr, ok := rt.OccupancyPricing[k]
					if !ok || len(pr.Nightly) != s.Nights() {
						t.Fatalf("rate %s: pricing %v", rt.ID, rt.OccupancyPricing)
					}
					m, err := hotelrates.ParseMoney(pr.Totals.Inclusive.RequestCurrency.Value, "EUR")
					if err != nil {
						t.Fatal(err)
					}
					// The nights add up to the exclusive total, and taxes
					// to the difference.
					var base, tax int64
					for _, night := range pr.Nightly {
						b, _ := hotelrates.ParseMoney(night[0].Value, "EUR")
						x, _ := hotelrates.ParseMoney(night[1].Value, "EUR")
						base, tax = base+b.Minor, tax+x.Minor
					}
					ex, _ := hotelrates.ParseMoney(pr.Totals.Exclusive.RequestCurrency.Value, "EUR")
					if base != ex.Minor || base+tax != m.Minor {
						t.Fatalf("rate %s %s: nights %d+%d, totals %d/%d", rt.ID, k, base, tax, ex.Minor, m.Minor)
					}
					sum += m.Minor
				}
				if r.RoomName != o.Room || sum != o.Total.Minor || rt.Refundable != o.Refundable || rt.Status != "available" {
					t.Fatalf("rate %+v for offer %+v", rt, o)
				}
				if o.Refundable {
					start, err := time.Parse(TimeLayout, rt.CancelPenalties[0].Start)
					if err != nil || !start.Equal(o.CancelDeadline) || len(rt.NonrefundableDateRanges) != 0 {
						t.Fatalf("penalties %+v for deadline %v", rt.CancelPenalties, o.CancelDeadline)
					}
				} else if len(rt.CancelPenalties) != 0 || len(rt.NonrefundableDateRanges) != 1 {
					t.Fatalf("non-refundable rate %+v", rt)
				}
			}
		}
		if i != len(truth) {
			t.Fatalf("%s: %d rates, %d offers", p.PropertyID, i, len(truth))
		}
	}
	// Without Accept-Encoding: gzip the answer is plain.
	b := e.get(t, query(ids, s), map[string]string{"Accept-Encoding": ""})
	if b.status != 200 || b.header.Get("Content-Encoding") != "" || string(b.body) != string(a.body) {
		t.Fatalf("plain answer differs: %d %v", b.status, b.header)
	}
	c := e.get(t, query(ids, s), map[string]string{"Accept-Encoding": "br, gzip;q=0"})
	if c.header.Get("Content-Encoding") != "" {
		t.Fatal("gzip;q=0 answered gzipped")
	}
}

func TestDeterministic(t *testing.T) {
	e := newEnv(t, testConfig())
	ids := codes(1, 80)
	a := e.get(t, query(ids, testStay), nil)
	b := e.get(t, query(ids, testStay), nil)
	if a.status != 200 || string(a.body) != string(b.body) {
		t.Fatalf("two equal requests answered differently:\n%s\n%s", a.body, b.body)
	}
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	c := e.get(t, query(rev, testStay), nil)
	var pa, pc []propertyOut
	json.Unmarshal(a.body, &pa)
	json.Unmarshal(c.body, &pc)
	slices.Reverse(pc)
	if len(pa) == 0 || !reflect.DeepEqual(pa, pc) {
		t.Fatal("a reversed request is not answered in reverse order")
	}
}

func TestRatePlanCount(t *testing.T) {
	e := newEnv(t, testConfig())
	ids := codes(1, 40)
	a := e.get(t, query(ids, testStay, "rate_plan_count=1"), nil)
	var props []propertyOut
	if err := json.Unmarshal(a.body, &props); err != nil || len(props) == 0 {
		t.Fatalf("status %d: %v", a.status, err)
	}
	for _, p := range props {
		if len(p.Rooms) != 1 || len(p.Rooms[0].Rates) != 1 {
			t.Fatalf("rate_plan_count=1: %+v", p.Rooms)
		}
	}
	// The client asks for every rate.
	c := New(Config{BaseURL: e.base, APIKey: testKey, Secret: testSecret, Now: e.clock.Now, RatePlanCount: 1000})
	if _, err := c.Fetch(bg, e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: ids}); err != nil {
		t.Fatal(err)
	}
	reqs := e.requests()
	if q, _ := url.ParseQuery(reqs[len(reqs)-1].rawQuery); q.Get("rate_plan_count") != strconv.Itoa(MaxRatePlanCount) {
		t.Fatalf("rate_plan_count %q", q.Get("rate_plan_count"))
	}
}

func TestBatchLimit(t *testing.T) {
	e := newEnv(t, testConfig())
	maxIDs := codes(1, 376)[:MaxProperties]
	if a := e.get(t, query(maxIDs, testStay), nil); a.status != 200 {
		t.Fatalf("%d properties: status %d %+v", MaxProperties, a.status, a.err)
	}
	over := append(slices.Clone(maxIDs), "999")
	a := e.get(t, query(over, testStay), nil)
	if a.status != 400 || a.err.Type != ErrTypeInvalidInput || len(a.err.Errors) != 1 || a.err.Errors[0].Type != "property_id.invalid_above_maximum" ||
		!strings.Contains(a.err.Errors[0].Message, "250") {
		t.Fatalf("%d properties: %d %+v", len(over), a.status, a.err)
	}
	// The client refuses before any call.
	before := e.b.Stats().Requests
	for _, ids := range [][]string{nil, over} {
		_, err := e.fetch(ids, testStay)
		if k, _ := kindOf(t, err); k != hotelrates.ErrRejected {
			t.Fatalf("%d properties: %v, want rejected", len(ids), err)
		}
	}
	if after := e.b.Stats().Requests; after != before {
		t.Fatalf("the client made %d calls for rejected queries", after-before)
	}

	// A smaller batch is enforced by both sides; a larger one is capped.
	cfg := testConfig()
	cfg.MaxBatch = 5
	small := newEnv(t, cfg)
	if a := small.get(t, query(codes(1, 9), testStay), nil); a.status != 400 || !strings.Contains(a.err.Errors[0].Message, "5") {
		t.Fatalf("6 properties over a limit of 5: %d %+v", a.status, a.err)
	}
	c := New(Config{BaseURL: small.base, APIKey: testKey, Secret: testSecret, Now: small.clock.Now, MaxBatch: 5})
	if c.Info().MaxBatch != 5 {
		t.Fatal("Info().MaxBatch does not follow the config")
	}
	if _, err := c.Fetch(bg, small.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: codes(1, 7)}); err != nil {
		t.Fatal(err)
	}
	if got := New(Config{MaxBatch: 1000}).Info().MaxBatch; got != MaxProperties {
		t.Fatalf("MaxBatch 1000 gives %d, want the cap %d", got, MaxProperties)
	}
	cfg.MaxBatch = 1000
	big := newEnv(t, cfg)
	if a := big.get(t, query(over, testStay), nil); a.status != 400 {
		t.Fatalf("sandbox max_batch 1000 took %d properties: %d", len(over), a.status)
	}
}

func TestClientRefusesWhatRapidCannotPrice(t *testing.T) {
	e := newEnv(t, testConfig())
	mod := func(f func(s *hotelrates.Stay)) hotelrates.Stay {
		s := testStay
		f(&s)
		return s
	}
	tests := []struct {
		name string
		stay hotelrates.Stay
		want string
	}{
		{"9 rooms", mod(func(s *hotelrates.Stay) { s.Adults, s.Rooms = 9, 9 }), "rooms"},
		{"no room", mod(func(s *hotelrates.Stay) { s.Rooms = 0 }), "rooms"},
		{"fewer adults than rooms", mod(func(s *hotelrates.Stay) { s.Adults, s.Rooms = 2, 3 }), "adults"},
		{"29 nights", mod(func(s *hotelrates.Stay) { s.CheckOut = s.CheckIn.AddDays(29) }), "nights"},
		{"checkout before checkin", mod(func(s *hotelrates.Stay) { s.CheckOut = s.CheckIn.AddDays(-1) }), "nights"},
		{"child of 18", mod(func(s *hotelrates.Stay) { s.Children = []int{5, 18} }), "age"},
		{"negative age", mod(func(s *hotelrates.Stay) { s.Children = []int{-1} }), "age"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.fetch([]string{code(2)}, tc.stay)
			if k, _ := kindOf(t, err); k != hotelrates.ErrRejected || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want rejected naming %s", err, tc.want)
			}
		})
	}
	if n := e.b.Stats().Requests; n != 0 {
		t.Fatalf("%d calls made", n)
	}
}

func TestOccupancies(t *testing.T) {
	tests := []struct {
		adults, rooms int
		children      []int
		want          []string
	}{
		{2, 1, nil, []string{"2"}},
		{2, 1, []int{9, 4}, []string{"2-9,4"}},
		{3, 2, nil, []string{"2", "1"}},
		{4, 2, nil, []string{"2", "2"}},
		{5, 2, []int{9, 4}, []string{"3-9,4", "2"}},
		{9, 4, []int{0}, []string{"3-0", "2", "2", "2"}},
		{8, 8, []int{17}, []string{"1-17", "1", "1", "1", "1", "1", "1", "1"}},
		{1, 1, []int{}, []string{"1"}},
	}
	for _, tc := range tests {
		s := testStay
		s.Adults, s.Rooms, s.Children = tc.adults, tc.rooms, tc.children
		got, err := Occupancies(s)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%d adults %d rooms %v: %v, %v; want %v", tc.adults, tc.rooms, tc.children, got, err, tc.want)
		}
		// The server reads them back as the same stay.
		adults, ages := 0, []int(nil)
		for _, o := range got {
			a, c, err := parseOccupancy(o)
			if err != nil {
				t.Fatalf("%q: %v", o, err)
			}
			adults, ages = adults+a, append(ages, c...)
		}
		if adults != tc.adults || !slices.Equal(ages, tc.children) && len(tc.children) > 0 {
			t.Errorf("%v reads back as %d adults, children %v", got, adults, ages)
		}
	}
	for _, bad := range []string{"", "0", "10", "2-", "2-18", "2-9,", "-1", "2-9;4", "2 ", "+2", "2-1,1,1,1,1,1,1,1,1", "٢"} {
		if _, _, err := parseOccupancy(bad); err == nil {
			t.Errorf("occupancy %q accepted", bad)
		}
	}
}

func TestRequest(t *testing.T) {
	e := newEnv(t, testConfig())
	c := New(Config{BaseURL: e.base + "/", APIKey: testKey, Secret: testSecret, Now: e.clock.Now,
		CountryCode: "DE", Language: "de-DE", SalesChannel: "meta", SalesEnvironment: "hotel_package",
		UserAgent: "rates/2.1", CustomerIP: "5.5.5.5"})
	s := testStay
	s.Adults, s.Rooms, s.Children, s.Currency = 3, 2, []int{9, 4}, "EUR"
	ids := []string{code(2), code(3), code(2)}
	ctx := hotelrates.ContextWithCall(bg, hotelrates.Call{SearchID: "search-42", Kind: hotelrates.CallRates})
	if _, err := c.Fetch(ctx, e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: s, HotelIDs: ids}); err != nil {
		t.Fatal(err)
	}
	r := e.requests()[0]
	q, err := url.ParseQuery(r.rawQuery)
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"property_id": {code(2), code(3)}, "occupancy": {"2-9,4", "1"},
		"checkin": {"2026-12-01"}, "checkout": {"2026-12-03"}, "currency": {"EUR"},
		"country_code": {"DE"}, "language": {"de-DE"}, "rate_plan_count": {"250"},
		"sales_channel": {"meta"}, "sales_environment": {"hotel_package"},
	}
	if r.path != "/rapid"+AvailabilityPath || !reflect.DeepEqual(q, want) {
		t.Fatalf("request %s?%v, want %v", r.path, q, want)
	}
	h := r.header
	auth := AuthorizationHeader(testKey, testSecret, testStart.Unix())
	if h.Get("Authorization") != auth || h.Get("Accept") != "application/json" || h.Get("Accept-Encoding") != "gzip" ||
		h.Get("User-Agent") != "rates/2.1" || h.Get("Customer-Ip") != "5.5.5.5" || h.Get("Customer-Session-Id") != "search-42" {
		t.Fatalf("headers %v", h)
	}
	// Defaults, and no session id without a search.
	if _, err := e.fetch([]string{code(2)}, testStay); err != nil {
		t.Fatal(err)
	}
	r = e.requests()[1]
	q, _ = url.ParseQuery(r.rawQuery)
	if q.Get("country_code") != DefaultCountryCode || q.Get("language") != DefaultLanguage || q.Get("sales_channel") != DefaultSalesChannel ||
		q.Get("sales_environment") != DefaultSalesEnvironment || r.header.Get("User-Agent") != DefaultUserAgent ||
		r.header.Get("Customer-Session-Id") != "" || r.header.Get("Customer-Ip") != "" {
		t.Fatalf("default request %v %v", q, r.header)
	}
	if got := sessionID("a\nb"); got != "" {
		t.Fatalf("session id %q", got)
	}
}

func TestClientBasics(t *testing.T) {
	c := New(Config{BaseURL: "https://test.ean.com", APIKey: "k-123", Secret: "s-456"})
	info := c.Info()
	if info != (hotelrates.VendorInfo{Name: "rapid", MaxBatch: 250, Auth: hotelrates.AuthNone, Children: true}) {
		t.Fatalf("info %+v", info)
	}
	cred, err := c.Authenticate(bg, http.DefaultClient)
	if err != nil || cred != (hotelrates.Credential{}) {
		t.Fatalf("Authenticate = %v, %v", cred, err)
	}
	if got := c.Secrets(); !slices.Equal(got, []string{"k-123", "s-456"}) {
		t.Fatalf("Secrets = %v", got)
	}
	if got := New(Config{}).Secrets(); got != nil {
		t.Fatalf("Secrets of an empty config = %v", got)
	}
	// Offers carry the configured name.
	e := newEnv(t, testConfig())
	c = New(Config{Name: "expedia", BaseURL: e.base, APIKey: testKey, Secret: testSecret, Now: e.clock.Now})
	got, err := c.Fetch(bg, e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{withOffers(testStay)}})
	if err != nil || len(got) != 1 || got[0].Offers[0].Vendor != "expedia" {
		t.Fatalf("got %+v, %v", got, err)
	}
	// A connection failure is ErrUnavailable, and names neither the host
	// nor the URL.
	c = New(Config{BaseURL: "http://127.0.0.1:1/rapid", APIKey: testKey, Secret: testSecret})
	_, err = c.Fetch(bg, e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{code(2)}})
	if k, _ := kindOf(t, err); k != hotelrates.ErrUnavailable {
		t.Fatalf("got %v", err)
	}
	noSecrets(t, err.Error(), "127.0.0.1", AvailabilityPath)
	if !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("error %q does not say what failed", err)
	}
	// An unresolvable host: neither is named.
	c = New(Config{BaseURL: "http://rapid-host.invalid", APIKey: testKey, Secret: testSecret})
	_, err = c.Fetch(bg, e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{code(2)}})
	if k, _ := kindOf(t, err); k != hotelrates.ErrUnavailable {
		t.Fatalf("got %v", err)
	}
	noSecrets(t, err.Error(), "rapid-host.invalid")
	_, err = New(Config{BaseURL: "http://bad host/"}).Fetch(bg, e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{code(2)}})
	if k, _ := kindOf(t, err); k != hotelrates.ErrRejected {
		t.Fatalf("bad base URL: %v", err)
	}
}
