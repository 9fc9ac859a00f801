package rapid

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"hotelrates"
	"hotelrates/internal/spectest"
	"hotelrates/sandbox"
)

// The contract tests check the sandbox's answers and the client's requests
// against Rapid's published OpenAPI specification (EPS Rapid v3,
// specs.yaml of github.com/ExpediaGroup/rapid-java-sdk). Two things the
// spec forces, and the tests document:
//
//   - The 200 answer's items reference Property, whose discriminator maps
//     status "available" to PropertyAvailability but has no oneOf, so a
//     validator checks only Property's own fields (property_id, status,
//     score). The tests also validate each property against
//     PropertyAvailability, the schema the discriminator names.
//   - The spec has no 404 for this operation (no availability is 200 with
//     an empty array), and a validator accepts a status the spec does not
//     list. The tests check that the spec lists every status the sandbox
//     answers, that it lists no 404, and that the sandbox answers no
//     availability with 200 [].

// loadContract loads the spec once for the package's tests (a megabyte of
// YAML), or skips the test when the spec is absent.
func loadContract(t *testing.T) *spectest.Contract {
	contractMu.Lock()
	defer contractMu.Unlock()
	if cachedContract == nil {
		cachedContract = spectest.Load(t, "rapid/specs.yaml")
	}
	return cachedContract
}

var (
	contractMu     sync.Mutex
	cachedContract *spectest.Contract
)

// TestContractClientRequests: the requests the client actually sends,
// captured at the sandbox, are valid requests of the spec, headers
// (Authorization, Accept, Accept-Encoding, User-Agent) and query included.
func TestContractClientRequests(t *testing.T) {
	contract := loadContract(t)
	e := newEnv(t, testConfig())
	s := testStay
	s.Adults, s.Rooms, s.Children, s.Currency = 5, 3, []int{9, 4}, "GBP"
	ctx := hotelrates.ContextWithCall(bg, hotelrates.Call{SearchID: "search-1", Kind: hotelrates.CallRates})
	c := New(Config{BaseURL: e.base, APIKey: testKey, Secret: testSecret, Now: e.clock.Now, CustomerIP: "5.5.5.5"})
	for _, q := range []hotelrates.Query{
		{Stay: testStay, HotelIDs: []string{code(2)}},
		{Stay: s, HotelIDs: append(codes(1, 376)[:249], "999")},
	} {
		if _, err := c.Fetch(ctx, e.hc, hotelrates.Credential{}, q); err != nil {
			t.Fatal(err)
		}
	}
	reqs := e.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, r := range reqs {
		path := strings.TrimPrefix(r.path, "/rapid")
		if err := contract.Request(http.MethodGet, path, r.rawQuery, r.header, nil); err != nil {
			t.Errorf("request %d (%s?%.80s...) breaks the spec: %v", i, path, r.rawQuery, err)
		}
		if !strings.HasPrefix(r.header.Get("Authorization"), "EAN apikey=") {
			t.Errorf("request %d: Authorization %q", i, r.header.Get("Authorization"))
		}
	}
	// The validator does object: a request without the required headers
	// and parameters is refused.
	if err := contract.Request(http.MethodGet, AvailabilityPath, "property_id=1", http.Header{}, nil); err == nil {
		t.Fatal("the contract accepts a request without its required parameters")
	}
}

// TestContractServerAnswers: every kind of answer the sandbox gives to the
// availability endpoint is a valid answer of the spec: status, headers
// (Rate-Limit-* numbers, Region, WWW-Authenticate) and body.
func TestContractServerAnswers(t *testing.T) {
	contract := loadContract(t)
	op := contract.Doc().Paths.Find("/properties/availability").Get
	if op.Responses.Status(http.StatusNotFound) != nil {
		t.Fatal("the spec now has a 404 for availability: revisit the client's mapping of 404")
	}
	available := contract.Doc().Components.Schemas["PropertyAvailability"].Value

	cfg := testConfig()
	cfg.RPS, cfg.Burst, cfg.DailyQuota = 1, 1000, 1000 // 60 a minute, so the headers are sent
	e := newEnv(t, cfg)
	full := testStay
	full.Adults, full.Rooms, full.Children, full.Currency = 4, 3, []int{2}, "EUR"
	ids := append(codes(1, 40), "999")
	tests := []struct {
		name   string
		query  string
		header map[string]string
		status int
	}{
		{"offers", query(ids, full), nil, 200},
		{"offers, not gzipped", query(ids, testStay), map[string]string{"Accept-Encoding": ""}, 200},
		{"no availability", query(notRapid, testStay), nil, 200},
		{"Test: standard", query(ids, testStay), map[string]string{HeaderTest: TestStandard}, 200},
		{"invalid input", query(ids, testStay, "checkin=2019-01-1", "occupancy=1|1|1|1|1|1|1|1|1"), nil, 400},
		{"bad signature", query(ids, testStay), map[string]string{"Authorization": AuthorizationHeader(testKey, "wrong", testStart.Unix())}, 401},
		{"no signature", query(ids, testStay), map[string]string{"Authorization": ""}, 401},
		{"Test: unknown_internal_error", query(ids, testStay), map[string]string{HeaderTest: TestUnknownInternalError}, 500},
		{"Test: service_unavailable", query(ids, testStay), map[string]string{HeaderTest: TestServiceUnavailable}, 503},
		{"Test: forbidden", query(ids, testStay), map[string]string{HeaderTest: TestForbidden}, 403},
	}
	check := func(t *testing.T, status int, a answer, header map[string]string) {
		t.Helper()
		if op.Responses.Status(status) == nil {
			t.Fatalf("the spec lists no %d", status)
		}
		reqHeader := http.Header{"Accept": {"application/json"}, "Accept-Encoding": {"gzip"}, "User-Agent": {"t/1"}}
		// The body is already decompressed.
		h := a.header.Clone()
		h.Del("Content-Encoding")
		if err := contract.Response(http.MethodGet, AvailabilityPath, "", reqHeader, status, h, a.body); err != nil {
			t.Fatalf("answer %d %s breaks the spec: %v", status, clip(string(a.body), 200), err)
		}
		if status != 200 {
			return
		}
		var props []any
		if err := json.Unmarshal(a.body, &props); err != nil {
			t.Fatal(err)
		}
		for i, p := range props {
			if err := available.VisitJSON(p, openapi3.MultiErrors()); err != nil {
				t.Fatalf("property %d breaks PropertyAvailability: %v", i, err)
			}
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.get(t, tc.query, tc.header)
			if a.status != tc.status {
				t.Fatalf("status %d (%+v), want %d", a.status, a.err, tc.status)
			}
			if tc.name == "no availability" && string(a.body) != "[]" {
				t.Fatalf("no availability: %s", a.body)
			}
			if tc.status == 200 && a.header.Get(HeaderRateLimitMinuteRemaining) == "" {
				t.Fatal("no Rate-Limit headers")
			}
			check(t, tc.status, a, tc.header)
		})
	}

	// 429 past the minute's capacity (the 60th call of the minute was
	// above), and the faults' 500, 503 and 401.
	t.Run("429", func(t *testing.T) {
		var a answer
		for range 60 {
			if a = e.get(t, query(ids[:1], testStay), nil); a.status == 429 {
				break
			}
		}
		if a.status != 429 {
			t.Fatalf("no 429 in 60 calls: %d", a.status)
		}
		check(t, 429, a, nil)
	})
	for _, f := range []struct {
		name   string
		set    func(*sandbox.Faults)
		status int
	}{
		{"fault 500", func(f *sandbox.Faults) { f.Error500 = 1 }, 500},
		{"fault 503", func(f *sandbox.Faults) { f.Error503 = 1 }, 503},
		{"fault revoke", func(f *sandbox.Faults) { f.Revoke = 1 }, 401},
	} {
		t.Run(f.name, func(t *testing.T) {
			cfg := testConfig()
			f.set(&cfg.Faults)
			fe := newEnv(t, cfg)
			a := fe.get(t, query(ids, testStay), nil)
			if a.status != f.status {
				t.Fatalf("status %d", a.status)
			}
			check(t, f.status, a, nil)
		})
	}
}
