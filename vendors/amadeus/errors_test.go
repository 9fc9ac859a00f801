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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

func TestThrottle(t *testing.T) {
	t.Run("rate", func(t *testing.T) {
		// One call per 2 s: the second call at once is over the rate.
		e := newEnv(t, func(c *sandbox.VendorConfig) { c.RPS, c.Burst = 0.5, 1 })
		cred := e.token(t)
		if _, err := e.fetch(context.Background(), cred, testStay, codeOf(1)); err != nil {
			t.Fatal(err)
		}
		resp, m := e.get(t, cred.Secret, validQuery(codeOf(1)))
		// The real API's 429 body: code and status as strings.
		want := map[string]any{"errors": []any{map[string]any{"code": "38194", "title": "Too many requests",
			"detail": "The network rate limit is exceeded, please try again later", "status": "429"}}}
		if resp.StatusCode != 429 || !reflect.DeepEqual(m, want) {
			t.Fatalf("status %d, body %v", resp.StatusCode, m)
		}
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			t.Errorf("Retry-After %q: the real API sends none", ra)
		}
		_, err := e.fetch(context.Background(), cred, testStay, codeOf(1))
		if ve := wantKind(t, err, hotelrates.ErrThrottled); ve.Status != 429 || ve.RetryAfter != DefaultRetryAfter || !strings.Contains(err.Error(), "38194") {
			t.Errorf("error %v, RetryAfter %v", err, ve.RetryAfter)
		}
		if s := e.b.Stats(); s.Throttled != 2 || s.Status["429"] != 2 {
			t.Errorf("throttled %d, status %v", s.Throttled, s.Status)
		}
	})
	t.Run("test environment limit", func(t *testing.T) {
		// The default: 10 a second, no more than one per 100 ms. Of calls
		// fired at once, at most one per 100 ms elapsed gets through.
		e := newEnv(t, func(c *sandbox.VendorConfig) { c.RPS, c.Burst = 10, 1 })
		cred := e.token(t)
		start := time.Now()
		var ok, throttled atomic.Int64
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, err := e.fetch(context.Background(), cred, testStay, codeOf(i+1))
				if err == nil {
					ok.Add(1)
					return
				}
				wantKind(t, err, hotelrates.ErrThrottled)
				throttled.Add(1)
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		if limit := 1 + int64(elapsed/(100*time.Millisecond)) + 1; ok.Load() > limit || ok.Load() < 1 {
			t.Errorf("%d calls through in %v, want 1 to %d", ok.Load(), elapsed, limit)
		}
		if ok.Load()+throttled.Load() != 8 || e.b.Stats().Throttled != throttled.Load() {
			t.Errorf("%d ok, %d throttled, stats %+v", ok.Load(), throttled.Load(), e.b.Stats())
		}
	})
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
				_, err := e.fetch(context.Background(), cred, testStay, codeOf(i+1))
				if err == nil {
					ok.Add(1)
					return
				}
				ve := wantKind(t, err, hotelrates.ErrThrottled)
				if ve.Status != 429 || ve.RetryAfter != DefaultRetryAfter {
					t.Errorf("status %d, retry after %v", ve.Status, ve.RetryAfter)
				}
				throttled.Add(1)
			})
		}
		wg.Wait()
		if throttled.Load() == 0 || ok.Load() < 2 || throttled.Load()+ok.Load() != 6 {
			t.Errorf("%d throttled, %d ok", throttled.Load(), ok.Load())
		}
		if s := e.b.Stats(); s.PeakInService != 1 {
			t.Errorf("peak in service %d, want 1", s.PeakInService)
		}
	})
}

func TestFaults(t *testing.T) {
	code := codeOf(1)
	want := sandbox.Offers(sandbox.Amadeus, sandbox.HotelID(1), testStay)
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
		text       string
		timeout    time.Duration
	}{
		{"error_500", func(f *sandbox.Faults) { f.Error500 = 1 }, false, hotelrates.ErrUnavailable, 500, 0, "141 SYSTEM ERROR HAS OCCURRED", 0},
		{"error_503", func(f *sandbox.Faults) { f.Error503 = 1 }, false, hotelrates.ErrUnavailable, 503, time.Second, "38189", 0},
		{"hang", func(f *sandbox.Faults) { f.Hang = 1 }, false, hotelrates.ErrUnavailable, 0, 0, "timed out", 100 * time.Millisecond},
		{"malformed", func(f *sandbox.Faults) { f.Malformed = 1 }, false, hotelrates.ErrBadResponse, 200, 0, "decoding answer", 0},
		{"truncated", func(f *sandbox.Faults) { f.Truncated = 1 }, false, hotelrates.ErrBadResponse, 200, 0, "reading body", 0},
		{"slow_body", func(f *sandbox.Faults) { f.SlowBody = 1 }, true, 0, 0, 0, "", 0},
		{"revoke", func(f *sandbox.Faults) { f.Revoke = 1 }, false, hotelrates.ErrUnauthorized, 401, 0, "38190 Invalid access token", 0},
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
			got, err := e.fetch(ctx, cred, testStay, code)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || !reflect.DeepEqual(got[0].Offers, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			} else {
				ve := wantKind(t, err, tt.kind)
				if ve.Status != tt.status || ve.RetryAfter != tt.retryAfter || !strings.Contains(err.Error(), tt.text) {
					t.Errorf("error %v: status %d retry after %v, want %d %v %q", err, ve.Status, ve.RetryAfter, tt.status, tt.retryAfter, tt.text)
				}
				if u, _ := url.Parse(e.base); strings.Contains(err.Error(), u.Host) {
					t.Errorf("error %q names the vendor host", err)
				}
			}
			if n := e.b.Stats().Faults[tt.name]; n != 1 {
				t.Errorf("faults[%s] = %d, want 1", tt.name, n)
			}
		})
	}
}

// TestRevokeFault: a revoke fault revokes the token used, so later calls
// with it get 401 too, while a new token works.
func TestRevokeFault(t *testing.T) {
	mod := func(c *sandbox.VendorConfig) { c.Faults.Revoke = 0.5 }
	cfg := testConfig()
	mod(&cfg)
	// Faults depend on seed, vendor, key and how often the key was
	// rolled, so a probe backend tells which hotel's first call is revoked
	// and second is not.
	done := make(chan struct{})
	defer close(done)
	probe := sandbox.NewBackend(sandbox.Amadeus, cfg, testSeed, done)
	code := ""
	for n := 1; n <= 200 && code == ""; n++ {
		id := sandbox.HotelID(n)
		if sandbox.Offers(sandbox.Amadeus, id, testStay) == nil {
			continue
		}
		c := codeOf(n)
		key := testStay.Key() + "|" + c
		if probe.Roll(key) == sandbox.FaultRevoke && probe.Roll(key) == sandbox.FaultNone {
			code = c
		}
	}
	if code == "" {
		t.Fatal("no hotel whose first call is revoked and second is not")
	}
	e := newEnv(t, mod)
	cred := e.token(t)
	_, err := e.fetch(context.Background(), cred, testStay, code)
	wantKind(t, err, hotelrates.ErrUnauthorized)
	resp, m := e.get(t, cred.Secret, validQuery(code))
	if _, c, _, _ := apiErr(t, m); resp.StatusCode != 401 || c != CodeInvalidToken {
		t.Errorf("revoked token again: status %d %v", resp.StatusCode, m)
	}
	our, _ := sandbox.HotelOf(sandbox.Amadeus, code)
	got, err := e.fetch(context.Background(), e.token(t), testStay, code)
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0].Offers, sandbox.Offers(sandbox.Amadeus, our, testStay)) {
		t.Errorf("new token: %v, %v", got, err)
	}
}

// TestClientAgainstBadVendor checks that the client validates answers and
// maps each status.
func TestClientAgainstBadVendor(t *testing.T) {
	const h1, h2 = "HRPAR001", "HRNYC002"
	offer := func(extra string) string {
		return `{"id":"A1","rateCode":"BAR","checkInDate":"2027-03-10","checkOutDate":"2027-03-12","room":{"type":"D1K","description":{"text":"Deluxe  King\n"}},` +
			`"boardType":"BREAKFAST","guests":{"adults":2},"price":{"currency":"EUR","total":"245.10"}` + extra + `}`
	}
	refundable := `,"policies":{"cancellations":[{"deadline":"2027-03-08T18:00:00+01:00"},{"deadline":"2027-03-07T12:00:00-05:00"}],"refundable":{"cancellationRefund":"REFUNDABLE_UP_TO_DEADLINE"}}`
	good := hotelrates.Offer{Vendor: "amadeus", Room: "Deluxe King", Board: "BB", Total: hotelrates.Money{Minor: 24510, Currency: "EUR"}}
	goodRefundable := good
	goodRefundable.Refundable, goodRefundable.CancelDeadline = true, time.Date(2027, 3, 7, 17, 0, 0, 0, time.UTC)
	one := func(offers ...string) string {
		return `{"data":[{"type":"hotel-offers","hotel":{"hotelId":"` + h1 + `"},"available":true,"offers":[` + strings.Join(offers, ",") + `]}]}`
	}
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		kind   hotelrates.ErrorKind // -1: success
		want   []hotelrates.Offer
		retry  time.Duration
	}{
		{"good", 200, nil, one(offer("")), -1, []hotelrates.Offer{good}, 0},
		{"refundable, earliest deadline", 200, nil, one(offer(refundable)), -1, []hotelrates.Offer{goodRefundable}, 0},
		{"refundable without deadline", 200, nil, one(offer(`,"policies":{"refundable":{"cancellationRefund":"REFUNDABLE_UP_TO_DEADLINE"}}`)), -1,
			[]hotelrates.Offer{func() hotelrates.Offer { o := good; o.Refundable = true; return o }()}, 0},
		{"deadline without refundable", 200, nil, one(offer(`,"policies":{"cancellations":[{"deadline":"2027-03-08T18:00:00+01:00"}]}`)), -1, []hotelrates.Offer{good}, 0},
		{"non-refundable keeps no deadline", 200, nil, one(offer(`,"policies":{"cancellations":[{"deadline":"2027-03-08T18:00:00Z"}],"refundable":{"cancellationRefund":"NON_REFUNDABLE"}}`)), -1, []hotelrates.Offer{good}, 0},
		{"other board verbatim", 200, nil, one(strings.Replace(offer(""), "BREAKFAST", "CONTINENTAL_BREAKFAST", 1)), -1,
			[]hotelrates.Offer{func() hotelrates.Offer { o := good; o.Board = "CONTINENTAL_BREAKFAST"; return o }()}, 0},
		{"room from category", 200, nil, one(strings.Replace(offer(""), `"description":{"text":"Deluxe  King\n"}`, `"typeEstimated":{"category":"DELUXE_ROOM"}`, 1)), -1,
			[]hotelrates.Offer{func() hotelrates.Offer { o := good; o.Room = "DELUXE_ROOM"; return o }()}, 0},
		{"data as one object (the schema's)", 200, nil, `{"data":{"type":"hotel-offers","hotel":{"hotelId":"` + h1 + `"},"offers":[` + offer("") + `]}}`, -1, []hotelrates.Offer{good}, 0},
		{"closed hotel", 200, nil, `{"data":[{"hotel":{"hotelId":"` + h1 + `"},"available":false,"offers":[` + offer("") + `]}]}`, -1, nil, 0},
		{"empty data", 200, nil, `{"data":[]}`, -1, nil, 0},
		{"extra fields tolerated", 200, nil, `{"data":[],"meta":{"x":1},"warnings":[{"code":1}]}`, -1, nil, 0},
		{"no rooms 3664", 400, nil, `{"errors":[{"status":400,"code":3664,"title":"NO ROOMS AVAILABLE AT REQUESTED PROPERTY"}]}`, -1, nil, 0},
		{"no rooms as strings", 400, nil, `{"errors":[{"status":"400","code":"3664"}]}`, -1, nil, 0},
		{"3664 and another error", 400, nil, `{"errors":[{"code":3664},{"code":392}]}`, hotelrates.ErrRejected, nil, 0},
		{"other 400", 400, nil, `{"errors":[{"status":400,"code":392,"title":"INVALID HOTEL CODE"}]}`, hotelrates.ErrRejected, nil, 0},
		{"no data", 200, nil, `{"errors":[]}`, hotelrates.ErrBadResponse, nil, 0},
		{"null data", 200, nil, `{"data":null}`, hotelrates.ErrBadResponse, nil, 0},
		{"hotel not asked", 200, nil, strings.Replace(one(offer("")), h1, "HRLON009", 1), hotelrates.ErrBadResponse, nil, 0},
		{"hotel twice", 200, nil, `{"data":[{"hotel":{"hotelId":"` + h1 + `"}},{"hotel":{"hotelId":"` + h1 + `"}}]}`, hotelrates.ErrBadResponse, nil, 0},
		{"float price", 200, nil, one(strings.Replace(offer(""), `"total":"245.10"`, `"total":245.1`, 1)), hotelrates.ErrBadResponse, nil, 0},
		{"three decimals", 200, nil, one(strings.Replace(offer(""), `245.10`, `245.101`, 1)), hotelrates.ErrBadResponse, nil, 0},
		{"negative price", 200, nil, one(strings.Replace(offer(""), `245.10`, `-1.00`, 1)), hotelrates.ErrBadResponse, nil, 0},
		{"no currency", 200, nil, one(strings.Replace(offer(""), `"currency":"EUR",`, ``, 1)), hotelrates.ErrBadResponse, nil, 0},
		{"no room", 200, nil, one(strings.Replace(offer(""), `"type":"D1K","description":{"text":"Deluxe  King\n"}`, ``, 1)), hotelrates.ErrBadResponse, nil, 0},
		{"other dates", 200, nil, one(strings.Replace(offer(""), `2027-03-12`, `2027-03-13`, 1)), hotelrates.ErrBadResponse, nil, 0},
		{"other adults", 200, nil, one(strings.Replace(offer(""), `"adults":2`, `"adults":1`, 1)), hotelrates.ErrBadResponse, nil, 0},
		{"deadline without offset", 200, nil, one(offer(strings.Replace(refundable, "+01:00", "", 1))), hotelrates.ErrBadResponse, nil, 0},
		{"not json", 200, nil, `<html>`, hotelrates.ErrBadResponse, nil, 0},
		{"204", 204, nil, ``, hotelrates.ErrBadResponse, nil, 0},
		{"401", 401, nil, `{"errors":[{"status":401,"code":38190,"title":"Invalid access token"}]}`, hotelrates.ErrUnauthorized, nil, 0},
		{"403", 403, nil, `{"errors":[{"status":403}]}`, hotelrates.ErrUnauthorized, nil, 0},
		{"404 html", 404, nil, `<html>`, hotelrates.ErrRejected, nil, 0},
		{"429 with Retry-After", 429, hdr("Retry-After", "2"), `{"errors":[{"code":"38194","status":"429"}]}`, hotelrates.ErrThrottled, nil, 2 * time.Second},
		{"429 without", 429, nil, ``, hotelrates.ErrThrottled, nil, DefaultRetryAfter},
		{"500", 500, nil, `{"errors":[{"status":500,"code":141,"title":"SYSTEM ERROR HAS OCCURRED"}]}`, hotelrates.ErrUnavailable, nil, 0},
		{"502", 502, nil, `bad gateway`, hotelrates.ErrUnavailable, nil, 0},
		{"body over 8 MiB", 200, nil, `{"data":[` + strings.Repeat(" ", 8<<20) + `]}`, hotelrates.ErrBadResponse, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", ContentType)
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c := New(Config{BaseURL: srv.URL})
			got, err := c.Fetch(context.Background(), srv.Client(), hotelrates.Credential{Secret: "t"}, hotelrates.Query{Stay: testStay, HotelIDs: []string{h1, h2}})
			if tt.kind < 0 {
				if err != nil {
					t.Fatal(err)
				}
				var offers []hotelrates.Offer
				if len(got) == 1 && got[0].HotelID == h1 {
					offers = got[0].Offers
				} else if len(got) != 0 {
					t.Fatalf("got %+v", got)
				}
				if !reflect.DeepEqual(offers, tt.want) {
					t.Errorf("got %+v\nwant %+v", offers, tt.want)
				}
				return
			}
			ve := wantKind(t, err, tt.kind)
			if ve.RetryAfter != tt.retry {
				t.Errorf("RetryAfter %v, want %v", ve.RetryAfter, tt.retry)
			}
		})
	}
}

// TestChildrenNotPriced: when children are asked and an offer does not
// echo their ages, the answer cannot be trusted to price them: the call
// is ErrRejected (a real host that ignores childAges fails loudly rather
// than returning adults-only prices).
func TestChildrenNotPriced(t *testing.T) {
	body := `{"data":[{"hotel":{"hotelId":"HRPAR001"},"offers":[{"id":"A","rateCode":"BAR","room":{"description":{"text":"R"}},"guests":{"adults":2%s},"price":{"currency":"USD","total":"1.00"}}]}]}`
	stay := testStay
	stay.Children = []int{4, 9}
	for _, tt := range []struct {
		name, ages string
		kind       hotelrates.ErrorKind
	}{
		{"no childAges", ``, hotelrates.ErrRejected},
		{"other ages", `,"childAges":[4,10]`, hotelrates.ErrBadResponse},
		{"same ages", `,"childAges":[9,4]`, -1},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, body, tt.ages)
		}))
		c := New(Config{BaseURL: srv.URL})
		got, err := c.Fetch(context.Background(), srv.Client(), hotelrates.Credential{Secret: "t"}, hotelrates.Query{Stay: stay, HotelIDs: []string{"HRPAR001"}})
		srv.Close()
		if tt.kind < 0 {
			if err != nil || len(got) != 1 {
				t.Errorf("%s: %v, %v", tt.name, got, err)
			}
			continue
		}
		if ve := wantKind(t, err, tt.kind); tt.kind == hotelrates.ErrRejected && !strings.Contains(ve.Error(), "children") {
			t.Errorf("%s: error %v", tt.name, err)
		}
	}
}

// TestErrorsHoldNoSecret: a vendor's error text that echoes the bearer
// token, the client id or secret, or its own URL does not carry them into
// our errors (logs, vendors[].error); neither do connection errors.
func TestErrorsHoldNoSecret(t *testing.T) {
	const token, id, secret = "tok0123456789abcdefABCDEF", "client-id-abcdef", "client-secret-xyz"
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"errors":[{"status":400,"code":477,"title":"INVALID FORMAT","detail":"header [%s] id %s secret %s at %s%s refused"}]}`,
			r.Header.Get("Authorization"), id, secret, srv.URL, r.URL.RequestURI())
	}))
	defer srv.Close()
	c := New(Config{BaseURL: srv.URL, ClientID: id, ClientSecret: secret})
	_, err := c.Fetch(context.Background(), srv.Client(), hotelrates.Credential{Secret: token}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"HRPAR001"}})
	wantKind(t, err, hotelrates.ErrRejected)
	host := strings.TrimPrefix(srv.URL, "http://")
	check := func(what string, err error) {
		t.Helper()
		msg := err.Error()
		for _, s := range []string{token, id, secret, host, "127.0.0.1"} {
			if strings.Contains(msg, s) {
				t.Errorf("%s error %q holds %q", what, msg, s)
			}
		}
	}
	check("Fetch", err)
	if !strings.Contains(err.Error(), "477 INVALID FORMAT") {
		t.Errorf("error %q does not name the vendor's code", err)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	c = New(Config{BaseURL: closedURL, ClientID: id, ClientSecret: secret})
	host = strings.TrimPrefix(closedURL, "http://")
	_, err = c.Fetch(context.Background(), http.DefaultClient, hotelrates.Credential{Secret: token}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"HRPAR001"}})
	wantKind(t, err, hotelrates.ErrUnavailable)
	check("Fetch transport", err)
	_, err = c.Authenticate(context.Background(), http.DefaultClient)
	wantKind(t, err, hotelrates.ErrUnavailable)
	check("Authenticate transport", err)
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %q does not say why", err)
	}
}

func TestMethodAndPath(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		method, path string
		status, code int
	}{
		{"POST", OffersPath, 405, 0},
		{"DELETE", OffersPath, 405, 0},
		{"GET", TokenPath, 405, 0},
		{"GET", "/", 404, CodeResourceNotFound},
		{"GET", OffersPath + "/TSXOJ6LFQ2", 404, CodeResourceNotFound},
		{"GET", "/v2/shopping/hotel-offers", 404, CodeResourceNotFound},
		{"POST", "/v1/security/oauth2/token/x", 404, CodeResourceNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, m := e.do(t, tt.method, tt.path, nil, "")
			status, code, title, _ := apiErr(t, m)
			if resp.StatusCode != tt.status || status != tt.status || code != tt.code || title == "" {
				t.Fatalf("status %d %v, want %d code %d", resp.StatusCode, m, tt.status, tt.code)
			}
			if tt.status == 405 && resp.Header.Get("Allow") == "" {
				t.Error("no Allow header")
			}
			if ct := resp.Header.Get("Content-Type"); ct != ContentType {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestStats(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.token(t)                                                                       // 200, 1 grant
	e.do(t, "POST", TokenPath, hdr("Content-Type", formCT), "grant_type=client_credentials") // 401
	with := codeOf(findHotel(t, 1, testStay, func(c bool, o []hotelrates.Offer) bool { return o != nil }))
	if _, err := e.fetch(context.Background(), cred, testStay, with, codeOf(7), with); err != nil { // 200, 2 hotels
		t.Fatal(err)
	}
	if _, err := e.fetch(context.Background(), cred, testStay, codeOf(7)); err != nil { // 400 3664, 1 hotel
		t.Fatal(err)
	}
	e.get(t, cred.Secret, "hotelIds=x")                                                            // 400, 0 hotels
	e.get(t, cred.Secret, validQuery(with)+"&adults=3")                                            // 400 repeated, 0 hotels
	e.get(t, cred.Secret, strings.Replace(validQuery(with, codeOf(2)), "adults=2", "adults=0", 1)) // 400, 2 hotels
	e.get(t, "", validQuery(with))                                                                 // 401, 1 hotel
	e.do(t, "POST", OffersPath, nil, "")                                                           // 405, not a rate call
	e.do(t, "GET", "/nothing", nil, "")                                                            // 404
	s := e.b.Stats()
	want := map[string]int64{"200": 2, "401": 2, "400": 4, "405": 1, "404": 1}
	if !reflect.DeepEqual(s.Status, want) {
		t.Errorf("status %v, want %v", s.Status, want)
	}
	if s.Requests != 10 || s.RateCalls != 6 || s.Hotels != 6 || s.AuthGrants != 1 || s.Throttled != 0 {
		t.Errorf("requests %d (10), rate_calls %d (6), hotels %d (6), auth_grants %d (1), throttled %d (0)",
			s.Requests, s.RateCalls, s.Hotels, s.AuthGrants, s.Throttled)
	}
}
