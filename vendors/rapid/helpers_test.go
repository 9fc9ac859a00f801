package rapid

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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

var bg = context.Background()

const (
	testKey    = sandbox.DemoRapidAPIKey
	testSecret = sandbox.DemoRapidSecret
)

// testStart is the test clock's start: 30 s into a minute.
var testStart = time.Date(2026, 6, 1, 10, 0, 30, 0, time.UTC)

var testStay = hotelrates.Stay{
	CheckIn:  hotelrates.MustDate("2026-12-01"),
	CheckOut: hotelrates.MustDate("2026-12-03"),
	Adults:   2,
	Rooms:    1,
	Currency: "USD",
}

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: testStart} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testConfig is the default rapid config with a 2 ms latency, no rate
// limit and a short slow-body delay.
func testConfig() sandbox.VendorConfig {
	cfg := sandbox.DefaultConfig().Vendors.Rapid
	cfg.Latency = sandbox.Latency{Base: 2 * time.Millisecond, Jitter: "none"}
	cfg.RPS, cfg.Burst = 0, 0
	cfg.Faults.SlowBodyDelay = time.Millisecond
	return cfg
}

// captured is a request as the server received it.
type captured struct {
	path, rawQuery string
	header         http.Header
}

type env struct {
	b      *sandbox.Backend
	clock  *testClock
	srv    *httptest.Server
	base   string // the API root (…/rapid)
	hc     *http.Client
	client *Client

	mu   sync.Mutex
	reqs []captured
}

// newEnv serves Rapid over real HTTP under /rapid, as the sandbox mounts
// it, with the test clock as the server's clock and the client's.
func newEnv(t testing.TB, cfg sandbox.VendorConfig) *env {
	t.Helper()
	done := make(chan struct{})
	e := &env{clock: newClock()}
	e.b = sandbox.NewBackend(sandbox.Rapid, cfg, 7, done)
	h := e.b.Count(http.StripPrefix("/rapid", HandlerWithClock(e.b, e.clock.Now)))
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.reqs = append(e.reqs, captured{path: r.URL.Path, rawQuery: r.URL.RawQuery, header: r.Header.Clone()})
		e.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		close(done) // releases hung calls first
		e.srv.Close()
	})
	e.base = e.srv.URL + "/rapid"
	e.hc = e.srv.Client()
	e.client = New(Config{BaseURL: e.base, APIKey: testKey, Secret: testSecret, Now: e.clock.Now})
	return e
}

// requests returns the requests the server received so far.
func (e *env) requests() []captured {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]captured(nil), e.reqs...)
}

func (e *env) fetch(ids []string, stay hotelrates.Stay) ([]hotelrates.HotelOffers, error) {
	return e.client.Fetch(bg, e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: stay, HotelIDs: ids})
}

// answer is a raw answer, its body decompressed.
type answer struct {
	status int
	header http.Header
	body   []byte
	err    errorBody // decoded when status != 200
}

// signed returns the Authorization header for the test clock's time.
func (e *env) signed() string { return AuthorizationHeader(testKey, testSecret, e.clock.Now().Unix()) }

// get sends a raw GET to the availability endpoint with query; header adds
// or (with "") removes request headers. Accept-Encoding is gzip unless
// header says otherwise.
func (e *env) get(t testing.TB, query string, header map[string]string) answer {
	t.Helper()
	return e.do(t, http.MethodGet, AvailabilityPath+"?"+query, header)
}

func (e *env) do(t testing.TB, method, pathQuery string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, e.base+pathQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("User-Agent", "rapid-test/1.0")
	req.Header.Set("Authorization", e.signed())
	for k, v := range header {
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
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: raw}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("status %d: gzip: %v", a.status, err)
		}
		if a.body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("status %d: gzip: %v", a.status, err)
		}
	}
	if a.status != http.StatusOK && method != http.MethodHead {
		if err := json.Unmarshal(a.body, &a.err); err != nil || a.err.Type == "" || a.err.Message == "" {
			t.Fatalf("status %d: error body %q is not in Rapid's format", a.status, a.body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("error Content-Type = %q", ct)
		}
	}
	if resp.Header.Get(HeaderRegion) != SandboxRegion {
		t.Errorf("Region = %q", resp.Header.Get(HeaderRegion))
	}
	return a
}

// query builds a valid availability query for codes and stay, changed by
// mods (key=value to set; key= to delete).
func query(codes []string, stay hotelrates.Stay, mods ...string) string {
	occ, err := Occupancies(stay)
	if err != nil {
		panic(err)
	}
	v := url.Values{
		"property_id": codes, "occupancy": occ,
		"checkin": {stay.CheckIn.String()}, "checkout": {stay.CheckOut.String()},
		"currency": {stay.Currency}, "country_code": {"US"}, "language": {"en-US"},
		"rate_plan_count": {"250"}, "sales_channel": {"website"}, "sales_environment": {"hotel_only"},
	}
	for _, m := range mods {
		k, val, _ := strings.Cut(m, "=")
		if val == "" {
			delete(v, k)
		} else {
			v[k] = strings.Split(val, "|")
		}
	}
	return v.Encode()
}

// code is Rapid's code of catalog hotel n; it panics when Rapid does not
// carry it.
func code(n int) string {
	c, ok := sandbox.VendorCode(sandbox.Rapid, sandbox.HotelID(n))
	if !ok {
		panic("rapid does not carry " + sandbox.HotelID(n))
	}
	return c
}

// codes returns Rapid's codes of the catalog hotels from to to that it
// carries.
func codes(from, to int) []string {
	var out []string
	for n := from; n <= to; n++ {
		if c, ok := sandbox.VendorCode(sandbox.Rapid, sandbox.HotelID(n)); ok {
			out = append(out, c)
		}
	}
	return out
}

// withOffers is the code of the first catalog hotel Rapid has offers for
// for stay.
func withOffers(stay hotelrates.Stay) string {
	for n := 1; ; n++ {
		if c, ok := sandbox.VendorCode(sandbox.Rapid, sandbox.HotelID(n)); ok && len(sandbox.Offers(sandbox.Rapid, sandbox.HotelID(n), stay)) > 0 {
			return c
		}
	}
}

// groundTruth is what a Fetch of Rapid codes must return: for each code
// (once, in order) that names a hotel Rapid carries with offers for stay,
// sandbox.Offers of that hotel, keyed by the code.
func groundTruth(codes []string, stay hotelrates.Stay) []hotelrates.HotelOffers {
	return sandbox.Truth(sandbox.Rapid, codes, stay)
}

// sameOffers is offertest.Equal, and every cancellation deadline in UTC.
func sameOffers(t *testing.T, got, want []hotelrates.HotelOffers) {
	t.Helper()
	offertest.Equal(t, got, want)
	for _, h := range got {
		for j, o := range h.Offers {
			if !o.CancelDeadline.IsZero() && o.CancelDeadline.Location() != time.UTC {
				t.Fatalf("%s offer %d: cancel deadline %v not in UTC", h.HotelID, j, o.CancelDeadline)
			}
		}
	}
}

func kindOf(t *testing.T, err error) (hotelrates.ErrorKind, *hotelrates.VendorError) {
	t.Helper()
	ve, ok := errors.AsType[*hotelrates.VendorError](err)
	if !ok {
		t.Fatalf("error %v is not a *VendorError", err)
	}
	return ve.Kind, ve
}

// noSecrets fails when s holds a credential, a signature or the host.
func noSecrets(t *testing.T, s string, extra ...string) {
	t.Helper()
	for _, v := range append([]string{testKey, testSecret}, extra...) {
		if v != "" && strings.Contains(s, v) {
			t.Fatalf("%q reveals %q", s, v)
		}
	}
}
