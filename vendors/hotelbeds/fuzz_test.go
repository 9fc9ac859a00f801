package hotelbeds

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// FuzzAvailabilityRequest feeds raw bodies and headers through the server
// (faults, quota and rate limit off): it never panics or answers 500; a
// 200 is an AvailabilityRS, the API's refusals are its JSON errors and the
// gateway's its tiny XML answers.
func FuzzAvailabilityRequest(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	cfg := testConfig()
	cfg.Latency = sandbox.Latency{Jitter: "none"}
	cfg.QueueLimit = 1 << 20
	done := make(chan struct{})
	f.Cleanup(func() { close(done) })
	b := sandbox.NewBackend(sandbox.Hotelbeds, cfg, 1, done)
	h := b.Count(http.StripPrefix("/hotelbeds", HandlerWithClock(b, func() time.Time { return now })))

	sig := Signature(testKey, testSecret, now.Unix())
	child := testStay
	child.Adults, child.Rooms, child.Children = 4, 2, []int{9, 4, 7}
	valid := reqBody([]int64{1126, 1129, 1003, 1}, testStay)
	for _, s := range []struct{ body, key, sig, ct string }{
		{valid, testKey, sig, "application/json"},
		{reqBody([]int64{1126}, child), testKey, sig, "application/json; charset=utf-8"},
		{valid, testKey, strings.ToUpper(sig), ""},
		{valid, testKey, "", "application/json"},
		{valid, "", sig, "application/json"},
		{valid, testKey, Signature(testKey, testSecret, now.Unix()-301), "application/json"},
		{valid, testKey, sig, "application/xml"},
		{"", testKey, sig, "application/json"},
		{"null", testKey, sig, ""},
		{"[]", testKey, sig, ""},
		{`{"stay":{"checkIn":"2027-03-10","checkOut":"2027-03-13"},"occupancies":[{"rooms":1,"adults":2,"children":1,"paxes":[{"roomId":1,"type":"CH","age":9}]}],"hotels":{"hotel":[1126]}}`, testKey, sig, ""},
		{`{"stay":{"checkIn":"2027-03-10","checkOut":"2027-03-13"},"occupancies":[{"rooms":2,"adults":1,"children":1,"paxes":[{"type":"CH","age":5},{"type":"CH","age":6}]}],"hotels":{"hotel":[1126,1126]}}`, testKey, sig, ""},
		{`{"stay":{"checkIn":"0001-01-01","checkOut":"9999-12-31"},"occupancies":[{"rooms":9,"adults":9,"children":6}],"hotels":{"hotel":[9223372036854775807]}}`, testKey, sig, ""},
		{`{"stay":{"checkIn":"2027-03-10","checkOut":"2027-03-13"},"occupancies":[{"rooms":1e400}],"hotels":{"hotel":[-1]}}`, testKey, sig, ""},
		{`{"stay":null,"occupancies":null,"hotels":null,"destination":{"code":"PMI"}}`, testKey, sig, ""},
		{`{"hotels":{"hotel":"1126"},"filter":{"maxHotels":1}}`, testKey, sig, ""},
		{valid + valid, testKey, sig, ""},
	} {
		f.Add([]byte(s.body), s.key, s.sig, s.ct)
	}
	f.Fuzz(func(t *testing.T, body []byte, key, signature, ctype string) {
		req := httptest.NewRequest(http.MethodPost, "/hotelbeds"+AvailabilityPath, strings.NewReader(string(body)))
		for k, v := range map[string]string{APIKeyHeader: key, SignatureHeader: signature, "Content-Type": ctype} {
			if v != "" && validHeader(v) {
				req.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK:
			var a availabilityRS
			if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.Hotels == nil || a.Hotels.Total != len(a.Hotels.Hotels) {
				t.Fatalf("200 body %q does not parse: %v", w.Body.Bytes(), err)
			}
		case http.StatusBadRequest, http.StatusGone, http.StatusUnsupportedMediaType, http.StatusNotAcceptable:
			var e errorRS
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("status %d body %q is not an API error", w.Code, w.Body.Bytes())
			}
		case http.StatusForbidden:
			if w.Header().Get("Content-Type") != "text/xml" || w.Header().Get(MasheryErrorCodeHeader) == "" || !strings.HasPrefix(w.Body.String(), "<h1>") {
				t.Fatalf("403 %v %q is not the gateway's", w.Header(), w.Body.Bytes())
			}
		default:
			t.Fatalf("status %d for body %q", w.Code, body)
		}
	})
}

// validHeader reports whether v may be sent as a header value.
func validHeader(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// FuzzParseAvailability feeds raw 200 answers to the client's decoder: it
// never panics, and either fails with ErrBadResponse or returns offers
// only for hotels asked, once each, with exact non-negative amounts.
func FuzzParseAvailability(f *testing.F) {
	ids := []string{"1126", "1129", "1132"}
	codes := []int64{1126, 1129, 1132}
	s := &server{b: sandbox.NewBackend(sandbox.Hotelbeds, testConfig(), 1, nil), now: func() time.Time { return time.Unix(1_800_000_000, 0) }}
	good, _ := json.Marshal(s.answer(query{stay: testStay, codes: codes}))
	for _, seed := range []string{
		string(good),
		answerJSON("EUR", rateJSON("NOR", "BOOKABLE", "AT_WEB", `"698.64"`, policy)),
		answerJSON("USD", rateJSON("XYZ", "WHATEVER", "AT_MOON", `698.64`, "")),
		answerJSON("GBP", rateJSON("NOR", "RECHECK", "AT_HOTEL", `"1"`, `,"cancellationPolicies":[{"amount":"1","from":"2027-03-08T23:59:00Z"},{"from":""}]`)),
		`{"auditData":{},"hotels":{"total":0}}`,
		`{"hotels":{"total":1,"hotels":[{"code":1126,"currency":"EUR","rooms":[{"name":"A","rates":[{"net":"1.00","boardCode":"RO","rooms":1}]}]}]}}`,
		`{"hotels":null}`,
		`{"error":{"code":"SYSTEM_ERROR"}}`,
		`[]`,
		``,
		string(good[:len(good)/2]),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := decodeAnswer("hotelbeds", body, ids, codes, testStay)
		if err != nil {
			if ve, ok := errors.AsType[*hotelrates.VendorError](err); !ok || ve.Kind != hotelrates.ErrBadResponse {
				t.Fatalf("error %v is not ErrBadResponse", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, h := range got {
			if seen[h.HotelID] || !strings.Contains("1126 1129 1132", h.HotelID) || len(h.Offers) == 0 {
				t.Fatalf("hotel %q answered wrongly in %+v", h.HotelID, got)
			}
			seen[h.HotelID] = true
			for _, o := range h.Offers {
				if o.Vendor != "hotelbeds" || o.Total.Minor < 0 || len(o.Total.Currency) != 3 || o.Room == "" || o.Board == "" || (!o.Refundable && !o.CancelDeadline.IsZero()) {
					t.Fatalf("offer %+v", o)
				}
			}
		}
	})
}

// answerTransport answers every request with one canned response, without
// a network.
type answerTransport struct {
	status int
	header http.Header
	body   []byte
}

func (a answerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: a.status, Status: http.StatusText(a.status), Request: req, Header: a.header.Clone(),
		Body: io.NopCloser(strings.NewReader(string(a.body))),
	}, nil
}

// FuzzErrorAnswer feeds failed answers (a status from 300 to 599, the
// gateway's headers, a JSON or XML body, gzipped or not) to the client: it
// never panics; the error is a *hotelrates.VendorError with the status,
// classified by the gateway code or the status; its message is bounded
// and carries neither the key, the secret nor the signature.
func FuzzErrorAnswer(f *testing.F) {
	now := time.Date(2027, 1, 5, 22, 0, 0, 0, time.UTC)
	sig := Signature(testKey, testSecret, now.Unix())
	for _, s := range []struct {
		status             int
		code, ctype, retry string
		body               string
		gz                 bool
	}{
		{403, MasheryOverQPS, "text/xml", "3", "<h1>Developer Over Qps</h1>", false},
		{403, MasheryOverRate, "text/xml", "", "<h1>Developer Over Rate</h1>", false},
		{403, MasheryNotAuthorized, "text/xml", "", "<h1>Not Authorized</h1>", false},
		{403, "", "text/xml", "", "<h1>Developer Over Rate</h1>", false},
		{401, "", "", "", `<?xml version="1.0" encoding="ISO-8859-1"?><error><h1>Not Authorized ` + sig + `</h1></error>`, false},
		{403, "", "text/xml", "", "<h1><h1><h1>&bogus;<![CDATA[x", false},
		{400, "", "application/json", "", `{"auditData":{},"error":{"code":"INVALID_DATA","message":"bad ` + testSecret + `"}}`, false},
		{400, "", "application/json", "", `{"error":{"code":"INVALID_REQUEST","message":"x"}}`, true},
		{410, "", "application/json", "", `{"error":{"code":"INVALID_DATA","message":"repeated"}}`, false},
		{500, "", "application/json", "", `{"error":{"code":"SYSTEM_ERROR","message":"SYSTEM_ERROR-1"}}`, false},
		{503, "", "", "1", ``, false},
		{429, "", "", "Wed, 21 Oct 2015 07:28:00 GMT", `x`, false},
		{596, "ERR_596_SERVICE_NOT_FOUND", "text/xml", "", "<h1>Service Not Found</h1>", false},
	} {
		f.Add(s.status, s.code, s.ctype, s.retry, []byte(s.body), s.gz)
	}
	c := New(Config{BaseURL: "http://hotelbeds.invalid", APIKey: testKey, Secret: testSecret, Now: func() time.Time { return now }})
	q := hotelrates.Query{Stay: testStay, HotelIDs: []string{"1126", "1129"}}
	f.Fuzz(func(t *testing.T, status int, code, ctype, retry string, body []byte, gz bool) {
		if status < 0 {
			status = -(status + 1)
		}
		status = 300 + status%300
		h := http.Header{}
		for k, v := range map[string]string{MasheryErrorCodeHeader: code, "Content-Type": ctype, "Retry-After": retry} {
			if v != "" {
				h.Set(k, v)
			}
		}
		if gz {
			h.Set("Content-Encoding", "gzip")
			body = gzipped(body)
		}
		hc := &http.Client{Transport: answerTransport{status: status, header: h, body: body}}
		got, err := c.Fetch(context.Background(), hc, hotelrates.Credential{}, q)
		ve, ok := errors.AsType[*hotelrates.VendorError](err)
		if err == nil || got != nil || !ok || ve.Vendor != "hotelbeds" || ve.Status != status {
			t.Fatalf("status %d: %v, %v", status, got, err)
		}
		want := map[hotelrates.ErrorKind]bool{}
		switch strings.TrimSpace(code) {
		case MasheryOverRate:
			want[hotelrates.ErrQuota] = true
		case MasheryOverQPS:
			want[hotelrates.ErrThrottled] = true
		case MasheryNotAuthorized, MasheryDeveloperInactive:
			want[hotelrates.ErrUnauthorized] = true
		default:
			switch {
			case status == 401 || status == 403:
				want[hotelrates.ErrUnauthorized], want[hotelrates.ErrQuota], want[hotelrates.ErrThrottled] = true, true, true
			case status == 429:
				want[hotelrates.ErrThrottled] = true
			case status >= 500 || status == 408:
				want[hotelrates.ErrUnavailable] = true
			default:
				want[hotelrates.ErrRejected] = true
			}
		}
		if !want[ve.Kind] {
			t.Fatalf("status %d code %q: kind %s", status, code, ve.Kind)
		}
		if (ve.Kind == hotelrates.ErrQuota || ve.Kind == hotelrates.ErrThrottled && status != 429) && ve.RetryAfter <= 0 {
			t.Fatalf("%s without a RetryAfter", ve.Kind)
		}
		msg := err.Error()
		for _, s := range []string{testKey, testSecret, sig} {
			if strings.Contains(msg, s) {
				t.Fatalf("error %q carries a credential", msg)
			}
		}
		if ve.Err != nil && len(ve.Err.Error()) > maxMessage+3 {
			t.Fatalf("message of %d bytes", len(ve.Err.Error()))
		}
	})
}
