package rapid

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// FuzzAvailabilityRequest feeds raw query strings, Authorization and Test
// headers through the server (faults off): it must never panic or answer
// 500/503 but for the Test header that asks for them, and every error must
// be in Rapid's format.
func FuzzAvailabilityRequest(f *testing.F) {
	cfg := testConfig()
	cfg.Latency = sandbox.Latency{Jitter: "none"}
	cfg.QueueLimit = 1 << 20
	done := make(chan struct{})
	f.Cleanup(func() { close(done) })
	b := sandbox.NewBackend(sandbox.Rapid, cfg, 1, done)
	h := b.Count(http.StripPrefix("/rapid", HandlerWithClock(b, func() time.Time { return testStart })))

	children := testStay
	children.Adults, children.Rooms, children.Children = 5, 3, []int{9, 4}
	valid := query([]string{code(2), code(3), "999"}, testStay)
	auth := AuthorizationHeader(testKey, testSecret, testStart.Unix())
	for _, s := range []struct{ query, auth, test string }{
		{valid, auth, ""},
		{query(codes(1, 30), children), auth, ""},
		{valid, auth, TestStandard},
		{valid, auth, TestNoAvailability},
		{valid, auth, "nonsense"},
		{valid, "EAN " + strings.ReplaceAll(strings.TrimPrefix(auth, "EAN "), ",", ", "), ""},
		{valid, "", ""},
		{valid, "EAN apikey=a,signature=b,timestamp=c", ""},
		{valid, "EAN apikey==,signature==,timestamp==", ""},
		{valid, "EAN ", ""},
		{valid, ",,", ""},
		{"", auth, ""},
		{"%zz", auth, ""},
		{"property_id=2000014&property_id=&occupancy=2-&occupancy=-&checkin=2026-12-01&checkout=2026-12-03", auth, ""},
		{strings.Replace(valid, "occupancy=2", "occupancy=2-9%2C%2C4", 1), auth, ""},
		{strings.Replace(valid, "rate_plan_count=250", "rate_plan_count=1e400", 1), auth, ""},
		{strings.Replace(valid, "checkin=2026-12-01", "checkin=0000-01-01", 1), auth, ""},
		{valid + "&include=unavailable_reason&filter=refundable&travel_purpose=business&travel_purpose=x", auth, ""},
		{"property_id=1;2&checkin=\x00", auth, ""},
	} {
		f.Add(s.query, s.auth, s.test, true)
		f.Add(s.query, s.auth, s.test, false)
	}
	f.Fuzz(func(t *testing.T, rawQuery, authz, test string, gz bool) {
		req := httptest.NewRequest(http.MethodGet, "/rapid"+AvailabilityPath, nil)
		req.URL.RawQuery = rawQuery
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		if test != "" {
			req.Header.Set(HeaderTest, test)
		}
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		body := w.Body.Bytes()
		if w.Header().Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("gzip: %v", err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatalf("gzip: %v", err)
			}
		}
		switch w.Code {
		case http.StatusOK:
			var props []propertyOut
			if err := json.Unmarshal(body, &props); err != nil || props == nil {
				t.Fatalf("200 body %q does not parse: %v", body, err)
			}
			return
		case http.StatusInternalServerError:
			if test != TestUnknownInternalError {
				t.Fatalf("500 for query %q auth %q test %q", rawQuery, authz, test)
			}
		case http.StatusServiceUnavailable:
			if test != TestServiceUnavailable {
				t.Fatalf("503 for query %q auth %q test %q", rawQuery, authz, test)
			}
		case http.StatusForbidden:
			if test != TestForbidden {
				t.Fatalf("403 for query %q auth %q test %q", rawQuery, authz, test)
			}
		case http.StatusBadRequest, http.StatusUnauthorized:
		default:
			t.Fatalf("status %d for query %q auth %q test %q", w.Code, rawQuery, authz, test)
		}
		var e errorBody
		if err := json.Unmarshal(body, &e); err != nil || e.Type == "" || e.Message == "" || w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("status %d body %q is not a Rapid error", w.Code, body)
		}
		if w.Code == http.StatusBadRequest && (e.Type != ErrTypeInvalidInput || len(e.Errors) == 0 || len(e.Errors) > maxNestedErrors) {
			t.Fatalf("400 body %q", body)
		}
	})
}

// fuzzAsked and fuzzOccupancies are the request FuzzParseAvailability's
// answers are for.
var (
	fuzzAsked       = []string{"2000014", "2000021", "2000035"}
	fuzzOccupancies = []string{"2-9,4", "1", "1"}
)

// FuzzParseAvailability feeds raw 200 bodies to the client's decoder: it
// never panics, and either fails with ErrBadResponse or returns offers
// only for properties asked, once each, in the currency asked, never
// negative, with a known board and a UTC deadline only when refundable.
func FuzzParseAvailability(f *testing.F) {
	// Small seeds: the fuzzer minimizes every input that finds new
	// coverage, which takes long for large ones.
	stay := testStay
	stay.Adults, stay.Rooms, stay.Children = 4, 3, []int{9, 4}
	stay.CheckOut = stay.CheckIn.AddDays(1)
	good := sandboxAnswer(fuzzAsked[:1], stay)
	for _, s := range []string{
		good,
		good[:len(good)/2],
		`[]`,
		`null`,
		`{}`,
		``,
		`[{"property_id":"2000014","status":"partially_unavailable"}]`,
		`[{"property_id":"2000014","status":"available","rooms":[{"room_name":"A","rates":[{"refundable":true,"cancel_penalties":[{"start":"2026-11-28T18:00:00.000-05:00"}],` +
			`"amenities":{"x":{"name":"Half board"}},"occupancy_pricing":{"2-9,4":{"totals":{"inclusive":{"request_currency":{"value":"1.5","currency":"USD"}}}},` +
			`"1":{"totals":{"inclusive":{"request_currency":{"value":"-0","currency":"USD"}}}}}}]}]}]`,
		`[{"property_id":"2000099","status":"available","rooms":[]}]`,
		`[{"property_id":"2000014","status":"available","rooms":[{"room_name":"A","rates":[{"occupancy_pricing":{"1":{"totals":{"inclusive":{"request_currency":{"value":"999999999999999.99","currency":"USD"}}}}}}]}]}]`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, wholeStay bool) {
		got, err := decodeAnswer("rapid", body, fuzzAsked, fuzzOccupancies, "USD", wholeStay)
		if err != nil {
			if ve, ok := errors.AsType[*hotelrates.VendorError](err); !ok || ve.Kind != hotelrates.ErrBadResponse || got != nil {
				t.Fatalf("error %v is not ErrBadResponse", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, h := range got {
			if seen[h.HotelID] || !slices.Contains(fuzzAsked, h.HotelID) || len(h.Offers) == 0 {
				t.Fatalf("hotel %q answered wrongly in %+v", h.HotelID, got)
			}
			seen[h.HotelID] = true
			for _, o := range h.Offers {
				if o.Total.Currency != "USD" || o.Total.Minor < 0 || o.Vendor != "rapid" || o.Room == "" || !strings.Contains("RO BB HB FB AI", o.Board) ||
					(!o.Refundable && !o.CancelDeadline.IsZero()) || o.CancelDeadline.Location() != time.UTC {
					t.Fatalf("offer %+v", o)
				}
			}
		}
	})
}

// sandboxAnswer is the server's answer body for asked and stay.
func sandboxAnswer(asked []string, stay hotelrates.Stay) string {
	occ, err := Occupancies(stay)
	if err != nil {
		panic(err)
	}
	s := &server{b: sandbox.NewBackend(sandbox.Rapid, testConfig(), 1, nil)}
	b, err := json.Marshal(s.answer(availRequest{ids: asked, occupancies: occ, stay: stay, ratePlanCount: MaxRatePlanCount}))
	if err != nil {
		panic(err)
	}
	return string(b)
}

// answerTransport answers every request with one status, headers and body,
// without a network.
type answerTransport struct {
	status int
	header http.Header
	body   []byte
}

func (a answerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: a.status, Status: http.StatusText(a.status), Request: req, Header: a.header,
		Body: io.NopCloser(bytes.NewReader(a.body)),
	}, nil
}

// FuzzErrorAnswer feeds raw failed answers (a status from 300 to 599, a
// body, maybe gzipped, and Retry-After and Rate-Limit-Minute* headers) to
// the client: it never panics; the error is a *hotelrates.VendorError with
// the status, classified by it; its message is bounded and carries neither
// the API key, the secret, the request's signature nor the host; what is
// reported to the engine is never negative.
func FuzzErrorAnswer(f *testing.F) {
	sig := Signature(testKey, testSecret, testStart.Unix())
	for _, s := range []struct {
		status int
		body   string
	}{
		{400, `{"type":"invalid_input","message":"An invalid request was sent in","errors":[{"type":"checkin.invalid_date_format","message":"bad","fields":[{"name":"checkin","type":"querystring","value":"2019-01-1"}]}]}`},
		{401, `{"type":"request_unauthenticated","message":"x","fields":[{"name":"apikey","type":"header","value":"` + testKey + `"},{"name":"signature","type":"header","value":"` + sig + `"},{"name":"servertimestamp","type":"server","value":1780000000}]}`},
		{401, `{"type":"","message":"secret ` + testSecret + ` at rapid.example"}`},
		{403, `{"type":"request_unauthorized","message":"Your request could not be authorized."}`},
		{426, `{"type":"upgrade_required","message":"This service requires the use of TLS."}`},
		{429, `{"type":"too_many_requests","message":""}`},
		{500, `{"type":"unknown_internal_error"}`},
		{503, `{"message":"down","errors":[{},{},{},{},{},{}]}`},
		{502, `<html>bad gateway</html>`},
		{404, `{"type":1,"message":null}`},
		{400, `{"type":"a","message":"b","fields":[{"name":"servertimestamp","value":{"x":1}}]}`},
		{400, ``},
	} {
		f.Add(s.status, []byte(s.body), false, "2", "1200", "45", "1780000012500")
		f.Add(s.status, []byte(s.body), true, "", "", "", "")
	}
	c := New(Config{BaseURL: "http://rapid.example/rapid", APIKey: testKey, Secret: testSecret, Now: func() time.Time { return testStart }})
	q := hotelrates.Query{Stay: testStay, HotelIDs: []string{"2000014", "2000021"}}
	f.Fuzz(func(t *testing.T, status int, body []byte, gz bool, retryAfter, minute, remaining, reset string) {
		if status < 0 {
			status = -(status + 1)
		}
		status = 300 + status%300
		h := http.Header{"Content-Type": {"application/json"}}
		for k, v := range map[string]string{"Retry-After": retryAfter, HeaderRateLimitMinute: minute, HeaderRateLimitMinuteRemaining: remaining, HeaderRateLimitMinuteReset: reset} {
			if v != "" {
				h.Set(k, v)
			}
		}
		if gz {
			body = gzipped(body)
			h.Set("Content-Encoding", "gzip")
		}
		report := &hotelrates.CallReport{}
		ctx := hotelrates.ContextWithCall(bg, hotelrates.Call{Report: report})
		got, err := c.Fetch(ctx, &http.Client{Transport: answerTransport{status: status, header: h, body: body}}, hotelrates.Credential{}, q)
		ve, ok := errors.AsType[*hotelrates.VendorError](err)
		if err == nil || got != nil || !ok || ve.Vendor != "rapid" || ve.Status != status {
			t.Fatalf("status %d body %q: %v, %v", status, body, got, err)
		}
		want := hotelrates.ErrRejected
		switch {
		case status == 401:
			want = hotelrates.ErrUnauthorized
		case status == 429:
			want = hotelrates.ErrThrottled
		case status >= 500 || status == 408:
			want = hotelrates.ErrUnavailable
		}
		if ve.Kind != want || ve.RetryAfter < 0 || (ve.RetryAfter > 0 && want != hotelrates.ErrThrottled && want != hotelrates.ErrUnavailable) {
			t.Fatalf("status %d: kind %s retry after %v, want %s", status, ve.Kind, ve.RetryAfter, want)
		}
		msg := err.Error()
		for _, s := range []string{testKey, testSecret, sig, "rapid.example"} {
			if strings.Contains(msg, s) {
				t.Fatalf("error %q carries %q", msg, s)
			}
		}
		if ve.Err != nil && len(ve.Err.Error()) > 303 {
			t.Fatalf("message of %d bytes", len(ve.Err.Error()))
		}
		if r := report.RateLimit; r.Remaining < 0 || r.Reset < 0 {
			t.Fatalf("report %+v", r)
		}
	})
}
