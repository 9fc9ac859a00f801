package solo

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

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
	h := http.Header{"Retry-After": {"1"}}
	if a.ct != "" {
		h.Set("Content-Type", a.ct)
	}
	return &http.Response{
		StatusCode: a.status, Status: http.StatusText(a.status), Request: req,
		Header: h, Body: io.NopCloser(strings.NewReader(a.body)),
	}, nil
}

// FuzzTokenAnswer feeds raw token answers (status, content type, body) to
// Authenticate: it never panics; a token comes only from a 2xx answer, is
// not empty and does not expire at once; a failure is a
// *hotelrates.VendorError whose message never carries the client secret.
func FuzzTokenAnswer(f *testing.F) {
	const jsonCT = "application/json"
	for _, s := range []struct {
		status   int
		ct, body string
	}{
		{200, jsonCT, `{"access_token":"0123456789abcdef0123456789abcdef","token_type":"Bearer","expires_in":3600}`},
		{200, jsonCT, `{"access_token":"t","token_type":"bearer","expires_in":0}`},
		{200, jsonCT, `{"access_token":"t","token_type":"mac","expires_in":60}`},
		{200, jsonCT, `{"access_token":"t","token_type":"Bearer","expires_in":-5}`},
		{200, jsonCT, `{"access_token":"t","token_type":"Bearer","expires_in":"60"}`},
		{200, jsonCT, `{"access_token":"","token_type":"Bearer"}`},
		{200, jsonCT, `{"error":"invalid_client","error_description":"bad"}`},
		{200, formCT, "access_token=t&token_type=Bearer&expires_in=60"},
		{200, "text/plain", "access_token=t&token_type=Bearer&expires_in=1e9"},
		{200, jsonCT, `{"access_token":"t"`},
		{401, jsonCT, `{"error":"invalid_client","error_description":"secret ` + sandbox.DemoSoloClientSecret + ` is wrong"}`},
		{400, jsonCT, `{"error":"unsupported_grant_type"}`},
		{429, jsonCT, `{"error":"rate_limited"}`},
		{503, "", ``},
		{500, "text/html", `<html>` + sandbox.DemoSoloClientSecret + `</html>`},
	} {
		f.Add(s.status, s.ct, s.body)
	}
	c := New(Config{BaseURL: "http://solo.invalid/solo", ClientID: sandbox.DemoSoloClientID, ClientSecret: sandbox.DemoSoloClientSecret})
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
		var ve *hotelrates.VendorError
		if !errors.As(err, &ve) || ve.Vendor != "solo" {
			t.Fatalf("status %d %q body %q: error %v is not the vendor's", status, ct, body, err)
		}
		if strings.Contains(err.Error(), sandbox.DemoSoloClientSecret) {
			t.Fatalf("status %d %q body %q: error %q carries the client secret", status, ct, body, err)
		}
	})
}
