package rapid

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hotelrates"
)

// fakeVendor answers every request with what a test set: answers the
// sandbox never gives.
type fakeVendor struct {
	srv *httptest.Server

	mu     sync.Mutex
	status int
	header map[string]string
	body   []byte
	gzip   bool
	got    http.Header // the last request's headers
}

func newFake(t *testing.T) *fakeVendor {
	f := &fakeVendor{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.got = r.Header.Clone()
		for k, v := range f.header {
			w.Header().Set(k, v)
		}
		body := f.body
		if f.gzip {
			body = gzipped(body)
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.WriteHeader(f.status)
		w.Write(body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeVendor) set(status int, body string, gz bool, header map[string]string) {
	f.mu.Lock()
	f.status, f.body, f.gzip, f.header = status, []byte(body), gz, header
	f.mu.Unlock()
}

// rate is a one-room rate for the fake vendor's answers.
func rate(pricing, extra string) string {
	return `{"id":"r1","status":"available","refundable":true,` + extra + `"occupancy_pricing":{` + pricing + `}}`
}

func price(occ, value, currency string) string {
	return `"` + occ + `":{"totals":{"inclusive":{"billable_currency":{"value":"1.00","currency":"CAD"},"request_currency":{"value":"` + value + `","currency":"` + currency + `"}}}}`
}

func property(id, status, rates string) string {
	return `{"property_id":"` + id + `","status":"` + status + `","rooms":[{"id":"1","room_name":"Queen Room","rates":[` + rates + `]}]}`
}

const penalties = `"cancel_penalties":[{"start":"2026-11-28T18:00:00.000-05:00"},{"start":"2026-11-27T12:00:00.000+01:00"}],`

func TestClientAgainstFakeVendor(t *testing.T) {
	f := newFake(t)
	now := time.Unix(1_780_000_000, 0)
	const secret = "very-secret-value"
	const key = "key-abc-123"
	c := New(Config{BaseURL: f.srv.URL, APIKey: key, Secret: secret, Now: func() time.Time { return now }})
	sig := Signature(key, secret, now.Unix())
	two := testStay
	two.Adults, two.Rooms = 4, 2 // occupancy "2" twice
	one := price("2", "100.25", "USD")
	ok := rate(one, penalties)
	tests := []struct {
		name   string
		stay   hotelrates.Stay
		status int
		body   string
		gz     bool
		header map[string]string
		kind   hotelrates.ErrorKind // 0 with status 200: no error
		want   []hotelrates.Offer   // the offers of property 1, when no error
		retry  time.Duration
	}{
		{name: "empty array", status: 200, body: `[]`},
		{name: "one rate", status: 200, body: `[` + property("1", "available", ok) + `]`,
			want: []hotelrates.Offer{{Vendor: "rapid", Room: "Queen Room", Board: "RO", Total: hotelrates.Money{Minor: 10025, Currency: "USD"},
				Refundable: true, CancelDeadline: time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC)}}},
		{name: "gzipped", status: 200, gz: true, body: `[` + property("1", "available", ok) + `]`,
			want: []hotelrates.Offer{{Vendor: "rapid", Room: "Queen Room", Board: "RO", Total: hotelrates.Money{Minor: 10025, Currency: "USD"},
				Refundable: true, CancelDeadline: time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC)}}},
		{name: "the real API prices one room: a repeated occupancy counts twice", stay: two, status: 200,
			body: `[` + property("1", "available", rate(one, `"refundable":false,`)) + `]`,
			want: []hotelrates.Offer{{Vendor: "rapid", Room: "Queen Room", Board: "RO", Total: hotelrates.Money{Minor: 20050, Currency: "USD"}}}},
		{name: "the sandbox prices all rooms of an occupancy", stay: two, status: 200, header: map[string]string{HeaderRegion: "Sandbox"},
			body: `[` + property("1", "available", rate(one, `"refundable":false,`)) + `]`,
			want: []hotelrates.Offer{{Vendor: "rapid", Room: "Queen Room", Board: "RO", Total: hotelrates.Money{Minor: 10025, Currency: "USD"}}}},
		{name: "board from the amenities, unknown fields ignored", status: 200,
			body: `[{"property_id":"1","status":"available","score":12,"x":[1],"rooms":[{"room_name":"Suite","rates":[` +
				rate(one, `"refundable":false,"amenities":{"1":{"id":"1","name":"Free WiFi"},"2":{"id":"2","name":"Full Breakfast","value":"2"}},"available_rooms":2147483647,`) + `]}]}]`,
			want: []hotelrates.Offer{{Vendor: "rapid", Room: "Suite", Board: "BB", Total: hotelrates.Money{Minor: 10025, Currency: "USD"}}}},
		{name: "refundable without penalties", status: 200, body: `[` + property("1", "available", rate(one, "")) + `]`,
			want: []hotelrates.Offer{{Vendor: "rapid", Room: "Queen Room", Board: "RO", Total: hotelrates.Money{Minor: 10025, Currency: "USD"}, Refundable: true}}},
		{name: "not refundable: penalties give no deadline", status: 200, body: `[` + property("1", "available", rate(one, penalties+`"refundable":false,`)) + `]`,
			want: []hotelrates.Offer{{Vendor: "rapid", Room: "Queen Room", Board: "RO", Total: hotelrates.Money{Minor: 10025, Currency: "USD"}}}},
		{name: "sold-out and price-changed rates skipped", status: 200,
			body: `[` + property("1", "available", rate(one, `"status":"sold_out",`)+`,`+rate(one, `"status":"price_changed",`)) + `]`},
		{name: "partially unavailable property skipped", status: 200,
			body: `[{"property_id":"1","status":"partially_unavailable","unavailable_reason":{"code":"adults_exceed_threshold","data":"2"}}]`},
		{name: "null", status: 200, body: `null`, kind: hotelrates.ErrBadResponse},
		{name: "object", status: 200, body: `{"properties":[]}`, kind: hotelrates.ErrBadResponse},
		{name: "unknown property status", status: 200, body: `[` + property("1", "closed", ok) + `]`, kind: hotelrates.ErrBadResponse},
		{name: "not asked", status: 200, body: `[` + property("9", "available", ok) + `]`, kind: hotelrates.ErrBadResponse},
		{name: "listed twice", status: 200, body: `[` + property("1", "available", ok) + `,` + property("1", "available", ok) + `]`, kind: hotelrates.ErrBadResponse},
		{name: "no room name", status: 200, body: `[{"property_id":"1","status":"available","rooms":[{"rates":[` + ok + `]}]}]`, kind: hotelrates.ErrBadResponse},
		{name: "children's ages in another order", stay: func() hotelrates.Stay { s := testStay; s.Children = []int{9, 4}; return s }(), status: 200,
			body: `[` + property("1", "available", rate(price("2-4,9", "10.00", "USD"), `"refundable":false,`)) + `]`,
			want: []hotelrates.Offer{{Vendor: "rapid", Room: "Queen Room", Board: "RO", Total: hotelrates.Money{Minor: 1000, Currency: "USD"}}}},
		{name: "occupancy not priced", status: 200, body: `[` + property("1", "available", rate(price("3", "1.00", "USD"), "")) + `]`, kind: hotelrates.ErrBadResponse},
		{name: "no inclusive totals", status: 200, body: `[` + property("1", "available", rate(`"2":{"totals":{}}`, "")) + `]`, kind: hotelrates.ErrBadResponse},
		{name: "wrong currency", status: 200, body: `[` + property("1", "available", rate(price("2", "1.00", "EUR"), "")) + `]`, kind: hotelrates.ErrBadResponse},
		{name: "three decimals", status: 200, body: `[` + property("1", "available", rate(price("2", "1.005", "USD"), "")) + `]`, kind: hotelrates.ErrBadResponse},
		{name: "negative", status: 200, body: `[` + property("1", "available", rate(price("2", "-1.00", "USD"), "")) + `]`, kind: hotelrates.ErrBadResponse},
		{name: "number amount", status: 200, body: `[` + property("1", "available", rate(`"2":{"totals":{"inclusive":{"request_currency":{"value":1.5,"currency":"USD"}}}}`, "")) + `]`, kind: hotelrates.ErrBadResponse},
		{name: "bad penalty start", status: 200, body: `[` + property("1", "available", rate(one, `"cancel_penalties":[{"start":"tomorrow"}],`)) + `]`, kind: hotelrates.ErrBadResponse},
		{name: "html", status: 200, body: `<html>oops</html>`, kind: hotelrates.ErrBadResponse},
		{name: "204", status: 204, kind: hotelrates.ErrBadResponse},
		{name: "gzip cut short", status: 200, header: map[string]string{"Content-Encoding": "gzip"}, body: string(gzipped([]byte(`[` + property("1", "available", ok) + `]`))[:40]), kind: hotelrates.ErrBadResponse},
		{name: "not gzip", status: 200, header: map[string]string{"Content-Encoding": "gzip"}, body: `[]`, kind: hotelrates.ErrBadResponse},
		{name: "brotli", status: 200, header: map[string]string{"Content-Encoding": "br"}, body: `[]`, kind: hotelrates.ErrBadResponse},
		{name: "400", status: 400, body: `{"type":"invalid_input","message":"An invalid request was sent in","errors":[{"type":"checkin.invalid_date_format","message":"bad","fields":[{"name":"checkin","type":"querystring","value":"2019-01-1"}]}]}`, kind: hotelrates.ErrRejected},
		{name: "401 echoing the key, the signature and the secret", status: 401, gz: true,
			body: `{"type":"request_unauthenticated","message":"bad secret ` + secret + `","fields":[{"name":"apikey","type":"header","value":"` + key + `"},{"name":"signature","type":"header","value":"` + sig + `"},{"name":"timestamp","type":"header","value":"1780000000"},{"name":"servertimestamp","type":"server","value":1780000400}]}`,
			kind: hotelrates.ErrUnauthorized},
		{name: "403", status: 403, body: `{"type":"request_unauthorized","message":"Your request could not be authorized."}`, kind: hotelrates.ErrRejected},
		{name: "404", status: 404, body: `{"type":"resource_not_found","message":"no"}`, kind: hotelrates.ErrRejected},
		{name: "426", status: 426, body: `{"type":"upgrade_required","message":"This service requires the use of TLS."}`, kind: hotelrates.ErrRejected},
		{name: "429 with Retry-After", status: 429, header: map[string]string{"Retry-After": "7"}, body: `{"type":"too_many_requests","message":"slow"}`, kind: hotelrates.ErrThrottled, retry: 7 * time.Second},
		{name: "429 until the minute resets", status: 429, header: map[string]string{HeaderRateLimitMinuteReset: "1780000042000"}, body: `{"type":"too_many_requests","message":"slow"}`, kind: hotelrates.ErrThrottled, retry: 42 * time.Second},
		{name: "429 saying nothing", status: 429, body: `{"type":"too_many_requests","message":"slow"}`, kind: hotelrates.ErrThrottled},
		{name: "500", status: 500, body: `{"type":"unknown_internal_error","message":"An internal server error has occurred."}`, kind: hotelrates.ErrUnavailable},
		{name: "503", status: 503, header: map[string]string{"Retry-After": "1"}, body: `{"type":"service_unavailable","message":"down"}`, kind: hotelrates.ErrUnavailable, retry: time.Second},
		{name: "502 html", status: 502, body: `<html>bad gateway</html>`, kind: hotelrates.ErrUnavailable},
		{name: "408", status: 408, kind: hotelrates.ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stay := testStay
			if tc.stay.Rooms != 0 {
				stay = tc.stay
			}
			f.set(tc.status, tc.body, tc.gz, tc.header)
			got, err := c.Fetch(bg, f.srv.Client(), hotelrates.Credential{}, hotelrates.Query{Stay: stay, HotelIDs: []string{"1", "2"}})
			if tc.status == 200 && tc.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if len(tc.want) == 0 {
					if len(got) != 0 {
						t.Fatalf("got %+v, want no offers", got)
					}
					return
				}
				if len(got) != 1 || got[0].HotelID != "1" {
					t.Fatalf("got %+v", got)
				}
				sameOffers(t, got, []hotelrates.HotelOffers{{HotelID: "1", Offers: tc.want}})
				return
			}
			k, ve := kindOf(t, err)
			if k != tc.kind || ve.Status != tc.status || ve.RetryAfter != tc.retry || got != nil {
				t.Fatalf("got %v (status %d, retry after %v), want %s, %v", err, ve.Status, ve.RetryAfter, tc.kind, tc.retry)
			}
			noSecrets(t, err.Error(), key, secret, sig, f.srv.Listener.Addr().String())
			switch tc.status {
			case 400:
				if !strings.Contains(err.Error(), "invalid_input: An invalid request was sent in; checkin.invalid_date_format: bad") {
					t.Fatalf("400 error %q does not name the problem", err)
				}
			case 401:
				if !strings.Contains(err.Error(), "server time 1780000400") {
					t.Fatalf("401 error %q has no server time", err)
				}
			}
		})
	}
}

// TestReportRateLimit: the client turns every answer's Rate-Limit-Minute*
// headers into the engine's report: the minute's capacity times the
// remaining percentage, until the reset.
func TestReportRateLimit(t *testing.T) {
	f := newFake(t)
	now := time.UnixMilli(1_780_000_000_000)
	tests := []struct {
		name      string
		perMinute int
		status    int
		header    map[string]string
		want      hotelrates.RateLimit
	}{
		{"capacity and percentage", 0, 200, map[string]string{HeaderRateLimitMinute: "1200", HeaderRateLimitMinuteRemaining: "45", HeaderRateLimitMinuteReset: "1780000012500"},
			hotelrates.RateLimit{Remaining: 540, Reset: 12500 * time.Millisecond, Known: true}},
		{"fractional percentage", 0, 200, map[string]string{HeaderRateLimitMinute: "30", HeaderRateLimitMinuteRemaining: "96.67", HeaderRateLimitMinuteReset: "1780000030000"},
			hotelrates.RateLimit{Remaining: 29, Reset: 30 * time.Second, Known: true}},
		{"on an error answer", 0, 400, map[string]string{HeaderRateLimitMinute: "100", HeaderRateLimitMinuteRemaining: "10", HeaderRateLimitMinuteReset: "1780000001000"},
			hotelrates.RateLimit{Remaining: 10, Reset: time.Second, Known: true}},
		{"reset in the past", 0, 200, map[string]string{HeaderRateLimitMinute: "100", HeaderRateLimitMinuteRemaining: "100", HeaderRateLimitMinuteReset: "1779999990000"},
			hotelrates.RateLimit{Remaining: 100, Reset: 0, Known: true}},
		{"no reset: a minute", 0, 200, map[string]string{HeaderRateLimitMinute: "100", HeaderRateLimitMinuteRemaining: "50"},
			hotelrates.RateLimit{Remaining: 50, Reset: time.Minute, Known: true}},
		{"capacity from the config", 600, 200, map[string]string{HeaderRateLimitMinuteRemaining: "50", HeaderRateLimitMinuteReset: "1780000030000"},
			hotelrates.RateLimit{Remaining: 300, Reset: 30 * time.Second, Known: true}},
		{"no capacity known", 0, 200, map[string]string{HeaderRateLimitMinuteRemaining: "50", HeaderRateLimitMinuteReset: "1780000030000"}, hotelrates.RateLimit{}},
		{"garbage", 0, 200, map[string]string{HeaderRateLimitMinute: "lots", HeaderRateLimitMinuteRemaining: "NaN"}, hotelrates.RateLimit{}},
		{"over 100 percent", 0, 200, map[string]string{HeaderRateLimitMinute: "10", HeaderRateLimitMinuteRemaining: "250", HeaderRateLimitMinuteReset: "1780000030000"},
			hotelrates.RateLimit{Remaining: 10, Reset: 30 * time.Second, Known: true}},
		{"negative percentage", 0, 200, map[string]string{HeaderRateLimitMinute: "10", HeaderRateLimitMinuteRemaining: "-5"}, hotelrates.RateLimit{}},
		{"none", 0, 200, nil, hotelrates.RateLimit{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.set(tc.status, `[]`, false, tc.header)
			if tc.status != 200 {
				f.set(tc.status, `{"type":"invalid_input","message":"x"}`, false, tc.header)
			}
			c := New(Config{BaseURL: f.srv.URL, APIKey: "k", Secret: "s", Now: func() time.Time { return now }, RequestsPerMinute: tc.perMinute})
			report := &hotelrates.CallReport{}
			ctx := hotelrates.ContextWithCall(bg, hotelrates.Call{Kind: hotelrates.CallRates, Report: report})
			c.Fetch(ctx, f.srv.Client(), hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"1"}})
			if report.RateLimit != tc.want {
				t.Fatalf("report %+v, want %+v", report.RateLimit, tc.want)
			}
		})
	}
}

func TestBoardOf(t *testing.T) {
	tests := []struct {
		names []string
		want  string
	}{
		{nil, "RO"},
		{[]string{"Free WiFi", "Free parking"}, "RO"},
		{[]string{"Free breakfast"}, "BB"},
		{[]string{"Full Breakfast"}, "BB"},
		{[]string{"Breakfast for 2"}, "BB"},
		{[]string{"Half Board"}, "HB"},
		{[]string{"Breakfast buffet", "Full board"}, "FB"},
		{[]string{"Free WiFi", "All-Inclusive", "Breakfast"}, "AI"},
		{[]string{"ALL INCLUSIVE"}, "AI"},
	}
	for _, tc := range tests {
		m := map[string]wireAmenity{}
		for i, n := range tc.names {
			m[string(rune('a'+i))] = wireAmenity{Name: n}
		}
		if got := boardOf(m); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.names, got, tc.want)
		}
	}
	// The sandbox's amenities read back as their boards.
	for _, b := range boardCodes {
		m := map[string]wireAmenity{wifiAmenity.ID: {Name: wifiAmenity.Name}}
		if a, ok := boardAmenity(b); ok {
			m[a.ID] = wireAmenity{Name: a.Name}
		}
		if got := boardOf(m); got != b {
			t.Errorf("board %s reads back as %s", b, got)
		}
	}
}

// TestGzipBomb: a body that decompresses past the limit (MaxResponseBody,
// lowered here to 1 MiB) is refused.
func TestGzipBomb(t *testing.T) {
	defer func(n int) { maxResponseBody = n }(maxResponseBody)
	maxResponseBody = 1 << 20
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.CopyN(zw, zeroReader{}, int64(maxResponseBody)+10)
	zw.Close()
	f := newFake(t)
	f.set(200, buf.String(), false, map[string]string{"Content-Encoding": "gzip"})
	c := New(Config{BaseURL: f.srv.URL, APIKey: "k", Secret: "s"})
	_, err := c.Fetch(bg, f.srv.Client(), hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"1"}})
	if k, _ := kindOf(t, err); k != hotelrates.ErrBadResponse || !strings.Contains(err.Error(), "decompressed") {
		t.Fatalf("got %v", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
