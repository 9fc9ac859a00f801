package solo

import (
	"bytes"
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
	"golang.org/x/oauth2/clientcredentials"

	"hotelrates"
	"hotelrates/redact"
	"hotelrates/sandbox"
	"hotelrates/vendors/vendorhttp"
)

// Config configures a Client.
type Config struct {
	// Name is the vendor's name in searches and results; default "solo".
	Name string
	// BaseURL is the vendor's base URL, such as "http://127.0.0.1:9090/solo".
	BaseURL string
	// ClientID and ClientSecret are the OAuth2 client credentials.
	ClientID     string
	ClientSecret string
}

// Client is the solo vendor's adapter: it implements hotelrates.Vendor
// (one hotel per call, OAuth2 bearer tokens) and hotelrates.SecretHolder.
// It is safe for concurrent use.
type Client struct {
	name  string
	base  string
	cfg   Config
	oauth *clientcredentials.Config
}

var (
	_ hotelrates.Vendor       = (*Client)(nil)
	_ hotelrates.SecretHolder = (*Client)(nil)
)

// New returns a client for the vendor cfg describes.
func New(cfg Config) *Client {
	if cfg.Name == "" {
		cfg.Name = sandbox.Solo
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	return &Client{
		name: cfg.Name,
		base: base,
		cfg:  cfg,
		oauth: &clientcredentials.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			TokenURL:     base + TokenPath,
			// Credentials in the form: one request per token, where
			// auto-detection doubles every failed (or throttled) attempt.
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// Info describes the vendor: one hotel per call, bearer tokens.
func (c *Client) Info() hotelrates.VendorInfo {
	return hotelrates.VendorInfo{Name: c.name, MaxBatch: 1, Auth: hotelrates.AuthToken}
}

// Secrets returns the client secret, for the archive to redact.
func (c *Client) Secrets() []string {
	if c.cfg.ClientSecret == "" {
		return nil
	}
	return []string{c.cfg.ClientSecret}
}

// Authenticate obtains a bearer token with the OAuth2 client credentials
// grant, over hc. Bad client credentials are ErrRejected (asking again
// cannot help); 429 is ErrThrottled; 5xx and connection failures are
// ErrUnavailable; an answer that is not a token is ErrBadResponse.
func (c *Client) Authenticate(ctx context.Context, hc *http.Client) (hotelrates.Credential, error) {
	if hc != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	}
	tok, err := c.oauth.Token(ctx)
	if err != nil {
		return hotelrates.Credential{}, c.tokenError(err)
	}
	if tok.Type() != "Bearer" {
		return hotelrates.Credential{}, c.badResponse(http.StatusOK, fmt.Errorf("token type %q is not Bearer", clip(tok.TokenType, 20)))
	}
	if !tok.Expiry.IsZero() && !tok.Expiry.After(time.Now()) {
		return hotelrates.Credential{}, c.badResponse(http.StatusOK, errors.New("the token expires at once (expires_in not positive)"))
	}
	return hotelrates.Credential{Secret: tok.AccessToken, Expires: tok.Expiry}, nil
}

// tokenError classifies a failed token request. The message carries the
// OAuth error code and description, never the request.
func (c *Client) tokenError(err error) *hotelrates.VendorError {
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		e := &hotelrates.VendorError{Vendor: c.name}
		msg := "token request failed"
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		if re.ErrorCode != "" {
			msg += ": " + clip(re.ErrorCode, 40)
			if re.ErrorDescription != "" {
				msg += ": " + re.ErrorDescription
			}
		}
		// Redact before clipping: a clipped secret no longer matches.
		e.Err = errors.New(clip(redact.String(msg, c.Secrets()), 300))
		switch s := e.Status; {
		case s == http.StatusTooManyRequests:
			e.Kind = hotelrates.ErrThrottled
			e.RetryAfter = vendorhttp.ParseRetryAfter(re.Response.Header.Get("Retry-After"), time.Now())
		case s >= 500 || s == http.StatusRequestTimeout:
			e.Kind = hotelrates.ErrUnavailable
			e.RetryAfter = vendorhttp.ParseRetryAfter(re.Response.Header.Get("Retry-After"), time.Now())
		case s >= 200 && s < 300: // an error body with a success status
			e.Kind = hotelrates.ErrBadResponse
		default: // 400 bad request, 401 bad client credentials, other 4xx
			e.Kind = hotelrates.ErrRejected
		}
		return e
	}
	if _, ok := errors.AsType[*url.Error](err); ok {
		return vendorhttp.TransportError(c.name, err)
	}
	if _, ok := errors.AsType[net.Error](err); ok || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return vendorhttp.TransportError(c.name, err)
	}
	// The answer was 2xx but not a token (unparsable, no access_token), or
	// its body was cut short.
	return c.badResponse(0, err)
}

func (c *Client) badResponse(status int, err error) *hotelrates.VendorError {
	return &hotelrates.VendorError{Vendor: c.name, Kind: hotelrates.ErrBadResponse, Status: status, Err: err}
}

// Fetch asks for the offers of the one hotel of q. A hotel the vendor does
// not carry (404 hotel_not_found) and a sold-out hotel are answered with no
// offers and a nil error.
func (c *Client) Fetch(ctx context.Context, hc *http.Client, cred hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	if len(q.HotelIDs) != 1 {
		return nil, &hotelrates.VendorError{Vendor: c.name, Kind: hotelrates.ErrRejected,
			Err: fmt.Errorf("solo answers one hotel per call, asked for %d", len(q.HotelIDs))}
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	hotel := q.HotelIDs[0]
	body, err := json.Marshal(availabilityRequest{
		HotelID:  hotel,
		CheckIn:  q.Stay.CheckIn.String(),
		CheckOut: q.Stay.CheckOut.String(),
		Adults:   q.Stay.Adults,
		Rooms:    q.Stay.Rooms,
		Currency: q.Stay.Currency,
	})
	if err != nil {
		return nil, &hotelrates.VendorError{Vendor: c.name, Kind: hotelrates.ErrRejected, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+AvailabilityPath, bytes.NewReader(body))
	if err != nil {
		return nil, &hotelrates.VendorError{Vendor: c.name, Kind: hotelrates.ErrRejected, Err: errors.New("bad base URL")}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+cred.Secret)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, vendorhttp.TransportError(c.name, err)
	}
	data, err := vendorhttp.ReadBody(c.name, resp, vendorhttp.MaxBody)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK {
		offers, err := parseAvailability(c.name, hotel, q.Stay.Currency, data)
		if err != nil {
			return nil, &hotelrates.VendorError{Vendor: c.name, Kind: hotelrates.ErrBadResponse, Status: resp.StatusCode, Err: err}
		}
		return offers, nil
	}
	switch code, msg := parseError(data); {
	case resp.StatusCode == http.StatusNotFound && code == CodeHotelNotFound:
		return nil, nil // the vendor does not carry the hotel: answered, no offers
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil, &hotelrates.VendorError{Vendor: c.name, Kind: hotelrates.ErrBadResponse, Status: resp.StatusCode, Err: errors.New("unexpected success status")}
	default:
		// The vendor's text may echo what it was sent.
		return nil, vendorhttp.StatusError(c.name, resp, clip(redact.String(msg, append(c.Secrets(), cred.Secret)), 240))
	}
}

// parseError reads the vendor's error format; msg is "code: message"
// (the caller redacts, then clips it), or "" when the body is not in that
// format.
func parseError(data []byte) (code, msg string) {
	var e errorResponse
	if json.Unmarshal(data, &e) != nil || e.Error.Code == "" {
		return "", ""
	}
	code = clip(e.Error.Code, 40)
	msg = code
	if e.Error.Message != "" {
		msg += ": " + e.Error.Message
	}
	return code, msg
}

// parseAvailability decodes and checks a 200 answer for hotel priced in
// currency. It returns one HotelOffers when the hotel has offers, none when
// it is sold out, and an error when the answer is malformed or does not
// match the request.
func parseAvailability(vendor, hotel, currency string, data []byte) ([]hotelrates.HotelOffers, error) {
	var a availabilityResponse
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("decoding answer: %w", err)
	}
	switch {
	case a.HotelID != hotel:
		return nil, fmt.Errorf("answer is for hotel %q, not the one asked for", clip(a.HotelID, 64))
	case a.Currency != currency:
		return nil, fmt.Errorf("answer is in currency %q, asked %q", clip(a.Currency, 8), currency)
	case a.Offers == nil:
		return nil, errors.New("answer has no offers list")
	}
	if len(*a.Offers) == 0 {
		return nil, nil
	}
	offers := make([]hotelrates.Offer, 0, len(*a.Offers))
	for i, w := range *a.Offers {
		if w.Room == "" || w.Board == "" {
			return nil, fmt.Errorf("offer %d has no room or board", i)
		}
		total, err := hotelrates.ParseMoney(w.Price, currency)
		if err != nil {
			return nil, fmt.Errorf("offer %d: price: %w", i, err)
		}
		if total.Minor < 0 {
			return nil, fmt.Errorf("offer %d: price is negative", i)
		}
		o := hotelrates.Offer{Vendor: vendor, Room: w.Room, Board: w.Board, Total: total, Refundable: w.Refundable}
		if w.Refundable && w.CancelBefore != "" {
			t, err := time.Parse(TimeLayout, w.CancelBefore)
			if err != nil {
				return nil, fmt.Errorf("offer %d: cancel_before %q is not RFC 3339", i, clip(w.CancelBefore, 40))
			}
			o.CancelDeadline = t.UTC()
		}
		offers = append(offers, o)
	}
	return []hotelrates.HotelOffers{{HotelID: hotel, Offers: offers}}, nil
}
