package amadeus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"hotelrates"
	"hotelrates/vendors/vendorhttp"
)

// Authenticate obtains a bearer token with the OAuth2 client credentials
// grant (client_id and client_secret in the form), over hc. Bad client
// credentials (401 invalid_client) and other 4xx are ErrRejected: asking
// again cannot help; 429 is ErrThrottled (RetryAfter from Retry-After,
// else DefaultRetryAfter); 5xx and connection failures are
// ErrUnavailable; an answer that is not a bearer token is ErrBadResponse.
func (c *Client) Authenticate(ctx context.Context, hc *http.Client) (hotelrates.Credential, error) {
	if hc != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	}
	tok, err := c.oauth.Token(ctx)
	if err != nil {
		return hotelrates.Credential{}, c.tokenError(err)
	}
	if !strings.EqualFold(tok.TokenType, "bearer") {
		return hotelrates.Credential{}, c.badToken(fmt.Errorf("token type %q is not Bearer", c.cleanText(tok.TokenType, 20)))
	}
	if tok.Expiry.IsZero() || !tok.Expiry.After(time.Now()) { // oauth2 leaves Expiry zero for expires_in 0 or missing
		return hotelrates.Credential{}, c.badToken(errors.New("the token expires at once (expires_in not positive)"))
	}
	return hotelrates.Credential{Secret: tok.AccessToken, Expires: tok.Expiry}, nil
}

func (c *Client) badToken(err error) *hotelrates.VendorError {
	return &hotelrates.VendorError{Vendor: c.name, Kind: hotelrates.ErrBadResponse, Status: http.StatusOK, Err: err}
}

// tokenError classifies a failed token request. The message carries the
// token endpoint's error, description and code, never the request.
func (c *Client) tokenError(err error) *hotelrates.VendorError {
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		e := &hotelrates.VendorError{Vendor: c.name}
		var h http.Header
		if re.Response != nil {
			e.Status, h = re.Response.StatusCode, re.Response.Header
		}
		e.Err = errors.New(c.cleanText(tokenErrorMessage(re), 300))
		switch s := e.Status; {
		case s == http.StatusTooManyRequests:
			e.Kind = hotelrates.ErrThrottled
			if e.RetryAfter = vendorhttp.ParseRetryAfter(h.Get("Retry-After"), time.Now()); e.RetryAfter <= 0 {
				e.RetryAfter = DefaultRetryAfter
			}
		case s >= 500 || s == http.StatusRequestTimeout:
			e.Kind = hotelrates.ErrUnavailable
			e.RetryAfter = vendorhttp.ParseRetryAfter(h.Get("Retry-After"), time.Now())
		case s >= 200 && s < 300: // an error body with a success status
			e.Kind = hotelrates.ErrBadResponse
		default: // 400 invalid request, 401 invalid client, other 4xx
			e.Kind = hotelrates.ErrRejected
		}
		return e
	}
	_, isURL := errors.AsType[*url.Error](err)
	_, isNet := errors.AsType[net.Error](err)
	if isURL || isNet || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return vendorhttp.TransportError(c.name, c.cleanErr(err))
	}
	if strings.HasPrefix(err.Error(), "oauth2: cannot fetch token:") {
		// The answer's body could not be read (the connection dropped):
		// oauth2 flattens that error to text.
		return &hotelrates.VendorError{Vendor: c.name, Kind: hotelrates.ErrUnavailable, Err: c.cleanErr(err)}
	}
	// A 2xx answer that is not a token (unparsable, no access_token).
	return &hotelrates.VendorError{Vendor: c.name, Kind: hotelrates.ErrBadResponse, Err: c.cleanErr(err)}
}

// tokenErrorMessage is "token request failed: error: description (code
// N title)", from the token endpoint's error format where the answer is
// in it. The caller redacts, then clips it.
func tokenErrorMessage(re *oauth2.RetrieveError) string {
	msg := "token request failed"
	var te tokenError
	_ = json.Unmarshal(re.Body, &te)
	code, desc := re.ErrorCode, re.ErrorDescription
	if code == "" {
		code, desc = te.Error, te.ErrorDescription
	}
	if code != "" {
		msg += ": " + code
		if desc != "" {
			msg += ": " + desc
		}
	}
	if te.Code != 0 {
		msg += fmt.Sprintf(" (code %d", int(te.Code))
		if te.Title != "" {
			msg += " " + te.Title
		}
		msg += ")"
	}
	return msg
}
