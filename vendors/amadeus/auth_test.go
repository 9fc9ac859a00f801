package amadeus

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

func TestAuthenticate(t *testing.T) {
	e := newEnv(t, func(c *sandbox.VendorConfig) { c.TokenTTL = 600 * time.Second })
	before := time.Now()
	cred := e.token(t)
	if len(cred.Secret) != tokenLen || strings.Trim(cred.Secret, tokenAlphabet) != "" {
		t.Errorf("token %q is not %d letters and digits", cred.Secret, tokenLen)
	}
	if cred.Expires.Before(before.Add(598*time.Second)) || cred.Expires.After(time.Now().Add(600*time.Second)) {
		t.Errorf("token expires %v, want about now+600s (token_ttl)", cred.Expires)
	}
	if _, err := e.fetch(context.Background(), cred, testStay, codeOf(1)); err != nil {
		t.Fatalf("Fetch with a new token: %v", err)
	}
	if cred2 := e.token(t); cred2.Secret == cred.Secret {
		t.Error("two tokens are equal")
	}
	if got := e.b.Stats().AuthGrants; got != 2 {
		t.Errorf("auth_grants = %d, want 2", got)
	}
	// The answer is the spec's AmadeusOAuth2Token, expires_in from token_ttl.
	resp, m := e.do(t, "POST", TokenPath, hdr("Content-Type", formCT), url.Values{
		"grant_type": {"client_credentials"}, "client_id": {sandbox.DemoAmadeusClientID}, "client_secret": {sandbox.DemoAmadeusClientSecret},
	}.Encode())
	want := map[string]any{"type": "amadeusOAuth2Token", "client_id": sandbox.DemoAmadeusClientID, "token_type": "Bearer",
		"expires_in": float64(600), "state": "approved", "scope": ""}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("token answer %s = %v, want %v", k, m[k], v)
		}
	}
	for _, k := range []string{"username", "application_name", "access_token"} {
		if s, _ := m[k].(string); s == "" {
			t.Errorf("token answer has no %s: %v", k, m)
		}
	}
	if resp.Header.Get("Content-Type") != TokenContentType || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", resp.Header)
	}
}

func TestDefaultTokenTTL(t *testing.T) {
	e := newEnv(t, nil)
	_, m := e.do(t, "POST", TokenPath, hdr("Content-Type", formCT),
		"grant_type=client_credentials&client_id="+sandbox.DemoAmadeusClientID+"&client_secret="+sandbox.DemoAmadeusClientSecret)
	if m["expires_in"] != float64(1799) {
		t.Errorf("expires_in %v, want 1799", m["expires_in"])
	}
}

func TestTokenEndpoint(t *testing.T) {
	e := newEnv(t, nil)
	id, secret := sandbox.DemoAmadeusClientID, sandbox.DemoAmadeusClientSecret
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}.Encode()
	tests := []struct {
		name   string
		method string
		header http.Header
		body   string
		status int
		error  string // the token error's "error"; "" for 200 and 405
	}{
		{"form credentials", "POST", hdr("Content-Type", formCT), good, 200, ""},
		{"content type with charset", "POST", hdr("Content-Type", formCT+"; charset=utf-8"), good, 200, ""},
		{"extra parameters ignored", "POST", hdr("Content-Type", formCT), good + "&scope=x", 200, ""},
		{"wrong secret", "POST", hdr("Content-Type", formCT), "grant_type=client_credentials&client_id=" + id + "&client_secret=nope", 401, "invalid_client"},
		{"unknown client", "POST", hdr("Content-Type", formCT), "grant_type=client_credentials&client_id=other&client_secret=" + secret, 401, "invalid_client"},
		{"no secret", "POST", hdr("Content-Type", formCT), "grant_type=client_credentials&client_id=" + id, 401, "invalid_client"},
		{"no credentials", "POST", hdr("Content-Type", formCT), "grant_type=client_credentials", 401, "invalid_client"},
		{"basic instead of form", "POST", hdr("Content-Type", formCT, "Authorization", "Basic ZGVtby1hbWFkZXVzOmFtYWRldXMtZGVtby1zZWNyZXQ="), "grant_type=client_credentials", 401, "invalid_client"},
		{"credentials in the URL query", "POST", hdr("Content-Type", formCT), "grant_type=client_credentials", 401, "invalid_client"},
		{"missing grant_type", "POST", hdr("Content-Type", formCT), "client_id=" + id + "&client_secret=" + secret, 400, "invalid_request"},
		{"wrong grant_type", "POST", hdr("Content-Type", formCT), "grant_type=password&client_id=" + id + "&client_secret=" + secret, 400, "unsupported_grant_type"},
		{"repeated parameter", "POST", hdr("Content-Type", formCT), good + "&client_id=" + id, 400, "invalid_request"},
		{"json body", "POST", hdr("Content-Type", "application/json"), `{"grant_type":"client_credentials"}`, 400, "invalid_request"},
		{"no content type", "POST", nil, good, 400, "invalid_request"},
		{"bad form encoding", "POST", hdr("Content-Type", formCT), "grant_type=%zz", 400, "invalid_request"},
		{"body too large", "POST", hdr("Content-Type", formCT), good + "&pad=" + strings.Repeat("x", MaxTokenForm), 400, "invalid_request"},
		{"GET", "GET", nil, "", 405, ""},
	}
	grants := int64(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := TokenPath
			if tt.name == "credentials in the URL query" {
				path += "?client_id=" + id + "&client_secret=" + secret
			}
			resp, m := e.do(t, tt.method, path, tt.header, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (body %v)", resp.StatusCode, tt.status, m)
			}
			switch tt.status {
			case 200:
				grants++
				if tok, _ := m["access_token"].(string); len(tok) != tokenLen || m["token_type"] != "Bearer" {
					t.Errorf("token answer %v", m)
				}
			case 405:
				if st, _, _, _ := apiErr(t, m); st != 405 || resp.Header.Get("Allow") != "POST" {
					t.Errorf("405 answer %v, Allow %q", m, resp.Header.Get("Allow"))
				}
			default:
				if m["error"] != tt.error || m["code"] != float64(CodeInvalidClient) || m["title"] != "Invalid parameters" {
					t.Errorf("error answer %v, want error %q, code 38187, title Invalid parameters", m, tt.error)
				}
				if d, _ := m["error_description"].(string); d == "" {
					t.Errorf("no error_description in %v", m)
				}
				if strings.Contains(fmt.Sprint(m), secret) {
					t.Errorf("answer %v echoes the secret", m)
				}
				if resp.Header.Get("Content-Type") != TokenContentType {
					t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
				}
			}
		})
	}
	if got := e.b.Stats().AuthGrants; got != grants {
		t.Errorf("auth_grants = %d, want %d", got, grants)
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
	js := hdr("Content-Type", "application/json")
	const stubSecret = "stub-secret-value"
	tests := []struct {
		name       string
		base       string
		secret     string
		kind       hotelrates.ErrorKind
		status     int
		retryAfter time.Duration
		text       string // the error's message holds it
	}{
		{"wrong secret", e.base, "wrong-secret", hotelrates.ErrRejected, 401, 0, "invalid_client: Client credentials are invalid (code 38187 Invalid parameters)"},
		{"wrong base path", e.srv.URL + "/nope", sandbox.DemoAmadeusClientSecret, hotelrates.ErrRejected, 404, 0, "token request failed"},
		{"connection refused", closedURL, sandbox.DemoAmadeusClientSecret, hotelrates.ErrUnavailable, 0, 0, "connection refused"},
		{"503", stub(503, hdr("Retry-After", "3"), ""), stubSecret, hotelrates.ErrUnavailable, 503, 3 * time.Second, ""},
		{"500 amadeus", stub(500, js, `{"error":"server_error","error_description":"Internal error","code":38189,"title":"Internal error"}`), stubSecret, hotelrates.ErrUnavailable, 500, 0, "server_error"},
		{"429 with Retry-After", stub(429, hdr("Retry-After", "2", "Content-Type", "application/json"), `{"error":"rate_limited"}`), stubSecret, hotelrates.ErrThrottled, 429, 2 * time.Second, ""},
		{"429 without Retry-After", stub(429, js, `{"errors":[{"code":"38194","status":"429"}]}`), stubSecret, hotelrates.ErrThrottled, 429, DefaultRetryAfter, ""},
		{"garbage 200", stub(200, js, `{"access_token":`), stubSecret, hotelrates.ErrBadResponse, 0, 0, ""},
		{"no access_token", stub(200, js, `{"token_type":"Bearer","expires_in":60}`), stubSecret, hotelrates.ErrBadResponse, 0, 0, ""},
		{"not bearer", stub(200, js, `{"access_token":"abc","token_type":"mac","expires_in":60}`), stubSecret, hotelrates.ErrBadResponse, 200, 0, ""},
		{"expired at once", stub(200, js, `{"access_token":"abc","token_type":"Bearer","expires_in":-5}`), stubSecret, hotelrates.ErrBadResponse, 200, 0, ""},
		{"error with 200", stub(200, js, `{"error":"invalid_client"}`), stubSecret, hotelrates.ErrBadResponse, 200, 0, ""},
		{"description echoes the secret", stub(401, js, `{"error":"invalid_client","error_description":"client_secret stub-secret-value is wrong","code":38187}`), stubSecret, hotelrates.ErrRejected, 401, 0, "[REDACTED] is wrong (code 38187)"},
		// Redacted before clipped: a secret across the clipping point
		// does not leave its first half behind.
		{"long description echoes the secret", stub(401, js, `{"error":"invalid_client","error_description":"`+strings.Repeat("x", 250)+` stub-secret-value is wrong"}`), stubSecret, hotelrates.ErrRejected, 401, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Config{BaseURL: tt.base, ClientID: "client-id-xyz", ClientSecret: tt.secret})
			if tt.base == e.base {
				c = New(Config{BaseURL: tt.base, ClientID: sandbox.DemoAmadeusClientID, ClientSecret: tt.secret})
			}
			_, err := c.Authenticate(context.Background(), e.hc)
			ve := wantKind(t, err, tt.kind)
			if ve.Status != tt.status || ve.RetryAfter != tt.retryAfter {
				t.Errorf("status %d retry after %v, want %d %v", ve.Status, ve.RetryAfter, tt.status, tt.retryAfter)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.text) {
				t.Errorf("error %q does not hold %q", msg, tt.text)
			}
			for i := 0; i+8 <= len(tt.secret); i++ {
				if part := tt.secret[i : i+8]; strings.Contains(msg, part) {
					t.Errorf("error %q reveals %q of the secret", msg, part)
				}
			}
			if u, _ := url.Parse(tt.base); strings.Contains(msg, u.Host) {
				t.Errorf("error %q names the vendor host %s", msg, u.Host)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.client.Authenticate(ctx, e.hc)
	if wantKind(t, err, hotelrates.ErrUnavailable); !strings.Contains(err.Error(), "canceled") {
		t.Errorf("error %v", err)
	}
}

func TestInvalidToken(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	tests := []struct {
		name, authz string
		code        int
	}{
		{"missing", "", CodeInvalidHeader},
		{"basic scheme", "Basic " + cred.Secret, CodeInvalidHeader},
		{"no token", "Bearer ", CodeInvalidHeader},
		{"token without scheme", cred.Secret, CodeInvalidHeader},
		{"unknown", "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAA", CodeInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.authz != "" {
				h.Set("Authorization", tt.authz)
			}
			resp, m := e.do(t, "GET", OffersPath+"?"+validQuery(codeOf(1)), h, "")
			status, code, title, _ := apiErr(t, m)
			if resp.StatusCode != 401 || status != 401 || code != tt.code || title != titles[tt.code] {
				t.Fatalf("status %d, body %v; want 401 code %d", resp.StatusCode, m, tt.code)
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	// The scheme is case-insensitive.
	if resp, _ := e.get(t, "", validQuery(codeOf(1))); resp.StatusCode != 401 {
		t.Errorf("no token: status %d", resp.StatusCode)
	}
	resp, _ := e.do(t, "GET", OffersPath+"?"+validQuery(codeOf(1)), hdr("Authorization", "bearer "+cred.Secret), "")
	if resp.StatusCode != 200 {
		t.Errorf("lower-case bearer: status %d", resp.StatusCode)
	}
	// The token is checked before the query: a bad query without a token
	// is 401.
	if resp, m := e.get(t, "", "hotelIds="); resp.StatusCode != 401 {
		t.Errorf("bad query without a token: status %d %v", resp.StatusCode, m)
	}
	// The client sees ErrUnauthorized and does not reveal the token.
	bogus := hotelrates.Credential{Secret: "bogus-token-value-1234567890abcdef"}
	_, err := e.fetch(context.Background(), bogus, testStay, codeOf(1))
	ve := wantKind(t, err, hotelrates.ErrUnauthorized)
	if ve.Status != 401 || strings.Contains(err.Error(), bogus.Secret) || !strings.Contains(err.Error(), "38190") {
		t.Errorf("error %v", err)
	}
}

// TestTokenLifecycle moves the server's clock: a token works until
// token_ttl after it was issued, then gets 401 code 38190, which the
// client maps to ErrUnauthorized; a new token works.
func TestTokenLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)
	ttl := e.cfg.TokenTTL
	code := codeOf(1)
	if _, err := e.fetch(context.Background(), cred, testStay, code); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(ttl - time.Second)
	if _, err := e.fetch(context.Background(), cred, testStay, code); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	e.clock.Advance(time.Second)
	_, err := e.fetch(context.Background(), cred, testStay, code)
	if ve := wantKind(t, err, hotelrates.ErrUnauthorized); ve.Status != 401 {
		t.Errorf("status %d", ve.Status)
	}
	resp, m := e.get(t, cred.Secret, validQuery(code))
	if status, c, title, _ := apiErr(t, m); resp.StatusCode != 401 || status != 401 || c != CodeInvalidToken || title != "Invalid access token" {
		t.Errorf("expired token: status %d %v", resp.StatusCode, m)
	}
	if resp.Header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
		t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
	}
	if _, err := e.fetch(context.Background(), e.token(t), testStay, code); err != nil {
		t.Errorf("new token: %v", err)
	}
}

// TestTokenStoreBounded checks that expired tokens are purged as new ones
// are issued and that the store never holds more than maxTokens.
func TestTokenStoreBounded(t *testing.T) {
	clock := &testClock{}
	const ttl, maxTokens = time.Minute, 1000
	s := newTokenStore(clock.Now, ttl)
	s.maxTokens = maxTokens
	var first string
	for i := range 100 {
		if tok := s.issue(); i == 0 {
			first = tok
		}
	}
	if !s.valid(first) {
		t.Fatal("fresh token not valid")
	}
	clock.Advance(ttl)
	last := s.issue()
	if n := len(s.tokens); n != 1 || len(s.order)-s.head != 1 {
		t.Errorf("after expiry %d tokens, %d live order entries; want 1, 1", n, len(s.order)-s.head)
	}
	for range 10*maxTokens + 10 {
		s.issue()
	}
	if n := len(s.tokens); n != maxTokens {
		t.Errorf("%d tokens stored, want %d", n, maxTokens)
	}
	if s.valid(last) {
		t.Error("oldest token still valid past maxTokens")
	}
	if len(s.order) > 2*maxTokens+64 {
		t.Errorf("order slice grew to %d", len(s.order))
	}
	s.revoke(s.order[len(s.order)-1])
	if s.valid(s.order[len(s.order)-1]) {
		t.Error("revoked token still valid")
	}
}

func TestInfoAndSecrets(t *testing.T) {
	c := New(Config{ClientID: "id-1", ClientSecret: "secret-1"})
	if got, want := c.Info(), (hotelrates.VendorInfo{Name: "amadeus", MaxBatch: 20, Auth: hotelrates.AuthToken, Children: true}); got != want {
		t.Errorf("Info() = %+v, want %+v", got, want)
	}
	if !reflect.DeepEqual(c.Secrets(), []string{"secret-1", "id-1"}) {
		t.Errorf("Secrets() = %v", c.Secrets())
	}
	for _, tt := range []struct{ in, want int }{{0, 20}, {-1, 20}, {5, 5}, {20, 20}, {21, 20}, {250, 20}} {
		if got := New(Config{Name: "x", MaxBatch: tt.in}).Info(); got.MaxBatch != tt.want || got.Name != "x" {
			t.Errorf("MaxBatch %d: Info %+v, want MaxBatch %d", tt.in, got, tt.want)
		}
	}
	if New(Config{}).Secrets() != nil {
		t.Error("Secrets of an empty config is not empty")
	}
}
