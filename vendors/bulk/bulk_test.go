package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	testKey    = sandbox.DemoBulkAPIKey
	testSecret = sandbox.DemoBulkSecret
)

var testStay = hotelrates.Stay{
	CheckIn:  hotelrates.MustDate("2026-12-01"),
	CheckOut: hotelrates.MustDate("2026-12-03"),
	Adults:   2,
	Rooms:    1,
	Currency: "USD",
}

// testConfig is the default bulk config with a 2 ms latency, no rps limit
// and a short slow-body delay.
func testConfig() sandbox.VendorConfig {
	cfg := sandbox.DefaultConfig().Vendors.Bulk
	cfg.Latency = sandbox.Latency{Base: 2 * time.Millisecond, Jitter: "none"}
	cfg.RPS, cfg.Burst = 0, 0
	cfg.Faults.SlowBodyDelay = time.Millisecond
	return cfg
}

type env struct {
	b      *sandbox.Backend
	srv    *httptest.Server
	base   string // the vendor's base URL (…/bulk)
	hc     *http.Client
	client *Client
}

// newEnv starts the bulk vendor over real HTTP. now is the server clock
// (nil: time.Now).
func newEnv(t testing.TB, cfg sandbox.VendorConfig, now func() time.Time) *env {
	t.Helper()
	done := make(chan struct{})
	b := sandbox.NewBackend(sandbox.Bulk, cfg, 7, done)
	srv := httptest.NewServer(b.Count(http.StripPrefix("/bulk", HandlerWithClock(b, now))))
	t.Cleanup(func() {
		close(done) // releases hung calls first
		srv.Close()
	})
	e := &env{b: b, srv: srv, base: srv.URL + "/bulk", hc: srv.Client()}
	e.client = New(Config{BaseURL: e.base, APIKey: testKey, Secret: testSecret})
	return e
}

type answer struct {
	status int
	header http.Header
	body   []byte
	err    errorBody // decoded when status != 200
}

// do sends a raw request; auth "" leaves Authorization out.
func (e *env) do(t testing.TB, method, path, body, auth string) answer {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
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
	if a.status != http.StatusOK {
		if err := json.Unmarshal(b, &a.err); err != nil || a.err.Type == "" || a.err.Message == "" {
			t.Fatalf("status %d: error body %q is not in the vendor format", a.status, b)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("error Content-Type = %q", ct)
		}
	}
	return a
}

func signedNow() string { return AuthorizationHeader(testKey, testSecret, time.Now().Unix()) }

func reqBody(ids []string, stay hotelrates.Stay) string {
	b, _ := json.Marshal(availabilityRequest{
		PropertyIDs: ids, Checkin: stay.CheckIn.String(), Checkout: stay.CheckOut.String(),
		Occupancy: occupancy{Adults: stay.Adults, Rooms: stay.Rooms}, Currency: stay.Currency,
	})
	return string(b)
}

// groundTruth is what a Fetch of ids must return.
func groundTruth(ids []string, stay hotelrates.Stay) []hotelrates.HotelOffers {
	return sandbox.Truth(sandbox.Bulk, ids, stay)
}

func sameOffers(t *testing.T, got, want []hotelrates.HotelOffers) { offertest.Equal(t, got, want) }

func kindOf(t *testing.T, err error) (hotelrates.ErrorKind, *hotelrates.VendorError) {
	t.Helper()
	var ve *hotelrates.VendorError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *VendorError", err)
	}
	return ve.Kind, ve
}

func TestFetchMatchesGroundTruth(t *testing.T) {
	e := newEnv(t, testConfig(), nil)
	// 247 catalog hotels (every third is not carried by bulk, some are sold
	// out) and 3 ids outside the catalog: exactly MaxBatch.
	full := append(sandbox.HotelIDs(1, 247), "X1", "H99999", "H20001")
	eur, gbp := testStay, testStay
	eur.Currency, eur.Adults, eur.Rooms = "EUR", 3, 2
	gbp.Currency, gbp.CheckOut = "GBP", gbp.CheckIn.AddDays(30)
	tests := []struct {
		name string
		ids  []string
		stay hotelrates.Stay
	}{
		{"250 hotels USD", full, testStay},
		{"250 hotels EUR 3 adults 2 rooms", full, eur},
		{"30 nights GBP", sandbox.HotelIDs(1000, 1040), gbp},
		{"one hotel", []string{"H00001"}, testStay},
		{"duplicates answered once", []string{"H00002", "H00001", "H00002", "X1", "H00001"}, testStay},
		{"nothing carried", []string{"H00003", "X1", "H00000"}, testStay},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.client.Fetch(context.Background(), e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: tc.stay, HotelIDs: tc.ids})
			if err != nil {
				t.Fatal(err)
			}
			sameOffers(t, got, groundTruth(tc.ids, tc.stay))
		})
	}
	// The 250-hotel batch really holds unknown and sold-out hotels.
	var soldOut, notCarried int
	for _, id := range full {
		switch {
		case !sandbox.Carries(sandbox.Bulk, id):
			notCarried++
		case sandbox.Offers(sandbox.Bulk, id, testStay) == nil:
			soldOut++
		}
	}
	if soldOut == 0 || notCarried < 3 {
		t.Fatalf("batch has %d sold-out and %d not-carried hotels", soldOut, notCarried)
	}
}

func TestDeterministic(t *testing.T) {
	e := newEnv(t, testConfig(), nil)
	body := reqBody(sandbox.HotelIDs(1, 50), testStay)
	a := e.do(t, http.MethodPost, AvailabilityPath, body, signedNow())
	b := e.do(t, http.MethodPost, AvailabilityPath, body, signedNow())
	if a.status != 200 || string(a.body) != string(b.body) {
		t.Fatalf("two equal requests answered differently:\n%s\n%s", a.body, b.body)
	}
	// Order asked is the order answered.
	rev := sandbox.HotelIDs(1, 50)
	slices.Reverse(rev)
	c := e.do(t, http.MethodPost, AvailabilityPath, reqBody(rev, testStay), signedNow())
	var ra, rc availabilityResponse
	json.Unmarshal(a.body, &ra)
	json.Unmarshal(c.body, &rc)
	pa, pc := *ra.Properties, *rc.Properties
	slices.Reverse(pc)
	if !reflect.DeepEqual(pa, pc) {
		t.Fatal("reversed request is not answered in reverse order")
	}
}

func TestAuth(t *testing.T) {
	now := time.Unix(1_780_000_000, 0)
	e := newEnv(t, testConfig(), func() time.Time { return now })
	ts := now.Unix()
	sig := Signature(testKey, testSecret, ts)
	tsS := strconv.FormatInt(ts, 10)
	tests := []struct {
		name   string
		auth   string
		status int
	}{
		{"valid", AuthorizationHeader(testKey, testSecret, ts), 200},
		{"EAN scheme, reordered, spaces", "EAN timestamp=" + tsS + ", APIKey=" + testKey + ",  Signature=" + sig, 200},
		{"uppercase hex and part names", "APIKEY=" + testKey + ",SIGNATURE=" + strings.ToUpper(sig) + ",Timestamp=" + tsS, 200},
		{"299 s in the past", AuthorizationHeader(testKey, testSecret, ts-299), 200},
		{"299 s in the future", AuthorizationHeader(testKey, testSecret, ts+299), 200},
		{"300 s in the past", AuthorizationHeader(testKey, testSecret, ts-300), 200},
		{"301 s in the past", AuthorizationHeader(testKey, testSecret, ts-301), 401},
		{"301 s in the future", AuthorizationHeader(testKey, testSecret, ts+301), 401},
		{"wrong key", AuthorizationHeader("other-key", testSecret, ts), 401},
		{"wrong secret", AuthorizationHeader(testKey, "wrong-secret", ts), 401},
		{"signature of another time", "APIKey=" + testKey + ",Signature=" + Signature(testKey, testSecret, ts-1) + ",timestamp=" + tsS, 401},
		{"missing", "", 401},
		{"garbled", "Bearer abc.def", 401},
		{"two parts", "APIKey=" + testKey + ",Signature=" + sig, 401},
		{"extra part", AuthorizationHeader(testKey, testSecret, ts) + ",nonce=1", 401},
		{"duplicate part", "APIKey=" + testKey + ",APIKey=" + testKey + ",timestamp=" + tsS, 401},
		{"empty key", "APIKey=,Signature=" + sig + ",timestamp=" + tsS, 401},
		{"short signature", "APIKey=" + testKey + ",Signature=" + sig[:64] + ",timestamp=" + tsS, 401},
		{"non-hex signature", "APIKey=" + testKey + ",Signature=" + strings.Repeat("zz", 64) + ",timestamp=" + tsS, 401},
		{"negative timestamp", "APIKey=" + testKey + ",Signature=" + sig + ",timestamp=-" + tsS, 401},
		{"timestamp not a number", "APIKey=" + testKey + ",Signature=" + sig + ",timestamp=now", 401},
		{"timestamp in ms", AuthorizationHeader(testKey, testSecret, ts*1000), 401},
		{"semicolons", "APIKey=" + testKey + ";Signature=" + sig + ";timestamp=" + tsS, 401},
	}
	body := reqBody([]string{"H00001", "H00002"}, testStay)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do(t, http.MethodPost, AvailabilityPath, body, tc.auth)
			if a.status != tc.status {
				t.Fatalf("status %d (%s), want %d", a.status, a.err.Message, tc.status)
			}
			if tc.status == 401 {
				if a.err.Type != ErrTypeUnauthenticated || a.header.Get("WWW-Authenticate") == "" {
					t.Fatalf("401 answer %+v, WWW-Authenticate %q", a.err, a.header.Get("WWW-Authenticate"))
				}
				if strings.Contains(a.err.Message, testSecret) || strings.Contains(a.err.Message, sig) {
					t.Fatal("401 message reveals a credential")
				}
			}
		})
	}
	if s := e.b.Stats(); s.AuthGrants != 0 {
		t.Fatalf("auth_grants = %d, want 0", s.AuthGrants)
	}
}

func TestClientAuth(t *testing.T) {
	now := time.Unix(1_780_000_000, 0)
	e := newEnv(t, testConfig(), func() time.Time { return now })
	q := hotelrates.Query{Stay: testStay, HotelIDs: []string{"H00001"}}
	tests := []struct {
		name        string
		key, secret string
		skew        time.Duration
		ok          bool
	}{
		{"right", testKey, testSecret, 0, true},
		{"clock 299 s behind", testKey, testSecret, -299 * time.Second, true},
		{"clock 299 s ahead", testKey, testSecret, 299 * time.Second, true},
		{"clock 301 s behind", testKey, testSecret, -301 * time.Second, false},
		{"clock 301 s ahead", testKey, testSecret, 301 * time.Second, false},
		{"wrong key", "nope", testSecret, 0, false},
		{"wrong secret", testKey, "s3cr3t-wrong", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Config{BaseURL: e.base + "/", APIKey: tc.key, Secret: tc.secret, Now: func() time.Time { return now.Add(tc.skew) }})
			_, err := c.Fetch(context.Background(), e.hc, hotelrates.Credential{}, q)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			kind, ve := kindOf(t, err)
			if kind != hotelrates.ErrUnauthorized || ve.Status != 401 {
				t.Fatalf("got %v, want unauthorized 401", err)
			}
			for _, s := range []string{tc.key, tc.secret} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error %q reveals a credential", err)
				}
			}
		})
	}
}

func TestBatchLimit(t *testing.T) {
	e := newEnv(t, testConfig(), nil)
	maxIDs := sandbox.HotelIDs(1, DefaultMaxBatch)
	a := e.do(t, http.MethodPost, AvailabilityPath, reqBody(maxIDs, testStay), signedNow())
	if a.status != 200 {
		t.Fatalf("MaxBatch hotels: status %d %s", a.status, a.err.Message)
	}
	a = e.do(t, http.MethodPost, AvailabilityPath, reqBody(sandbox.HotelIDs(1, DefaultMaxBatch+1), testStay), signedNow())
	if a.status != 400 || a.err.Type != ErrTypeTooManyHotels || !strings.Contains(a.err.Message, "250") {
		t.Fatalf("MaxBatch+1 hotels: %d %+v", a.status, a.err)
	}
	// The client refuses before any call.
	before := e.b.Stats().Requests
	for _, ids := range [][]string{nil, sandbox.HotelIDs(1, DefaultMaxBatch+1)} {
		_, err := e.client.Fetch(context.Background(), e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: ids})
		if k, _ := kindOf(t, err); k != hotelrates.ErrRejected {
			t.Fatalf("%d hotels: %v, want rejected", len(ids), err)
		}
	}
	if after := e.b.Stats().Requests; after != before {
		t.Fatalf("client made %d calls for rejected queries", after-before)
	}

	// A smaller configured batch is enforced by both sides.
	cfg := testConfig()
	cfg.MaxBatch = 5
	small := newEnv(t, cfg, nil)
	a = small.do(t, http.MethodPost, AvailabilityPath, reqBody(sandbox.HotelIDs(1, 6), testStay), signedNow())
	if a.status != 400 || a.err.Type != ErrTypeTooManyHotels || !strings.Contains(a.err.Message, "5") {
		t.Fatalf("6 hotels over a limit of 5: %d %+v", a.status, a.err)
	}
	c := New(Config{BaseURL: small.base, APIKey: testKey, Secret: testSecret, MaxBatch: 5})
	if c.Info().MaxBatch != 5 {
		t.Fatal("Info().MaxBatch does not follow the config")
	}
	if _, err := c.Fetch(context.Background(), small.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: sandbox.HotelIDs(1, 5)}); err != nil {
		t.Fatal(err)
	}
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t, testConfig(), nil)
	valid := func(mod func(m map[string]any)) string {
		m := map[string]any{"property_ids": []string{"H00001"}, "checkin": "2026-12-01", "checkout": "2026-12-03",
			"occupancy": map[string]any{"adults": 2, "rooms": 1}, "currency": "USD"}
		mod(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	occ := func(a, r any) func(m map[string]any) {
		return func(m map[string]any) { m["occupancy"] = map[string]any{"adults": a, "rooms": r} }
	}
	set := func(k string, v any) func(m map[string]any) { return func(m map[string]any) { m[k] = v } }
	tests := []struct {
		name, body, want string // want: a word the message must hold
	}{
		{"empty body", "", "empty"},
		{"not JSON", "hello", "JSON"},
		{"truncated JSON", `{"property_ids":["H1"`, "JSON"},
		{"array", `[1,2]`, "object"},
		{"null", `null`, "property_ids"},
		{"trailing data", valid(func(map[string]any) {}) + `{}`, "nothing after"},
		{"unknown field", valid(set("nights", 2)), "nights"},
		{"unknown occupancy field", `{"property_ids":["H00001"],"checkin":"2026-12-01","checkout":"2026-12-03","occupancy":{"adults":2,"rooms":1,"children":1},"currency":"USD"}`, "children"},
		{"property_ids missing", valid(func(m map[string]any) { delete(m, "property_ids") }), "property_ids"},
		{"property_ids empty", valid(set("property_ids", []string{})), "property_ids"},
		{"property_ids not strings", valid(set("property_ids", []int{1})), "property_ids"},
		{"property id with space", valid(set("property_ids", []string{"H00001", "H 2"})), "property_ids[1]"},
		{"property id empty", valid(set("property_ids", []string{""})), "property_ids[0]"},
		{"property id too long", valid(set("property_ids", []string{strings.Repeat("H", 65)})), "property_ids[0]"},
		{"checkin missing", valid(func(m map[string]any) { delete(m, "checkin") }), "checkin"},
		{"checkin bad", valid(set("checkin", "2026-13-01")), "checkin"},
		{"checkin number", valid(set("checkin", 20261201)), "checkin"},
		{"checkout missing", valid(func(m map[string]any) { delete(m, "checkout") }), "checkout"},
		{"checkout bad", valid(set("checkout", "12/03/2026")), "checkout"},
		{"checkout before checkin", valid(set("checkout", "2026-11-30")), "checkout"},
		{"checkout same day", valid(set("checkout", "2026-12-01")), "checkout"},
		{"31 nights", valid(set("checkout", "2027-01-01")), "checkout"},
		{"occupancy missing", valid(func(m map[string]any) { delete(m, "occupancy") }), "occupancy.adults"},
		{"adults 0", valid(occ(0, 1)), "occupancy.adults"},
		{"adults 10", valid(occ(10, 1)), "occupancy.adults"},
		{"adults string", valid(occ("2", 1)), "occupancy.adults"},
		{"adults fraction", valid(occ(1.5, 1)), "occupancy.adults"},
		{"rooms 0", valid(occ(2, 0)), "occupancy.rooms"},
		{"rooms 10", valid(occ(9, 10)), "occupancy.rooms"},
		{"rooms over adults", valid(occ(2, 3)), "occupancy.rooms"},
		{"currency missing", valid(func(m map[string]any) { delete(m, "currency") }), "currency"},
		{"currency JPY", valid(set("currency", "JPY")), "currency"},
		{"currency lowercase", valid(set("currency", "usd")), "currency"},
		{"too large", `{"property_ids":["` + strings.Repeat("x", MaxRequestBody) + `"]}`, "larger"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Validation precedes authentication: signed or not, 400.
			for _, auth := range []string{signedNow(), ""} {
				a := e.do(t, http.MethodPost, AvailabilityPath, tc.body, auth)
				if a.status != 400 || a.err.Type != ErrTypeInvalidInput || !strings.Contains(a.err.Message, tc.want) {
					t.Fatalf("status %d %+v, want 400 invalid_input naming %q", a.status, a.err, tc.want)
				}
			}
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.base+AvailabilityPath, strings.NewReader(reqBody([]string{"H00001"}, testStay)))
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("Authorization", signedNow())
		resp, err := e.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	// A client with a stay the vendor refuses gets ErrRejected.
	bad := testStay
	bad.Currency = "JPY"
	_, err := e.client.Fetch(context.Background(), e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: bad, HotelIDs: []string{"H00001"}})
	if k, ve := kindOf(t, err); k != hotelrates.ErrRejected || ve.Status != 400 || !strings.Contains(err.Error(), "currency") {
		t.Fatalf("got %v, want rejected 400 naming currency", err)
	}
}

func TestMethodAndPath(t *testing.T) {
	e := newEnv(t, testConfig(), nil)
	tests := []struct {
		method, path string
		status       int
		typ          string
	}{
		{http.MethodGet, AvailabilityPath, 405, ErrTypeMethodNotAllowed},
		{http.MethodPut, AvailabilityPath, 405, ErrTypeMethodNotAllowed},
		{http.MethodDelete, AvailabilityPath, 405, ErrTypeMethodNotAllowed},
		{http.MethodGet, "/", 404, ErrTypeNotFound},
		{http.MethodPost, "/v2/availability", 404, ErrTypeNotFound},
		{http.MethodPost, AvailabilityPath + "/x", 404, ErrTypeNotFound},
		{http.MethodGet, "/oauth/token", 404, ErrTypeNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			a := e.do(t, tc.method, tc.path, "", signedNow())
			if a.status != tc.status || a.err.Type != tc.typ {
				t.Fatalf("got %d %+v, want %d %s", a.status, a.err, tc.status, tc.typ)
			}
			if tc.status == 405 && a.header.Get("Allow") != http.MethodPost {
				t.Fatalf("Allow = %q", a.header.Get("Allow"))
			}
		})
	}
	if s := e.b.Stats(); s.RateCalls != 0 {
		t.Fatalf("rate_calls = %d for non-availability requests", s.RateCalls)
	}
}

// fetchAll runs n concurrent Fetches of different hotels and returns their
// errors.
func fetchAll(e *env, n int, stay hotelrates.Stay) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			q := hotelrates.Query{Stay: stay, HotelIDs: sandbox.HotelIDs(10*i+1, 10*i+10)}
			_, errs[i] = e.client.Fetch(context.Background(), e.hc, hotelrates.Credential{}, q)
		})
	}
	wg.Wait()
	return errs
}

func TestCapacity(t *testing.T) {
	cfg := testConfig()
	cfg.Latency.Base = 40 * time.Millisecond
	e := newEnv(t, cfg, nil)
	for _, err := range fetchAll(e, 3*cfg.Concurrency, testStay) {
		if err != nil {
			t.Fatal(err)
		}
	}
	s := e.b.Stats()
	if s.PeakInService > int64(cfg.Concurrency) || s.PeakInService < 2 || s.PeakQueue < 1 {
		t.Fatalf("peak in service %d (C=%d), peak queue %d", s.PeakInService, cfg.Concurrency, s.PeakQueue)
	}
	if s.InService != 0 || s.Queued != 0 || s.Throttled != 0 {
		t.Fatalf("after the calls: %+v", s)
	}
}

func TestQueueLimit(t *testing.T) {
	cfg := testConfig()
	cfg.Latency.Base = 60 * time.Millisecond
	cfg.QueueLimit = 2
	e := newEnv(t, cfg, nil)
	var throttled int64
	for _, err := range fetchAll(e, 20, testStay) {
		if err == nil {
			continue
		}
		k, ve := kindOf(t, err)
		if k != hotelrates.ErrThrottled || ve.Status != 429 || ve.RetryAfter < time.Second {
			t.Fatalf("got %v (retry after %v), want throttled with Retry-After", err, ve.RetryAfter)
		}
		throttled++
	}
	s := e.b.Stats()
	if throttled == 0 || s.Throttled != throttled || s.Status["429"] != throttled {
		t.Fatalf("client saw %d throttled calls; stats %+v", throttled, s)
	}
	if s.PeakQueue > 2 || s.PeakInService > int64(cfg.Concurrency) {
		t.Fatalf("peak queue %d, peak in service %d", s.PeakQueue, s.PeakInService)
	}
}

func TestRateLimit(t *testing.T) {
	cfg := testConfig()
	cfg.Latency = sandbox.Latency{Jitter: "none"}
	cfg.RPS, cfg.Burst = 20, 20
	e := newEnv(t, cfg, nil)
	body := reqBody([]string{"H00001"}, testStay)
	auth := signedNow()
	var mu sync.Mutex
	statuses := map[int]int64{}
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			a := e.do(t, http.MethodPost, AvailabilityPath, body, auth)
			if a.status == 429 {
				if a.err.Type != ErrTypeRateLimitExceeded || a.header.Get("Retry-After") == "" {
					t.Errorf("429 answer %+v, Retry-After %q", a.err, a.header.Get("Retry-After"))
				}
				if n, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || n < 1 {
					t.Errorf("Retry-After %q is not whole seconds", a.header.Get("Retry-After"))
				}
			}
			mu.Lock()
			statuses[a.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	s := e.b.Stats()
	if statuses[429] == 0 || statuses[200] < 20 || statuses[200]+statuses[429] != 40 {
		t.Fatalf("statuses %v, want at least 20 ok and some 429", statuses)
	}
	if s.Throttled != statuses[429] || s.Status["429"] != statuses[429] || s.RateCalls != 40 {
		t.Fatalf("stats %+v do not match statuses %v", s, statuses)
	}
	// The client sees ErrThrottled with the Retry-After.
	_, err := e.client.Fetch(context.Background(), e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"H00001"}})
	if err != nil {
		if k, ve := kindOf(t, err); k != hotelrates.ErrThrottled || ve.RetryAfter < time.Second {
			t.Fatalf("got %v, want throttled", err)
		}
	}
}

func TestFaults(t *testing.T) {
	ids := sandbox.HotelIDs(1, 40)
	tests := []struct {
		name    string
		set     func(f *sandbox.Faults)
		fault   string
		kind    hotelrates.ErrorKind
		status  int
		ok      bool
		timeout time.Duration
	}{
		{"500", func(f *sandbox.Faults) { f.Error500 = 1 }, "error_500", hotelrates.ErrUnavailable, 500, false, 0},
		{"503", func(f *sandbox.Faults) { f.Error503 = 1 }, "error_503", hotelrates.ErrUnavailable, 503, false, 0},
		{"hang", func(f *sandbox.Faults) { f.Hang = 1 }, "hang", hotelrates.ErrUnavailable, 0, false, 100 * time.Millisecond},
		{"malformed", func(f *sandbox.Faults) { f.Malformed = 1 }, "malformed", hotelrates.ErrBadResponse, 200, false, 0},
		{"truncated", func(f *sandbox.Faults) { f.Truncated = 1 }, "truncated", hotelrates.ErrBadResponse, 200, false, 0},
		{"slow body", func(f *sandbox.Faults) { f.SlowBody = 1 }, "slow_body", 0, 200, true, 0},
		{"revoke", func(f *sandbox.Faults) { f.Revoke = 1 }, "revoke", hotelrates.ErrUnauthorized, 401, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.set(&cfg.Faults)
			e := newEnv(t, cfg, nil)
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			q := hotelrates.Query{Stay: testStay, HotelIDs: ids}
			got, err := e.client.Fetch(ctx, e.hc, hotelrates.Credential{}, q)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				sameOffers(t, got, groundTruth(ids, testStay))
			} else {
				k, ve := kindOf(t, err)
				if k != tc.kind || ve.Status != tc.status {
					t.Fatalf("got %v, want %s with status %d", err, tc.kind, tc.status)
				}
				if tc.name == "503" && ve.RetryAfter != time.Second {
					t.Fatalf("503 retry after %v, want 1s", ve.RetryAfter)
				}
				if tc.name == "hang" && !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("hang: %v is not a deadline", err)
				}
			}
			if s := e.b.Stats(); s.Faults[tc.fault] != 1 || s.AuthGrants != 0 {
				t.Fatalf("faults %v auth_grants %d", s.Faults, s.AuthGrants)
			}
			if tc.name == "revoke" {
				a := e.do(t, http.MethodPost, AvailabilityPath, reqBody(ids, testStay), signedNow())
				if a.status != 401 || a.err.Type != ErrTypeUnauthenticated || !strings.Contains(a.err.Message, "suspended") {
					t.Fatalf("revoke answer %d %+v", a.status, a.err)
				}
			}
		})
	}
}

// TestRevokeIsOneRequest: a revoked request leaves no state behind; the
// same signed request made again is served unless it draws the fault again.
func TestRevokeIsOneRequest(t *testing.T) {
	cfg := testConfig()
	cfg.Faults.Revoke = 0.5
	e := newEnv(t, cfg, nil)
	q := hotelrates.Query{Stay: testStay, HotelIDs: []string{"H00001", "H00002"}}
	var revoked, served int
	for range 20 {
		_, err := e.client.Fetch(context.Background(), e.hc, hotelrates.Credential{}, q)
		switch k, _ := hotelrates.KindOf(err); {
		case err == nil:
			served++
		case k == hotelrates.ErrUnauthorized:
			revoked++
		default:
			t.Fatal(err)
		}
	}
	s := e.b.Stats()
	if revoked == 0 || served == 0 || s.Faults["revoke"] != int64(revoked) || s.AuthGrants != 0 {
		t.Fatalf("revoked %d served %d, stats %+v", revoked, served, s)
	}
}

func TestStats(t *testing.T) {
	e := newEnv(t, testConfig(), nil)
	ok := e.do(t, http.MethodPost, AvailabilityPath, reqBody([]string{"H00001", "H00002", "X1"}, testStay), signedNow())
	e.do(t, http.MethodPost, AvailabilityPath, "{not json", signedNow())
	bad := testStay
	bad.Adults = 0
	e.do(t, http.MethodPost, AvailabilityPath, reqBody([]string{"H00001", "H00002"}, bad), signedNow())
	e.do(t, http.MethodPost, AvailabilityPath, reqBody(sandbox.HotelIDs(1, 4), testStay), AuthorizationHeader(testKey, "x", time.Now().Unix()))
	e.do(t, http.MethodGet, "/nowhere", "", "")
	e.do(t, http.MethodGet, AvailabilityPath, "", "")
	if ok.status != 200 {
		t.Fatalf("status %d", ok.status)
	}
	s := e.b.Stats()
	want := map[string]int64{"200": 1, "400": 2, "401": 1, "404": 1, "405": 1}
	if s.Requests != 6 || s.RateCalls != 4 || s.Hotels != 3+0+2+4 || !reflect.DeepEqual(s.Status, want) ||
		s.AuthGrants != 0 || s.Throttled != 0 || s.InService != 0 || s.PeakInService != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestClientBasics(t *testing.T) {
	c := New(Config{BaseURL: "http://x/bulk", APIKey: "k", Secret: "s"})
	info := c.Info()
	if info.Name != "bulk" || info.MaxBatch != 250 || info.Auth != hotelrates.AuthNone {
		t.Fatalf("info %+v", info)
	}
	cred, err := c.Authenticate(context.Background(), http.DefaultClient)
	if err != nil || cred != (hotelrates.Credential{}) {
		t.Fatalf("Authenticate = %v, %v", cred, err)
	}
	if got := c.Secrets(); !slices.Equal(got, []string{"k", "s"}) {
		t.Fatalf("Secrets = %v", got)
	}
	if got := New(Config{Name: "rapid"}).Info().Name; got != "rapid" {
		t.Fatalf("name %q", got)
	}
	// Offers carry the configured name.
	e := newEnv(t, testConfig(), nil)
	c = New(Config{Name: "rapid", BaseURL: e.base, APIKey: testKey, Secret: testSecret})
	got, err := c.Fetch(context.Background(), e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"H00001"}})
	if err != nil || len(got) != 1 || got[0].Offers[0].Vendor != "rapid" {
		t.Fatalf("got %+v, %v", got, err)
	}
	// A connection failure is ErrUnavailable.
	c = New(Config{BaseURL: "http://127.0.0.1:1/bulk", APIKey: testKey, Secret: testSecret})
	_, err = c.Fetch(context.Background(), e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"H00001"}})
	if k, _ := kindOf(t, err); k != hotelrates.ErrUnavailable {
		t.Fatalf("got %v", err)
	}
}

// TestClientAgainstFakeVendor checks how the client reads answers the
// sandbox never gives.
func TestClientAgainstFakeVendor(t *testing.T) {
	var (
		mu     sync.Mutex
		status int
		body   string
		header http.Header
	)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		header = r.Header.Clone()
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(fake.Close)
	const secret = "very-secret-value"
	c := New(Config{BaseURL: fake.URL, APIKey: "key-abc", Secret: secret, Now: func() time.Time { return time.Unix(1_780_000_000, 0) }})
	q := hotelrates.Query{Stay: testStay, HotelIDs: []string{"H00001", "H00002"}}
	tests := []struct {
		name   string
		status int
		body   string
		kind   hotelrates.ErrorKind
		ok     int // hotels returned when no error
	}{
		{"empty list", 200, `{"properties":[]}`, 0, 0},
		{"property without rooms is skipped", 200, `{"properties":[{"property_id":"H00001","rooms":[]}]}`, 0, 0},
		{"unknown fields ignored", 200, `{"properties":[{"property_id":"H00002","x":1,"rooms":[{"room_name":"A","board":"RO","total":{"value":"10.5","currency":"USD"},"refundable":false}]}],"more":true}`, 0, 1},
		{"no properties", 200, `{}`, hotelrates.ErrBadResponse, 0},
		{"null properties", 200, `{"properties":null}`, hotelrates.ErrBadResponse, 0},
		{"not asked", 200, `{"properties":[{"property_id":"H00009","rooms":[{"room_name":"A","board":"RO","total":{"value":"1.00","currency":"USD"}}]}]}`, hotelrates.ErrBadResponse, 0},
		{"listed twice", 200, `{"properties":[{"property_id":"H00001","rooms":[]},{"property_id":"H00001","rooms":[]}]}`, hotelrates.ErrBadResponse, 0},
		{"wrong currency", 200, `{"properties":[{"property_id":"H00001","rooms":[{"room_name":"A","board":"RO","total":{"value":"1.00","currency":"EUR"}}]}]}`, hotelrates.ErrBadResponse, 0},
		{"float amount", 200, `{"properties":[{"property_id":"H00001","rooms":[{"room_name":"A","board":"RO","total":{"value":"1.005","currency":"USD"}}]}]}`, hotelrates.ErrBadResponse, 0},
		{"amount number", 200, `{"properties":[{"property_id":"H00001","rooms":[{"room_name":"A","board":"RO","total":{"value":1.5,"currency":"USD"}}]}]}`, hotelrates.ErrBadResponse, 0},
		{"bad deadline", 200, `{"properties":[{"property_id":"H00001","rooms":[{"room_name":"A","board":"RO","total":{"value":"1.00","currency":"USD"},"refundable":true,"cancel_deadline":"tomorrow"}]}]}`, hotelrates.ErrBadResponse, 0},
		{"html", 200, `<html>oops</html>`, hotelrates.ErrBadResponse, 0},
		{"204", 204, ``, hotelrates.ErrBadResponse, 0},
		{"401 echoing the secret", 401, `{"type":"request_unauthenticated","message":"bad secret ` + secret + ` for key-abc"}`, hotelrates.ErrUnauthorized, 0},
		{"403", 403, `{"type":"forbidden","message":"no"}`, hotelrates.ErrUnauthorized, 0},
		{"429 without Retry-After", 429, `{"type":"rate_limit_exceeded","message":"slow down"}`, hotelrates.ErrThrottled, 0},
		{"502 html", 502, `<html>bad gateway</html>`, hotelrates.ErrUnavailable, 0},
		{"404", 404, `{"type":"resource_not_found","message":"no"}`, hotelrates.ErrRejected, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			status, body = tc.status, tc.body
			mu.Unlock()
			got, err := c.Fetch(context.Background(), fake.Client(), hotelrates.Credential{}, q)
			if tc.kind == 0 && tc.status == 200 {
				if err != nil || len(got) != tc.ok {
					t.Fatalf("got %+v, %v", got, err)
				}
				return
			}
			k, _ := kindOf(t, err)
			if k != tc.kind {
				t.Fatalf("got %v, want %s", err, tc.kind)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "key-abc") {
				t.Fatalf("error %q reveals a credential", err)
			}
		})
	}
	// The request the client sent.
	mu.Lock()
	defer mu.Unlock()
	want := AuthorizationHeader("key-abc", secret, 1_780_000_000)
	if header.Get("Authorization") != want || header.Get("Content-Type") != "application/json" {
		t.Fatalf("request headers %v", header)
	}
}

func TestSignature(t *testing.T) {
	// sha512("abc" + "def" + "1") computed independently.
	const want = "b1e954913ad9532bd13a00cc22f1807f0d685c77603e7bce2c628a30ac3f1935cbb965271a970f485626e6dec8c0eb384fd883c922e05aef14cc2aff69bb2388"
	if got := Signature("abc", "def", 1); got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
	if Signature("abc", "def", 1) == Signature("abc", "def", 2) {
		t.Fatal("signature ignores the time")
	}
	h := AuthorizationHeader("k", "s", 42)
	if !strings.HasPrefix(h, "APIKey=k,Signature=") || !strings.HasSuffix(h, ",timestamp=42") {
		t.Fatalf("header %q", h)
	}
	p, ok := parseAuthorization("EAN " + h)
	if !ok || p.apiKey != "k" || p.timestamp != 42 {
		t.Fatalf("parse %+v %v", p, ok)
	}
	if fmt.Sprintf("%x", p.signature) != Signature("k", "s", 42) {
		t.Fatal("parsed signature differs")
	}
}
