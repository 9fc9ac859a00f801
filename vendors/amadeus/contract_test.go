package amadeus

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"hotelrates"
	"hotelrates/internal/spectest"
	"hotelrates/sandbox"
)

// The published specifications the contract tests check against.
const (
	searchSpec = "amadeus/HotelSearch_v3_swagger_specification.json"
	authSpec   = "amadeus/Authorizaton_v1_swagger_specification.json"
)

// contractTraffic drives the client and raw requests through the sandbox
// so that every kind of answer occurs: tokens and token errors; offers
// for several hotels and stays (children, rooms, every currency, closed
// hotels, best rate, no currency); 400s, 401s, a 429, a 500 and a 503.
func contractTraffic(t *testing.T) []exchange {
	t.Helper()
	e := newEnv(t, func(c *sandbox.VendorConfig) { c.RPS, c.Burst = 0.5, 1 })
	cred := e.token(t)
	batch := make([]string, 0, MaxHotelIDs)
	for n := 1; len(batch) < MaxHotelIDs; n++ {
		batch = append(batch, codeOf(n))
	}
	stays := []hotelrates.Stay{
		testStay,
		{CheckIn: hotelrates.MustDate("2027-07-01"), CheckOut: hotelrates.MustDate("2027-07-08"), Adults: 4, Rooms: 2, Children: []int{7, 0}, Currency: "EUR"},
		{CheckIn: hotelrates.MustDate("2027-07-01"), CheckOut: hotelrates.MustDate("2027-07-02"), Adults: 1, Rooms: 1, Currency: "GBP"},
	}
	// Through the rate-limited env: one 200, then a 429.
	e.get(t, cred.Secret, validQuery(batch[:3]...)+"&includeClosed=true")
	e.get(t, cred.Secret, validQuery(batch[:3]...))

	e3 := newEnv(t, nil) // no rate limit
	for _, stay := range stays {
		if _, err := e3.fetch(context.Background(), e3.token(t), stay, batch...); err != nil {
			t.Fatal(err)
		}
		if _, err := e3.fetch(context.Background(), e3.token(t), stay, codeOf(7)); err != nil { // 400 3664
			t.Fatal(err)
		}
	}
	tok := e3.token(t).Secret
	for _, q := range []string{
		strings.Replace(validQuery(batch...), "&bestRateOnly=false", "", 1),                // best rate only
		"hotelIds=" + strings.Join(batch, ",") + "&bestRateOnly=false&boardType=BREAKFAST", // defaults, no currency
		validQuery(batch...) + "&paymentPolicy=DEPOSIT&lang=EN&countryOfResidence=FR",
		"hotelIds=x", "hotelIds=" + codeOf(1) + "&adults=0", "hotelIds=" + codeOf(1) + "&currency=JPY",
		validQuery(codeOf(1)) + "&priceRange=100-200&roomQuantity=12",
	} {
		e3.get(t, tok, q)
	}
	e3.do(t, "GET", "/v3/shopping/nothing", nil, "") // 404
	e3.do(t, "POST", OffersPath, nil, "")            // 405
	e3.get(t, "", validQuery(codeOf(1)))
	e3.get(t, "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", validQuery(codeOf(1)))
	e3.do(t, "POST", TokenPath, hdr("Content-Type", formCT), "grant_type=client_credentials&client_id=x&client_secret=y") // 401
	e3.do(t, "POST", TokenPath, hdr("Content-Type", formCT), "grant_type=password")                                       // 400
	e3.do(t, "POST", TokenPath, hdr("Content-Type", formCT), "client_id=x")                                               // 400
	for _, f := range []func(*sandbox.Faults){func(f *sandbox.Faults) { f.Error500 = 1 }, func(f *sandbox.Faults) { f.Error503 = 1 }} {
		ef := newEnv(t, func(c *sandbox.VendorConfig) { f(&c.Faults) })
		ef.get(t, ef.token(t).Secret, validQuery(codeOf(1)))
		e3.cap.mu.Lock()
		e3.cap.list = append(e3.cap.list, ef.cap.all()...)
		e3.cap.mu.Unlock()
	}
	return append(e.cap.all(), e3.cap.all()...)
}

// TestContractClientRequests: every request the client made (captured at
// the server) is valid for the specifications.
func TestContractClientRequests(t *testing.T) {
	search, auth := spectest.Load(t, searchSpec), spectest.Load(t, authSpec)
	e := newEnv(t, nil)
	cred := e.token(t)
	stays := []hotelrates.Stay{testStay,
		{CheckIn: hotelrates.MustDate("2027-07-01"), CheckOut: hotelrates.MustDate("2027-07-31"), Adults: 6, Rooms: 3, Children: []int{17, 0, 5}, Currency: "EUR"},
		{CheckIn: hotelrates.MustDate("2027-07-01"), CheckOut: hotelrates.MustDate("2027-07-02"), Adults: 9, Rooms: 1, Currency: "GBP"},
	}
	var batch []string
	for n := 1; len(batch) < MaxHotelIDs; n++ {
		batch = append(batch, codeOf(n))
	}
	for _, stay := range stays {
		if _, err := e.fetch(context.Background(), cred, stay, batch...); err != nil {
			t.Fatal(err)
		}
		if _, err := e.fetch(context.Background(), cred, stay, batch[0]); err != nil {
			t.Fatal(err)
		}
	}
	tokens, offers := 0, 0
	for _, ex := range e.cap.all() {
		var err error
		switch ex.path {
		case TokenPath:
			tokens++
			err = auth.Request(ex.method, ex.path, ex.rawQuery, ex.reqHeader, ex.reqBody)
		case OffersPath:
			offers++
			err = search.Request(ex.method, ex.path, ex.rawQuery, ex.reqHeader, ex.reqBody)
		default:
			t.Errorf("the client asked for %s", ex.path)
		}
		if err != nil {
			t.Errorf("%s %s?%s: %v", ex.method, ex.path, ex.rawQuery, err)
		}
	}
	if tokens != 1 || offers != 2*len(stays) {
		t.Errorf("%d token and %d offers requests, want 1 and %d", tokens, offers, 2*len(stays))
	}
}

// TestContractServerAnswers: the sandbox's answers are valid for the
// specifications. Two deviations of the real API from its published
// Hotel Search schema are tolerated, exactly: data is a list of
// HotelOffers (the schema says one object; its own example is a list),
// and the 429 carries code and status as strings (the schema says
// integers). Answers with statuses the specifications do not list (401,
// 429, 503, 404, 405 for Hotel Search; 400 for the token endpoint) are
// checked against the specification's error schema directly.
func TestContractServerAnswers(t *testing.T) {
	search, auth := spectest.Load(t, searchSpec), spectest.Load(t, authSpec)
	errorsSchema := search.Doc().Components.Schemas["Errors"]
	tokenErrorSchema := auth.Doc().Components.Schemas["ErrorResponse"]
	if errorsSchema == nil || tokenErrorSchema == nil {
		t.Fatal("the specifications have no Errors / ErrorResponse schema")
	}
	visit := func(schema *openapi3.Schema, body []byte) error {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		return schema.VisitJSON(v)
	}
	produces := swaggerProduces(t)
	seen := map[string]int{}
	for _, ex := range contractTraffic(t) {
		name := ex.method + " " + ex.path + " " + http.StatusText(ex.status)
		seen[ex.path+" "+strconv.Itoa(ex.status)]++
		if ex.path == OffersPath {
			// The Swagger 2.0 document's produces is the vendor media
			// type, which the sandbox sends; the conversion to OpenAPI 3
			// (openapi2conv) drops the global produces and lists the
			// responses as application/json, so the body is checked
			// under that name.
			if ct := ex.respHeader.Get("Content-Type"); ct != produces {
				t.Errorf("%s: Content-Type %q, the specification produces %q", name, ct, produces)
			}
			ex.respHeader = ex.respHeader.Clone()
			ex.respHeader.Set("Content-Type", "application/json")
		}
		switch ex.path {
		case TokenPath:
			var err error
			if ex.status == 400 {
				err = visit(tokenErrorSchema.Value, ex.respBody)
			} else {
				err = auth.Response(ex.method, ex.path, ex.rawQuery, ex.reqHeader, ex.status, ex.respHeader, ex.respBody)
			}
			if err != nil {
				t.Errorf("%s: %v\n%s", name, err, ex.respBody)
			}
		case "/v3/shopping/nothing":
			if err := visit(errorsSchema.Value, ex.respBody); err != nil || ex.status != 404 {
				t.Errorf("%s: %v\n%s", name, err, ex.respBody)
			}
		case OffersPath:
			switch ex.status {
			case 200:
				// Deviation 1: data is a list. The raw answer fails the
				// schema on data alone; each element, as the schema's
				// single object, passes.
				var top struct {
					Data []json.RawMessage `json:"data"`
				}
				if err := json.Unmarshal(ex.respBody, &top); err != nil || len(top.Data) == 0 {
					t.Fatalf("%s: data is not a non-empty list: %v", name, err)
				}
				if err := search.Response(ex.method, ex.path, ex.rawQuery, ex.reqHeader, ex.status, ex.respHeader, ex.respBody); err == nil || !strings.Contains(err.Error(), "data") {
					t.Errorf("%s: the raw answer should fail on data (a list) only, got %v", name, err)
				}
				for i, d := range top.Data {
					one, _ := json.Marshal(map[string]json.RawMessage{"data": d})
					if err := search.Response(ex.method, ex.path, ex.rawQuery, ex.reqHeader, ex.status, ex.respHeader, one); err != nil {
						t.Errorf("%s data[%d]: %v\n%s", name, i, err, d)
					}
				}
			case 400, 500:
				if err := search.Response(ex.method, ex.path, ex.rawQuery, ex.reqHeader, ex.status, ex.respHeader, ex.respBody); err != nil {
					t.Errorf("%s: %v\n%s", name, err, ex.respBody)
				}
			case 429:
				// Deviation 2: code and status are strings. As strings the
				// body fails the schema; with them as numbers it passes.
				var body struct {
					Errors []map[string]any `json:"errors"`
				}
				if err := json.Unmarshal(ex.respBody, &body); err != nil || len(body.Errors) != 1 {
					t.Fatalf("%s: %v %s", name, err, ex.respBody)
				}
				if visit(errorsSchema.Value, ex.respBody) == nil {
					t.Errorf("%s: the 429 should fail the schema (string code and status)", name)
				}
				for _, k := range []string{"code", "status"} {
					s, ok := body.Errors[0][k].(string)
					if !ok {
						t.Fatalf("%s: %s is not a string: %s", name, k, ex.respBody)
					}
					body.Errors[0][k] = json.Number(s)
				}
				fixed, _ := json.Marshal(body)
				if err := visit(errorsSchema.Value, fixed); err != nil {
					t.Errorf("%s with numeric code and status: %v", name, err)
				}
			default:
				if err := visit(errorsSchema.Value, ex.respBody); err != nil {
					t.Errorf("%s: %v\n%s", name, err, ex.respBody)
				}
			}
		}
	}
	for _, want := range []string{TokenPath + " 200", TokenPath + " 400", TokenPath + " 401",
		OffersPath + " 200", OffersPath + " 400", OffersPath + " 401", OffersPath + " 405", OffersPath + " 429", OffersPath + " 500", OffersPath + " 503",
		"/v3/shopping/nothing 404"} {
		if seen[want] == 0 {
			t.Errorf("no %s answer was checked", want)
		}
	}
}

// swaggerProduces returns the Hotel Search document's global produces.
func swaggerProduces(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(spectest.Dir(t), searchSpec))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Produces []string `json:"produces"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Produces) != 1 {
		t.Fatalf("the specification's produces: %v %v", doc.Produces, err)
	}
	return doc.Produces[0]
}
