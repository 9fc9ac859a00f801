package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/engine"
	"hotelrates/httpapi"
	"hotelrates/internal/pipenet"
	"hotelrates/internal/testlog"
	"hotelrates/sandbox"
	"hotelrates/vendors/solo"
	"hotelrates/vendorsim"
)

// stubSearcher answers every search at once, with no hotels, and records
// the searches it was asked.
type stubSearcher struct {
	mu       sync.Mutex
	searches []hotelrates.Search
}

func (s *stubSearcher) Search(ctx context.Context, q hotelrates.Search) (hotelrates.Result, error) {
	if err := q.Validate(s.Limits()); err != nil {
		return hotelrates.Result{}, err
	}
	s.mu.Lock()
	s.searches = append(s.searches, q)
	s.mu.Unlock()
	return hotelrates.Result{SearchID: "stub", Complete: true}, nil
}

func (s *stubSearcher) Stream(ctx context.Context, q hotelrates.Search, on func([]hotelrates.HotelResult) error) (hotelrates.Result, error) {
	return s.Search(ctx, q)
}

func (s *stubSearcher) Vendors() []hotelrates.VendorState {
	return []hotelrates.VendorState{{Name: "stub"}}
}
func (s *stubSearcher) Limits() hotelrates.Limits { return hotelrates.Limits{} }

func (s *stubSearcher) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.searches)
}

func debugLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// fixedNow is the date the tests' clock tells: before the 2027 stays the
// tests search.
func fixedNow() time.Time { return time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC) }

// With api_keys, every route but the probes wants "Authorization: Bearer
// KEY", compared in constant time, and answers 401 in the error shape
// without one; no key (right or wrong) is ever logged.
func TestAPIKeys(t *testing.T) {
	const key1, key2 = "key-one-0123456789abcdef", "key-two-fedcba9876543210"
	const wrong = "key-one-0123456789abcdeX"
	var logs testlog.Buffer
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{Engine: &stubSearcher{}, Logger: debugLogger(&logs),
		APIKeys: []string{key1, key2}, Now: fixedNow, Gatherer: nil}))
	defer srv.Close()
	tests := []struct {
		name, method, path, auth string
		status                   int
	}{
		{"no key", "GET", "/v1/vendors", "", 401},
		{"wrong key", "GET", "/v1/vendors", "Bearer " + wrong, 401},
		{"key prefix", "GET", "/v1/vendors", "Bearer " + key1[:10], 401},
		{"key with a suffix", "GET", "/v1/vendors", "Bearer " + key1 + "x", 401},
		{"other scheme", "GET", "/v1/vendors", "Basic " + key1, 401},
		{"no credential", "GET", "/v1/vendors", "Bearer ", 401},
		{"bare key", "GET", "/v1/vendors", key1, 401},
		{"search without key", "POST", "/v1/search", "", 401},
		{"unknown route without key", "GET", "/v2/x", "", 401},
		{"metrics without key", "GET", "/metrics", "", 401},
		{"first key", "GET", "/v1/vendors", "Bearer " + key1, 200},
		{"second key, scheme in lower case", "GET", "/v1/vendors", "bearer " + key2, 200},
		{"search with key", "POST", "/v1/search", "Bearer " + key2, 200},
		{"healthz is open", "GET", "/healthz", "", 200},
		{"readyz is open", "GET", "/readyz", "", 200},
		{"healthz with a wrong key", "GET", "/healthz", "Bearer " + wrong, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.method == "POST" {
				body = okBody
			}
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			if tt.status != 401 {
				return
			}
			var out httpapi.ErrorBody
			if err := json.Unmarshal(b, &out); err != nil || out.Error.Code != "unauthenticated" || out.Error.Message == "" {
				t.Errorf("401 body %s (%v)", b, err)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			for _, k := range []string{key1, key2, wrong} {
				if bytes.Contains(b, []byte(k)) {
					t.Errorf("answer repeats a key: %s", b)
				}
			}
		})
	}
	for _, k := range []string{key1, key2, wrong, key1[:10]} {
		if strings.Contains(logs.String(), k) {
			t.Errorf("a key is in the log:\n%s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), "status=401") {
		t.Errorf("requests not logged at debug level:\n%s", logs.String())
	}
}

// The client sends its API key.
func TestClientSendsAPIKey(t *testing.T) {
	const key = "client-key-0123456789"
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{Engine: &stubSearcher{}, APIKeys: []string{key}, Now: fixedNow}))
	defer srv.Close()
	req := httpapi.SearchRequest{HotelIDs: []string{"H00001"}, CheckIn: "2027-03-10", CheckOut: "2027-03-11"}
	var apiErr *httpapi.APIError
	if _, err := (&httpapi.Client{BaseURL: srv.URL}).Stream(context.Background(), req, nil); !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Errorf("without the key: %v", err)
	}
	if _, err := (&httpapi.Client{BaseURL: srv.URL, APIKey: key}).Stream(context.Background(), req, nil); err != nil {
		t.Errorf("with the key: %v", err)
	}
}

// Error text for API clients loses URLs, user info, hosts, addresses and
// ports, and credentials, before it is clipped.
func TestSanitizeText(t *testing.T) {
	secret := "S3cr3t-" + strings.Repeat("x", 30) // 37 characters
	tests := []struct {
		name, in string
		want     string   // if not empty, the exact result
		gone     []string // none of these may remain
		kept     []string // all of these remain
	}{
		{name: "url with user info (seen)", in: `vendor solo: unavailable: Post "http://svcuser:***@127.0.0.1:1/solo/oauth/token": dial tcp 127.0.0.1:1: connect: connection refused`,
			want: `vendor solo: unavailable: Post "[url]": dial tcp [address]: connect: connection refused`},
		{name: "https url with token in the query", in: `Get "https://api.vendor.example:8443/v1/rates?access_token=abcdef123456": EOF`,
			gone: []string{"vendor.example", "8443", "abcdef123456", "https"}, kept: []string{"Get", "EOF"}},
		{name: "ipv6", in: `dial tcp [fe80::1%eth0]:8443: connect: no route to host`, gone: []string{"fe80", "8443", "eth0"}, kept: []string{"no route to host"}},
		{name: "bare ipv6", in: `dial tcp ::1 failed`, gone: []string{"::1"}},
		{name: "dns", in: `dial tcp: lookup rates.vendor.example on 10.0.0.2:53: no such host`, gone: []string{"vendor.example", "10.0.0.2", ":53"}, kept: []string{"no such host"}},
		{name: "tls names", in: `tls: failed to verify certificate: x509: certificate is valid for a.vendor.example, not b.vendor.example`, gone: []string{"vendor.example"}, kept: []string{"x509"}},
		{name: "host:port without scheme", in: `proxyconnect tcp: svc:pw@proxy.corp.example:3128 refused`, gone: []string{"svc", "pw@", "proxy.corp", "3128"}},
		{name: "localhost", in: `dial tcp localhost:9090: connect: connection refused`, gone: []string{"localhost", "9090"}},
		{name: "plain vendor text stays", in: `vendor bulk: rejected (HTTP 400): invalid_request: property H00001 at 12:30:45 is unknown (retry budget spent)`,
			want: `vendor bulk: rejected (HTTP 400): invalid_request: property H00001 at 12:30:45 is unknown (retry budget spent)`},
		{name: "credential pairs", in: `vendor solo: rejected (HTTP 401): invalid_client: client_secret=` + secret + ` is wrong`, gone: []string{secret[:6], "xxxxx"}},
		{name: "redacted before clipped", in: `vendor solo: rejected (HTTP 400): bad_request: ` + strings.Repeat("a", 140) + ` client_secret=` + secret + ` echoed`,
			gone: []string{"S3cr3t", "xxxx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := httpapi.SanitizeText(tt.in)
			if tt.want != "" && got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			for _, g := range tt.gone {
				if strings.Contains(got, g) {
					t.Errorf("%q remains in %q", g, got)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(got, k) {
					t.Errorf("%q lost from %q", k, got)
				}
			}
			if len(got) > 210 {
				t.Errorf("%d bytes: %q", len(got), got)
			}
		})
	}
}

// SanitizeError removes the addresses the net and net/url errors in an
// error's tree hold.
func TestSanitizeError(t *testing.T) {
	op := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, Err: errors.New("connect: connection refused")}
	ue := &url.Error{Op: "Post", URL: "http://svcuser:***@127.0.0.1:1/solo/oauth/token", Err: op}
	dns := &net.DNSError{Err: "no such host", Name: "rates.vendor.internal", Server: "10.0.0.2:53", IsNotFound: true}
	tests := []struct {
		err  error
		want string
	}{
		{&hotelrates.VendorError{Vendor: "solo", Kind: hotelrates.ErrUnavailable, Err: ue}, `vendor solo: unavailable: Post "[url]": dial tcp [address]: connect: connection refused`},
		{fmt.Errorf("no vendor available: %w", errors.Join(dns, errors.New("breaker open"))), "no vendor available: lookup [host] on [address]: no such host\nbreaker open"},
		{errors.New("archive spool is full"), "archive spool is full"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := httpapi.SanitizeError(tt.err); got != tt.want {
			t.Errorf("SanitizeError(%v)\n = %q\nwant %q", tt.err, got, tt.want)
		}
	}
}

// A vendor that cannot be reached is reported to clients, in the JSON
// answer and in the stream's summary, without its URL, user info, host or
// port; the full text is in the log at debug level.
func TestVendorErrorsCarryNoAddresses(t *testing.T) {
	v := solo.New(solo.Config{Name: "solo", BaseURL: "http://svcuser:pw@127.0.0.1:1/solo", ClientID: "id", ClientSecret: "client-secret-value"})
	eng, err := engine.New(engine.Options{Vendors: []engine.VendorConfig{{Vendor: v}}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close(context.Background())
	var logs testlog.Buffer
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{Engine: eng, Logger: debugLogger(&logs), Now: fixedNow}))
	defer srv.Close()
	body := `{"hotel_ids":["H00001","H00002"],"check_in":"2027-03-10","check_out":"2027-03-11","timeout_ms":1500}`
	check := func(kind string, vs []httpapi.VendorStatus) {
		t.Helper()
		if len(vs) != 1 || vs[0].Error == "" {
			t.Fatalf("%s: vendors %+v", kind, vs)
		}
		for _, bad := range []string{"127.0.0.1", "svcuser", "pw@", "http:", ":1/", "/solo", "client-secret-value"} {
			if strings.Contains(vs[0].Error, bad) {
				t.Errorf("%s: vendor error %q holds %q", kind, vs[0].Error, bad)
			}
		}
	}

	resp := post(t, srv.URL+"/v1/search", body, nil)
	var out httpapi.SearchResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	check("JSON", out.Vendors)

	sum, err := (&httpapi.Client{BaseURL: srv.URL}).Stream(context.Background(), httpapi.SearchRequest{
		HotelIDs: []string{"H00003"}, CheckIn: "2027-03-10", CheckOut: "2027-03-11", TimeoutMS: new(int64(1500)),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("NDJSON summary", sum.Vendors)
	if l := logs.String(); !strings.Contains(l, "127.0.0.1:1") || !strings.Contains(l, "vendor error") {
		t.Errorf("the full error is not in the debug log:\n%s", l)
	}
}

// JSON keys are matched exactly: a key in another case is unknown, and
// named; so is a key given twice.
func TestDecodeSearchKeysAreExact(t *testing.T) {
	tests := []struct {
		name, body string
		field      string // "" for no error
		msg        string
	}{
		{"exact keys", `{"hotel_ids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11","adults":2,"rooms":1,"currency":"USD","vendors":["solo"],"timeout_ms":10,"fresh":true}`, "", ""},
		{"upper case", `{"HOTEL_IDS":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11"}`, "HOTEL_IDS", `did you mean "hotel_ids"`},
		{"mixed case", `{"hotel_ids":["H00001"],"Check_In":"2027-03-10","check_out":"2027-03-11"}`, "Check_In", `unknown field "Check_In"`},
		{"wrong case with a bad value", `{"hotel_ids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11","Adults":100}`, "Adults", `did you mean "adults"`},
		{"escaped exact key", `{"hotel\u005fids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11"}`, "", ""},
		{"key twice", `{"hotel_ids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11","adults":1,"adults":3}`, "adults", "twice"},
		{"unknown key", `{"hotel_ids":["H00001"],"nights":2}`, "nights", `unknown field "nights"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := httpapi.DecodeSearch(strings.NewReader(tt.body), 4096)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			var he *hotelrates.Error
			if !errors.As(err, &he) || he.Code != hotelrates.CodeInvalidArgument || he.Field != tt.field || !strings.Contains(he.Message, tt.msg) {
				t.Errorf("error %v, want invalid_argument field %q with %q", err, tt.field, tt.msg)
			}
		})
	}
}

// A stay whose check-in is past is refused, by the clock the API is given;
// today counts as long as it is today somewhere (UTC-12).
func TestCheckInInThePast(t *testing.T) {
	now := time.Date(2027, 3, 10, 6, 0, 0, 0, time.UTC) // 2027-03-09 18:00 at UTC-12
	eng := &stubSearcher{}
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{Engine: eng, Now: func() time.Time { return now }}))
	defer srv.Close()
	tests := []struct {
		checkIn, checkOut string
		status            int
	}{
		{"2020-06-01", "2020-06-03", 400},
		{"2027-03-08", "2027-03-09", 400},
		{"2027-03-09", "2027-03-10", 200},
		{"2027-03-10", "2027-03-12", 200},
		{"2028-01-01", "2028-01-02", 200},
	}
	for _, accept := range []string{"application/json", "application/x-ndjson"} {
		for _, tt := range tests {
			before := eng.count()
			resp := post(t, srv.URL+"/v1/search", `{"hotel_ids":["H00001"],"check_in":"`+tt.checkIn+`","check_out":"`+tt.checkOut+`"}`, map[string]string{"Accept": accept})
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Errorf("%s check_in %s: %d %s, want %d", accept, tt.checkIn, resp.StatusCode, b, tt.status)
				continue
			}
			if tt.status == 400 {
				var out httpapi.ErrorBody
				if json.Unmarshal(b, &out); out.Error.Field != "check_in" || !strings.Contains(out.Error.Message, "past") {
					t.Errorf("%s check_in %s: %s", accept, tt.checkIn, b)
				}
				if eng.count() != before {
					t.Errorf("%s check_in %s: a past stay was searched", accept, tt.checkIn)
				}
			}
		}
	}
}

// A client that opens a stream and never reads it does not hold its
// search's slot past the search's deadline: the stream's writes time out
// and the stream ends. The API runs on an in-memory network, whose
// connections buffer nothing, so the first write blocks.
func TestStalledStreamFreesItsSlot(t *testing.T) {
	cfg := sandbox.DefaultConfig()
	cfg.Vendors.Bulk.Latency.Base = 2 * time.Millisecond
	sim, err := vendorsim.Start(cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	var vcs []engine.VendorConfig
	for _, v := range vendorsim.Clients(sim.URL(), cfg) {
		if v.Info().Name == "bulk" {
			vcs = append(vcs, engine.VendorConfig{Vendor: v})
		}
	}
	eng, err := engine.New(engine.Options{Vendors: vcs, MaxSearches: 1, MaxTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close(context.Background())
	var logs testlog.Buffer
	ln := pipenet.Listen("api.test")
	hs := &http.Server{Handler: httpapi.NewServer(httpapi.Deps{Engine: eng, Now: fixedNow, Logger: debugLogger(&logs), MaxTimeout: 20 * time.Second})}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	defer func() {
		hs.Close()
		<-served
	}()

	// The stalled client: its request, then nothing read.
	body := `{"hotel_ids":` + idsJSON(1, 300) + `,"check_in":"2027-03-10","check_out":"2027-03-11","timeout_ms":300}`
	conn, err := ln.DialContext(context.Background(), "tcp", "api.test:80")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/search HTTP/1.1\r\nHost: api.test\r\nContent-Type: application/json\r\nAccept: application/x-ndjson\r\nContent-Length: %d\r\n\r\n%s", len(body), body)

	hc := &http.Client{Transport: &http.Transport{DialContext: ln.DialContext}}
	defer hc.CloseIdleConnections()
	small := `{"hotel_ids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11","timeout_ms":2000}`
	search := func() int {
		resp, err := hc.Post("http://api.test/v1/search", "application/json", strings.NewReader(small))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != 429 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return resp.StatusCode
	}
	// The stream has begun (its search holds the only slot) once its
	// status line is out; the rest is left unread.
	status := make([]byte, len("HTTP/1.1 200"))
	if _, err := io.ReadFull(conn, status); err != nil || string(status) != "HTTP/1.1 200" {
		t.Fatalf("stalled stream: %q %v", status, err)
	}
	for give := time.Now().Add(30 * time.Second); search() != 200; {
		if time.Now().After(give) {
			t.Fatal("the stalled stream still holds the only search slot after 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The stalled stream was ended without its summary.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, _ := io.ReadAll(bufio.NewReader(conn))
	if bytes.Contains(got, []byte(`"type":"summary"`)) {
		t.Errorf("the stalled stream got its summary: %.300s", got)
	}
	if !strings.Contains(logs.String(), "stream ended") {
		t.Errorf("the ended stream is not logged:\n%s", logs.String())
	}
}
