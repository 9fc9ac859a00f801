package bulk

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// FuzzAvailabilityRequest feeds raw bodies and Authorization headers
// through the server (faults off): it must never panic or answer 500, and
// every error must be in the vendor's format.
func FuzzAvailabilityRequest(f *testing.F) {
	now := time.Unix(1_780_000_000, 0)
	cfg := testConfig()
	cfg.Latency = sandbox.Latency{Jitter: "none"}
	cfg.QueueLimit = 1 << 20
	done := make(chan struct{})
	f.Cleanup(func() { close(done) })
	b := sandbox.NewBackend(sandbox.Bulk, cfg, 1, done)
	h := b.Count(http.StripPrefix("/bulk", HandlerWithClock(b, func() time.Time { return now })))

	valid := reqBody([]string{"H00001", "H00002", "X1"}, testStay)
	auth := AuthorizationHeader(testKey, testSecret, now.Unix())
	seeds := []struct{ body, auth string }{
		{valid, auth},
		{valid, "EAN " + strings.ReplaceAll(auth, ",", ", ")},
		{valid, ""},
		{valid, "APIKey=a,Signature=b,timestamp=c"},
		{valid, "APIKey==,Signature==,timestamp=="},
		{valid, "EAN "},
		{valid, ",,"},
		{"", auth},
		{"null", auth},
		{"[]", auth},
		{`{"property_ids":[]}`, auth},
		{`{"property_ids":["H00001"],"checkin":"2026-12-01","checkout":"2026-12-03","occupancy":{"adults":2,"rooms":1},"currency":"USD","x":1}`, auth},
		{`{"property_ids":["H00001"],"checkin":"2026-12-01","checkout":"2026-12-03","occupancy":{"adults":1e400,"rooms":1},"currency":"USD"}`, auth},
		{`{"property_ids":["H00001"],"checkin":"0000-01-01","checkout":"9999-12-31","occupancy":{"adults":2,"rooms":1},"currency":"USD"}`, auth},
		{`{"property_ids":["\u0000"],"occupancy":null}`, auth},
		{valid + valid, auth},
		{`{"property_ids":"H00001"}`, auth},
	}
	for _, s := range seeds {
		f.Add([]byte(s.body), s.auth)
	}
	f.Fuzz(func(t *testing.T, body []byte, authz string) {
		req := httptest.NewRequest(http.MethodPost, "/bulk"+AvailabilityPath, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK:
			var a availabilityResponse
			if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.Properties == nil {
				t.Fatalf("200 body %q does not parse: %v", w.Body.Bytes(), err)
			}
		case http.StatusBadRequest, http.StatusUnauthorized:
			var e errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Type == "" || e.Message == "" {
				t.Fatalf("status %d body %q is not a vendor error", w.Code, w.Body.Bytes())
			}
		default:
			t.Fatalf("status %d for body %q auth %q", w.Code, body, authz)
		}
	})
}

// FuzzDecodeAnswer feeds raw answers to the client's decoder: it must
// never panic, and either fail with ErrBadResponse or return offers only
// for hotels asked, once each, in the currency asked.
func FuzzDecodeAnswer(f *testing.F) {
	asked := []string{"H00001", "H00002", "H00005"}
	good := sandboxAnswer(asked)
	for _, s := range []string{
		good,
		`{"properties":[]}`,
		`{"properties":null}`,
		`{}`,
		`[]`,
		``,
		`{"properties":[{"property_id":"H00001","rooms":[{"room_name":"A","board":"RO","total":{"value":"-0.5","currency":"USD"},"cancel_deadline":"2026-11-28T18:00:00+02:00"}]}]}`,
		`{"properties":[{"property_id":"H00009","rooms":[]}]}`,
		`{"properties":[{"property_id":"H00001","rooms":[{"total":{"value":"1e3","currency":"USD"}}]}]}`,
		good[:len(good)/2],
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := decodeAnswer("bulk", body, asked, "USD")
		if err != nil {
			var ve *hotelrates.VendorError
			if !errors.As(err, &ve) || ve.Kind != hotelrates.ErrBadResponse {
				t.Fatalf("error %v is not ErrBadResponse", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, h := range got {
			if seen[h.HotelID] || (h.HotelID != "H00001" && h.HotelID != "H00002" && h.HotelID != "H00005") || len(h.Offers) == 0 {
				t.Fatalf("hotel %q answered wrongly in %+v", h.HotelID, got)
			}
			seen[h.HotelID] = true
			for _, o := range h.Offers {
				if o.Total.Currency != "USD" || o.Vendor != "bulk" {
					t.Fatalf("offer %+v", o)
				}
			}
		}
	})
}

// sandboxAnswer is the server's answer body for asked and the test stay.
func sandboxAnswer(asked []string) string {
	s := &server{b: sandbox.NewBackend(sandbox.Bulk, testConfig(), 1, nil)}
	b, err := json.Marshal(s.answer(asked, testStay))
	if err != nil {
		panic(err)
	}
	return string(b)
}
