package hotelbeds

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hotelrates"
)

// checkGateway asserts a raw answer is the gateway's: 403, text/xml, the
// tiny <h1> body and its headers.
func checkGateway(t *testing.T, a answer, code string) {
	t.Helper()
	if a.status != http.StatusForbidden || a.header.Get(MasheryErrorCodeHeader) != code {
		t.Fatalf("got %d %s %q, want 403 %s", a.status, a.header.Get(MasheryErrorCodeHeader), a.body, code)
	}
	if ct := a.header.Get("Content-Type"); ct != "text/xml" {
		t.Fatalf("Content-Type %q", ct)
	}
	if a.header.Get(ErrorDetailHeader) == "" || !strings.HasPrefix(string(a.body), "<h1>") || len(a.body) > 64 {
		t.Fatalf("gateway answer %q, detail %q", a.body, a.header.Get(ErrorDetailHeader))
	}
}

func TestSignature(t *testing.T) {
	// sha256("abc" + "def" + "1") computed independently.
	const want = "ac9f830ae6cf2299ba293dd4cec3be0d87a88e6a8fbfe5015de6fffd11d79b6e"
	if got := Signature("abc", "def", 1); got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
	if Signature("abc", "def", 1) == Signature("abc", "def", 2) {
		t.Fatal("the signature ignores the time")
	}
}

func TestAuth(t *testing.T) {
	clock := newClock(time.Unix(1_800_000_000, 0))
	e := newEnv(t, testConfig(), clock)
	ts := clock.Now().Unix()
	sig := func(d int64) string { return Signature(testKey, testSecret, ts+d) }
	tests := []struct {
		name  string
		extra map[string]string
		code  string // "" for 200
	}{
		{"valid", nil, ""},
		{"uppercase hex", map[string]string{SignatureHeader: strings.ToUpper(sig(0))}, ""},
		{"signed 300 s ago", map[string]string{SignatureHeader: sig(-300)}, ""},
		{"signed 300 s ahead", map[string]string{SignatureHeader: sig(300)}, ""},
		{"signed 301 s ago", map[string]string{SignatureHeader: sig(-301)}, MasheryNotAuthorized},
		{"signed 301 s ahead", map[string]string{SignatureHeader: sig(301)}, MasheryNotAuthorized},
		{"signed in milliseconds", map[string]string{SignatureHeader: Signature(testKey, testSecret, ts*1000)}, MasheryNotAuthorized},
		{"wrong secret", map[string]string{SignatureHeader: Signature(testKey, "other", ts)}, MasheryNotAuthorized},
		{"no signature", map[string]string{SignatureHeader: ""}, MasheryNotAuthorized},
		{"short signature", map[string]string{SignatureHeader: sig(0)[:40]}, MasheryNotAuthorized},
		{"not hex", map[string]string{SignatureHeader: strings.Repeat("zz", 32)}, MasheryNotAuthorized},
		{"unknown key", map[string]string{APIKeyHeader: "other-key", SignatureHeader: Signature("other-key", testSecret, ts)}, MasheryDeveloperInactive},
		{"no key", map[string]string{APIKeyHeader: ""}, MasheryDeveloperInactive},
	}
	body := reqBody([]int64{1126, 1129}, testStay)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do(t, http.MethodPost, AvailabilityPath, body, tc.extra)
			if tc.code == "" {
				if a.status != 200 {
					t.Fatalf("status %d %s", a.status, a.body)
				}
				return
			}
			checkGateway(t, a, tc.code)
			if strings.Contains(string(a.body), testSecret) {
				t.Fatal("the answer reveals the secret")
			}
		})
	}
	// A bad body is still the gateway's answer when unsigned: the gateway
	// checks first.
	a := e.do(t, http.MethodPost, AvailabilityPath, "{not json", map[string]string{SignatureHeader: ""})
	checkGateway(t, a, MasheryNotAuthorized)
}

// TestSignatureSkew: the client's clock against the server's, through
// Fetch, with the configured skew.
func TestSignatureSkew(t *testing.T) {
	clock := newClock(time.Unix(1_800_000_000, 0))
	cfg := testConfig()
	cfg.SignatureSkew = 60 * time.Second
	e := newEnv(t, cfg, clock)
	tests := []struct {
		name        string
		key, secret string
		off         time.Duration
		ok          bool
	}{
		{"same clock", testKey, testSecret, 0, true},
		{"60 s behind", testKey, testSecret, -60 * time.Second, true},
		{"60 s ahead", testKey, testSecret, 60 * time.Second, true},
		{"61 s behind", testKey, testSecret, -61 * time.Second, false},
		{"61 s ahead", testKey, testSecret, 61 * time.Second, false},
		{"wrong secret", testKey, "not-the-secret", 0, false},
		{"wrong key", "not-the-key", testSecret, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Config{BaseURL: e.base, APIKey: tc.key, Secret: tc.secret, Now: func() time.Time { return clock.Now().Add(tc.off) }})
			_, err := c.Fetch(context.Background(), e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"1126"}})
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			k, ve := kindOf(t, err)
			if k != hotelrates.ErrUnauthorized || ve.Status != 403 || !strings.Contains(err.Error(), "ERR_403_") {
				t.Fatalf("got %v, want unauthorized 403", err)
			}
			for _, s := range []string{tc.key, tc.secret, Signature(tc.key, tc.secret, clock.Now().Add(tc.off).Unix())} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error %q reveals a credential", err)
				}
			}
		})
	}
	// The server's clock moves: a signature made now is refused 61 s later.
	c := New(Config{BaseURL: e.base, APIKey: testKey, Secret: testSecret, Now: func() time.Time { return time.Unix(1_800_000_000, 0) }})
	clock.Add(61 * time.Second)
	if _, err := c.Fetch(context.Background(), e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"1126"}}); err == nil {
		t.Fatal("a signature 61 s old was accepted")
	}
}

func TestDailyQuota(t *testing.T) {
	clock := newClock(time.Date(2027, 1, 5, 23, 59, 0, 0, time.UTC))
	cfg := testConfig()
	cfg.DailyQuota = 3
	e := newEnv(t, cfg, clock)
	fetch := func() error { _, err := e.fetch(testStay, "1126"); return err }

	// A call with a bad body counts too; a bad signature does not.
	if a := e.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126}, testStay), map[string]string{SignatureHeader: ""}); a.status != 403 {
		t.Fatalf("unsigned: %d", a.status)
	}
	if a := e.do(t, http.MethodPost, AvailabilityPath, `{"stay":{}}`, nil); a.status != 400 {
		t.Fatalf("bad body: %d", a.status)
	}
	for i := range 2 {
		if err := fetch(); err != nil {
			t.Fatalf("call %d: %v", i+2, err)
		}
	}
	// The fourth call of the day: over the quota until 00:00 UTC.
	a := e.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126}, testStay), nil)
	checkGateway(t, a, MasheryOverRate)
	if a.header.Get("Retry-After") != "60" {
		t.Fatalf("Retry-After %q at 23:59:00, want 60", a.header.Get("Retry-After"))
	}
	err := fetch()
	k, ve := kindOf(t, err)
	if k != hotelrates.ErrQuota || ve.RetryAfter != time.Minute || ve.Status != 403 || ve.Retryable() {
		t.Fatalf("got %v (retry after %v), want quota exhausted for 1m", err, ve.RetryAfter)
	}
	// Half a second before midnight Retry-After rounds up to a second.
	clock.Set(time.Date(2027, 1, 5, 23, 59, 59, 500_000_000, time.UTC))
	if a := e.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126}, testStay), nil); a.header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After %q, want 1", a.header.Get("Retry-After"))
	}
	// A new UTC day renews the quota.
	clock.Set(time.Date(2027, 1, 6, 0, 0, 0, 0, time.UTC))
	for i := range 3 {
		if err := fetch(); err != nil {
			t.Fatalf("new day, call %d: %v", i+1, err)
		}
	}
	if _, err := e.fetch(testStay, "1126"); err == nil {
		t.Fatal("the fourth call of the new day was served")
	}
	// Four calls over the quota, one unsigned.
	if s := e.b.Stats(); s.Throttled != 4 || s.Status["403"] != 5 {
		t.Fatalf("stats %+v", s)
	}

	// Without a Retry-After the client waits for the next UTC midnight by
	// its own clock.
	fake := httptest403(t, map[string]string{MasheryErrorCodeHeader: MasheryOverRate}, "<h1>Developer Over Rate</h1>")
	c := New(Config{BaseURL: fake, APIKey: testKey, Secret: testSecret, Now: func() time.Time { return time.Date(2027, 1, 6, 18, 0, 0, 0, time.FixedZone("X", -5*3600)) }})
	_, err = c.Fetch(context.Background(), http.DefaultClient, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"1126"}})
	if k, ve := kindOf(t, err); k != hotelrates.ErrQuota || ve.RetryAfter != time.Hour {
		t.Fatalf("got %v, retry after %v; want quota for 1h (23:00 UTC)", err, ve.RetryAfter)
	}
}

func TestQPSThrottle(t *testing.T) {
	cfg := testConfig()
	cfg.RPS, cfg.Burst = 0.01, 1 // one call, then one per 100 s
	cfg.DailyQuota = 2
	e := newEnv(t, cfg, nil)
	if _, err := e.fetch(testStay, "1126"); err != nil {
		t.Fatal(err)
	}
	a := e.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126}, testStay), nil)
	checkGateway(t, a, MasheryOverQPS)
	ra, err := strconv.Atoi(a.header.Get("Retry-After"))
	if err != nil || ra < 90 || ra > 100 {
		t.Fatalf("Retry-After %q", a.header.Get("Retry-After"))
	}
	if a.header.Get(QPSAllottedHeader) != "0.01" || a.header.Get(QPSCurrentHeader) == "" {
		t.Fatalf("QPS headers %v", a.header)
	}
	// Through the client: ErrThrottled with Retry-After, and the plan's
	// remaining calls reported to the engine.
	report := &hotelrates.CallReport{}
	ctx := hotelrates.ContextWithCall(context.Background(), hotelrates.Call{Report: report})
	_, err = e.client.Fetch(ctx, e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"1126"}})
	k, ve := kindOf(t, err)
	if k != hotelrates.ErrThrottled || ve.RetryAfter < 90*time.Second || ve.Status != 403 || !ve.Retryable() {
		t.Fatalf("got %v (retry after %v), want throttled", err, ve.RetryAfter)
	}
	if !report.RateLimit.Known || report.RateLimit.Remaining != 0 || report.RateLimit.Reset != time.Second {
		t.Fatalf("rate limit report %+v", report.RateLimit)
	}
	// Throttled calls do not use up the daily quota (2): had the first
	// throttled call counted, the second would have been over the quota.
	if s := e.b.Stats(); s.Throttled != 2 || s.Status["403"] != 2 || s.Status["200"] != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// TestQueueFull: calls past the service slots and the queue are throttled
// by the gateway too.
func TestQueueFull(t *testing.T) {
	cfg := testConfig()
	cfg.Latency.Base = 200 * time.Millisecond
	cfg.Concurrency, cfg.QueueLimit = 1, 1
	e := newEnv(t, cfg, nil)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = e.fetch(testStay, codeOf(i+2)) })
	}
	wg.Wait()
	throttled := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		if k, ve := kindOf(t, err); k != hotelrates.ErrThrottled || ve.RetryAfter < time.Second {
			t.Fatalf("got %v, want throttled", err)
		}
		throttled++
	}
	if s := e.b.Stats(); throttled == 0 || s.PeakInService != 1 || s.PeakQueue > 1 || s.Throttled != int64(throttled) {
		t.Fatalf("%d throttled, stats %+v", throttled, s)
	}
}

func TestRepeatedFailure(t *testing.T) {
	clock := newClock(time.Date(2027, 1, 5, 10, 0, 0, 0, time.UTC))
	e := newEnv(t, testConfig(), clock)
	bad := testStay
	bad.CheckOut = bad.CheckIn
	body := reqBody([]int64{1126}, bad)
	a := e.do(t, http.MethodPost, AvailabilityPath, body, nil)
	if a.status != 400 || a.err.Error.Code != CodeInvalidData || !strings.Contains(a.err.Error.Message, "checkOut") {
		t.Fatalf("first: %d %+v", a.status, a.err.Error)
	}
	// The same body within 15 minutes: 410, saying what failed.
	clock.Add(RepeatWindow - time.Second)
	a = e.do(t, http.MethodPost, AvailabilityPath, body, nil)
	if a.status != 410 || a.err.Error.Code != CodeInvalidData || !strings.Contains(a.err.Error.Message, "checkOut") {
		t.Fatalf("repeated: %d %+v", a.status, a.err.Error)
	}
	// Through the client: ErrRejected, not retryable.
	_, err := e.fetch(bad, "1126")
	if k, ve := kindOf(t, err); k != hotelrates.ErrRejected || ve.Status != 410 || ve.Retryable() {
		t.Fatalf("client: %v", err)
	}
	// A different request is served; a good one is never remembered.
	good := reqBody([]int64{1126}, testStay)
	for range 2 {
		if a := e.do(t, http.MethodPost, AvailabilityPath, good, nil); a.status != 200 {
			t.Fatalf("good request: %d", a.status)
		}
	}
	// 15 minutes after the failure it is processed again (and fails 400).
	clock.Add(time.Second)
	if a := e.do(t, http.MethodPost, AvailabilityPath, body, nil); a.status != 400 {
		t.Fatalf("after the window: %d", a.status)
	}
}

// TestFailuresBounded: the memory of failed requests stays bounded and
// forgets expired ones.
func TestFailuresBounded(t *testing.T) {
	f := newFailures(100)
	now := time.Unix(1_800_000_000, 0)
	for i := range 1000 {
		f.remember([]byte(strconv.Itoa(i)), now, "x")
	}
	if n := f.size(); n > 100 {
		t.Fatalf("%d remembered, bound 100", n)
	}
	if _, ok := f.repeated([]byte("999"), now); !ok {
		t.Fatal("the newest failure is forgotten")
	}
	if _, ok := f.repeated([]byte("0"), now); ok {
		t.Fatal("the oldest failure past the bound is remembered")
	}
	later := now.Add(RepeatWindow)
	if _, ok := f.repeated([]byte("999"), later); ok {
		t.Fatal("a failure is remembered past the window")
	}
	f.remember([]byte("new"), later, "y")
	if n := f.size(); n != 1 || len(f.order)-f.head != 1 {
		t.Fatalf("after the window %d remembered, %d in order", n, len(f.order)-f.head)
	}
	// The same body failing again after its window counts once.
	f.remember([]byte("new"), later.Add(RepeatWindow), "z")
	if msg, ok := f.repeated([]byte("new"), later.Add(RepeatWindow)); !ok || msg != "z" || f.size() != 1 {
		t.Fatalf("re-remembered: %q %v size %d", msg, ok, f.size())
	}
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t, testConfig(), nil)
	valid := func(mod func(m map[string]any)) string {
		m := map[string]any{
			"stay":        map[string]any{"checkIn": "2027-03-10", "checkOut": "2027-03-13"},
			"occupancies": []any{map[string]any{"rooms": 1, "adults": 2, "children": 0}},
			"hotels":      map[string]any{"hotel": []int{1126}},
		}
		mod(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	set := func(k string, v any) func(m map[string]any) { return func(m map[string]any) { m[k] = v } }
	del := func(k string) func(m map[string]any) { return func(m map[string]any) { delete(m, k) } }
	stay := func(in, out string) func(m map[string]any) {
		return set("stay", map[string]any{"checkIn": in, "checkOut": out})
	}
	var tooMany []int
	for i := range MaxHotels + 1 {
		tooMany = append(tooMany, 1000+i)
	}
	tests := []struct {
		name   string
		body   string
		header map[string]string
		status int
		code   string
		want   string // a word the message must hold
	}{
		{"empty body", "", nil, 400, CodeInvalidRequest, "empty"},
		{"not JSON", "hello", nil, 400, CodeInvalidRequest, "JSON"},
		{"truncated", `{"stay":{"checkIn":"2027`, nil, 400, CodeInvalidRequest, "JSON"},
		{"array", `[1]`, nil, 400, CodeInvalidRequest, "object"},
		{"trailing data", valid(func(map[string]any) {}) + `{}`, nil, 400, CodeInvalidRequest, "nothing after"},
		{"unknown field", valid(set("currency", "EUR")), nil, 400, CodeInvalidRequest, "currency"},
		{"hotel code a string", valid(set("hotels", map[string]any{"hotel": []string{"1126"}})), nil, 400, CodeInvalidRequest, "hotels.hotel"},
		{"hotel code a float", `{"stay":{"checkIn":"2027-03-10","checkOut":"2027-03-13"},"occupancies":[{"rooms":1,"adults":2,"children":0}],"hotels":{"hotel":[1126.5]}}`, nil, 400, CodeInvalidRequest, "hotels.hotel"},
		{"adults a string", valid(set("occupancies", []any{map[string]any{"rooms": 1, "adults": "2", "children": 0}})), nil, 400, CodeInvalidRequest, "adults"},
		{"too many hotels", valid(set("hotels", map[string]any{"hotel": tooMany})), nil, 400, CodeInvalidRequest, "2000"},
		{"no stay", valid(del("stay")), nil, 400, CodeInvalidData, "stay"},
		{"bad checkIn", valid(stay("10/03/2027", "2027-03-13")), nil, 400, CodeInvalidData, "checkIn"},
		{"checkOut before checkIn", valid(stay("2027-03-13", "2027-03-10")), nil, 400, CodeInvalidData, "checkOut"},
		{"31 nights", valid(stay("2027-03-01", "2027-04-01")), nil, 400, CodeInvalidData, "31 nights"},
		{"no occupancies", valid(del("occupancies")), nil, 400, CodeInvalidData, "occupancies"},
		{"a room without adults", valid(set("occupancies", []any{map[string]any{"rooms": 1, "adults": 0, "children": 0}})), nil, 400, CodeInvalidData, "occupancies[0].adults"},
		{"child without age", valid(set("occupancies", []any{map[string]any{"rooms": 1, "adults": 1, "children": 1}})), nil, 400, CodeInvalidData, "child paxes"},
		{"no hotels", valid(del("hotels")), nil, 400, CodeInvalidData, "hotels.hotel"},
		{"empty hotel list", valid(set("hotels", map[string]any{"hotel": []int{}})), nil, 400, CodeInvalidData, "hotels.hotel"},
		{"negative code", valid(set("hotels", map[string]any{"hotel": []int{1126, -3}})), nil, 400, CodeInvalidData, "hotels.hotel[1]"},
		{"excluding hotels", valid(set("hotels", map[string]any{"hotel": []int{1126}, "included": false})), nil, 400, CodeInvalidData, "included"},
		{"destination search", valid(func(m map[string]any) { delete(m, "hotels"); m["destination"] = map[string]any{"code": "PMI"} }), nil, 400, CodeInvalidData, "destination"},
		{"hotels and destination", valid(set("destination", map[string]any{"code": "PMI"})), nil, 400, CodeInvalidData, "one of"},
		{"XML body", `<availabilityRQ/>`, map[string]string{"Content-Type": "application/xml"}, 415, CodeInvalidRequest, "Content-Type"},
		{"XML only accepted", valid(func(map[string]any) {}), map[string]string{"Accept": "application/xml"}, 406, CodeInvalidRequest, "Accept"},
		{"body over 1 MiB", `{"language":"` + strings.Repeat("x", MaxRequestBody) + `"}`, nil, 400, CodeInvalidRequest, "larger"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do(t, http.MethodPost, AvailabilityPath, tc.body, tc.header)
			if a.status != tc.status || a.err.Error.Code != tc.code || !strings.Contains(a.err.Error.Message, tc.want) {
				t.Fatalf("got %d %+v, want %d %s with %q", a.status, a.err.Error, tc.status, tc.code, tc.want)
			}
		})
	}
	// The optional fields of the API are accepted (and ignored).
	ok := valid(func(m map[string]any) {
		m["filter"] = map[string]any{"maxHotels": 10, "paymentType": "AT_WEB"}
		m["boards"] = map[string]any{"board": []string{"BB"}, "included": true}
		m["language"], m["sourceMarket"], m["dailyRate"] = "ENG", "UK", false
		m["stay"] = map[string]any{"checkIn": "2027-03-10", "checkOut": "2027-03-13", "shiftDays": 2, "allowOnlyShift": false}
		m["hotels"] = map[string]any{"hotel": []int{1126}, "included": true, "type": "HOTELBEDS"}
	})
	if a := e.do(t, http.MethodPost, AvailabilityPath, ok, nil); a.status != 200 {
		t.Fatalf("optional fields: %d %s", a.status, a.body)
	}
	// Through the client a 400 is ErrRejected.
	c := New(Config{BaseURL: e.base, APIKey: testKey, Secret: testSecret})
	long := testStay
	long.CheckOut = long.CheckIn.AddDays(MaxNights + 1)
	_, err := c.Fetch(context.Background(), e.hc, hotelrates.Credential{}, hotelrates.Query{Stay: long, HotelIDs: []string{"1126"}})
	if k, ve := kindOf(t, err); k != hotelrates.ErrRejected || ve.Status != 400 || !strings.Contains(err.Error(), "INVALID_DATA") {
		t.Fatalf("got %v, want rejected 400 INVALID_DATA", err)
	}
}

func TestMethodAndPath(t *testing.T) {
	e := newEnv(t, testConfig(), nil)
	tests := []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, AvailabilityPath, 405},
		{http.MethodPut, AvailabilityPath, 405},
		{http.MethodGet, "/", 404},
		{http.MethodPost, "/hotel-api/1.2/hotels", 404},
		{http.MethodPost, AvailabilityPath + "/x", 404},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			a := e.do(t, tc.method, tc.path, "", nil)
			if a.status != tc.status || a.err.Error.Code != CodeInvalidRequest {
				t.Fatalf("got %d %+v, want %d", a.status, a.err.Error, tc.status)
			}
			if tc.status == 405 && a.header.Get("Allow") != http.MethodPost {
				t.Fatalf("Allow %q", a.header.Get("Allow"))
			}
		})
	}
	if s := e.b.Stats(); s.RateCalls != 0 || s.Requests != int64(len(tests)) {
		t.Fatalf("stats %+v", s)
	}
}

func TestStats(t *testing.T) {
	e := newEnv(t, testConfig(), nil)
	e.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126, 1129, 1}, testStay), nil)
	e.do(t, http.MethodPost, AvailabilityPath, "{not json", nil)
	e.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126, 1129}, testStay), map[string]string{SignatureHeader: ""})
	e.do(t, http.MethodGet, "/nowhere", "", nil)
	s := e.b.Stats()
	if s.Requests != 4 || s.RateCalls != 3 || s.Hotels != 3+0+2 || s.Status["200"] != 1 || s.Status["400"] != 1 ||
		s.Status["403"] != 1 || s.Status["404"] != 1 || s.AuthGrants != 0 || s.InService != 0 || s.PeakInService != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// httptest403 serves every request the gateway's 403 with headers and
// body, and returns its URL.
func httptest403(t *testing.T, headers map[string]string, body string) string {
	t.Helper()
	return fakeVendor(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(body))
	})
}
