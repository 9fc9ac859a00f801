package hotelbeds

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hotelrates"
	"hotelrates/internal/offertest"
	"hotelrates/sandbox"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testKey    = sandbox.DemoHotelbedsAPIKey
	testSecret = sandbox.DemoHotelbedsSecret
)

var testStay = hotelrates.Stay{
	CheckIn:  hotelrates.MustDate("2027-03-10"),
	CheckOut: hotelrates.MustDate("2027-03-13"),
	Adults:   2,
	Rooms:    1,
	Currency: "EUR",
}

// testConfig is the default hotelbeds config with a 1 ms latency, no rate
// limit and a short slow-body delay.
func testConfig() sandbox.VendorConfig {
	cfg := sandbox.DefaultConfig().Vendors.Hotelbeds
	cfg.Latency = sandbox.Latency{Base: time.Millisecond, Jitter: "none"}
	cfg.RPS, cfg.Burst = 0, 0
	cfg.QueueLimit = 1024
	cfg.Faults.SlowBodyDelay = time.Millisecond
	return cfg
}

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *testClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

type env struct {
	b      *sandbox.Backend
	srv    *httptest.Server
	base   string // the API root (…/hotelbeds)
	hc     *http.Client
	now    func() time.Time
	client *Client
}

// newEnv starts the hotelbeds vendor over real HTTP, mounted under
// /hotelbeds as vendorsim mounts it. clock (nil: time.Now) is the server's
// clock and the client's.
func newEnv(t testing.TB, cfg sandbox.VendorConfig, clock *testClock) *env {
	t.Helper()
	return newEnvWith(t, cfg, clock, nil)
}

// newEnvWith is newEnv with middleware (nil: none) in front of the vendor.
func newEnvWith(t testing.TB, cfg sandbox.VendorConfig, clock *testClock, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	now := time.Now
	if clock != nil {
		now = clock.Now
	}
	done := make(chan struct{})
	b := sandbox.NewBackend(sandbox.Hotelbeds, cfg, 7, done)
	var h http.Handler = b.Count(http.StripPrefix("/hotelbeds", HandlerWithClock(b, now)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		close(done) // releases hung calls first
		srv.Close()
	})
	e := &env{b: b, srv: srv, base: srv.URL + "/hotelbeds", hc: srv.Client(), now: now}
	e.client = New(Config{BaseURL: e.base, APIKey: testKey, Secret: testSecret, Now: now})
	return e
}

func (e *env) fetch(stay hotelrates.Stay, ids ...string) ([]hotelrates.HotelOffers, error) {
	return e.client.Fetch(context.Background(), e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: stay, HotelIDs: ids})
}

// answer is a raw answer, its body decompressed.
type answer struct {
	status int
	header http.Header
	body   []byte
	err    errorRS // decoded for a JSON error
}

// do sends a raw signed request (signed with the env's clock unless the
// header says otherwise); extra headers override the defaults, an empty
// value removes one.
func (e *env) do(t testing.TB, method, path, body string, extra map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Encoding", "gzip") // by hand: the transport leaves the body compressed
	req.Header.Set(APIKeyHeader, testKey)
	req.Header.Set(SignatureHeader, Signature(testKey, testSecret, e.now().Unix()))
	for k, v := range extra {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if a.body, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	if a.status != http.StatusOK && resp.Header.Get(MasheryErrorCodeHeader) == "" {
		if err := json.Unmarshal(a.body, &a.err); err != nil || a.err.Error == nil || a.err.Error.Code == "" || a.err.Error.Message == "" || a.err.AuditData == nil {
			t.Fatalf("status %d: error body %q is not in the API's format", a.status, a.body)
		}
	}
	return a
}

// reqBody is the client's request body for codes and stay.
func reqBody(codes []int64, stay hotelrates.Stay) string {
	b, _ := json.Marshal(availabilityRQ{
		Stay:        &stayRQ{CheckIn: stay.CheckIn.String(), CheckOut: stay.CheckOut.String()},
		Occupancies: occupancies(stay),
		Hotels:      &hotelsRQ{Hotel: codes},
	})
	return string(b)
}

// codeOf is the Hotelbeds code of catalog hotel n, carried or not.
func codeOf(n int) string { return strconv.Itoa(1000 + 3*n) }

// groundTruth is what a Fetch of codes for stay must return.
func groundTruth(codes []string, stay hotelrates.Stay) []hotelrates.HotelOffers {
	return sandbox.Truth(sandbox.Hotelbeds, codes, stay)
}

func sameOffers(t *testing.T, got, want []hotelrates.HotelOffers) { offertest.Equal(t, got, want) }

func kindOf(t *testing.T, err error) (hotelrates.ErrorKind, *hotelrates.VendorError) {
	t.Helper()
	ve, ok := errors.AsType[*hotelrates.VendorError](err)
	if !ok {
		t.Fatalf("error %v is not a *VendorError", err)
	}
	return ve.Kind, ve
}

// testStays are the stays of the ground-truth test: children (an infant
// among them), several rooms alike and not, asked in each currency.
func testStays() map[string]hotelrates.Stay {
	s := func(adults, rooms int, cur string, children ...int) hotelrates.Stay {
		st := testStay
		st.Adults, st.Rooms, st.Currency, st.Children = adults, rooms, cur, children
		return st
	}
	long := s(2, 1, "GBP")
	long.CheckOut = long.CheckIn.AddDays(MaxNights)
	return map[string]hotelrates.Stay{
		"2 adults USD":                       s(2, 1, "USD"),
		"1 adult EUR":                        s(1, 1, "EUR"),
		"2 adults and a child of 9 EUR":      s(2, 1, "EUR", 9),
		"4 adults 2 rooms GBP":               s(4, 2, "GBP"),
		"3 adults 2 rooms, children 9 1 USD": s(3, 2, "USD", 9, 1),
		"5 adults 3 rooms, 5 children GBP":   s(5, 3, "GBP", 3, 9, 4, 12, 7),
		"30 nights GBP":                      long,
	}
}

func TestFetchMatchesGroundTruth(t *testing.T) {
	e := newEnv(t, testConfig(), nil)
	// 1,990 catalog hotels' codes (a quarter of them hotels hotelbeds does
	// not carry) and 10 codes of no hotel: exactly MaxHotels, for one stay;
	// the other stays ask for the first 190 and the 10 (to keep the test
	// fast).
	junk := []string{"1", "1001", "1002", "61003", "999999", "2147483647", "7", "1004", "1005", "100000"}
	var full []string
	for n := 1; n <= 1990; n++ {
		full = append(full, codeOf(n))
	}
	full = append(full, junk...)
	if len(full) != MaxHotels {
		t.Fatalf("%d codes", len(full))
	}
	part := append(slices.Clone(full[:190]), junk...)
	// Single calls: every tenth hotel of the first 100.
	var singles []string
	for n := 1; n <= 100; n += 10 {
		singles = append(singles, codeOf(n))
	}
	for name, stay := range testStays() {
		t.Run(name, func(t *testing.T) {
			codes := part
			if name == "5 adults 3 rooms, 5 children GBP" {
				codes = full
			}
			got, err := e.fetch(stay, codes...)
			if err != nil {
				t.Fatal(err)
			}
			want := groundTruth(codes, stay)
			sameOffers(t, got, want)
			// The batch holds hotels sold out and unknown, and all three
			// contract currencies; offers stay in the contract currency.
			currencies := map[string]int{}
			for _, h := range want {
				id, _ := sandbox.HotelOf(sandbox.Hotelbeds, h.HotelID)
				currencies[sandbox.ContractCurrency(id)]++
				for _, o := range h.Offers {
					if o.Total.Currency != sandbox.ContractCurrency(id) {
						t.Fatalf("%s priced in %s, not its contract currency", h.HotelID, o.Total.Currency)
					}
				}
			}
			notCarried := 0
			for _, code := range codes {
				if _, ok := sandbox.HotelOf(sandbox.Hotelbeds, code); !ok {
					notCarried++
				}
			}
			soldOut := len(codes) - notCarried - len(want)
			if soldOut == 0 || notCarried < len(codes)/5 || len(currencies) != 3 {
				t.Fatalf("the batch has %d sold-out and %d unknown hotels, contract currencies %v", soldOut, notCarried, currencies)
			}
			for _, code := range singles {
				got, err := e.fetch(stay, code)
				if err != nil {
					t.Fatal(err)
				}
				sameOffers(t, got, groundTruth([]string{code}, stay))
			}
		})
	}
}

func TestFetchCases(t *testing.T) {
	e := newEnv(t, testConfig(), nil)
	tests := []struct {
		name string
		ids  []string
	}{
		{"one hotel", []string{"1126"}},
		{"duplicates answered once, in the order asked", []string{"1129", "1126", "1129", "1126"}},
		{"reverse order", []string{"1135", "1132", "1129", "1126"}},
		{"nothing carried: total 0", []string{"1003", "1", "1004"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.fetch(testStay, tc.ids...)
			if err != nil {
				t.Fatal(err)
			}
			sameOffers(t, got, groundTruth(tc.ids, testStay))
		})
	}
	// The currency asked changes nothing: offers stay in the contract
	// currency.
	var codes []string
	for n := 2; n <= 60; n++ {
		codes = append(codes, codeOf(n))
	}
	byCurrency := map[string][]hotelrates.HotelOffers{}
	for _, cur := range sandbox.Currencies {
		st := testStay
		st.Currency = cur
		got, err := e.fetch(st, codes...)
		if err != nil {
			t.Fatal(err)
		}
		sameOffers(t, got, groundTruth(codes, st))
		byCurrency[cur] = got
	}
	if !reflect.DeepEqual(byCurrency["USD"], byCurrency["EUR"]) || !reflect.DeepEqual(byCurrency["USD"], byCurrency["GBP"]) || len(byCurrency["USD"]) == 0 {
		t.Fatal("the offers depend on the currency asked")
	}
	a := e.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1003, 1}, testStay), nil)
	var rs map[string]json.RawMessage
	if err := json.Unmarshal(a.body, &rs); a.status != 200 || err != nil || string(rs["hotels"]) != `{"total":0}` {
		t.Fatalf("nothing available: %d %s", a.status, a.body)
	}
}

func TestDeterministic(t *testing.T) {
	clock := newClock(time.Date(2027, 1, 5, 10, 0, 0, 0, time.UTC))
	e := newEnv(t, testConfig(), clock)
	var codes []int64
	for n := 1; n <= 60; n++ {
		codes = append(codes, int64(1000+3*n))
	}
	hotelsOf := func(body string) []hotelRS {
		a := e.do(t, http.MethodPost, AvailabilityPath, body, nil)
		var rs availabilityRS
		if err := json.Unmarshal(a.body, &rs); a.status != 200 || err != nil {
			t.Fatalf("%d %s", a.status, a.body)
		}
		return rs.Hotels.Hotels
	}
	a, b := hotelsOf(reqBody(codes, testStay)), hotelsOf(reqBody(codes, testStay))
	if !reflect.DeepEqual(a, b) || len(a) == 0 {
		t.Fatal("two equal requests answered differently")
	}
	rev := slices.Clone(codes)
	slices.Reverse(rev)
	c := hotelsOf(reqBody(rev, testStay))
	slices.Reverse(c)
	if !reflect.DeepEqual(a, c) {
		t.Fatal("a reversed request is not answered in reverse order")
	}
}

func TestOccupancies(t *testing.T) {
	// The examples of the doc.
	st := testStay
	st.Children = []int{9}
	if got, _ := json.Marshal(occupancies(st)); string(got) != `[{"rooms":1,"adults":2,"children":1,"paxes":[{"type":"CH","age":9}]}]` {
		t.Fatalf("2 adults, a child of 9: %s", got)
	}
	st.Adults, st.Rooms, st.Children = 4, 2, nil
	if got, _ := json.Marshal(occupancies(st)); string(got) != `[{"rooms":2,"adults":2,"children":0}]` {
		t.Fatalf("4 adults in 2 rooms: %s", got)
	}
	st.Adults, st.Rooms, st.Children = 5, 3, nil
	want := `[{"rooms":2,"adults":2,"children":0},{"rooms":1,"adults":1,"children":0}]`
	if got, _ := json.Marshal(occupancies(st)); string(got) != want {
		t.Fatalf("5 adults in 3 rooms: %s", got)
	}
	st.Adults, st.Rooms, st.Children = 4, 2, []int{9, 4, 12}
	want = `[{"rooms":1,"adults":2,"children":2,"paxes":[{"type":"CH","age":9},{"type":"CH","age":12}]},` +
		`{"rooms":1,"adults":2,"children":1,"paxes":[{"type":"CH","age":4}]}]`
	if got, _ := json.Marshal(occupancies(st)); string(got) != want {
		t.Fatalf("4 adults in 2 rooms, children 9, 4, 12: %s", got)
	}
	st.Adults, st.Rooms, st.Children = 4, 2, []int{7, 7}
	want = `[{"rooms":2,"adults":2,"children":1,"paxes":[{"roomId":1,"type":"CH","age":7},{"roomId":2,"type":"CH","age":7}]}]`
	if got, _ := json.Marshal(occupancies(st)); string(got) != want {
		t.Fatalf("4 adults in 2 rooms, two children of 7: %s", got)
	}

	// Every stay the engine may ask for reads back exactly.
	agesets := [][]int{nil, {0}, {17}, {9, 4}, {4, 9}, {9, 9}, {1, 2, 3}, {5, 5, 6}, {3, 9, 4, 12, 7}, {0, 0, 0, 0, 0, 0}}
	checked := 0
	for rooms := 1; rooms <= MaxRooms; rooms++ {
		for adults := rooms; adults <= 9; adults++ {
			for _, ages := range agesets {
				st := hotelrates.Stay{Adults: adults, Rooms: rooms, Children: ages}
				occs := occupancies(st)
				// Through JSON, as on the wire.
				b, _ := json.Marshal(occs)
				var back []occupancy
				if err := json.Unmarshal(b, &back); err != nil {
					t.Fatal(err)
				}
				a, r, got, err := guests(back)
				if err != nil || a != adults || r != rooms || !slices.Equal(got, ages) {
					t.Fatalf("%d adults %d rooms ages %v: read back %d adults %d rooms ages %v, %v (%s)", adults, rooms, ages, a, r, got, err, b)
				}
				checked++
			}
		}
	}
	if checked < 400 {
		t.Fatalf("%d stays checked", checked)
	}

	// Paxes without roomId: one room's ages for each room, or every room's.
	for _, tc := range []struct {
		occ  string
		ages []int
		err  string
	}{
		{`[{"rooms":2,"adults":1,"children":1,"paxes":[{"type":"CH","age":5}]}]`, []int{5, 5}, ""},
		{`[{"rooms":2,"adults":1,"children":1,"paxes":[{"type":"CH","age":5},{"type":"CH","age":8}]}]`, []int{5, 8}, ""},
		{`[{"rooms":1,"adults":2,"children":1,"paxes":[{"type":"AD","age":30},{"type":"CH","age":5},{"type":"AD"}]}]`, []int{5}, ""},
		{`[{"rooms":2,"adults":1,"children":1,"paxes":[{"type":"CH","age":5},{"type":"CH","age":8},{"type":"CH","age":9}]}]`, nil, "3 child ages"},
		{`[{"rooms":2,"adults":1,"children":1,"paxes":[{"roomId":1,"type":"CH","age":5},{"type":"CH","age":8}]}]`, nil, "either every"},
		{`[{"rooms":2,"adults":1,"children":1,"paxes":[{"roomId":3,"type":"CH","age":5}]}]`, nil, "roomId"},
		{`[{"rooms":1,"adults":1,"children":1}]`, nil, "child paxes"},
		{`[{"rooms":1,"adults":1,"children":0,"paxes":[{"type":"CH","age":4}]}]`, nil, "1 child ages"},
		{`[{"rooms":1,"adults":1,"children":1,"paxes":[{"type":"CH"}]}]`, nil, "age is required"},
		{`[{"rooms":1,"adults":1,"children":1,"paxes":[{"type":"CH","age":18}]}]`, nil, "age"},
		{`[{"rooms":1,"adults":1,"children":1,"paxes":[{"type":"XX","age":4}]}]`, nil, "type"},
		{`[{"rooms":0,"adults":1,"children":0}]`, nil, "rooms"},
		{`[{"rooms":5,"adults":1,"children":0},{"rooms":5,"adults":1,"children":0}]`, nil, "more than 9 rooms"},
		{`[{"rooms":1,"adults":0,"children":0}]`, nil, "adults"},
		{`[{"rooms":1,"adults":1,"children":-1}]`, nil, "children"},
		{`[]`, nil, "at least one"},
	} {
		var occs []occupancy
		if err := json.Unmarshal([]byte(tc.occ), &occs); err != nil {
			t.Fatal(err)
		}
		_, _, ages, err := guests(occs)
		if tc.err == "" {
			if err != nil || !slices.Equal(ages, tc.ages) {
				t.Errorf("%s: ages %v, %v; want %v", tc.occ, ages, err, tc.ages)
			}
		} else if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want one with %q", tc.occ, err, tc.err)
		}
	}
}

func TestClientBasics(t *testing.T) {
	c := New(Config{BaseURL: "https://api.test.hotelbeds.com", APIKey: "k-123", Secret: "s-456"})
	info := c.Info()
	if info.Name != "hotelbeds" || info.MaxBatch != MaxHotels || info.Auth != hotelrates.AuthNone || !info.Children {
		t.Fatalf("info %+v", info)
	}
	if New(Config{MaxBatch: 5000}).Info().MaxBatch != MaxHotels || New(Config{MaxBatch: 50}).Info().MaxBatch != 50 {
		t.Fatal("MaxBatch is not capped at MaxHotels")
	}
	cred, err := c.Authenticate(context.Background(), http.DefaultClient)
	if err != nil || cred != (hotelrates.Credential{}) {
		t.Fatalf("Authenticate = %v, %v", cred, err)
	}
	if got := c.Secrets(); !slices.Equal(got, []string{"k-123", "s-456"}) {
		t.Fatalf("Secrets = %v", got)
	}
	if New(Config{}).Secrets() != nil {
		t.Fatal("no secrets configured, Secrets not empty")
	}

	// The configured name is the offers' vendor.
	e := newEnv(t, testConfig(), nil)
	named := New(Config{Name: "hb-test", BaseURL: e.base + "/", APIKey: testKey, Secret: testSecret})
	code := groundTruth([]string{codeOf(2), codeOf(3), codeOf(4), codeOf(6)}, testStay)[0].HotelID
	got, err := named.Fetch(context.Background(), e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{code}})
	if err != nil || len(got) != 1 || got[0].Offers[0].Vendor != "hb-test" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

// TestRejectedWithoutCall: queries the API cannot express fail before any
// request is made.
func TestRejectedWithoutCall(t *testing.T) {
	e := newEnv(t, testConfig(), nil)
	var tooMany []string
	for n := 1; n <= MaxHotels+1; n++ {
		tooMany = append(tooMany, strconv.Itoa(n))
	}
	noRoom, fewAdults, oldChild := testStay, testStay, testStay
	noRoom.Rooms = 0
	fewAdults.Adults, fewAdults.Rooms = 1, 2
	oldChild.Children = []int{18}
	tests := []struct {
		name string
		stay hotelrates.Stay
		ids  []string
	}{
		{"no hotels", testStay, nil},
		{"MaxHotels+1", testStay, tooMany},
		{"not a number", testStay, []string{"1126", "H00042"}},
		{"negative", testStay, []string{"-1126"}},
		{"zero", testStay, []string{"0"}},
		{"leading zero", testStay, []string{"01126"}},
		{"plus sign", testStay, []string{"+1126"}},
		{"decimal", testStay, []string{"1126.0"}},
		{"over 2^31-1", testStay, []string{"2147483648"}},
		{"no room", noRoom, []string{"1126"}},
		{"more rooms than adults", fewAdults, []string{"1126"}},
		{"child of 18", oldChild, []string{"1126"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.fetch(tc.stay, tc.ids...)
			if k, ve := kindOf(t, err); k != hotelrates.ErrRejected || ve.Retryable() {
				t.Fatalf("got %v, want rejected", err)
			}
		})
	}
	if s := e.b.Stats(); s.Requests != 0 {
		t.Fatalf("the client made %d requests", s.Requests)
	}
	// A smaller configured batch holds too.
	c := New(Config{BaseURL: e.base, APIKey: testKey, Secret: testSecret, MaxBatch: 3})
	_, err := c.Fetch(context.Background(), e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"1126", "1129", "1132", "1135"}})
	if k, _ := kindOf(t, err); k != hotelrates.ErrRejected {
		t.Fatalf("4 hotels over MaxBatch 3: %v", err)
	}
}
