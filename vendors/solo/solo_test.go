package solo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"hotelrates"
	"hotelrates/sandbox"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testClock is a clock tests can move forward.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// env is one solo vendor served over loopback with a client for it.
type env struct {
	b      *sandbox.Backend
	srv    *httptest.Server
	hc     *http.Client
	client *Client
	clock  *testClock
	base   string
}

const testSeed = 7

func testConfig() sandbox.VendorConfig {
	cfg := sandbox.DefaultConfig().Vendors.Solo
	cfg.Latency.Base = 2 * time.Millisecond
	cfg.Faults.SlowBodyDelay = time.Millisecond
	return cfg
}

func newEnv(t *testing.T, mod func(*sandbox.VendorConfig)) *env {
	t.Helper()
	cfg := testConfig()
	if mod != nil {
		mod(&cfg)
	}
	done := make(chan struct{})
	b := sandbox.NewBackend(sandbox.Solo, cfg, testSeed, done)
	clock := &testClock{}
	srv := httptest.NewServer(b.Count(http.StripPrefix("/solo", HandlerWithClock(b, clock.Now))))
	hc := srv.Client()
	hc.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	t.Cleanup(func() {
		close(done)
		srv.Close()
	})
	base := srv.URL + "/solo"
	return &env{
		b: b, srv: srv, hc: hc, clock: clock, base: base,
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
	CheckIn:  hotelrates.MustDate("2026-12-01"),
	CheckOut: hotelrates.MustDate("2026-12-03"),
	Adults:   2, Rooms: 1, Currency: "USD",
}

func query(hotels ...string) hotelrates.Query {
	return hotelrates.Query{Stay: testStay, HotelIDs: hotels}
}

func (e *env) fetch(ctx context.Context, cred hotelrates.Credential, hotel string) ([]hotelrates.HotelOffers, error) {
	return e.client.Fetch(ctx, e.hc, cred, query(hotel))
}

// post sends a raw request and decodes the answer's JSON body into a map.
func (e *env) post(t *testing.T, method, path string, header http.Header, body string) (*http.Response, map[string]any) {
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

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

const formCT = "application/x-www-form-urlencoded"

func validBody(hotel string) string {
	return fmt.Sprintf(`{"hotel_id":%q,"checkin":"2026-12-01","checkout":"2026-12-03","adults":2,"rooms":1,"currency":"USD"}`, hotel)
}

// vendorErr returns the code and message of the vendor error format.
func vendorErr(t *testing.T, m map[string]any) (code, msg string) {
	t.Helper()
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("body %v is not in the vendor error format", m)
	}
	code, _ = e["code"].(string)
	msg, _ = e["message"].(string)
	return code, msg
}

func wantKind(t *testing.T, err error, kind hotelrates.ErrorKind) *hotelrates.VendorError {
	t.Helper()
	ve, ok := err.(*hotelrates.VendorError)
	if !ok {
		t.Fatalf("error %v (%T) is not a *VendorError", err, err)
	}
	if ve.Kind != kind {
		t.Fatalf("error %v: kind %s, want %s", err, ve.Kind, kind)
	}
	if ve.Vendor != "solo" {
		t.Errorf("error vendor %q, want solo", ve.Vendor)
	}
	return ve
}

func TestAuthenticate(t *testing.T) {
	e := newEnv(t, nil)
	before := time.Now()
	cred := e.token(t)
	if len(cred.Secret) < 32 || strings.Trim(cred.Secret, "0123456789abcdef") != "" {
		t.Errorf("token %q is not 32+ hex chars", cred.Secret)
	}
	ttl := sandbox.DefaultConfig().Vendors.Solo.TokenTTL
	if cred.Expires.Before(before.Add(ttl-2*time.Second)) || cred.Expires.After(time.Now().Add(ttl)) {
		t.Errorf("token expires %v, want about now+%v", cred.Expires, ttl)
	}
	if _, err := e.fetch(context.Background(), cred, "H00001"); err != nil {
		t.Fatalf("Fetch with new token: %v", err)
	}
	cred2 := e.token(t)
	if cred2.Secret == cred.Secret {
		t.Error("two tokens are equal")
	}
	if got := e.b.Stats().AuthGrants; got != 2 {
		t.Errorf("auth_grants = %d, want 2", got)
	}
}

func TestTokenEndpoint(t *testing.T) {
	e := newEnv(t, nil)
	id, secret := sandbox.DemoSoloClientID, sandbox.DemoSoloClientSecret
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}.Encode()
	basic := func(id, secret string) string {
		r, _ := http.NewRequest("POST", "/", nil)
		r.SetBasicAuth(id, secret)
		return r.Header.Get("Authorization")
	}
	tests := []struct {
		name   string
		method string
		header http.Header
		body   string
		status int
		code   string // OAuth error, or vendor error code for 405
	}{
		{"form credentials", "POST", hdr("Content-Type", formCT), good, 200, ""},
		{"basic credentials", "POST", hdr("Content-Type", formCT, "Authorization", basic(id, secret)), "grant_type=client_credentials", 200, ""},
		{"basic with matching form client_id", "POST", hdr("Content-Type", formCT, "Authorization", basic(id, secret)), "grant_type=client_credentials&client_id=" + id, 200, ""},
		{"content type with charset", "POST", hdr("Content-Type", formCT+"; charset=utf-8"), good, 200, ""},
		{"wrong secret form", "POST", hdr("Content-Type", formCT), "grant_type=client_credentials&client_id=" + id + "&client_secret=nope", 401, "invalid_client"},
		{"wrong secret basic", "POST", hdr("Content-Type", formCT, "Authorization", basic(id, "nope")), "grant_type=client_credentials", 401, "invalid_client"},
		{"unknown client", "POST", hdr("Content-Type", formCT), "grant_type=client_credentials&client_id=other&client_secret=" + secret, 401, "invalid_client"},
		{"no secret", "POST", hdr("Content-Type", formCT), "grant_type=client_credentials&client_id=" + id, 401, "invalid_client"},
		{"no credentials", "POST", hdr("Content-Type", formCT), "grant_type=client_credentials", 401, "invalid_client"},
		{"bearer instead of basic", "POST", hdr("Content-Type", formCT, "Authorization", "Bearer abc"), "grant_type=client_credentials", 401, "invalid_client"},
		{"missing grant_type", "POST", hdr("Content-Type", formCT), "client_id=" + id + "&client_secret=" + secret, 400, "invalid_request"},
		{"wrong grant_type", "POST", hdr("Content-Type", formCT), "grant_type=password&client_id=" + id + "&client_secret=" + secret, 400, "unsupported_grant_type"},
		{"repeated grant_type", "POST", hdr("Content-Type", formCT), good + "&grant_type=client_credentials", 400, "invalid_request"},
		{"two auth methods", "POST", hdr("Content-Type", formCT, "Authorization", basic(id, secret)), good, 400, "invalid_request"},
		{"basic and other form client_id", "POST", hdr("Content-Type", formCT, "Authorization", basic(id, secret)), "grant_type=client_credentials&client_id=x", 400, "invalid_request"},
		{"json body", "POST", hdr("Content-Type", "application/json"), `{"grant_type":"client_credentials"}`, 400, "invalid_request"},
		{"no content type", "POST", nil, good, 400, "invalid_request"},
		{"bad form encoding", "POST", hdr("Content-Type", formCT), "grant_type=%zz", 400, "invalid_request"},
		{"body too large", "POST", hdr("Content-Type", formCT), good + "&pad=" + strings.Repeat("x", MaxRequestBody), 400, "invalid_request"},
		{"GET", "GET", nil, "", 405, CodeMethodNotAllowed},
		{"PUT", "PUT", hdr("Content-Type", formCT), good, 405, CodeMethodNotAllowed},
	}
	grants := int64(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, m := e.post(t, tt.method, TokenPath, tt.header, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (body %v)", resp.StatusCode, tt.status, m)
			}
			switch {
			case tt.status == 200:
				grants++
				tok, _ := m["access_token"].(string)
				if len(tok) < 32 || m["token_type"] != "Bearer" || m["expires_in"] != float64(1799) {
					t.Errorf("token answer %v", m)
				}
				if resp.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("Cache-Control %q, want no-store", resp.Header.Get("Cache-Control"))
				}
			case tt.status == 405:
				if code, _ := vendorErr(t, m); code != tt.code {
					t.Errorf("code %q, want %q", code, tt.code)
				}
				if resp.Header.Get("Allow") != "POST" {
					t.Errorf("Allow %q, want POST", resp.Header.Get("Allow"))
				}
			default:
				if m["error"] != tt.code {
					t.Errorf("error %v, want %q", m["error"], tt.code)
				}
				if _, ok := m["error_description"].(string); !ok {
					t.Errorf("no error_description in %v", m)
				}
				if strings.Contains(fmt.Sprint(m), secret) {
					t.Errorf("answer %v echoes the secret", m)
				}
				if tt.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
					t.Errorf("WWW-Authenticate %q, want Basic", resp.Header.Get("WWW-Authenticate"))
				}
			}
		})
	}
	if got := e.b.Stats().AuthGrants; got != grants {
		t.Errorf("auth_grants = %d, want %d", got, grants)
	}
}

// TestOAuthLibraryStyles checks that golang.org/x/oauth2 gets a token in
// each client authentication style, including Basic with form-encoded
// credentials (RFC 6749 2.3.1) holding characters that need encoding.
func TestOAuthLibraryStyles(t *testing.T) {
	const id, secret = "client:1+x", "s3cr%t +/="
	e := newEnv(t, func(c *sandbox.VendorConfig) {
		c.Credentials.ClientID, c.Credentials.ClientSecret = id, secret
	})
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleAutoDetect, oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cc := &clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.base + TokenPath, AuthStyle: style}
		tok, err := cc.Token(context.WithValue(context.Background(), oauth2.HTTPClient, e.hc))
		if err != nil {
			t.Fatalf("style %d: %v", style, err)
		}
		cred := hotelrates.Credential{Secret: tok.AccessToken}
		if _, err := e.fetch(context.Background(), cred, "H00001"); err != nil {
			t.Errorf("style %d: Fetch: %v", style, err)
		}
	}
	// A client that does not form-encode before Basic is accepted too.
	req, _ := http.NewRequest("POST", e.base+TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", formCT)
	req.SetBasicAuth("client%3A1%2Bx", secret)
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("raw secret in Basic: status %d", resp.StatusCode)
	}
}

func TestAuthenticateErrors(t *testing.T) {
	e := newEnv(t, nil)
	stub := func(status int, header http.Header, body string) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
			io.WriteString(w, body)
		}))
		t.Cleanup(s.Close)
		return s.URL
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	json := hdr("Content-Type", "application/json")
	const stubSecret = "stub-secret-value"
	tests := []struct {
		name       string
		base       string
		secret     string
		kind       hotelrates.ErrorKind
		status     int
		retryAfter time.Duration
	}{
		{"wrong secret", e.base, "wrong", hotelrates.ErrRejected, 401, 0},
		{"wrong base path", e.srv.URL + "/nope", sandbox.DemoSoloClientSecret, hotelrates.ErrRejected, 404, 0},
		{"connection refused", closedURL, sandbox.DemoSoloClientSecret, hotelrates.ErrUnavailable, 0, 0},
		{"503", stub(503, hdr("Retry-After", "3"), ""), stubSecret, hotelrates.ErrUnavailable, 503, 3 * time.Second},
		{"429", stub(429, hdr("Retry-After", "2", "Content-Type", "application/json"), `{"error":"slow_down"}`), stubSecret, hotelrates.ErrThrottled, 429, 2 * time.Second},
		{"garbage 200", stub(200, json, `{"access_token":`), stubSecret, hotelrates.ErrBadResponse, 0, 0},
		{"no access_token", stub(200, json, `{"token_type":"Bearer","expires_in":60}`), stubSecret, hotelrates.ErrBadResponse, 0, 0},
		{"not bearer", stub(200, json, `{"access_token":"abc","token_type":"mac","expires_in":60}`), stubSecret, hotelrates.ErrBadResponse, 200, 0},
		{"expired at once", stub(200, json, `{"access_token":"abc","token_type":"Bearer","expires_in":-5}`), stubSecret, hotelrates.ErrBadResponse, 200, 0},
		{"error with 200", stub(200, json, `{"error":"invalid_client"}`), stubSecret, hotelrates.ErrBadResponse, 200, 0},
		{"description echoes the secret", stub(401, json, `{"error":"invalid_client","error_description":"client_secret stub-secret-value is wrong"}`), stubSecret, hotelrates.ErrRejected, 401, 0},
		// Redacted before clipped: a secret across the clipping point does
		// not leave its first half behind.
		{"long description echoes the secret", stub(401, json, `{"error":"invalid_client","error_description":"`+strings.Repeat("x", 190)+` stub-secret-value is wrong"}`), stubSecret, hotelrates.ErrRejected, 401, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Config{BaseURL: tt.base, ClientID: sandbox.DemoSoloClientID, ClientSecret: tt.secret})
			if c.Secrets()[0] != tt.secret {
				t.Fatal("Secrets() does not hold the client secret")
			}
			_, err := c.Authenticate(context.Background(), e.hc)
			ve := wantKind(t, err, tt.kind)
			if ve.Status != tt.status {
				t.Errorf("status %d, want %d", ve.Status, tt.status)
			}
			if ve.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter %v, want %v", ve.RetryAfter, tt.retryAfter)
			}
			for i := 0; i+8 <= len(tt.secret) && len(tt.secret) >= 8; i++ {
				if part := tt.secret[i : i+8]; strings.Contains(err.Error(), part) {
					t.Errorf("error %q reveals %q of the secret", err, part)
				}
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.client.Authenticate(ctx, e.hc)
	wantKind(t, err, hotelrates.ErrUnavailable)
}

func TestInvalidToken(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	tests := []struct {
		name, authz string
	}{
		{"missing", ""},
		{"unknown", "Bearer 0123456789abcdef0123456789abcdef"},
		{"basic scheme", "Basic " + cred.Secret},
		{"no token", "Bearer "},
		{"token without scheme", cred.Secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := hdr("Content-Type", "application/json")
			if tt.authz != "" {
				h.Set("Authorization", tt.authz)
			}
			resp, m := e.post(t, "POST", AvailabilityPath, h, validBody("H00001"))
			if resp.StatusCode != 401 {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate %q", got)
			}
			if code, _ := vendorErr(t, m); code != CodeInvalidToken {
				t.Errorf("code %q, want invalid_token", code)
			}
		})
	}
	// The scheme is case-insensitive.
	resp, _ := e.post(t, "POST", AvailabilityPath, hdr("Authorization", "bearer "+cred.Secret), validBody("H00001"))
	if resp.StatusCode != 200 {
		t.Errorf("lower-case bearer: status %d", resp.StatusCode)
	}
	// The client sees ErrUnauthorized and does not reveal the token.
	bogus := hotelrates.Credential{Secret: "bogus-token-value-1234567890abcdef"}
	_, err := e.fetch(context.Background(), bogus, "H00001")
	ve := wantKind(t, err, hotelrates.ErrUnauthorized)
	if ve.Status != 401 || strings.Contains(err.Error(), bogus.Secret) {
		t.Errorf("error %v", err)
	}
}

func TestTokenExpiry(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	ttl := sandbox.DefaultConfig().Vendors.Solo.TokenTTL
	if _, err := e.fetch(context.Background(), cred, "H00001"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(ttl - time.Second)
	if _, err := e.fetch(context.Background(), cred, "H00001"); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	e.clock.Advance(time.Second)
	_, err := e.fetch(context.Background(), cred, "H00001")
	wantKind(t, err, hotelrates.ErrUnauthorized)
	resp, m := e.post(t, "POST", AvailabilityPath, hdr("Authorization", "Bearer "+cred.Secret), validBody("H00001"))
	if _, msg := vendorErr(t, m); resp.StatusCode != 401 || !strings.Contains(msg, "expired") {
		t.Errorf("expired token: status %d %v", resp.StatusCode, m)
	}
	// A new token works.
	if _, err := e.fetch(context.Background(), e.token(t), "H00001"); err != nil {
		t.Errorf("new token: %v", err)
	}
}

// TestTokenStoreBounded checks that expired tokens are purged as new ones
// are issued and that the store never holds more than MaxTokens.
func TestTokenStoreBounded(t *testing.T) {
	cfg := testConfig()
	done := make(chan struct{})
	defer close(done)
	clock := &testClock{}
	b := sandbox.NewBackend(sandbox.Solo, cfg, testSeed, done)
	const maxTokens = 1000
	srv := &server{b: b, now: clock.Now, ttl: cfg.TokenTTL, maxTokens: maxTokens, tokens: map[string]*tokenState{}}
	var first string
	for i := range 100 {
		tok, _ := srv.issue()
		if i == 0 {
			first = tok
		}
	}
	if _, ok := srv.check(first); !ok {
		t.Fatal("fresh token not valid")
	}
	clock.Advance(cfg.TokenTTL)
	last, _ := srv.issue()
	if n := len(srv.tokens); n != 1 {
		t.Errorf("after expiry %d tokens stored, want 1", n)
	}
	if len(srv.order)-srv.head != 1 {
		t.Errorf("order holds %d live entries, want 1", len(srv.order)-srv.head)
	}
	for range 10*maxTokens + 10 {
		srv.issue()
	}
	if n := len(srv.tokens); n != maxTokens {
		t.Errorf("%d tokens stored, want at most %d", n, maxTokens)
	}
	if _, ok := srv.check(last); ok {
		t.Error("oldest token still valid past maxTokens")
	}
	if len(srv.order) > 2*maxTokens+64 {
		t.Errorf("order slice grew to %d", len(srv.order))
	}
}

// TestRevokeFault checks that a revoke fault revokes the token used: the
// call and later calls with it get 401, while a new token works.
func TestRevokeFault(t *testing.T) {
	mod := func(c *sandbox.VendorConfig) { c.Faults.Revoke = 0.5 }
	cfg := testConfig()
	mod(&cfg)
	// Faults depend only on seed, vendor, key and how often the key was
	// rolled, so a probe backend tells which hotel's first call is revoked
	// and second is not.
	done := make(chan struct{})
	defer close(done)
	probe := sandbox.NewBackend(sandbox.Solo, cfg, testSeed, done)
	hotel := ""
	for n := 1; n <= 200 && hotel == ""; n++ {
		id := sandbox.HotelID(n)
		if !sandbox.Carries(sandbox.Solo, id) || sandbox.Offers(sandbox.Solo, id, testStay) == nil {
			continue
		}
		key := testStay.Key() + "|" + id
		if probe.Roll(key) == sandbox.FaultRevoke && probe.Roll(key) == sandbox.FaultNone {
			hotel = id
		}
	}
	if hotel == "" {
		t.Fatal("no hotel found whose first call is revoked")
	}

	e := newEnv(t, mod)
	cred := e.token(t)
	_, err := e.fetch(context.Background(), cred, hotel)
	wantKind(t, err, hotelrates.ErrUnauthorized)
	resp, m := e.post(t, "POST", AvailabilityPath, hdr("Authorization", "Bearer "+cred.Secret), validBody(hotel))
	if code, msg := vendorErr(t, m); resp.StatusCode != 401 || code != CodeInvalidToken || !strings.Contains(msg, "revoked") {
		t.Errorf("revoked token again: status %d, %v", resp.StatusCode, m)
	}
	if resp.Header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
		t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
	}
	got, err := e.fetch(context.Background(), e.token(t), hotel)
	if err != nil {
		t.Fatalf("new token: %v", err)
	}
	if want := sandbox.Offers(sandbox.Solo, hotel, testStay); len(got) != 1 || !reflect.DeepEqual(got[0].Offers, want) {
		t.Errorf("new token: got %v, want %v", got, want)
	}
	if s := e.b.Stats(); s.Faults["revoke"] != 1 || s.Status["401"] != 2 {
		t.Errorf("stats: faults %v, status %v", s.Faults, s.Status)
	}
}

func TestBatchLimit(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	for _, hotels := range [][]string{nil, {"H00001", "H00002"}} {
		_, err := e.client.Fetch(context.Background(), e.hc, cred, query(hotels...))
		wantKind(t, err, hotelrates.ErrRejected)
	}
	if got := e.b.Stats().RateCalls; got != 0 {
		t.Errorf("rate_calls = %d, want 0: a rejected batch must not reach the vendor", got)
	}
	info := e.client.Info()
	if info != (hotelrates.VendorInfo{Name: "solo", MaxBatch: 1, Auth: hotelrates.AuthToken}) {
		t.Errorf("Info() = %+v", info)
	}
	if c := New(Config{Name: "other", ClientSecret: "s"}); c.Info().Name != "other" || !reflect.DeepEqual(c.Secrets(), []string{"s"}) {
		t.Errorf("Name/Secrets: %+v %v", c.Info(), c.Secrets())
	}
	if New(Config{}).Secrets() != nil {
		t.Error("Secrets of an empty config is not empty")
	}
}

func TestCapacity(t *testing.T) {
	const C = 4
	e := newEnv(t, func(c *sandbox.VendorConfig) {
		c.Concurrency = C
		c.Latency.Base = 40 * time.Millisecond
	})
	cred := e.token(t)
	var wg sync.WaitGroup
	errs := make(chan error, 3*C)
	for i := range 3 * C {
		wg.Go(func() {
			_, err := e.fetch(context.Background(), cred, sandbox.HotelID(i+1))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	s := e.b.Stats()
	if s.PeakInService > C || s.PeakInService < 2 {
		t.Errorf("peak in service %d, want 2..%d", s.PeakInService, C)
	}
	if s.PeakQueue < 1 {
		t.Errorf("peak queue %d, want > 0", s.PeakQueue)
	}
	if s.InService != 0 || s.Queued != 0 {
		t.Errorf("in service %d, queued %d after the calls", s.InService, s.Queued)
	}
}

func TestThrottle(t *testing.T) {
	t.Run("queue", func(t *testing.T) {
		e := newEnv(t, func(c *sandbox.VendorConfig) {
			c.Concurrency, c.QueueLimit = 1, 1
			c.Latency.Base = 100 * time.Millisecond
		})
		cred := e.token(t)
		var wg sync.WaitGroup
		var throttled, ok atomic.Int64
		for i := range 6 {
			wg.Go(func() {
				_, err := e.fetch(context.Background(), cred, sandbox.HotelID(i+1))
				if err == nil {
					ok.Add(1)
					return
				}
				ve := wantKind(t, err, hotelrates.ErrThrottled)
				if ve.Status != 429 || ve.RetryAfter < time.Second {
					t.Errorf("throttled: status %d, retry after %v", ve.Status, ve.RetryAfter)
				}
				throttled.Add(1)
			})
		}
		wg.Wait()
		s := e.b.Stats()
		if throttled.Load() == 0 || ok.Load() < 2 || throttled.Load()+ok.Load() != 6 {
			t.Errorf("%d throttled, %d ok", throttled.Load(), ok.Load())
		}
		if s.Throttled != throttled.Load() || s.Status["429"] != throttled.Load() {
			t.Errorf("stats throttled %d, status %v; client saw %d", s.Throttled, s.Status, throttled.Load())
		}
	})
	t.Run("rps", func(t *testing.T) {
		e := newEnv(t, func(c *sandbox.VendorConfig) { c.RPS, c.Burst = 0.5, 1 })
		cred := e.token(t)
		if _, err := e.fetch(context.Background(), cred, "H00001"); err != nil {
			t.Fatal(err)
		}
		resp, m := e.post(t, "POST", AvailabilityPath, hdr("Authorization", "Bearer "+cred.Secret), validBody("H00001"))
		if code, _ := vendorErr(t, m); resp.StatusCode != 429 || code != CodeRateLimited {
			t.Fatalf("status %d, %v", resp.StatusCode, m)
		}
		if ra := resp.Header.Get("Retry-After"); ra != "2" {
			t.Errorf("Retry-After %q, want 2", ra)
		}
		_, err := e.fetch(context.Background(), cred, "H00001")
		if ve := wantKind(t, err, hotelrates.ErrThrottled); ve.RetryAfter != 2*time.Second {
			t.Errorf("RetryAfter %v", ve.RetryAfter)
		}
	})
}

func TestFaults(t *testing.T) {
	hotel := "H00001"
	want := sandbox.Offers(sandbox.Solo, hotel, testStay)
	if want == nil {
		t.Fatal("H00001 has no offers; pick another hotel")
	}
	tests := []struct {
		name       string
		set        func(*sandbox.Faults)
		ok         bool
		kind       hotelrates.ErrorKind
		status     int
		retryAfter time.Duration
		timeout    time.Duration
	}{
		{"error_500", func(f *sandbox.Faults) { f.Error500 = 1 }, false, hotelrates.ErrUnavailable, 500, 0, 0},
		{"error_503", func(f *sandbox.Faults) { f.Error503 = 1 }, false, hotelrates.ErrUnavailable, 503, time.Second, 0},
		{"hang", func(f *sandbox.Faults) { f.Hang = 1 }, false, hotelrates.ErrUnavailable, 0, 0, 100 * time.Millisecond},
		{"malformed", func(f *sandbox.Faults) { f.Malformed = 1 }, false, hotelrates.ErrBadResponse, 200, 0, 0},
		{"truncated", func(f *sandbox.Faults) { f.Truncated = 1 }, false, hotelrates.ErrBadResponse, 200, 0, 0},
		{"slow_body", func(f *sandbox.Faults) { f.SlowBody = 1 }, true, 0, 0, 0, 0},
		{"revoke", func(f *sandbox.Faults) { f.Revoke = 1 }, false, hotelrates.ErrUnauthorized, 401, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *sandbox.VendorConfig) { tt.set(&c.Faults) })
			cred := e.token(t)
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			got, err := e.fetch(ctx, cred, hotel)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || !reflect.DeepEqual(got[0].Offers, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			} else {
				ve := wantKind(t, err, tt.kind)
				if ve.Status != tt.status || ve.RetryAfter != tt.retryAfter {
					t.Errorf("status %d retry after %v, want %d %v", ve.Status, ve.RetryAfter, tt.status, tt.retryAfter)
				}
			}
			if n := e.b.Stats().Faults[tt.name]; n != 1 {
				t.Errorf("faults[%s] = %d, want 1", tt.name, n)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	for _, hotel := range []string{"H00001", "H00002", "H00003"} {
		a, err1 := e.fetch(context.Background(), cred, hotel)
		b, err2 := e.fetch(context.Background(), cred, hotel)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: %v then %v", hotel, a, b)
		}
	}
}

func TestGroundTruth(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	hotels := append(sandbox.HotelIDs(1, 60), "H00004", "X1", "H99999", "H00000", "h00001")
	stays := []hotelrates.Stay{
		testStay,
		{CheckIn: hotelrates.MustDate("2027-02-27"), CheckOut: hotelrates.MustDate("2027-03-29"), Adults: 9, Rooms: 9, Currency: "EUR"},
		{CheckIn: hotelrates.MustDate("2026-06-30"), CheckOut: hotelrates.MustDate("2026-07-01"), Adults: 1, Rooms: 1, Currency: "GBP"},
	}
	soldOut, withOffers, notCarried := 0, 0, 0
	for _, stay := range stays {
		for _, hotel := range hotels {
			got, err := e.client.Fetch(context.Background(), e.hc, cred, hotelrates.Query{Stay: stay, HotelIDs: []string{hotel}})
			if err != nil {
				t.Fatalf("%s %s: %v", hotel, stay.Key(), err)
			}
			want := sandbox.Offers(sandbox.Solo, hotel, stay)
			switch {
			case !sandbox.Carries(sandbox.Solo, hotel):
				notCarried++
			case want == nil:
				soldOut++
			default:
				withOffers++
			}
			if want == nil {
				if len(got) != 0 {
					t.Errorf("%s %s: got %v, want no offers", hotel, stay.Key(), got)
				}
				continue
			}
			if len(got) != 1 || got[0].HotelID != hotel || !reflect.DeepEqual(got[0].Offers, want) {
				t.Errorf("%s %s:\n got %+v\nwant %+v", hotel, stay.Key(), got, want)
			}
		}
	}
	if soldOut == 0 || withOffers == 0 || notCarried == 0 {
		t.Errorf("sold out %d, with offers %d, not carried %d: the test must cover each", soldOut, withOffers, notCarried)
	}

	// On the wire: sold out is 200 with "offers":[], not carried is 404.
	var sold string
	for n := 1; sold == ""; n++ {
		if id := sandbox.HotelID(n); sandbox.Carries(sandbox.Solo, id) && sandbox.Offers(sandbox.Solo, id, testStay) == nil {
			sold = id
		}
	}
	resp, m := e.post(t, "POST", AvailabilityPath, hdr("Authorization", "Bearer "+cred.Secret), validBody(sold))
	if offers, ok := m["offers"].([]any); resp.StatusCode != 200 || !ok || len(offers) != 0 || m["hotel_id"] != sold {
		t.Errorf("sold out %s: status %d %v", sold, resp.StatusCode, m)
	}
	for _, id := range []string{"H00004", "X1"} {
		resp, m := e.post(t, "POST", AvailabilityPath, hdr("Authorization", "Bearer "+cred.Secret), validBody(id))
		if code, _ := vendorErr(t, m); resp.StatusCode != 404 || code != CodeHotelNotFound {
			t.Errorf("%s: status %d %v", id, resp.StatusCode, m)
		}
	}
	// A refundable offer carries cancel_before; a non-refundable one does not.
	resp, m = e.post(t, "POST", AvailabilityPath, hdr("Authorization", "Bearer "+cred.Secret), validBody("H00001"))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, o := range m["offers"].([]any) {
		o := o.(map[string]any)
		_, has := o["cancel_before"]
		if o["refundable"] == true != has {
			t.Errorf("offer %v: refundable and cancel_before disagree", o)
		}
		if _, ok := o["price"].(string); !ok {
			t.Errorf("offer %v: price is not a string", o)
		}
	}
}

func TestStats(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)                                                                         // 1 request, 200, 1 grant
	e.post(t, "POST", TokenPath, hdr("Content-Type", formCT), "grant_type=client_credentials") // 401
	for _, h := range []string{"H00001", "H00002", "H00004"} {                                 // 200, 200, 404
		if _, err := e.fetch(context.Background(), cred, h); err != nil {
			t.Fatal(err)
		}
	}
	authz := hdr("Authorization", "Bearer "+cred.Secret)
	e.post(t, "POST", AvailabilityPath, authz, `{"hotel_id":`)                                                  // 400, 0 hotels
	e.post(t, "POST", AvailabilityPath, authz, strings.Replace(validBody("H1"), `"adults":2`, `"adults":0`, 1)) // 400, 1 hotel
	e.post(t, "POST", AvailabilityPath, nil, validBody("H00001"))                                               // 401
	e.post(t, "GET", AvailabilityPath, nil, "")                                                                 // 405, not an availability call
	e.post(t, "POST", "/v2/nothing", nil, "")                                                                   // 404
	s := e.b.Stats()
	want := map[string]int64{"200": 3, "401": 2, "404": 2, "400": 2, "405": 1}
	if !reflect.DeepEqual(s.Status, want) {
		t.Errorf("status %v, want %v", s.Status, want)
	}
	if s.Requests != 10 || s.RateCalls != 6 || s.Hotels != 5 || s.AuthGrants != 1 || s.Throttled != 0 {
		t.Errorf("requests %d (10), rate_calls %d (6), hotels %d (5), auth_grants %d (1), throttled %d (0)",
			s.Requests, s.RateCalls, s.Hotels, s.AuthGrants, s.Throttled)
	}
}

func TestMethodAndPath(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", AvailabilityPath, 405, CodeMethodNotAllowed},
		{"DELETE", AvailabilityPath, 405, CodeMethodNotAllowed},
		{"GET", TokenPath, 405, CodeMethodNotAllowed},
		{"POST", "/", 404, CodeNotFound},
		{"POST", "/v1/availability/x", 404, CodeNotFound},
		{"GET", "/v1", 404, CodeNotFound},
		{"POST", "/oauth/token2", 404, CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, m := e.post(t, tt.method, tt.path, nil, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if code, _ := vendorErr(t, m); code != tt.code {
				t.Errorf("code %q, want %q", code, tt.code)
			}
			if tt.status == 405 && resp.Header.Get("Allow") != "POST" {
				t.Errorf("Allow %q", resp.Header.Get("Allow"))
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestBadBodies(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	set := func(field, value string) string {
		var m map[string]any
		json.Unmarshal([]byte(validBody("H00001")), &m)
		if value == "" {
			delete(m, field)
		} else {
			m[field] = json.RawMessage(value)
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name, body, field string
		status            int
	}{
		{"empty", "", "body", 400},
		{"not json", "hello", "JSON", 400},
		{"array", "[]", "object", 400},
		{"truncated", `{"hotel_id":"H00001"`, "body", 400},
		{"trailing data", validBody("H00001") + `{}`, "nothing after", 400},
		{"unknown field", set("children", "1"), "children", 400},
		{"no hotel_id", set("hotel_id", ""), "hotel_id", 400},
		{"empty hotel_id", set("hotel_id", `""`), "hotel_id", 400},
		{"long hotel_id", set("hotel_id", `"`+strings.Repeat("H", 65)+`"`), "hotel_id", 400},
		{"hotel_id with space", set("hotel_id", `"H 1"`), "hotel_id", 400},
		{"hotel_id number", set("hotel_id", `1`), "hotel_id", 400},
		{"no checkin", set("checkin", ""), "checkin", 400},
		{"bad checkin", set("checkin", `"2026-13-01"`), "checkin", 400},
		{"checkin with time", set("checkin", `"2026-12-01T00:00:00Z"`), "checkin", 400},
		{"bad checkout", set("checkout", `"01/12/2026"`), "checkout", 400},
		{"checkout before checkin", set("checkout", `"2026-11-30"`), "checkout", 400},
		{"checkout equals checkin", set("checkout", `"2026-12-01"`), "checkout", 400},
		{"31 nights", set("checkout", `"2027-01-01"`), "checkout", 400},
		{"adults 0", set("adults", "0"), "adults", 400},
		{"adults 10", set("adults", "10"), "adults", 400},
		{"adults string", set("adults", `"2"`), "adults", 400},
		{"adults float", set("adults", "2.5"), "adults", 400},
		{"adults huge", set("adults", "1e100"), "adults", 400},
		{"rooms 0", set("rooms", "0"), "rooms", 400},
		{"rooms 10", set("rooms", "10"), "rooms", 400},
		{"no currency", set("currency", ""), "currency", 400},
		{"currency JPY", set("currency", `"JPY"`), "currency", 400},
		{"currency lower", set("currency", `"usd"`), "currency", 400},
		{"too large", `{"hotel_id":"` + strings.Repeat("x", MaxRequestBody) + `"}`, "larger", 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, authz := range []http.Header{hdr("Authorization", "Bearer "+cred.Secret), nil} {
				// Validation comes before authentication.
				resp, m := e.post(t, "POST", AvailabilityPath, authz, tt.body)
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d (%v)", resp.StatusCode, tt.status, m)
				}
				code, msg := vendorErr(t, m)
				if want := map[int]string{400: CodeInvalidRequest, 413: CodeTooLarge}[tt.status]; code != want {
					t.Errorf("code %q, want %q", code, want)
				}
				if !strings.Contains(msg, tt.field) {
					t.Errorf("message %q does not name %q", msg, tt.field)
				}
			}
		})
	}
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "bad/"} {
		resp, m := e.post(t, "POST", AvailabilityPath, hdr("Content-Type", ct, "Authorization", "Bearer "+cred.Secret), validBody("H00001"))
		if code, msg := vendorErr(t, m); resp.StatusCode != 400 || code != CodeInvalidRequest || !strings.Contains(msg, "Content-Type") {
			t.Errorf("Content-Type %s: status %d %v", ct, resp.StatusCode, m)
		}
	}
	resp, _ := e.post(t, "POST", AvailabilityPath, hdr("Content-Type", "application/json; charset=utf-8", "Authorization", "Bearer "+cred.Secret), validBody("H00001"))
	if resp.StatusCode != 200 {
		t.Errorf("Content-Type with charset: status %d", resp.StatusCode)
	}
	// The client maps 400 to ErrRejected.
	bad := testStay
	bad.Adults = 0
	_, err := e.client.Fetch(context.Background(), e.hc, cred, hotelrates.Query{Stay: bad, HotelIDs: []string{"H00001"}})
	if ve := wantKind(t, err, hotelrates.ErrRejected); ve.Status != 400 || !strings.Contains(err.Error(), "adults") {
		t.Errorf("error %v", err)
	}
}

// TestClientAgainstBadVendor checks that the client validates answers.
func TestClientAgainstBadVendor(t *testing.T) {
	o := `{"room":"Deluxe King","board":"BB","price":"245.10","refundable":true,"cancel_before":"2026-11-28T18:00:00Z"}`
	tests := []struct {
		name   string
		status int
		body   string
		kind   hotelrates.ErrorKind // -1: success
		offers int
	}{
		{"good", 200, `{"hotel_id":"H00001","currency":"USD","offers":[` + o + `]}`, -1, 1},
		{"extra field tolerated", 200, `{"hotel_id":"H00001","currency":"USD","offers":[],"x":1}`, -1, 0},
		{"other hotel", 200, `{"hotel_id":"H00002","currency":"USD","offers":[` + o + `]}`, hotelrates.ErrBadResponse, 0},
		{"other currency", 200, `{"hotel_id":"H00001","currency":"EUR","offers":[` + o + `]}`, hotelrates.ErrBadResponse, 0},
		{"no offers list", 200, `{"hotel_id":"H00001","currency":"USD"}`, hotelrates.ErrBadResponse, 0},
		{"float price", 200, `{"hotel_id":"H00001","currency":"USD","offers":[{"room":"R","board":"RO","price":245.1}]}`, hotelrates.ErrBadResponse, 0},
		{"bad price", 200, `{"hotel_id":"H00001","currency":"USD","offers":[{"room":"R","board":"RO","price":"1.234"}]}`, hotelrates.ErrBadResponse, 0},
		{"negative price", 200, `{"hotel_id":"H00001","currency":"USD","offers":[{"room":"R","board":"RO","price":"-1.00"}]}`, hotelrates.ErrBadResponse, 0},
		{"no room", 200, `{"hotel_id":"H00001","currency":"USD","offers":[{"board":"RO","price":"1.00"}]}`, hotelrates.ErrBadResponse, 0},
		{"bad cancel_before", 200, `{"hotel_id":"H00001","currency":"USD","offers":[{"room":"R","board":"RO","price":"1.00","refundable":true,"cancel_before":"tomorrow"}]}`, hotelrates.ErrBadResponse, 0},
		{"not json", 200, `<html>`, hotelrates.ErrBadResponse, 0},
		{"204", 204, ``, hotelrates.ErrBadResponse, 0},
		{"404 not_found", 404, `{"error":{"code":"not_found","message":"no such endpoint"}}`, hotelrates.ErrRejected, 0},
		{"404 html", 404, `<html>`, hotelrates.ErrRejected, 0},
		{"403", 403, `{"error":{"code":"forbidden","message":"no"}}`, hotelrates.ErrUnauthorized, 0},
		{"502", 502, `bad gateway`, hotelrates.ErrUnavailable, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c := New(Config{BaseURL: srv.URL})
			got, err := c.Fetch(context.Background(), srv.Client(), hotelrates.Credential{Secret: "t"}, query("H00001"))
			if tt.kind < 0 {
				if err != nil || len(got) != min(tt.offers, 1) {
					t.Fatalf("got %v, %v", got, err)
				}
				if tt.offers > 0 {
					want := hotelrates.Offer{Vendor: "solo", Room: "Deluxe King", Board: "BB",
						Total: hotelrates.Money{Minor: 24510, Currency: "USD"}, Refundable: true,
						CancelDeadline: time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC)}
					if !reflect.DeepEqual(got[0].Offers, []hotelrates.Offer{want}) {
						t.Errorf("got %+v", got[0].Offers)
					}
				}
				return
			}
			wantKind(t, err, tt.kind)
		})
	}
}

// A vendor's error text that echoes the bearer token or the client secret
// does not carry them into our errors (logs, vendors[].error).
func TestFetchErrorHoldsNoSecret(t *testing.T) {
	const token, secret = "tok-0123456789abcdef", "client-secret-xyz"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"code":"bad_request","message":"header [%s] and secret %s refused"}}`, r.Header.Get("Authorization"), secret)
	}))
	defer srv.Close()
	c := New(Config{BaseURL: srv.URL, ClientID: "id", ClientSecret: secret})
	in, _ := hotelrates.ParseDate("2027-03-10")
	_, err := c.Fetch(context.Background(), srv.Client(), hotelrates.Credential{Secret: token},
		hotelrates.Query{HotelIDs: []string{"H00001"}, Stay: hotelrates.Stay{CheckIn: in, CheckOut: in.AddDays(2), Adults: 2, Rooms: 1, Currency: "USD"}})
	wantKind(t, err, hotelrates.ErrRejected)
	if msg := err.Error(); strings.Contains(msg, token) || strings.Contains(msg, secret) || !strings.Contains(msg, "bad_request") {
		t.Errorf("error %q", msg)
	}
}
