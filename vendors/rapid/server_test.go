package rapid

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

func TestBadRequests(t *testing.T) {
	e := newEnv(t, testConfig())
	ids := []string{code(2)}
	tests := []struct {
		name  string
		query string
		want  string // the nested error's type
	}{
		{"malformed query", query(ids, testStay) + "&x=%zz", "query.invalid_format"},
		{"no property_id", query(ids, testStay, "property_id="), "property_id.required"},
		{"property_id not digits", query([]string{"2000014", "H00002"}, testStay), "property_id.invalid_format"},
		{"property_id too long", query([]string{strings.Repeat("1", 20)}, testStay), "property_id.invalid_format"},
		{"no checkin", query(ids, testStay, "checkin="), "checkin.required"},
		{"checkin twice", query(ids, testStay, "checkin=2026-12-01|2026-12-02"), "checkin.invalid_multiple"},
		{"checkin not a date", query(ids, testStay, "checkin=2026-12-1"), "checkin.invalid_date_format"},
		{"checkout not a date", query(ids, testStay, "checkout=2026-02-30"), "checkout.invalid_date_format"},
		{"checkout before checkin", query(ids, testStay, "checkout=2026-11-30"), "checkout.invalid_checkout_before_checkin"},
		{"checkout on checkin", query(ids, testStay, "checkout=2026-12-01"), "checkout.invalid_checkout_before_checkin"},
		{"29 nights", query(ids, testStay, "checkout=2026-12-30"), "checkout.invalid_length_of_stay_too_long"},
		{"no currency", query(ids, testStay, "currency="), "currency.required"},
		{"currency lower case", query(ids, testStay, "currency=usd"), "currency.invalid_format"},
		{"currency not priced", query(ids, testStay, "currency=JPY"), "currency.not_supported"},
		{"no country_code", query(ids, testStay, "country_code="), "country_code.required"},
		{"country_code of 3", query(ids, testStay, "country_code=USA"), "country_code.invalid_format"},
		{"language without country", query(ids, testStay, "language=en"), "language.invalid_format"},
		{"language underscore", query(ids, testStay, "language=en_US"), "language.invalid_format"},
		{"no occupancy", query(ids, testStay, "occupancy="), "occupancy.required"},
		{"9 occupancies", query(ids, testStay, "occupancy=1|1|1|1|1|1|1|1|1"), "number_of_occupancies.invalid_above_maximum"},
		{"no adult", query(ids, testStay, "occupancy=0-5"), "occupancy.invalid_format"},
		{"10 adults", query(ids, testStay, "occupancy=10"), "occupancy.invalid_format"},
		{"child of 18", query(ids, testStay, "occupancy=2-18"), "occupancy.invalid_format"},
		{"ages with a space", query(ids, testStay, "occupancy=2-9, 4"), "occupancy.invalid_format"},
		{"no rate_plan_count", query(ids, testStay, "rate_plan_count="), "rate_plan_count.required"},
		{"rate_plan_count 0", query(ids, testStay, "rate_plan_count=0"), "rate_plan_count.invalid"},
		{"rate_plan_count 251", query(ids, testStay, "rate_plan_count=251"), "rate_plan_count.invalid"},
		{"rate_plan_count 1.5", query(ids, testStay, "rate_plan_count=1.5"), "rate_plan_count.invalid"},
		{"rate_plan_count NaN", query(ids, testStay, "rate_plan_count=NaN"), "rate_plan_count.invalid"},
		{"no sales_channel", query(ids, testStay, "sales_channel="), "sales_channel.required"},
		{"sales_channel unknown", query(ids, testStay, "sales_channel=kiosk"), "sales_channel.invalid"},
		{"sales_environment unknown", query(ids, testStay, "sales_environment=cruise"), "sales_environment.invalid"},
		{"include unknown", query(ids, testStay, "include=free_money"), "include.not_supported"},
		{"filter unknown", query(ids, testStay, "filter=refundable|cheap"), "filter.not_supported"},
		{"travel_purpose twice", query(ids, testStay, "travel_purpose=leisure|business"), "travel_purpose.invalid_multiple"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.get(t, tc.query, nil)
			if a.status != 400 || a.err.Type != ErrTypeInvalidInput || a.err.Message != msgInvalidInput || len(a.err.Errors) == 0 || a.err.Errors[0].Type != tc.want {
				t.Fatalf("got %d %+v, want 400 %s", a.status, a.err, tc.want)
			}
			if d := a.err.Errors[0]; d.Message == "" || (tc.want != "query.invalid_format" && tc.want != "number_of_occupancies.invalid_above_maximum" &&
				(len(d.Fields) != 1 || d.Fields[0].Type != "querystring" || !strings.HasPrefix(tc.want, d.Fields[0].Name+"."))) {
				t.Fatalf("nested error %+v", d)
			}
		})
	}
	// Every problem is reported at once, each naming its parameter.
	a := e.get(t, query(ids, testStay, "checkin=x", "currency=", "occupancy=0", "sales_channel=y"), nil)
	var got []string
	for _, d := range a.err.Errors {
		got = append(got, d.Type)
	}
	if want := []string{"checkin.invalid_date_format", "currency.required", "occupancy.invalid_format", "sales_channel.invalid"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("errors %v, want %v", got, want)
	}
	// Optional parameters the sandbox does not act on are accepted, and
	// unknown ones ignored.
	ok := e.get(t, query(ids, testStay, "include=unavailable_reason", "filter=refundable|expedia_collect", "amenity_category=swimming_pool",
		"travel_purpose=business", "rate_option=member", "exclusion=card_on_file", "billing_terms=x", "nonsense=1"), nil)
	if ok.status != 200 {
		t.Fatalf("optional parameters: %d %+v", ok.status, ok.err)
	}
	// The client maps a 400 to ErrRejected with the vendor's words.
	s := testStay
	s.Currency = "JPY"
	_, err := e.fetch(ids, s)
	if k, ve := kindOf(t, err); k != hotelrates.ErrRejected || ve.Status != 400 || !strings.Contains(err.Error(), "currency.not_supported") {
		t.Fatalf("got %v, want rejected 400 naming currency", err)
	}
}

// testTransport adds a Test header to every request, as a caller of the
// real test host would.
type testTransport struct {
	base  http.RoundTripper
	value string
}

func (tt testTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(HeaderTest, tt.value)
	return tt.base.RoundTrip(r)
}

func TestTestHeader(t *testing.T) {
	e := newEnv(t, testConfig())
	ids := codes(1, 20)
	plain := e.get(t, query(ids, testStay), nil)
	tests := []struct {
		value  string
		status int
		typ    string
		kind   hotelrates.ErrorKind
	}{
		{TestStandard, 200, "", 0},
		{TestServiceUnavailable, 503, ErrTypeServiceUnavailable, hotelrates.ErrUnavailable},
		{TestUnknownInternalError, 500, ErrTypeInternal, hotelrates.ErrUnavailable},
		{TestNoAvailability, 200, "", 0},
		{TestForbidden, 403, ErrTypeUnauthorized, hotelrates.ErrRejected},
		{"sold_out", 400, ErrTypeInvalidInput, hotelrates.ErrRejected},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			a := e.get(t, query(ids, testStay), map[string]string{HeaderTest: tc.value})
			if a.status != tc.status || a.err.Type != tc.typ {
				t.Fatalf("got %d %+v, want %d %s", a.status, a.err, tc.status, tc.typ)
			}
			switch tc.value {
			case TestStandard:
				if string(a.body) != string(plain.body) {
					t.Fatal("Test: standard answers differently from no Test header")
				}
			case TestNoAvailability:
				if string(a.body) != "[]" {
					t.Fatalf("no_availability body %s", a.body)
				}
			case "sold_out":
				if a.err.Errors[0].Type != "test.not_supported" || a.err.Errors[0].Fields[0].Type != "header" {
					t.Fatalf("unknown Test value: %+v", a.err)
				}
			}
			hc := &http.Client{Transport: testTransport{base: e.hc.Transport, value: tc.value}}
			got, err := e.client.Fetch(bg, hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: ids})
			if tc.status == 200 {
				if err != nil || (tc.value == TestNoAvailability) != (len(got) == 0) {
					t.Fatalf("client: %d hotels, %v", len(got), err)
				}
				return
			}
			if k, ve := kindOf(t, err); k != tc.kind || ve.Status != tc.status {
				t.Fatalf("client: %v, want %s", err, tc.kind)
			}
		})
	}
	// The header given twice is a 400.
	req, _ := http.NewRequest(http.MethodGet, e.base+AvailabilityPath+"?"+query(ids, testStay), nil)
	req.Header.Set("Authorization", e.signed())
	req.Header.Add(HeaderTest, TestStandard)
	req.Header.Add(HeaderTest, TestStandard)
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("two Test headers: %d", resp.StatusCode)
	}
}

func TestMethodAndPath(t *testing.T) {
	e := newEnv(t, testConfig())
	q := "?" + query([]string{code(2)}, testStay)
	tests := []struct {
		method, path string
		status       int
		typ          string
	}{
		{http.MethodPost, AvailabilityPath + q, 405, ErrTypeMethodNotAllowed},
		{http.MethodPut, AvailabilityPath, 405, ErrTypeMethodNotAllowed},
		{http.MethodDelete, AvailabilityPath, 405, ErrTypeMethodNotAllowed},
		{http.MethodGet, "/", 404, ErrTypeNotFound},
		{http.MethodGet, "/v2/properties/availability" + q, 404, ErrTypeNotFound},
		{http.MethodGet, AvailabilityPath + "/x", 404, ErrTypeNotFound},
		{http.MethodGet, "/v3/properties/2000014/availability", 404, ErrTypeNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			a := e.do(t, tc.method, tc.path, nil)
			if a.status != tc.status || a.err.Type != tc.typ {
				t.Fatalf("got %d %+v, want %d %s", a.status, a.err, tc.status, tc.typ)
			}
			if tc.status == 405 && a.header.Get("Allow") != "GET, HEAD" {
				t.Fatalf("Allow = %q", a.header.Get("Allow"))
			}
		})
	}
	if s := e.b.Stats(); s.RateCalls != 0 {
		t.Fatalf("rate_calls = %d for requests that are not availability calls", s.RateCalls)
	}
}

func TestStats(t *testing.T) {
	e := newEnv(t, testConfig())
	ok := e.get(t, query([]string{code(2), code(3), "999"}, testStay), nil)
	e.get(t, query([]string{code(2), code(3)}, testStay, "checkin=x"), nil)
	e.get(t, query(codes(1, 6), testStay), map[string]string{"Authorization": AuthorizationHeader(testKey, "x", testStart.Unix())})
	e.get(t, "property_id=1&%zz", nil)
	e.do(t, http.MethodGet, "/nowhere", nil)
	e.do(t, http.MethodPost, AvailabilityPath, nil)
	if ok.status != 200 {
		t.Fatalf("status %d", ok.status)
	}
	s := e.b.Stats()
	want := map[string]int64{"200": 1, "400": 2, "401": 1, "404": 1, "405": 1}
	if s.Requests != 6 || s.RateCalls != 4 || s.Hotels != 3+2+4+0 || !reflect.DeepEqual(s.Status, want) ||
		s.AuthGrants != 0 || s.Throttled != 0 || s.InService != 0 || s.PeakInService != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestFaults(t *testing.T) {
	ids := codes(1, 60)
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
		{"revoke", func(f *sandbox.Faults) { f.Revoke = 1 }, "revoke", hotelrates.ErrUnauthorized, 401, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.set(&cfg.Faults)
			e := newEnv(t, cfg)
			ctx := bg
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			got, err := e.client.Fetch(ctx, e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: ids})
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				sameOffers(t, got, groundTruth(ids, testStay))
			} else {
				if got != nil {
					t.Fatalf("offers %v with an error", got)
				}
				k, ve := kindOf(t, err)
				if k != tc.kind || ve.Status != tc.status {
					t.Fatalf("got %v, want %s with status %d", err, tc.kind, tc.status)
				}
				if tc.name == "503" && ve.RetryAfter != time.Second {
					t.Fatalf("503 retry after %v, want 1s", ve.RetryAfter)
				}
				if tc.name == "hang" && !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("hang: %v is not a deadline", err)
				}
				noSecrets(t, err.Error(), e.srv.Listener.Addr().String())
			}
			if s := e.b.Stats(); s.Faults[tc.fault] != 1 {
				t.Fatalf("faults %v", s.Faults)
			}
			switch tc.name {
			case "revoke":
				a := e.get(t, query(ids, testStay), nil)
				if a.status != 401 || a.err.Type != ErrTypeUnauthenticated || a.err.Errors[0].Type != "apikey.suspended" {
					t.Fatalf("revoke answer %d %+v", a.status, a.err)
				}
			case "malformed":
				// A valid gzip stream of broken JSON.
				a := e.get(t, query(ids, testStay), nil)
				if a.status != 200 || json.Valid(a.body) || !strings.Contains(string(a.body), "#garbage") {
					t.Fatalf("malformed answer %d %q", a.status, a.body)
				}
			}
		})
	}
}

// fetchAll runs n concurrent Fetches of different hotels and returns their
// errors.
func fetchAll(e *env, n int) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = e.fetch(codes(15*i+1, 15*i+15), testStay)
		})
	}
	wg.Wait()
	return errs
}

func TestCapacityAndQueue(t *testing.T) {
	cfg := testConfig()
	cfg.Latency.Base = 40 * time.Millisecond
	cfg.Concurrency, cfg.QueueLimit = 2, 2
	e := newEnv(t, cfg)
	var throttled int64
	for _, err := range fetchAll(e, 16) {
		if err == nil {
			continue
		}
		k, ve := kindOf(t, err)
		if k != hotelrates.ErrThrottled || ve.Status != 429 || ve.RetryAfter < time.Second {
			t.Fatalf("got %v (retry after %v), want throttled with Retry-After", err, ve.RetryAfter)
		}
		throttled++
	}
	s := e.b.Stats()
	if throttled == 0 || s.Throttled != throttled || s.Status["429"] != throttled {
		t.Fatalf("client saw %d throttled calls; stats %+v", throttled, s)
	}
	if s.PeakInService > 2 || s.PeakInService < 1 || s.PeakQueue > 2 || s.InService != 0 || s.Queued != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestRateLimitPerSecond(t *testing.T) {
	cfg := testConfig()
	cfg.Latency = sandbox.Latency{Jitter: "none"}
	cfg.RPS, cfg.Burst = 1, 3
	e := newEnv(t, cfg)
	q := query([]string{code(2)}, testStay)
	var ok, throttled int
	for range 12 {
		a := e.get(t, q, nil)
		switch a.status {
		case 200:
			ok++
		case 429:
			throttled++
			if a.err.Type != ErrTypeTooManyRequests || a.header.Get("Retry-After") == "" || a.header.Get(HeaderRateLimitMinute) != "60" {
				t.Fatalf("429 answer %+v, headers %v", a.err, a.header)
			}
		default:
			t.Fatalf("status %d", a.status)
		}
	}
	if ok < 3 || throttled == 0 {
		t.Fatalf("%d ok, %d throttled", ok, throttled)
	}
	if s := e.b.Stats(); s.Throttled != int64(throttled) {
		t.Fatalf("stats %+v", s)
	}
	// The client takes the Retry-After the per-second limit sends.
	_, err := e.fetch([]string{code(2)}, testStay)
	if err != nil {
		if k, ve := kindOf(t, err); k != hotelrates.ErrThrottled || ve.RetryAfter < time.Second || ve.RetryAfter > 2*time.Second {
			t.Fatalf("got %v (retry after %v)", err, ve.RetryAfter)
		}
	}
}

// TestRateLimitPerMinute: the minute's capacity (rps x 60) is counted on
// the server's clock; past it the answer is 429 without Retry-After, and
// the client waits for Rate-Limit-Minute-Reset. Every answer's headers
// reach the engine's report.
func TestRateLimitPerMinute(t *testing.T) {
	cfg := testConfig()
	cfg.RPS, cfg.Burst = 0.5, 1000 // 30 a minute; the per-second bucket never empties
	e := newEnv(t, cfg)
	ids := []string{code(2)}
	report := &hotelrates.CallReport{}
	ctx := hotelrates.ContextWithCall(bg, hotelrates.Call{SearchID: "s1", Kind: hotelrates.CallRates, Report: report})
	reset := strconv.FormatInt(time.Date(2026, 6, 1, 10, 1, 0, 0, time.UTC).UnixMilli(), 10)
	for i := 1; i <= 30; i++ {
		if _, err := e.client.Fetch(ctx, e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: ids}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		pct := (30 - i) * 100 / 30
		want := hotelrates.RateLimit{Remaining: 30 * pct / 100, Reset: 30 * time.Second, Known: true}
		if report.RateLimit != want {
			t.Fatalf("call %d: report %+v, want %+v", i, report.RateLimit, want)
		}
	}
	a := e.get(t, query(ids, testStay), nil)
	if a.status != 429 || a.err.Type != ErrTypeTooManyRequests || a.err.Message != msgTooManyRequests || a.header.Get("Retry-After") != "" ||
		a.header.Get(HeaderRateLimitMinute) != "30" || a.header.Get(HeaderRateLimitMinuteRemaining) != "0" ||
		a.header.Get(HeaderRateLimitMinuteReset) != reset || a.header.Get(HeaderRateLimitReduction) != "inactive" ||
		a.header.Get(HeaderRateLimitDay) != "" {
		t.Fatalf("31st call: %d %+v %v", a.status, a.err, a.header)
	}
	e.clock.Advance(10 * time.Second)
	report.RateLimit = hotelrates.RateLimit{}
	_, err := e.client.Fetch(ctx, e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: ids})
	if k, ve := kindOf(t, err); k != hotelrates.ErrThrottled || ve.Status != 429 || ve.RetryAfter != 20*time.Second {
		t.Fatalf("got %v (retry after %v), want throttled until the minute resets in 20s", err, ve.RetryAfter)
	}
	if report.RateLimit != (hotelrates.RateLimit{Remaining: 0, Reset: 20 * time.Second, Known: true}) {
		t.Fatalf("report on the 429 %+v", report.RateLimit)
	}
	// A new minute, a new capacity; 400s count too (and carry the headers).
	e.clock.Advance(20 * time.Second)
	bad := e.get(t, query(ids, testStay, "checkin=x"), nil)
	if bad.status != 400 || bad.header.Get(HeaderRateLimitMinuteRemaining) != strconv.Itoa(29*100/30) {
		t.Fatalf("400 in the new minute: %d %v", bad.status, bad.header)
	}
	if s := e.b.Stats(); s.Throttled != 2 || s.Status["429"] != 2 {
		t.Fatalf("stats %+v", s)
	}
	// Without a report in ctx nothing happens; without Rate-Limit headers
	// (no limit configured) nothing is reported.
	if _, err := e.fetch(ids, testStay); err != nil {
		t.Fatal(err)
	}
	free := newEnv(t, testConfig())
	report.RateLimit = hotelrates.RateLimit{}
	if _, err := free.client.Fetch(ctx, free.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: ids}); err != nil || report.RateLimit.Known {
		t.Fatalf("no limit: %v, report %+v", err, report.RateLimit)
	}
}

// TestDailyCapacity: past the day's capacity the minute's is cut to a
// tenth (Rate-Limit-Reduction-Status: active) until the next UTC day.
func TestDailyCapacity(t *testing.T) {
	cfg := testConfig()
	cfg.RPS, cfg.Burst, cfg.DailyQuota = 1, 1000, 3 // 60 a minute, 6 once reduced
	e := newEnv(t, cfg)
	q := query([]string{code(2)}, testStay)
	midnight := strconv.FormatInt(time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC).UnixMilli(), 10)
	statuses := ""
	for i := 1; i <= 7; i++ {
		a := e.get(t, q, nil)
		statuses += strconv.Itoa(a.status) + " "
		h := a.header
		if h.Get(HeaderRateLimitDay) != "3" || h.Get(HeaderRateLimitDayReset) != midnight {
			t.Fatalf("call %d: headers %v", i, h)
		}
		wantStatus, wantLimit := "inactive", "60"
		if i > 3 {
			wantStatus, wantLimit = "active", "6"
		}
		if h.Get(HeaderRateLimitReduction) != wantStatus || h.Get(HeaderRateLimitMinute) != wantLimit {
			t.Fatalf("call %d: reduction %q, minute %q", i, h.Get(HeaderRateLimitReduction), h.Get(HeaderRateLimitMinute))
		}
		if i == 2 && h.Get(HeaderRateLimitDayRemaining) != "33" {
			t.Fatalf("day remaining %q", h.Get(HeaderRateLimitDayRemaining))
		}
	}
	if statuses != "200 200 200 200 200 200 429 " {
		t.Fatalf("statuses %s", statuses)
	}
	e.clock.Advance(14 * time.Hour) // past midnight UTC
	a := e.get(t, q, nil)
	if a.status != 200 || a.header.Get(HeaderRateLimitReduction) != "inactive" || a.header.Get(HeaderRateLimitDayRemaining) != "66" {
		t.Fatalf("next day: %d %v", a.status, a.header)
	}
}
