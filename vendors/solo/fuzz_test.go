package solo

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hotelrates/sandbox"
)

// fuzzHandler returns the handler with no latency and no faults, and a
// valid bearer token for it.
func fuzzHandler(f *testing.F) (http.Handler, string) {
	cfg := sandbox.DefaultConfig().Vendors.Solo
	cfg.Latency.Base = 0
	done := make(chan struct{})
	f.Cleanup(func() { close(done) })
	b := sandbox.NewBackend(sandbox.Solo, cfg, 1, done)
	h := b.Count(http.StripPrefix("/solo", Handler(b)))
	req := httptest.NewRequest("POST", "/solo"+TokenPath, strings.NewReader(
		"grant_type=client_credentials&client_id="+sandbox.DemoSoloClientID+"&client_secret="+sandbox.DemoSoloClientSecret))
	req.Header.Set("Content-Type", formCT)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var tok tokenResponse
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &tok) != nil {
		f.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	return h, tok.AccessToken
}

// FuzzAvailabilityRequest feeds raw bodies to POST /v1/availability: the
// answer is never a 500, always in the vendor's format, and a 200 decodes
// with the client's decoder.
func FuzzAvailabilityRequest(f *testing.F) {
	h, tok := fuzzHandler(f)
	f.Add(validBody("H00001"), true)
	f.Add(validBody("H00004"), true)
	f.Add(validBody("X1"), true)
	f.Add(validBody("H00001"), false)
	f.Add(`{"hotel_id":"H00002","checkin":"2026-02-27","checkout":"2026-03-29","adults":9,"rooms":9,"currency":"GBP"}`, true)
	f.Add(`{"hotel_id":"H00002","checkin":"2026-12-01","checkout":"2026-12-03","adults":2,"rooms":1,"currency":"USD","x":1}`, true)
	f.Add(`{"hotel_id":"H00002","checkin":"0000-01-01","checkout":"9999-12-31","adults":-1,"rooms":1e3,"currency":"usd"}`, true)
	f.Add(`{"adults":"2"}`, true)
	f.Add(`[1,2]`, true)
	f.Add(`null`, true)
	f.Add(`{}{}`, true)
	f.Add(`{"hotel_id":"\u0000\ud800"}`, true)
	f.Add("", true)
	f.Fuzz(func(t *testing.T, body string, auth bool) {
		req := httptest.NewRequest("POST", "/solo"+AvailabilityPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			var a availabilityRequest
			json.Unmarshal([]byte(body), &a)
			if _, err := parseAvailability("solo", a.HotelID, a.Currency, rec.Body.Bytes()); err != nil {
				t.Fatalf("200 answer %s does not decode: %v", rec.Body, err)
			}
		case 400, 401, 404, 413:
			var e errorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("status %d with body %q not in vendor format", rec.Code, rec.Body)
			}
		default:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
	})
}

// FuzzTokenRequest feeds raw forms and Authorization headers to POST
// /oauth/token: the answer is 200, 400 or 401, in OAuth2 format.
func FuzzTokenRequest(f *testing.F) {
	h, _ := fuzzHandler(f)
	good := "grant_type=client_credentials&client_id=" + sandbox.DemoSoloClientID + "&client_secret=" + sandbox.DemoSoloClientSecret
	f.Add(good, "", formCT)
	f.Add("grant_type=client_credentials", "Basic ZGVtby1zb2xvOnNvbG8tZGVtby1zZWNyZXQ=", formCT)
	f.Add("grant_type=client_credentials", "Basic !!!", formCT)
	f.Add("grant_type=password", "", formCT)
	f.Add("grant_type=%zz&&&==", "Bearer x", formCT+"; charset=utf-8")
	f.Add(good+"&grant_type=x", "", formCT)
	f.Add(good, "", "application/json")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, body, authz, ct string) {
		req := httptest.NewRequest("POST", "/solo"+TokenPath, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			var tok tokenResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || len(tok.AccessToken) < 32 {
				t.Fatalf("200 with body %q", rec.Body)
			}
		case 400, 401:
			var e oauthError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("status %d with body %q not in OAuth format", rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), sandbox.DemoSoloClientSecret) {
				t.Fatalf("answer %q echoes the secret", rec.Body)
			}
		default:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
	})
}

// FuzzParseAvailability feeds raw answers to the client's decoder: it never
// panics, and what it accepts is consistent with the request.
func FuzzParseAvailability(f *testing.F) {
	o := `{"room":"Deluxe King","board":"BB","price":"245.10","refundable":true,"cancel_before":"2026-11-28T18:00:00Z"}`
	f.Add(`{"hotel_id":"H00001","currency":"USD","offers":[` + o + `]}`)
	f.Add(`{"hotel_id":"H00001","currency":"USD","offers":[]}`)
	f.Add(`{"hotel_id":"H00001","currency":"USD","offers":null}`)
	f.Add(`{"hotel_id":"H00001","currency":"USD","offers":[{"room":"R","board":"RO","price":"-0.00","refundable":false,"cancel_before":"x"}]}`)
	f.Add(`{"hotel_id":"H00001","currency":"USD","offers":[{"room":"R","board":"RO","price":"99999999999999999999"}]}`)
	f.Add(`{"error":{"code":"hotel_not_found","message":"m"}}`)
	f.Add(`{"hotel_id":"H00001","currency":"USD","offers":[` + o[:40])
	f.Add("\x00#garbage<{")
	f.Fuzz(func(t *testing.T, data string) {
		parseError([]byte(data))
		got, err := parseAvailability("solo", "H00001", "USD", []byte(data))
		if err != nil {
			if got != nil {
				t.Fatal("offers with an error")
			}
			return
		}
		if len(got) > 1 || (len(got) == 1 && (got[0].HotelID != "H00001" || len(got[0].Offers) == 0)) {
			t.Fatalf("bad result %+v", got)
		}
		for _, hotel := range got {
			for _, o := range hotel.Offers {
				if o.Vendor != "solo" || o.Total.Currency != "USD" || o.Total.Minor < 0 || o.Room == "" || o.Board == "" {
					t.Fatalf("bad offer %+v", o)
				}
				if !o.Refundable && !o.CancelDeadline.IsZero() {
					t.Fatalf("non-refundable offer with a deadline %+v", o)
				}
			}
		}
	})
}
