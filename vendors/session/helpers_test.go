package session

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hotelrates"
	"hotelrates/sandbox"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock runs with the wall clock plus an offset tests can advance.
type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// env is a session vendor served over real HTTP, with a client for it.
type env struct {
	t      *testing.T
	b      *sandbox.Backend
	srv    *server
	ts     *httptest.Server
	clock  *fakeClock
	client *Client
	hc     *http.Client
	base   string
}

// testConfig is the default session vendor with a 2 ms latency.
func testConfig() sandbox.VendorConfig {
	cfg := sandbox.DefaultConfig().Vendors.Session
	cfg.Latency = sandbox.Latency{Base: 2 * time.Millisecond, Jitter: "none"}
	cfg.Faults.SlowBodyDelay = time.Millisecond
	return cfg
}

// newEnv starts a server on testConfig changed by mutate (if not nil). Every
// response body is checked for the password.
func newEnv(t *testing.T, mutate func(*sandbox.VendorConfig)) *env {
	t.Helper()
	cfg := testConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	done := make(chan struct{})
	b := sandbox.NewBackend(sandbox.Session, cfg, 7, done)
	clock := &fakeClock{}
	srv := newServer(b, clock.now)
	leaked := &leakCheck{secret: cfg.Credentials.Password}
	ts := httptest.NewServer(leaked.wrap(b.Count(http.StripPrefix("/session", srv.routes()))))
	t.Cleanup(func() {
		if leaked.found() {
			t.Errorf("the password appeared in a response body")
		}
	})
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(done) }) // runs first: releases hung calls
	base := ts.URL + "/session"
	return &env{
		t: t, b: b, srv: srv, ts: ts, clock: clock, hc: ts.Client(), base: base,
		client: New(Config{BaseURL: base, User: sandbox.DemoSessionUser, Password: sandbox.DemoSessionPassword, MaxBatch: cfg.MaxBatch, MaxSessions: cfg.Concurrency}),
	}
}

// login opens a session with the client and fails the test on error.
func (e *env) login() hotelrates.Credential {
	e.t.Helper()
	cred, err := e.client.Authenticate(context.Background(), e.hc)
	if err != nil {
		e.t.Fatalf("Authenticate: %v", err)
	}
	return cred
}

// fetch calls the client's Fetch and checks that an error does not reveal
// the session id or the password.
func (e *env) fetch(ctx context.Context, cred hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	out, err := e.client.Fetch(ctx, e.hc, cred, q)
	if err != nil {
		noSecrets(e.t, err, cred.Secret)
	}
	return out, err
}

// noSecrets fails the test if err's message holds a secret.
func noSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range append(secrets, sandbox.DemoSessionPassword) {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q reveals a secret", err)
		}
	}
}

// rawResult is an HTTP answer read whole.
type rawResult struct {
	status int
	header http.Header
	body   string
}

// post sends body to path (relative to the vendor prefix) with method.
func (e *env) do(method, path, body string) rawResult {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ContentType)
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return rawResult{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (e *env) post(path, body string) rawResult {
	e.t.Helper()
	return e.do(http.MethodPost, path, body)
}

// fault decodes a Fault answer and checks its status, code and content type.
func (r rawResult) fault(t *testing.T, status int, code string) faultXML {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d (body %s)", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != ContentType {
		t.Errorf("Content-Type %q, want %q", ct, ContentType)
	}
	var f faultXML
	if err := xml.Unmarshal([]byte(r.body), &f); err != nil {
		t.Fatalf("body %q is not a Fault: %v", r.body, err)
	}
	if f.Code != code {
		t.Fatalf("fault code %q, want %q (message %q)", f.Code, code, f.Message)
	}
	if strings.TrimSpace(f.Message) == "" {
		t.Errorf("fault %s has no message", code)
	}
	return f
}

// kindOf returns err's VendorError, failing the test if there is none.
func kindOf(t *testing.T, err error) *hotelrates.VendorError {
	t.Helper()
	var ve *hotelrates.VendorError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *VendorError", err, err)
	}
	return ve
}

// wantKind fails the test unless err is a VendorError of kind k.
func wantKind(t *testing.T, err error, k hotelrates.ErrorKind) *hotelrates.VendorError {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", k)
	}
	ve := kindOf(t, err)
	if ve.Kind != k {
		t.Fatalf("error kind %s, want %s (%v)", ve.Kind, k, err)
	}
	return ve
}

// leakCheck records whether a secret appeared in any response body.
type leakCheck struct {
	secret string
	mu     sync.Mutex
	leaked bool
}

func (l *leakCheck) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &teeWriter{ResponseWriter: w}
		defer func() {
			if bytes.Contains(tw.buf.Bytes(), []byte(l.secret)) {
				l.mu.Lock()
				l.leaked = true
				l.mu.Unlock()
			}
		}()
		next.ServeHTTP(tw, r)
	})
}

func (l *leakCheck) found() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leaked
}

// teeWriter keeps a copy of the body written.
type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (t *teeWriter) Write(p []byte) (int, error) {
	t.buf.Write(p)
	return t.ResponseWriter.Write(p)
}

func (t *teeWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// stay is the stay most tests ask for.
var stay = hotelrates.Stay{
	CheckIn:  hotelrates.MustDate("2026-12-01"),
	CheckOut: hotelrates.MustDate("2026-12-03"),
	Adults:   2,
	Rooms:    1,
	Currency: "USD",
}

// availBody is an AvailRQ for stay on session sid.
func availBody(sid string, hotels ...string) string {
	var b strings.Builder
	b.WriteString(`<AvailRQ SessionID="` + sid + `"><Stay CheckIn="2026-12-01" CheckOut="2026-12-03" Adults="2" Rooms="1" Currency="USD"/>`)
	for _, h := range hotels {
		b.WriteString(`<Hotel id="` + h + `"/>`)
	}
	b.WriteString(`</AvailRQ>`)
	return b.String()
}

// expected is the ground truth the client should return for ids.
func expected(ids []string, s hotelrates.Stay) []hotelrates.HotelOffers {
	var out []hotelrates.HotelOffers
	for _, id := range hotelrates.UniqueHotelIDs(ids) {
		if o := sandbox.Offers(sandbox.Session, id, s); o != nil {
			out = append(out, hotelrates.HotelOffers{HotelID: id, Offers: o})
		}
	}
	return out
}

// soldOut returns n carried hotels that have no offers for s.
func soldOut(t *testing.T, s hotelrates.Stay, n int) []string {
	t.Helper()
	var ids []string
	for i := sandbox.FirstHotel; i <= sandbox.LastHotel && len(ids) < n; i++ {
		id := sandbox.HotelID(i)
		if sandbox.Carries(sandbox.Session, id) && sandbox.Offers(sandbox.Session, id, s) == nil {
			ids = append(ids, id)
		}
	}
	if len(ids) < n {
		t.Fatalf("found only %d sold-out hotels", len(ids))
	}
	return ids
}
