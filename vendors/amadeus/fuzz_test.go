package amadeus

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

// fuzzHandler returns the handler with no latency, rate limit or faults,
// mounted under /amadeus, and a valid token for it.
func fuzzHandler(f *testing.F) (http.Handler, string) {
	cfg := testConfig()
	cfg.Latency.Base = 0
	done := make(chan struct{})
	f.Cleanup(func() { close(done) })
	b := sandbox.NewBackend(sandbox.Amadeus, cfg, 1, done)
	h := b.Count(http.StripPrefix("/amadeus", Handler(b)))
	req := httptest.NewRequest("POST", "/amadeus"+TokenPath, strings.NewReader(
		"grant_type=client_credentials&client_id="+sandbox.DemoAmadeusClientID+"&client_secret="+sandbox.DemoAmadeusClientSecret))
	req.Header.Set("Content-Type", formCT)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var tok tokenResponse
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &tok) != nil {
		f.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	return h, tok.AccessToken
}

// FuzzHotelOffersRequest feeds raw queries to GET
// /v3/shopping/hotel-offers: the answer is never a 500 or a panic; a 4xx
// is in the API's error format; a 200 decodes with the client's decoder.
func FuzzHotelOffersRequest(f *testing.F) {
	h, tok := fuzzHandler(f)
	c1, c2, c7 := codeOf(1), codeOf(2), codeOf(7)
	for _, q := range []string{
		validQuery(c1), validQuery(c1, c2, c7), validQuery(c7), validQuery(c1) + "&childAges=3,0,17",
		"hotelIds=" + c1, "hotelIds=" + c1 + "&hotelIds=" + c2 + "&includeClosed=true&bestRateOnly=true",
		validQuery(c1) + "&boardType=BREAKFAST&paymentPolicy=GUARANTEE&lang=fr-FR&countryOfResidence=FR&priceRange=-300",
		"hotelIds=" + c1 + "&checkInDate=2027-02-28&checkOutDate=2027-03-30&adults=9&roomQuantity=9&currency=GBP",
		"hotelIds=HRLON001,,x&adults=0", "hotelIds=%zz", "hotelIds=" + c1 + ";adults=1", "adults=1&adults=2",
		"hotelIds=" + c1 + "&checkInDate=0000-01-01&checkOutDate=9999-12-31", "hotelIds=" + c1 + "&childAges=,",
		"hotelIds=\x00\xff", "", "&&&", "hotelIds=" + strings.Repeat(c1+",", 25),
	} {
		f.Add(q, true)
	}
	f.Add(validQuery(c1), false)
	f.Fuzz(func(t *testing.T, rawQuery string, auth bool) {
		req := httptest.NewRequest("GET", "/amadeus"+OffersPath, nil)
		req.URL.RawQuery = rawQuery
		if auth {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			pr, _, rerr := parseQuery(rawQuery, hotelrates.DateOf(time.Now().UTC()), MaxHotelIDs)
			if rerr != nil {
				t.Fatalf("200 for a query the server's parser refuses: %q", rawQuery)
			}
			stay := pr.stay
			if stay.Currency == "" {
				stay.Currency = "EUR" // not checked by the decoder
			}
			if _, err := decodeOffers("amadeus", rec.Body.Bytes(), pr.ids, stay, pr.adultsPerRoom); err != nil {
				t.Fatalf("200 answer %s does not decode: %v", rec.Body, err)
			}
		case 400, 401:
			var e errorsResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || len(e.Errors) != 1 ||
				int(e.Errors[0].Status) != rec.Code || e.Errors[0].Code == 0 || e.Errors[0].Title == "" {
				t.Fatalf("status %d with body %q not in the API's format", rec.Code, rec.Body)
			}
			if rec.Header().Get("Content-Type") != ContentType {
				t.Fatalf("Content-Type %q", rec.Header().Get("Content-Type"))
			}
		default:
			t.Fatalf("status %d for query %q: %s", rec.Code, rawQuery, rec.Body)
		}
	})
}

// FuzzTokenRequest feeds raw forms and content types to POST
// /v1/security/oauth2/token: the answer is 200, 400 or 401, errors in the
// token endpoint's format, never echoing the secret.
func FuzzTokenRequest(f *testing.F) {
	h, _ := fuzzHandler(f)
	good := "grant_type=client_credentials&client_id=" + sandbox.DemoAmadeusClientID + "&client_secret=" + sandbox.DemoAmadeusClientSecret
	f.Add(good, formCT)
	f.Add(good, formCT+"; charset=utf-8")
	f.Add("grant_type=client_credentials&client_id="+sandbox.DemoAmadeusClientID+"&client_secret=x", formCT)
	f.Add("grant_type=password", formCT)
	f.Add("grant_type=%zz&&&==", formCT)
	f.Add(good+"&grant_type=x", formCT)
	f.Add(good, "application/json")
	f.Add(good, "bad/;;")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, body, ct string) {
		req := httptest.NewRequest("POST", "/amadeus"+TokenPath, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			var tok tokenResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || len(tok.AccessToken) != tokenLen || tok.ExpiresIn < 1 {
				t.Fatalf("200 with body %q", rec.Body)
			}
		case 400, 401:
			var e tokenError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" || e.ErrorDescription == "" || e.Code != CodeInvalidClient || e.Title == "" {
				t.Fatalf("status %d with body %q not in the token error format", rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), sandbox.DemoAmadeusClientSecret) {
				t.Fatalf("answer %q echoes the secret", rec.Body)
			}
		default:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
	})
}

// FuzzParseHotelOffers feeds raw answers to the client's decoders: they
// never panic, fail only with *hotelrates.VendorError, and what they
// accept is consistent with the request.
func FuzzParseHotelOffers(f *testing.F) {
	const h1, h2 = "HRPAR001", "HRNYC002"
	o := `{"id":"A1","rateCode":"BAR","checkInDate":"2027-03-10","checkOutDate":"2027-03-12","room":{"type":"D1K","description":{"text":"Deluxe King"}},"boardType":"BREAKFAST","guests":{"adults":2,"childAges":[5]},"price":{"currency":"USD","total":"245.10"},"policies":{"cancellations":[{"deadline":"2027-03-08T18:00:00+01:00"}],"refundable":{"cancellationRefund":"REFUNDABLE_UP_TO_DEADLINE"}}}`
	for _, s := range []string{
		`{"data":[{"type":"hotel-offers","hotel":{"hotelId":"` + h1 + `"},"available":true,"offers":[` + o + `]}]}`,
		`{"data":[{"hotel":{"hotelId":"` + h2 + `"},"available":false},{"hotel":{"hotelId":"` + h1 + `"},"offers":[` + o + `,` + o + `]}]}`,
		`{"data":{"hotel":{"hotelId":"` + h1 + `"},"offers":[` + o + `]}}`,
		`{"data":[]}`, `{"data":null}`, `{}`, `[]`, `null`,
		`{"data":[{"hotel":{"hotelId":"` + h1 + `"},"offers":[{"price":{"currency":"usd","total":"1e3"},"room":{}}]}]}`,
		`{"data":[{"hotel":{"hotelId":"` + h1 + `"},"offers":[{"price":{"currency":"USD","total":"99999999999999999999"},"room":{"type":"ROH"}}]}]}`,
		`{"errors":[{"status":400,"code":3664,"title":"NO ROOMS AVAILABLE AT REQUESTED PROPERTY"}]}`,
		`{"errors":[{"code":"38194","title":"Too many requests","detail":"d","status":"429"}]}`,
		`{"errors":[{"code":1e400,"status":{}}]}`,
		`{"data":[{"hotel":{"hotelId":"` + h1 + `"},"offers":[` + o[:60],
		"\x00#garbage<{",
	} {
		f.Add(s)
	}
	stay := testStay
	stay.Children = []int{5}
	f.Fuzz(func(t *testing.T, data string) {
		errorMessage([]byte(data))
		noRooms([]byte(data))
		got, err := decodeOffers("amadeus", []byte(data), []string{h1, h2}, stay, 2)
		if err != nil {
			if _, ok := errors.AsType[*hotelrates.VendorError](err); !ok || got != nil {
				t.Fatalf("error %v (%T) with %v", err, err, got)
			}
			return
		}
		seen := map[string]bool{}
		for _, h := range got {
			if (h.HotelID != h1 && h.HotelID != h2) || seen[h.HotelID] || len(h.Offers) == 0 {
				t.Fatalf("bad result %+v", got)
			}
			seen[h.HotelID] = true
			for _, o := range h.Offers {
				if o.Vendor != "amadeus" || o.Total.Minor < 0 || len(o.Total.Currency) != 3 || o.Room == "" {
					t.Fatalf("bad offer %+v", o)
				}
				if (!o.Refundable && !o.CancelDeadline.IsZero()) || o.CancelDeadline.Location() != time.UTC {
					t.Fatalf("bad deadline %+v", o)
				}
			}
		}
	})
}

// tokenTransport answers every request with one status, content type and
// body, without a network.
type tokenTransport struct {
	status int
	ct     string
	body   string
}

func (a tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	h := http.Header{}
	if a.ct != "" {
		h.Set("Content-Type", a.ct)
	}
	return &http.Response{
		StatusCode: a.status, Status: http.StatusText(a.status), Request: req,
		Header: h, Body: io.NopCloser(strings.NewReader(a.body)),
	}, nil
}

// FuzzTokenAnswer feeds raw token answers to Authenticate: it never
// panics; a token comes only from a 2xx answer, is not empty and does not
// expire at once; a failure is a *hotelrates.VendorError whose message
// never carries the client id or secret.
func FuzzTokenAnswer(f *testing.F) {
	const js = "application/json"
	for _, s := range []struct {
		status   int
		ct, body string
	}{
		{200, js, `{"type":"amadeusOAuth2Token","username":"u","application_name":"a","client_id":"id","token_type":"Bearer","access_token":"f8XgboI1oKyNw7w23bnnAbFANidf","expires_in":1799,"state":"approved","scope":""}`},
		{200, js, `{"access_token":"t","token_type":"bearer","expires_in":0}`},
		{200, js, `{"access_token":"t","token_type":"mac","expires_in":60}`},
		{200, js, `{"access_token":"t","token_type":"Bearer","expires_in":-5}`},
		{200, js, `{"access_token":"t","token_type":"Bearer","expires_in":"60"}`},
		{200, js, `{"error":"invalid_client","error_description":"bad"}`},
		{200, js, `{"access_token":"t"`},
		{401, js, `{"error":"invalid_client","error_description":"Client credentials are invalid ` + sandbox.DemoAmadeusClientSecret + `","code":38187,"title":"Invalid parameters"}`},
		{400, js, `{"error":"unsupported_grant_type","code":"38187"}`},
		{429, js, `{"errors":[{"code":"38194","status":"429"}]}`},
		{503, "", ``},
		{500, "text/html", `<html>` + sandbox.DemoAmadeusClientID + `</html>`},
	} {
		f.Add(s.status, s.ct, s.body)
	}
	c := New(Config{BaseURL: "https://test.api.amadeus.invalid", ClientID: sandbox.DemoAmadeusClientID, ClientSecret: sandbox.DemoAmadeusClientSecret})
	f.Fuzz(func(t *testing.T, status int, ct, body string) {
		if status < 0 {
			status = -(status + 1)
		}
		status = 200 + status%400
		hc := &http.Client{Transport: tokenTransport{status: status, ct: ct, body: body}}
		cred, err := c.Authenticate(context.Background(), hc)
		if err == nil {
			if status/100 != 2 || cred.Secret == "" || (!cred.Expires.IsZero() && !cred.Expires.After(time.Now())) {
				t.Fatalf("status %d %q body %q: credential %+v", status, ct, body, cred)
			}
			return
		}
		ve, ok := errors.AsType[*hotelrates.VendorError](err)
		if !ok || ve.Vendor != "amadeus" {
			t.Fatalf("status %d %q body %q: error %v is not the vendor's", status, ct, body, err)
		}
		for _, s := range []string{sandbox.DemoAmadeusClientSecret, sandbox.DemoAmadeusClientID, "test.api.amadeus.invalid"} {
			if strings.Contains(err.Error(), s) {
				t.Fatalf("status %d %q body %q: error %q carries %q", status, ct, body, err, s)
			}
		}
	})
}
