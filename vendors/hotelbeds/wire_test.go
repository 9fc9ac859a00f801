package hotelbeds

// The wire-format test. There is no machine-readable Hotelbeds spec, so
// the facts the published SDK (hotelbeds-sdk/hotel-api-sdk-java) and the
// developer documentation (developer.hotelbeds.com: API_Errors,
// Best_Practices, booking-api) state are written down here as shapes, and
// both the client's request and the sandbox's answers are checked against
// them:
//
//   - the request: POST /hotel-api/1.0/hotels with Api-key, X-Signature
//     (hex SHA-256 of key + secret + Unix seconds), Accept and Content-Type
//     application/json, Accept-Encoding gzip; AvailabilityRQ with stay
//     {checkIn, checkOut}, occupancies [{rooms >= 1, adults >= 1,
//     children >= 0, paxes [{roomId?, type AD|CH, age}]}] and hotels
//     {hotel: [JSON integers], at most 2,000};
//   - the answer: AvailabilityRS with auditData and hotels {checkIn,
//     checkOut, total (integer), hotels [{code (integer), name, currency,
//     minRate, maxRate, rooms [{code, name, rates [{rateKey, rateClass
//     NOR|NRF, rateType BOOKABLE|RECHECK, net, allotment (integer),
//     paymentType AT_WEB|AT_HOTEL, packaging (boolean), boardCode,
//     boardName, cancellationPolicies [{amount, from}], rooms, adults,
//     children (integers), childrenAges}]}]}]}; money (minRate, maxRate,
//     net, amount) is JSON strings, as observed in real answers; total 0
//     and no hotels[] when nothing is available;
//   - errors: JSON {"auditData", "error": {code, message}} for 400
//     (INVALID_REQUEST, INVALID_DATA), 410 and 500 (SYSTEM_ERROR); the
//     gateway's answers are 403 with Content-Type text/xml, a tiny body,
//     X-Mashery-Error-Code, X-Error-Detail-Header, Retry-After in seconds,
//     X-Plan-QPS-Allotted and X-Plan-QPS-Current.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// shape is what a JSON value must look like.
type shape struct {
	kind     string           // object, array, string, integer, boolean, money, date, datetime, enum
	fields   map[string]shape // object: the keys allowed
	required []string         // object: the keys that must be there
	elem     *shape           // array
	enum     []string         // enum
	min      *int64           // integer
}

func obj(required []string, fields map[string]shape) shape {
	return shape{kind: "object", fields: fields, required: required}
}
func arr(elem shape) shape { return shape{kind: "array", elem: &elem} }
func enum(v ...string) shape {
	return shape{kind: "enum", enum: v}
}
func intMin(n int64) shape { return shape{kind: "integer", min: &n} }

var (
	str      = shape{kind: "string"}
	integer  = shape{kind: "integer"}
	boolean  = shape{kind: "boolean"}
	money    = shape{kind: "money"}
	date     = shape{kind: "date"}
	datetime = shape{kind: "datetime"}
	anything = shape{kind: "any"}
)

// requestShape is AvailabilityRQ as the SDK defines it.
var requestShape = obj([]string{"stay", "occupancies"}, map[string]shape{
	"stay": obj([]string{"checkIn", "checkOut"}, map[string]shape{
		"checkIn": date, "checkOut": date, "shiftDays": integer, "allowOnlyShift": boolean,
	}),
	"occupancies": arr(obj([]string{"rooms", "adults", "children"}, map[string]shape{
		"rooms": intMin(1), "adults": intMin(1), "children": intMin(0),
		"paxes": arr(obj([]string{"type"}, map[string]shape{"roomId": intMin(1), "type": enum(PaxAdult, PaxChild), "age": intMin(0)})),
	})),
	"hotels":      obj([]string{"hotel"}, map[string]shape{"hotel": arr(intMin(1)), "included": boolean, "type": str}),
	"destination": anything, "geolocation": anything, "keywords": anything, "filter": anything, "boards": anything,
	"rooms": anything, "dailyRate": boolean, "sourceMarket": str, "language": str, "echoToken": str,
})

var auditShape = obj(nil, map[string]shape{
	"processTime": str, "timestamp": str, "requestHost": str, "serverId": str, "environment": str, "release": str, "token": str,
})

// answerShape is AvailabilityRS as the SDK defines it; money as strings.
var answerShape = obj([]string{"auditData", "hotels"}, map[string]shape{
	"auditData": auditShape,
	"hotels": obj([]string{"total"}, map[string]shape{
		"checkIn": date, "checkOut": date, "total": intMin(0),
		"hotels": arr(obj([]string{"code", "name", "currency", "minRate", "maxRate", "rooms"}, map[string]shape{
			"code": intMin(1), "name": str, "categoryCode": str, "categoryName": str, "destinationCode": str,
			"destinationName": str, "zoneCode": integer, "zoneName": str, "latitude": str, "longitude": str,
			"minRate": money, "maxRate": money, "currency": enum(sandbox.Currencies...),
			"rooms": arr(obj([]string{"code", "name", "rates"}, map[string]shape{
				"code": str, "name": str,
				"rates": arr(obj([]string{"rateKey", "rateClass", "rateType", "net", "allotment", "paymentType", "boardCode", "rooms", "adults", "children"}, map[string]shape{
					"rateKey": str, "rateClass": enum(RateClassRefundable, RateClassNonRefundable),
					"rateType": enum(RateTypeBookable, RateTypeRecheck), "net": money, "sellingRate": money,
					"hotelMandatory": boolean, "allotment": intMin(0), "rateCommentsId": str,
					"paymentType": enum(PaymentAtWeb, PaymentAtHotel), "packaging": boolean,
					"boardCode": enum("RO", "BB", "HB", "FB", "AI"), "boardName": str,
					"cancellationPolicies": arr(obj([]string{"amount", "from"}, map[string]shape{
						"amount": money, "from": datetime, "hotelAmount": money, "hotelCurrency": str,
					})),
					"taxes": anything, "rooms": intMin(1), "adults": intMin(1), "children": intMin(0), "childrenAges": str,
					"promotions": anything, "offers": anything, "dailyRates": anything,
				})),
			})),
		})),
	}),
})

var errorShape = obj([]string{"auditData", "error"}, map[string]shape{
	"auditData": auditShape,
	"error":     obj([]string{"code", "message"}, map[string]shape{"code": enum(CodeInvalidRequest, CodeInvalidData, CodeSystemError), "message": str}),
})

var (
	moneyRE    = regexp.MustCompile(`^-?[0-9]+(\.[0-9]{1,2})?$`)
	datetimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$`)
	hexRE      = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// conform decodes body (numbers kept as text) and checks it against s.
func conform(t *testing.T, body []byte, s shape) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %.200s", err, body)
	}
	check(t, "$", v, s)
	return v
}

func check(t *testing.T, path string, v any, s shape) {
	t.Helper()
	fail := func(what string) { t.Helper(); t.Fatalf("%s: %s, got %T %v", path, what, v, v) }
	switch s.kind {
	case "any":
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			fail("want an object")
		}
		for _, k := range s.required {
			if _, ok := m[k]; !ok {
				fail("missing " + k)
			}
		}
		for k, x := range m {
			f, ok := s.fields[k]
			if !ok {
				fail("field " + k + " is not in the API")
			}
			check(t, path+"."+k, x, f)
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			fail("want an array")
		}
		for i, x := range a {
			check(t, path+"["+strconv.Itoa(i)+"]", x, *s.elem)
		}
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			fail("want a JSON integer")
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			fail("want a JSON integer")
		}
		if s.min != nil && i < *s.min {
			fail("below " + strconv.FormatInt(*s.min, 10))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("want a boolean")
		}
	default:
		x, ok := v.(string)
		if !ok {
			fail("want a JSON string")
		}
		switch s.kind {
		case "money":
			if !moneyRE.MatchString(x) {
				fail("want a decimal amount")
			}
		case "date":
			if _, err := time.Parse(hotelrates.DateLayout, x); err != nil {
				fail("want YYYY-MM-DD")
			}
		case "datetime":
			if _, err := time.Parse(time.RFC3339, x); err != nil || !datetimeRE.MatchString(x) {
				fail("want an ISO 8601 time with offset")
			}
		case "enum":
			if !slices.Contains(s.enum, x) {
				fail("want one of " + strings.Join(s.enum, ", "))
			}
		}
	}
}

// recorded is one request the sandbox received.
type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

// recordingEnv is an env whose server also keeps every request it got.
func recordingEnv(t *testing.T, clock *testClock) (*env, func() []recorded) {
	var (
		mu   sync.Mutex
		reqs []recorded
	)
	e := newEnvWith(t, testConfig(), clock, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			reqs = append(reqs, recorded{r.Method, r.URL.Path, r.Header.Clone(), b})
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
			next.ServeHTTP(w, r)
		})
	})
	return e, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(reqs)
	}
}

func TestWireRequest(t *testing.T) {
	clock := newClock(time.Unix(1_800_000_000, 0))
	e, requests := recordingEnv(t, clock)
	stay := testStay
	stay.Children = []int{9}
	if _, err := e.fetch(stay, "1126", "1129"); err != nil {
		t.Fatal(err)
	}
	r := requests()[0]
	if r.method != http.MethodPost || r.path != "/hotelbeds"+AvailabilityPath {
		t.Fatalf("%s %s", r.method, r.path)
	}
	want := map[string]string{
		"Api-Key": testKey, "Accept": "application/json", "Content-Type": "application/json", "Accept-Encoding": "gzip",
		"X-Signature": Signature(testKey, testSecret, clock.Now().Unix()),
	}
	for k, v := range want {
		if got := r.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	for k := range r.header {
		switch k {
		case "Api-Key", "X-Signature", "Accept", "Content-Type", "Accept-Encoding", "Content-Length", "User-Agent":
		default:
			t.Errorf("header %s is not one the API knows", k)
		}
	}
	if !hexRE.MatchString(r.header.Get("X-Signature")) {
		t.Errorf("X-Signature %q is not 64 lowercase hex digits", r.header.Get("X-Signature"))
	}
	conform(t, r.body, requestShape)
	const example = `{"stay":{"checkIn":"2027-03-10","checkOut":"2027-03-13"},"occupancies":[{"rooms":1,"adults":2,"children":1,"paxes":[{"type":"CH","age":9}]}],"hotels":{"hotel":[1126,1129]}}`
	if string(r.body) != example {
		t.Fatalf("body\n%s\nwant\n%s", r.body, example)
	}

	// Every stay of the ground-truth test, and a full batch of codes (of
	// hotels not carried, so that the answer is quick).
	var full []string
	for n := 1; len(full) < MaxHotels; n += 4 {
		full = append(full, codeOf(n))
	}
	for name, stay := range testStays() {
		codes := full[:20]
		if name == "2 adults USD" {
			codes = full
		}
		if _, err := e.fetch(stay, codes...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		reqs := requests()
		v := conform(t, reqs[len(reqs)-1].body, requestShape)
		if got := v.(map[string]any)["hotels"].(map[string]any)["hotel"].([]any); len(got) != len(codes) {
			t.Fatalf("%s: %d codes", name, len(got))
		}
	}
}

func TestWireAnswer(t *testing.T) {
	clock := newClock(time.Date(2027, 1, 5, 10, 0, 0, 0, time.UTC))
	e := newEnv(t, testConfig(), clock)
	var codes []int64
	for n := 1; n <= 120; n++ {
		codes = append(codes, int64(1000+3*n))
	}
	counts := map[string]int{}
	for name, stay := range testStays() {
		a := e.do(t, http.MethodPost, AvailabilityPath, reqBody(codes, stay), nil)
		if a.status != 200 || a.header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: %d %v", name, a.status, a.header)
		}
		conform(t, a.body, answerShape)
		var rs availabilityRS
		if err := json.Unmarshal(a.body, &rs); err != nil {
			t.Fatal(err)
		}
		if rs.Hotels.Total != len(rs.Hotels.Hotels) || rs.Hotels.CheckIn != stay.CheckIn.String() || rs.Hotels.CheckOut != stay.CheckOut.String() {
			t.Fatalf("%s: total %d for %d hotels, %s to %s", name, rs.Hotels.Total, len(rs.Hotels.Hotels), rs.Hotels.CheckIn, rs.Hotels.CheckOut)
		}
		for _, h := range rs.Hotels.Hotels {
			id, _ := sandbox.HotelOf(sandbox.Hotelbeds, strconv.FormatInt(h.Code, 10))
			if h.Currency != sandbox.ContractCurrency(id) {
				t.Fatalf("hotel %d in %s, contract currency %s", h.Code, h.Currency, sandbox.ContractCurrency(id))
			}
			lo, _ := hotelrates.ParseMoney(string(h.MinRate), h.Currency)
			hi, _ := hotelrates.ParseMoney(string(h.MaxRate), h.Currency)
			for _, r := range h.Rooms {
				for _, rate := range r.Rates {
					net, _ := hotelrates.ParseMoney(string(rate.Net), h.Currency)
					if net.Minor < lo.Minor || net.Minor > hi.Minor {
						t.Fatalf("net %s outside minRate %s maxRate %s", rate.Net, h.MinRate, h.MaxRate)
					}
					if rate.Rooms != stay.Rooms || rate.Adults != stay.Adults || rate.Children != len(stay.Children) || rate.ChildrenAges != joinAges(stay.Children) {
						t.Fatalf("%s: rate for %d rooms %d adults %d children (%q)", name, rate.Rooms, rate.Adults, rate.Children, rate.ChildrenAges)
					}
					if len(rate.CancellationPolicies) != 1 {
						t.Fatalf("%d cancellation policies", len(rate.CancellationPolicies))
					}
					counts[rate.RateClass]++
					counts[h.Currency]++
				}
			}
		}
	}
	for _, k := range []string{RateClassRefundable, RateClassNonRefundable, "EUR", "USD", "GBP"} {
		if counts[k] == 0 {
			t.Fatalf("no %s rate checked: %v", k, counts)
		}
	}
	// Nothing available: total 0 and no hotels[].
	a := e.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1003, 5}, testStay), nil)
	v := conform(t, a.body, answerShape).(map[string]any)["hotels"].(map[string]any)
	if len(v) != 1 || v["total"] != json.Number("0") {
		t.Fatalf("empty answer hotels = %v", v)
	}
}

func joinAges(ages []int) string {
	s := make([]string, len(ages))
	for i, a := range ages {
		s[i] = strconv.Itoa(a)
	}
	return strings.Join(s, ",")
}

func TestWireErrors(t *testing.T) {
	clock := newClock(time.Date(2027, 1, 5, 10, 0, 0, 0, time.UTC))
	e := newEnv(t, testConfig(), clock)
	bad := reqBody([]int64{1126}, hotelrates.Stay{CheckIn: testStay.CheckIn, CheckOut: testStay.CheckIn, Adults: 1, Rooms: 1})
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{bad, 400, CodeInvalidData},
		{bad, 410, CodeInvalidData},
	} {
		a := e.do(t, http.MethodPost, AvailabilityPath, tc.body, nil)
		if a.status != tc.status || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
			t.Fatalf("%d %v", a.status, a.header)
		}
		if v := conform(t, a.body, errorShape); v.(map[string]any)["error"].(map[string]any)["code"] != tc.code {
			t.Fatalf("%d: %s", a.status, a.body)
		}
	}
	// Throttled: the first call uses the burst.
	cfg := testConfig()
	cfg.RPS, cfg.Burst = 0.01, 1
	qps := newEnv(t, cfg, clock)
	qps.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126}, testStay), nil)
	a := qps.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126}, testStay), nil)
	checkGateway(t, a, MasheryOverQPS)
	for _, h := range []string{"Retry-After", QPSAllottedHeader, QPSCurrentHeader} {
		if _, err := strconv.ParseFloat(a.header.Get(h), 64); err != nil {
			t.Fatalf("%s %q is not a number", h, a.header.Get(h))
		}
	}
	q := newEnv(t, func() sandbox.VendorConfig { c := testConfig(); c.DailyQuota = 1; return c }(), clock)
	q.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126}, testStay), nil)
	a = q.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126}, testStay), nil)
	checkGateway(t, a, MasheryOverRate)
	if ra, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || ra != 14*3600 {
		t.Fatalf("Retry-After %q at 10:00 UTC", a.header.Get("Retry-After"))
	}
	// The 500 fault.
	f := newEnv(t, func() sandbox.VendorConfig { c := testConfig(); c.Faults.Error500 = 1; return c }(), clock)
	a = f.do(t, http.MethodPost, AvailabilityPath, reqBody([]int64{1126}, testStay), nil)
	if v := conform(t, a.body, errorShape); a.status != 500 || v.(map[string]any)["error"].(map[string]any)["code"] != CodeSystemError {
		t.Fatalf("500: %s", a.body)
	}
}
