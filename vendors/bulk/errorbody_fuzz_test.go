package bulk

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"hotelrates"
)

// answerTransport answers every request with one status and body, without
// a network.
type answerTransport struct {
	status int
	body   []byte
}

func (a answerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: a.status, Status: http.StatusText(a.status), Request: req,
		Header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"2"}},
		Body:   io.NopCloser(strings.NewReader(string(a.body))),
	}, nil
}

// FuzzErrorBody feeds raw error answers (a status from 300 to 599 and a
// body) to the client: it never panics; the error is a
// *hotelrates.VendorError with the status, classified by it; its message
// is bounded and carries neither the API key, the secret nor the
// request's signature.
func FuzzErrorBody(f *testing.F) {
	now := time.Unix(1_780_000_000, 0)
	sig := Signature(testKey, testSecret, now.Unix())
	for _, s := range []struct {
		status int
		body   string
	}{
		{400, `{"type":"invalid_input","message":"checkin is not a date"}`},
		{400, `{"type":"too_many_hotels","message":"` + strings.Repeat("H00001,", 60) + `"}`},
		{401, `{"type":"request_unauthenticated","message":"bad signature ` + sig + ` for key ` + testKey + `"}`},
		{401, `{"type":"","message":"secret ` + testSecret + `"}`},
		{429, `{"type":"rate_limit_exceeded","message":""}`},
		{500, `{"type":"internal_error"}`},
		{503, `{"message":"down"}`},
		{502, `<html>bad gateway</html>`},
		{404, `{"type":1,"message":null}`},
		{400, `{"type":"a","message":"b"}{"x":`},
		{400, ``},
	} {
		f.Add(s.status, []byte(s.body))
	}
	c := New(Config{BaseURL: "http://bulk.invalid/bulk", APIKey: testKey, Secret: testSecret, Now: func() time.Time { return now }})
	q := hotelrates.Query{Stay: testStay, HotelIDs: []string{"H00001", "H00002"}}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 0 {
			status = -(status + 1)
		}
		status = 300 + status%300
		hc := &http.Client{Transport: answerTransport{status: status, body: body}}
		got, err := c.Fetch(context.Background(), hc, hotelrates.Credential{}, q)
		var ve *hotelrates.VendorError
		if err == nil || got != nil || !errors.As(err, &ve) {
			t.Fatalf("status %d body %q: %v, %v", status, body, got, err)
		}
		if ve.Vendor != "bulk" || ve.Status != status {
			t.Fatalf("status %d: error %+v", status, ve)
		}
		want := hotelrates.ErrRejected
		switch {
		case status == 401 || status == 403:
			want = hotelrates.ErrUnauthorized
		case status == 429:
			want = hotelrates.ErrThrottled
		case status >= 500 || status == 408:
			want = hotelrates.ErrUnavailable
		}
		if ve.Kind != want {
			t.Fatalf("status %d: kind %s, want %s", status, ve.Kind, want)
		}
		msg := err.Error()
		for _, s := range []string{testKey, testSecret, sig} {
			if strings.Contains(msg, s) {
				t.Fatalf("error %q carries a credential", msg)
			}
		}
		if ve.Err != nil && len(ve.Err.Error()) > 303 {
			t.Fatalf("message of %d bytes", len(ve.Err.Error()))
		}
	})
}
