package session

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"hotelrates"
	"hotelrates/sandbox"
)

// answerTransport answers every request with one status and body, without
// a network.
type answerTransport struct {
	status int
	body   string
}

func (a answerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: a.status, Status: http.StatusText(a.status), Request: req,
		Header: http.Header{"Content-Type": {ContentType}}, Body: io.NopCloser(strings.NewReader(a.body)),
	}, nil
}

// fuzzStatus maps any int to an HTTP status from 100 to 599.
func fuzzStatus(s int) int {
	if s < 0 {
		s = -s
	}
	if s < 0 { // the most negative int
		s = 0
	}
	return 100 + s%500
}

// FuzzLoginAnswer feeds raw login answers (status and body) to
// Authenticate: it never panics; a session comes only from a 200 with a
// session id and an idle timeout not negative; a failure is a
// *hotelrates.VendorError (wrong credentials ErrRejected) that never
// carries the password.
func FuzzLoginAnswer(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
	}{
		{200, `<?xml version="1.0" encoding="UTF-8"?><LoginRS><SessionID>` + fuzzSession + `</SessionID><IdleTimeout>60</IdleTimeout></LoginRS>`},
		{200, `<LoginRS><SessionID>s</SessionID><IdleTimeout>-1</IdleTimeout></LoginRS>`},
		{200, `<LoginRS><SessionID></SessionID><IdleTimeout>60</IdleTimeout></LoginRS>`},
		{200, `<LoginRS><SessionID>s</SessionID><IdleTimeout>x</IdleTimeout></LoginRS>`},
		{200, `<LoginRS><SessionID>s</SessionID></LoginRS><LoginRS/>`},
		{200, `<Fault code="AuthFailed">no</Fault>`},
		{200, `<LoginRS><SessionID>s`},
		{200, ``},
		{401, `<Fault code="AuthFailed">bad password ` + sandbox.DemoSessionPassword + `</Fault>`},
		{429, `<Fault code="RateLimited">slow down</Fault>`},
		{503, `<Fault code="ServiceUnavailable"></Fault>`},
		{500, "\x00\xff<"},
	} {
		f.Add(s.status, s.body)
	}
	f.Fuzz(func(t *testing.T, status int, body string) {
		status = fuzzStatus(status)
		c := New(Config{BaseURL: "http://session.invalid/session", User: sandbox.DemoSessionUser, Password: sandbox.DemoSessionPassword})
		hc := &http.Client{Transport: answerTransport{status: status, body: body}}
		cred, err := c.Authenticate(context.Background(), hc)
		if err == nil {
			if status != http.StatusOK || cred.Secret == "" || cred.IdleTimeout < 0 {
				t.Fatalf("status %d body %q: credential %+v", status, body, cred)
			}
			return
		}
		var ve *hotelrates.VendorError
		if !errors.As(err, &ve) || ve.Vendor != "session" {
			t.Fatalf("status %d body %q: error %v is not the vendor's", status, body, err)
		}
		if status == http.StatusUnauthorized && ve.Kind != hotelrates.ErrRejected {
			t.Fatalf("status 401: kind %s, want rejected", ve.Kind)
		}
		if strings.Contains(err.Error(), sandbox.DemoSessionPassword) {
			t.Fatalf("error %q carries the password", err)
		}
	})
}

// FuzzFaultAnswer feeds raw error answers to the client's Fault decoder:
// it never panics; the error keeps the status, is ErrBusy only for
// SessionBusy on 409, ErrUnauthorized for InvalidSession; its message is
// bounded and carries neither the session id nor the password.
func FuzzFaultAnswer(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
	}{
		{409, `<Fault code="SessionBusy">session ` + fuzzSession + ` is busy</Fault>`},
		{401, `<Fault code="InvalidSession">session expired</Fault>`},
		{401, `<Fault code="AuthFailed">password ` + sandbox.DemoSessionPassword + ` is wrong</Fault>`},
		{400, `<Fault code="TooManyHotels">` + strings.Repeat("x", 300) + `</Fault>`},
		{429, `<?xml version="1.0"?><Fault code="RateLimited"><![CDATA[later]]></Fault><!-- c -->`},
		{500, `<Fault code="InternalError">x</Fault><Fault/>`},
		{503, `<Fault>`},
		{404, `<NotAFault code="NotFound"/>`},
		{502, `<html>bad gateway</html>`},
		{400, ``},
	} {
		f.Add(s.status, s.body)
	}
	c := New(Config{BaseURL: "http://session.invalid/session", User: sandbox.DemoSessionUser, Password: sandbox.DemoSessionPassword})
	f.Fuzz(func(t *testing.T, status int, body string) {
		status = fuzzStatus(status)
		if status < 400 {
			status += 300 // an error answer
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {"1"}}, Body: io.NopCloser(strings.NewReader(body))}
		e := c.statusError(resp, fuzzSession)
		if e == nil || e.Vendor != "session" || e.Status != status {
			t.Fatalf("status %d body %q: error %+v", status, body, e)
		}
		var fx faultXML
		code := ""
		if unmarshal([]byte(body), &fx) == nil {
			code = fx.Code
		}
		switch {
		case status == http.StatusConflict && code == CodeSessionBusy:
			if e.Kind != hotelrates.ErrBusy {
				t.Fatalf("SessionBusy on 409: kind %s", e.Kind)
			}
		case code == CodeInvalidSession:
			if e.Kind != hotelrates.ErrUnauthorized {
				t.Fatalf("InvalidSession: kind %s", e.Kind)
			}
		case e.Kind == hotelrates.ErrBusy:
			t.Fatalf("status %d code %q: kind busy", status, code)
		}
		msg := e.Error()
		if strings.Contains(msg, fuzzSession) || strings.Contains(msg, sandbox.DemoSessionPassword) {
			t.Fatalf("error %q carries a secret", msg)
		}
		if e.Err != nil && len(e.Err.Error()) > len(code)+2+200+3 {
			t.Fatalf("message of %d bytes", len(e.Err.Error()))
		}
	})
}
