package amadeus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hotelrates"
	"hotelrates/sandbox"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testClock is a clock tests can move forward.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// exchange is one request the sandbox received and its answer, as the
// capture middleware saw them (paths without the mount prefix).
type exchange struct {
	method, path, rawQuery string
	reqHeader              http.Header
	reqBody                []byte
	status                 int
	respHeader             http.Header
	respBody               []byte
}

// capture records every exchange that reaches the handler.
type capture struct {
	mu   sync.Mutex
	list []exchange
}

func (c *capture) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &recorder{ResponseWriter: w}
		ex := exchange{method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, reqHeader: r.Header.Clone(), reqBody: body}
		defer func() {
			ex.status, ex.respHeader, ex.respBody = rec.code, w.Header().Clone(), rec.buf.Bytes()
			c.mu.Lock()
			c.list = append(c.list, ex)
			c.mu.Unlock()
		}()
		next.ServeHTTP(rec, r)
	})
}

func (c *capture) all() []exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]exchange(nil), c.list...)
}

type recorder struct {
	http.ResponseWriter
	code int
	buf  bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	r.buf.Write(p)
	return r.ResponseWriter.Write(p)
}

func (r *recorder) Flush()                      { http.NewResponseController(r.ResponseWriter).Flush() }
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// env is one simulated Amadeus served over loopback under /amadeus, with
// a client for it.
type env struct {
	b      *sandbox.Backend
	srv    *httptest.Server
	hc     *http.Client
	client *Client
	clock  *testClock
	cap    *capture
	base   string
	cfg    sandbox.VendorConfig
}

const testSeed = 7

// testConfig is the default Amadeus with a short latency and no request
// rate limit (tests of the limit set it).
func testConfig() sandbox.VendorConfig {
	cfg := sandbox.DefaultConfig().Vendors.Amadeus
	cfg.Latency.Base, cfg.Latency.PerHotel = 2*time.Millisecond, 0
	cfg.Faults.SlowBodyDelay = time.Millisecond
	cfg.RPS = 0
	return cfg
}

func newEnv(t *testing.T, mod func(*sandbox.VendorConfig)) *env {
	t.Helper()
	cfg := testConfig()
	if mod != nil {
		mod(&cfg)
	}
	done := make(chan struct{})
	b := sandbox.NewBackend(sandbox.Amadeus, cfg, testSeed, done)
	clock := &testClock{}
	cp := &capture{}
	srv := httptest.NewServer(b.Count(http.StripPrefix("/amadeus", cp.wrap(HandlerWithClock(b, clock.Now)))))
	hc := srv.Client()
	hc.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	t.Cleanup(func() {
		close(done)
		srv.Close()
	})
	base := srv.URL + "/amadeus"
	return &env{
		b: b, srv: srv, hc: hc, clock: clock, cap: cp, base: base, cfg: cfg,
		client: New(Config{BaseURL: base, ClientID: cfg.Credentials.ClientID, ClientSecret: cfg.Credentials.ClientSecret}),
	}
}

func (e *env) token(t *testing.T) hotelrates.Credential {
	t.Helper()
	cred, err := e.client.Authenticate(context.Background(), e.hc)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return cred
}

var testStay = hotelrates.Stay{
	CheckIn:  hotelrates.MustDate("2027-03-10"),
	CheckOut: hotelrates.MustDate("2027-03-12"),
	Adults:   2, Rooms: 1, Currency: "USD",
}

func (e *env) fetch(ctx context.Context, cred hotelrates.Credential, stay hotelrates.Stay, codes ...string) ([]hotelrates.HotelOffers, error) {
	return e.client.Fetch(ctx, e.hc, cred, hotelrates.Query{Stay: stay, HotelIDs: codes})
}

// do sends a raw request and decodes the answer's JSON body into a map.
func (e *env) do(t *testing.T, method, path string, header http.Header, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	var m map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", method, path, data, err)
		}
	}
	return resp, m
}

// get sends GET OffersPath?query with the bearer token (none when "").
func (e *env) get(t *testing.T, tok, query string) (*http.Response, map[string]any) {
	t.Helper()
	var h http.Header
	if tok != "" {
		h = hdr("Authorization", "Bearer "+tok)
	}
	return e.do(t, "GET", OffersPath+"?"+query, h, "")
}

// jsonOf marshals a decoded answer back to JSON.
func jsonOf(m map[string]any) ([]byte, error) { return json.Marshal(m) }

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

const formCT = "application/x-www-form-urlencoded"

// apiErr returns the status, code, title and source.parameter of the
// first error of an answer in the API's error format (numbers or
// strings).
func apiErr(t *testing.T, m map[string]any) (status, code int, title, param string) {
	t.Helper()
	list, ok := m["errors"].([]any)
	if !ok || len(list) == 0 {
		t.Fatalf("body %v is not in the API's error format", m)
	}
	e := list[0].(map[string]any)
	num := func(v any) int {
		switch x := v.(type) {
		case float64:
			return int(x)
		case string:
			n, _ := strconv.Atoi(x)
			return n
		}
		return 0
	}
	title, _ = e["title"].(string)
	if src, ok := e["source"].(map[string]any); ok {
		param, _ = src["parameter"].(string)
	}
	return num(e["status"]), num(e["code"]), title, param
}

func wantKind(t *testing.T, err error, kind hotelrates.ErrorKind) *hotelrates.VendorError {
	t.Helper()
	ve, ok := errors.AsType[*hotelrates.VendorError](err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *VendorError", err, err)
	}
	if ve.Kind != kind {
		t.Fatalf("error %v: kind %s, want %s", err, ve.Kind, kind)
	}
	if ve.Vendor != sandbox.Amadeus {
		t.Errorf("error vendor %q, want amadeus", ve.Vendor)
	}
	return ve
}

// codeOf returns the Amadeus code of catalog hotel n, also for hotels the
// sandbox Amadeus does not carry (sandbox.VendorCode gives codes of
// carried hotels only): "HR", the city by n % 8, n in base 36.
func codeOf(n int) string {
	if c, ok := sandbox.VendorCode(sandbox.Amadeus, sandbox.HotelID(n)); ok {
		return c
	}
	cities := [...]string{"LON", "PAR", "NYC", "BER", "ROM", "MAD", "AMS", "BCN"}
	b36 := strings.ToUpper(strconv.FormatInt(int64(n), 36))
	return "HR" + cities[n%8] + strings.Repeat("0", 3-len(b36)) + b36
}

// query builds a raw hotel-offers query from key/value pairs, keeping
// commas literal.
func query(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+"="+kv[i+1])
	}
	return strings.Join(parts, "&")
}

// validQuery is a well-formed query for the codes and testStay.
func validQuery(codes ...string) string {
	return query("hotelIds", strings.Join(codes, ","), "checkInDate", "2027-03-10", "checkOutDate", "2027-03-12",
		"adults", "2", "roomQuantity", "1", "currency", "USD", "bestRateOnly", "false")
}

// findHotel returns the first catalog hotel number from start whose
// Amadeus answer for stay satisfies pred.
func findHotel(t *testing.T, start int, stay hotelrates.Stay, pred func(carried bool, offers []hotelrates.Offer) bool) int {
	t.Helper()
	for n := start; n < start+2000; n++ {
		id := sandbox.HotelID(n)
		if pred(sandbox.Carries(sandbox.Amadeus, id), sandbox.Offers(sandbox.Amadeus, id, stay)) {
			return n
		}
	}
	t.Fatal("no such hotel")
	return 0
}
