package hotelbeds

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// fakeVendor serves h over real HTTP and returns its URL: answers the
// sandbox never gives.
func fakeVendor(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestFaults(t *testing.T) {
	var codes []string
	for n := 1; n <= 40; n++ {
		codes = append(codes, codeOf(n))
	}
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
		{"revoke", func(f *sandbox.Faults) { f.Revoke = 1 }, "revoke", hotelrates.ErrUnauthorized, 403, false, 0},
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
			got, err := e.client.Fetch(ctx, e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: codes})
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				sameOffers(t, got, groundTruth(codes, testStay))
			} else {
				k, ve := kindOf(t, err)
				if k != tc.kind || ve.Status != tc.status {
					t.Fatalf("got %v, want %s with status %d", err, tc.kind, tc.status)
				}
				switch tc.name {
				case "503":
					if ve.RetryAfter != time.Second {
						t.Fatalf("503 retry after %v, want 1s", ve.RetryAfter)
					}
				case "500":
					if !strings.Contains(err.Error(), CodeSystemError) {
						t.Fatalf("500: %v", err)
					}
				case "hang":
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Fatalf("hang: %v is not a deadline", err)
					}
				case "revoke":
					if !strings.Contains(err.Error(), MasheryNotAuthorized) {
						t.Fatalf("revoke: %v", err)
					}
				}
			}
			if s := e.b.Stats(); s.Faults[tc.fault] != 1 {
				t.Fatalf("faults %v", s.Faults)
			}
			if tc.name == "revoke" {
				checkGateway(t, e.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126}, testStay), nil), MasheryNotAuthorized)
			}
			if tc.name == "malformed" {
				// Without gzip the JSON itself is broken.
				a := e.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126, 1129}, testStay), map[string]string{"Accept-Encoding": "identity"})
				if a.status != 200 || a.header.Get("Content-Encoding") != "" || !bytes.Contains(a.body, []byte("#garbage")) {
					t.Fatalf("malformed without gzip: %d %q", a.status, a.body)
				}
				if _, err := decodeAnswer("hotelbeds", a.body, []string{"1126", "1129"}, []int64{1126, 1129}, testStay); err == nil {
					t.Fatal("a malformed body parses")
				}
			}
		})
	}
}

// TestGzipTruncated: a complete HTTP body holding a gzip stream cut short
// is ErrBadResponse, as is a body cut short by the connection.
func TestGzipTruncated(t *testing.T) {
	e := newEnv(t, testConfig(), nil)
	full := gzipped([]byte(`{"hotels":{"total":0}}`))
	a := e.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126, 1129, 1132}, testStay), nil)
	good := gzipped(a.body)
	tests := []struct {
		name string
		body []byte
	}{
		{"half a stream", good[:len(good)/2]},
		{"no trailer", good[:len(good)-4]},
		{"header only", good[:10]},
		{"tiny answer cut", full[:len(full)-1]},
		{"not gzip", []byte(`{"hotels":{"total":0}}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := fakeVendor(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(tc.body)
			})
			c := New(Config{BaseURL: url, APIKey: testKey, Secret: testSecret})
			_, err := c.Fetch(context.Background(), http.DefaultClient, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"1126"}})
			if k, ve := kindOf(t, err); k != hotelrates.ErrBadResponse || ve.Status != 200 || !strings.Contains(err.Error(), "gzip") {
				t.Fatalf("got %v, want a bad gzip response", err)
			}
		})
	}
	// Cut by the connection, with Content-Length promising more.
	url := fakeVendor(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", "100000")
		w.Write(good[:len(good)/2])
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	})
	c := New(Config{BaseURL: url, APIKey: testKey, Secret: testSecret})
	_, err := c.Fetch(context.Background(), http.DefaultClient, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"1126"}})
	if k, _ := kindOf(t, err); k != hotelrates.ErrBadResponse {
		t.Fatalf("got %v, want bad response", err)
	}
	if strings.Contains(err.Error(), strings.TrimPrefix(url, "http://")) {
		t.Fatalf("error %q names the vendor's host", err)
	}
}

// rateJSON is one rate of a fake answer.
func rateJSON(class, rtype, pay, net, extra string) string {
	return `{"rateKey":"k","rateClass":"` + class + `","rateType":"` + rtype + `","net":` + net +
		`,"allotment":3,"paymentType":"` + pay + `","boardCode":"BB","boardName":"BED AND BREAKFAST","rooms":1,"adults":2,"children":0` + extra + `}`
}

// answerJSON is a fake 200 answer: hotel 1126 in currency with one room of rates.
func answerJSON(currency string, rates ...string) string {
	return `{"auditData":{"processTime":"3"},"hotels":{"checkIn":"2027-03-10","checkOut":"2027-03-13","total":1,"hotels":[` +
		`{"code":1126,"name":"H","currency":"` + currency + `","minRate":"1.00","maxRate":"2.00","rooms":[{"code":"DBL.ST","name":"Standard Double","rates":[` +
		strings.Join(rates, ",") + `]}]}]}}`
}

const policy = `,"cancellationPolicies":[{"amount":"10.00","from":"2027-03-08T23:59:00+01:00"}]`

func TestParseAnswer(t *testing.T) {
	deadline := time.Date(2027, 3, 8, 22, 59, 0, 0, time.UTC)
	type want struct {
		total      int64
		refundable bool
		deadline   time.Time
		room       string
	}
	tests := []struct {
		name   string
		body   string
		offers []want // nil with bad: an error
		bad    bool
	}{
		{"NOR with a policy", answerJSON("EUR", rateJSON("NOR", "BOOKABLE", "AT_WEB", `"698.64"`, policy)), []want{{69864, true, deadline, "Standard Double"}}, false},
		{"NRF", answerJSON("EUR", rateJSON("NRF", "BOOKABLE", "AT_WEB", `"698.64"`, policy)), []want{{69864, false, time.Time{}, ""}}, false},
		{"unknown rateClass is not refundable", answerJSON("EUR", rateJSON("SPE", "BOOKABLE", "AT_WEB", `"1.50"`, policy)), []want{{150, false, time.Time{}, ""}}, false},
		{"unknown rateType and paymentType are kept", answerJSON("GBP", rateJSON("NOR", "PACKAGE", "AT_MOON", `"2"`, policy)), []want{{200, true, deadline, ""}}, false},
		{"RECHECK and AT_HOTEL", answerJSON("USD", rateJSON("NRF", "RECHECK", "AT_HOTEL", `"3.10"`, "")), []want{{310, false, time.Time{}, ""}}, false},
		{"the earliest policy is the deadline", answerJSON("EUR", rateJSON("NOR", "BOOKABLE", "AT_WEB", `"5.00"`,
			`,"cancellationPolicies":[{"amount":"9.00","from":"2027-03-09T10:00:00+01:00"},{"amount":"5.00","from":"2027-03-08T23:59:00+01:00"}]`)),
			[]want{{500, true, deadline, ""}}, false},
		{"NOR without policies", answerJSON("EUR", rateJSON("NOR", "BOOKABLE", "AT_WEB", `"5.00"`, "")), []want{{500, true, time.Time{}, ""}}, false},
		{"money as a JSON number, exactly", answerJSON("EUR", rateJSON("NRF", "BOOKABLE", "AT_WEB", `698.64`, "")), []want{{69864, false, time.Time{}, ""}}, false},
		{"a rate for another number of rooms is left out", answerJSON("EUR", rateJSON("NRF", "BOOKABLE", "AT_WEB", `"1.00"`, `,"rooms":2`), rateJSON("NRF", "BOOKABLE", "AT_WEB", `"2.00"`, "")), []want{{200, false, time.Time{}, ""}}, false},
		{"unknown fields", strings.Replace(answerJSON("EUR", rateJSON("NRF", "BOOKABLE", "AT_WEB", `"1.00"`, `,"taxes":{"allIncluded":true},"promotions":[{"code":"X"}],"dailyRates":[]`)), `"total":1`, `"total":1,"x":{"y":[1]}`, 1), []want{{100, false, time.Time{}, ""}}, false},
		{"a room without a name is known by its code", strings.Replace(answerJSON("EUR", rateJSON("NRF", "BOOKABLE", "AT_WEB", `"1.00"`, "")), `"name":"Standard Double"`, `"name":""`, 1), []want{{100, false, time.Time{}, "DBL.ST"}}, false},
		{"nothing available", `{"auditData":{},"hotels":{"total":0}}`, []want{}, false},
		{"a hotel without rooms", `{"hotels":{"total":1,"hotels":[{"code":1129,"currency":"EUR","rooms":[]}]}}`, []want{}, false},
		{"three decimals", answerJSON("EUR", rateJSON("NRF", "BOOKABLE", "AT_WEB", `"698.645"`, "")), nil, true},
		{"an exponent", answerJSON("EUR", rateJSON("NRF", "BOOKABLE", "AT_WEB", `6.9e2`, "")), nil, true},
		{"not an amount", answerJSON("EUR", rateJSON("NRF", "BOOKABLE", "AT_WEB", `"abc"`, "")), nil, true},
		{"amount a boolean", answerJSON("EUR", rateJSON("NRF", "BOOKABLE", "AT_WEB", `true`, "")), nil, true},
		{"negative", answerJSON("EUR", rateJSON("NRF", "BOOKABLE", "AT_WEB", `"-1.00"`, "")), nil, true},
		{"no net", answerJSON("EUR", rateJSON("NRF", "BOOKABLE", "AT_WEB", `null`, "")), nil, true},
		{"bad currency", answerJSON("eur", rateJSON("NRF", "BOOKABLE", "AT_WEB", `"1.00"`, "")), nil, true},
		{"bad policy time", answerJSON("EUR", rateJSON("NOR", "BOOKABLE", "AT_WEB", `"1.00"`, `,"cancellationPolicies":[{"amount":"1","from":"tomorrow"}]`)), nil, true},
		{"no board", strings.Replace(answerJSON("EUR", rateJSON("NRF", "BOOKABLE", "AT_WEB", `"1.00"`, "")), `"boardCode":"BB"`, `"boardCode":""`, 1), nil, true},
		{"not asked", strings.Replace(answerJSON("EUR", rateJSON("NRF", "BOOKABLE", "AT_WEB", `"1.00"`, "")), `"code":1126`, `"code":1127`, 1), nil, true},
		{"listed twice", `{"hotels":{"total":2,"hotels":[{"code":1126,"currency":"EUR","rooms":[]},{"code":1126,"currency":"EUR","rooms":[]}]}}`, nil, true},
		{"code a string", `{"hotels":{"total":1,"hotels":[{"code":"1126","currency":"EUR","rooms":[]}]}}`, nil, true},
		{"no hotels object", `{"auditData":{}}`, nil, true},
		{"an error in a 200", `{"auditData":{},"error":{"code":"SYSTEM_ERROR","message":"x"}}`, nil, true},
		{"not JSON", `<html>hi</html>`, nil, true},
		{"empty", ``, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeAnswer("hotelbeds", []byte(tc.body), []string{"1126", "1129"}, []int64{1126, 1129}, testStay)
			if tc.bad {
				if k, ve := kindOf(t, err); k != hotelrates.ErrBadResponse || ve.Status != 200 {
					t.Fatalf("got %v, want bad response", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var offers []hotelrates.Offer
			for _, h := range got {
				if h.HotelID != "1126" {
					t.Fatalf("hotel %q", h.HotelID)
				}
				offers = append(offers, h.Offers...)
			}
			if len(offers) != len(tc.offers) {
				t.Fatalf("got %d offers %+v, want %d", len(offers), offers, len(tc.offers))
			}
			for i, w := range tc.offers {
				o := offers[i]
				room := w.room
				if room == "" {
					room = "Standard Double"
				}
				if o.Total.Minor != w.total || o.Refundable != w.refundable || !o.CancelDeadline.Equal(w.deadline) || o.Room != room || o.Board != "BB" || o.Vendor != "hotelbeds" {
					t.Fatalf("offer %+v, want %+v", o, w)
				}
				if !o.CancelDeadline.IsZero() && o.CancelDeadline.Location() != time.UTC {
					t.Fatal("the deadline is not in UTC")
				}
			}
		})
	}
}

// TestErrorAnswers: how the client reads each failed answer, gateway's
// and API's, and that no error carries a credential or the vendor's host.
func TestErrorAnswers(t *testing.T) {
	var (
		mu     sync.Mutex
		status int
		header map[string]string
		body   []byte
		seen   http.Header
	)
	url := fakeVendor(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = r.Header.Clone()
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		w.Write(body)
	})
	const secret = "very-secret-value"
	const key = "key-abcdef"
	now := time.Date(2027, 1, 5, 22, 0, 0, 0, time.UTC)
	sig := Signature(key, secret, now.Unix())
	c := New(Config{BaseURL: url, APIKey: key, Secret: secret, Now: func() time.Time { return now }})
	xml := "text/xml"
	jsn := "application/json;charset=UTF-8"
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		gzip   bool
		kind   hotelrates.ErrorKind
		retry  time.Duration
		msg    string
	}{
		{"over QPS", 403, map[string]string{"Content-Type": xml, MasheryErrorCodeHeader: MasheryOverQPS, ErrorDetailHeader: "Account Over Queries Per Second Limit", "Retry-After": "3"}, "<h1>Developer Over Qps</h1>", false, hotelrates.ErrThrottled, 3 * time.Second, "OVER_QPS"},
		{"over QPS without Retry-After", 403, map[string]string{"Content-Type": xml, MasheryErrorCodeHeader: MasheryOverQPS}, "<h1>Developer Over Qps</h1>", false, hotelrates.ErrThrottled, time.Second, "Over Qps"},
		{"over rate", 403, map[string]string{"Content-Type": xml, MasheryErrorCodeHeader: MasheryOverRate, "Retry-After": "120"}, "<h1>Developer Over Rate</h1>", false, hotelrates.ErrQuota, 2 * time.Minute, "OVER_RATE"},
		{"over rate without Retry-After", 403, map[string]string{"Content-Type": xml, MasheryErrorCodeHeader: MasheryOverRate}, "", false, hotelrates.ErrQuota, 2 * time.Hour, "OVER_RATE"},
		{"XML body without the header: QPS", 403, map[string]string{"Content-Type": xml}, "<h1>Developer Over Qps</h1>", false, hotelrates.ErrThrottled, time.Second, "Over Qps"},
		{"XML body without the header: quota", 403, map[string]string{"Content-Type": "text/xml; charset=utf-8"}, `<?xml version="1.0"?><h1>Developer Over Rate</h1>`, false, hotelrates.ErrQuota, 2 * time.Hour, "Over Rate"},
		{"not authorized", 403, map[string]string{"Content-Type": xml, MasheryErrorCodeHeader: MasheryNotAuthorized, ErrorDetailHeader: "Not Authorized"}, "<h1>Not Authorized</h1>", false, hotelrates.ErrUnauthorized, 0, "NOT_AUTHORIZED"},
		{"401 XML not authorized", 401, map[string]string{"Content-Type": xml}, "<h1>Not Authorized</h1>", false, hotelrates.ErrUnauthorized, 0, "Not Authorized"},
		{"developer inactive", 403, map[string]string{"Content-Type": xml, MasheryErrorCodeHeader: MasheryDeveloperInactive}, "<h1>Developer Inactive</h1>", false, hotelrates.ErrUnauthorized, 0, "INACTIVE"},
		{"unknown gateway code", 403, map[string]string{"Content-Type": xml, MasheryErrorCodeHeader: "ERR_403_SOMETHING_NEW"}, "<h1>Something</h1>", false, hotelrates.ErrUnauthorized, 0, "SOMETHING_NEW"},
		{"gateway 5xx", 596, map[string]string{"Content-Type": xml, MasheryErrorCodeHeader: "ERR_596_SERVICE_NOT_FOUND"}, "<h1>Service Not Found</h1>", false, hotelrates.ErrUnavailable, 0, "ERR_596"},
		{"JSON 403", 403, map[string]string{"Content-Type": jsn}, `{"error":{"code":"FORBIDDEN","message":"no"}}`, false, hotelrates.ErrUnauthorized, 0, "FORBIDDEN"},
		{"400 INVALID_DATA", 400, map[string]string{"Content-Type": jsn}, `{"auditData":{},"error":{"code":"INVALID_DATA","message":"The check-in date is wrong"}}`, false, hotelrates.ErrRejected, 0, "INVALID_DATA: The check-in"},
		{"400 gzipped", 400, map[string]string{"Content-Type": jsn, "Content-Encoding": "gzip"}, `{"error":{"code":"INVALID_REQUEST","message":"bad"}}`, true, hotelrates.ErrRejected, 0, "INVALID_REQUEST: bad"},
		{"410 repeated", 410, map[string]string{"Content-Type": jsn}, `{"error":{"code":"INVALID_DATA","message":"repeated"}}`, false, hotelrates.ErrRejected, 0, "repeated"},
		{"500 SYSTEM_ERROR", 500, map[string]string{"Content-Type": jsn}, `{"error":{"code":"SYSTEM_ERROR","message":"SYSTEM_ERROR-1A2B"}}`, false, hotelrates.ErrUnavailable, 0, "SYSTEM_ERROR"},
		{"503 with Retry-After", 503, map[string]string{"Content-Type": jsn, "Retry-After": "2"}, `{"error":{"code":"SYSTEM_ERROR","message":"down"}}`, false, hotelrates.ErrUnavailable, 2 * time.Second, "down"},
		{"502 HTML", 502, map[string]string{"Content-Type": "text/html"}, `<html>bad gateway</html>`, false, hotelrates.ErrUnavailable, 0, ""},
		{"429", 429, map[string]string{"Retry-After": "4"}, ``, false, hotelrates.ErrThrottled, 4 * time.Second, ""},
		{"400 echoing the credentials", 400, map[string]string{"Content-Type": jsn}, `{"error":{"code":"INVALID_DATA","message":"key ` + key + ` secret ` + secret + ` signature ` + sig + `"}}`, false, hotelrates.ErrRejected, 0, "INVALID_DATA"},
		{"gateway detail echoing the signature", 403, map[string]string{"Content-Type": xml, MasheryErrorCodeHeader: MasheryNotAuthorized, ErrorDetailHeader: "bad " + sig}, "", false, hotelrates.ErrUnauthorized, 0, "NOT_AUTHORIZED"},
		{"long message", 400, map[string]string{"Content-Type": jsn}, `{"error":{"code":"INVALID_DATA","message":"` + strings.Repeat("x", 5000) + `"}}`, false, hotelrates.ErrRejected, 0, "INVALID_DATA"},
		{"204", 204, nil, ``, false, hotelrates.ErrBadResponse, 0, "success status"},
		{"200 with brotli", 200, map[string]string{"Content-Encoding": "br"}, `x`, false, hotelrates.ErrBadResponse, 0, "Content-Encoding"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			status, header, body = tc.status, tc.header, []byte(tc.body)
			if tc.gzip {
				body = gzipped(body)
			}
			mu.Unlock()
			_, err := c.Fetch(context.Background(), http.DefaultClient, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"1126"}})
			k, ve := kindOf(t, err)
			if k != tc.kind || ve.Status != tc.status || ve.RetryAfter != tc.retry || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v (kind %s, retry after %v), want %s after %v with %q", err, k, ve.RetryAfter, tc.kind, tc.retry, tc.msg)
			}
			for _, s := range []string{key, secret, sig, strings.TrimPrefix(url, "http://")} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error %q reveals %q", err, s)
				}
			}
			if ve.Err != nil && len(ve.Err.Error()) > maxMessage+3 {
				t.Fatalf("message of %d bytes", len(ve.Err.Error()))
			}
		})
	}
	// The request the client sent.
	mu.Lock()
	defer mu.Unlock()
	if seen.Get(APIKeyHeader) != key || seen.Get(SignatureHeader) != sig || seen.Get("Accept-Encoding") != "gzip" {
		t.Fatalf("request headers %v", seen)
	}
}

// TestTransportErrors: a connection failure is ErrUnavailable, and its
// message names neither the vendor's host nor a credential.
func TestTransportErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := New(Config{BaseURL: "http://" + addr, APIKey: "key-abcdef", Secret: "secret-abcdef"})
	_, err = c.Fetch(context.Background(), http.DefaultClient, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"1126"}})
	k, _ := kindOf(t, err)
	if k != hotelrates.ErrUnavailable {
		t.Fatalf("got %v", err)
	}
	_, port, _ := net.SplitHostPort(addr)
	for _, s := range []string{addr, "127.0.0.1", port, "key-abcdef", "secret-abcdef"} {
		if strings.Contains(err.Error(), s) {
			t.Fatalf("error %q reveals %q", err, s)
		}
	}
	if _, ok := errors.AsType[*net.OpError](err); !ok {
		t.Fatal("the cause is lost")
	}
	// A timeout keeps context.DeadlineExceeded reachable.
	e := newEnv(t, func() sandbox.VendorConfig { cfg := testConfig(); cfg.Faults.Hang = 1; return cfg }(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = e.client.Fetch(ctx, e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"1126"}})
	if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), strings.TrimPrefix(e.srv.URL, "http://")) {
		t.Fatalf("timeout: %v", err)
	}
}
