package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
	"hotelrates/vendors/vendorhttp"
)

// Config configures a bulk Client.
type Config struct {
	// Name is the vendor's name in searches and results; default "bulk".
	Name string
	// BaseURL is the vendor's base URL, such as "http://127.0.0.1:9090/bulk".
	BaseURL string
	// APIKey and Secret sign every request.
	APIKey string
	Secret string
	// MaxBatch is the most hotels per call; default 250.
	MaxBatch int
	// Now is the clock requests are signed with; default time.Now.
	Now func() time.Time
}

// Client is the bulk vendor's adapter: it implements hotelrates.Vendor and
// hotelrates.SecretHolder. It is safe for concurrent use.
type Client struct {
	cfg Config
	url string
}

var (
	_ hotelrates.Vendor       = (*Client)(nil)
	_ hotelrates.SecretHolder = (*Client)(nil)
)

// New returns a client for cfg, filling in its defaults.
func New(cfg Config) *Client {
	if cfg.Name == "" {
		cfg.Name = sandbox.Bulk
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg, url: strings.TrimRight(cfg.BaseURL, "/") + AvailabilityPath}
}

// Info describes the vendor: batches of up to MaxBatch hotels, requests
// signed without credential state.
func (c *Client) Info() hotelrates.VendorInfo {
	return hotelrates.VendorInfo{Name: c.cfg.Name, MaxBatch: c.cfg.MaxBatch, Auth: hotelrates.AuthNone}
}

// Authenticate returns a zero Credential: bulk signs each request itself.
func (c *Client) Authenticate(ctx context.Context, hc *http.Client) (hotelrates.Credential, error) {
	return hotelrates.Credential{}, nil
}

// Secrets returns the API key and the secret.
func (c *Client) Secrets() []string {
	var s []string
	for _, v := range []string{c.cfg.APIKey, c.cfg.Secret} {
		if v != "" {
			s = append(s, v)
		}
	}
	return s
}

// Fetch asks for the offers of q's hotels in one signed call. cred is
// ignored. A query with no hotels or more than MaxBatch is ErrRejected
// without a call.
func (c *Client) Fetch(ctx context.Context, hc *http.Client, cred hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	name := c.cfg.Name
	if len(q.HotelIDs) == 0 || len(q.HotelIDs) > c.cfg.MaxBatch {
		return nil, &hotelrates.VendorError{Vendor: name, Kind: hotelrates.ErrRejected,
			Err: fmt.Errorf("a call asks for 1 to %d hotels, not %d", c.cfg.MaxBatch, len(q.HotelIDs))}
	}
	ids := hotelrates.UniqueHotelIDs(q.HotelIDs)
	body, err := json.Marshal(availabilityRequest{
		PropertyIDs: ids,
		Checkin:     q.Stay.CheckIn.String(),
		Checkout:    q.Stay.CheckOut.String(),
		Occupancy:   occupancy{Adults: q.Stay.Adults, Rooms: q.Stay.Rooms},
		Currency:    q.Stay.Currency,
	})
	if err != nil {
		return nil, &hotelrates.VendorError{Vendor: name, Kind: hotelrates.ErrRejected, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, &hotelrates.VendorError{Vendor: name, Kind: hotelrates.ErrRejected, Err: errors.New("cannot build the request: bad base URL")}
	}
	unix := c.cfg.Now().Unix()
	sig := Signature(c.cfg.APIKey, c.cfg.Secret, unix)
	req.Header.Set("Authorization", "APIKey="+c.cfg.APIKey+",Signature="+sig+",timestamp="+strconv.FormatInt(unix, 10))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	resp, err := hc.Do(req)
	if err != nil {
		return nil, vendorhttp.TransportError(name, c.redactErr(err, sig))
	}
	b, rerr := vendorhttp.ReadBody(name, resp, vendorhttp.MaxBody)
	if resp.StatusCode/100 != 2 {
		msg := ""
		if rerr == nil {
			var e errorBody
			if json.Unmarshal(b, &e) == nil && (e.Type != "" || e.Message != "") {
				msg = e.Message
				if e.Type != "" {
					msg = strings.TrimSuffix(e.Type+": "+e.Message, ": ")
				}
				msg = c.redact(msg, sig)
				if len(msg) > 300 {
					msg = msg[:300] + "..."
				}
			}
		}
		return nil, vendorhttp.StatusError(name, resp, msg)
	}
	if rerr != nil {
		return nil, rerr
	}
	return decodeAnswer(name, b, ids, q.Stay.Currency)
}

// decodeAnswer parses and checks a 200 answer for the hotels asked in
// currency: every listed property must have been asked, once, and every
// price must be an exact amount in currency.
func decodeAnswer(vendor string, body []byte, asked []string, currency string) ([]hotelrates.HotelOffers, error) {
	var a availabilityResponse
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, vendorhttp.DecodeError(vendor, http.StatusOK, err)
	}
	if a.Properties == nil {
		return nil, vendorhttp.DecodeError(vendor, http.StatusOK, errors.New(`answer has no "properties" list`))
	}
	bad := func(format string, args ...any) error {
		return &hotelrates.VendorError{Vendor: vendor, Kind: hotelrates.ErrBadResponse, Status: http.StatusOK, Err: fmt.Errorf(format, args...)}
	}
	want := make(map[string]bool, len(asked))
	for _, id := range asked {
		want[id] = false
	}
	out := make([]hotelrates.HotelOffers, 0, len(*a.Properties))
	for i, p := range *a.Properties {
		seen, ok := want[p.PropertyID]
		switch {
		case !ok:
			return nil, bad("properties[%d]: property %q was not asked for", i, clip(p.PropertyID))
		case seen:
			return nil, bad("properties[%d]: property %q is listed twice", i, clip(p.PropertyID))
		}
		want[p.PropertyID] = true
		if len(p.Rooms) == 0 {
			continue
		}
		h := hotelrates.HotelOffers{HotelID: p.PropertyID, Offers: make([]hotelrates.Offer, 0, len(p.Rooms))}
		for j, r := range p.Rooms {
			if r.Total.Currency != currency {
				return nil, bad("properties[%d].rooms[%d]: currency %q, asked for %s", i, j, clip(r.Total.Currency), currency)
			}
			m, err := hotelrates.ParseMoney(r.Total.Value, r.Total.Currency)
			if err != nil {
				return nil, bad("properties[%d].rooms[%d].total: %v", i, j, err)
			}
			o := hotelrates.Offer{Vendor: vendor, Room: r.RoomName, Board: r.Board, Total: m, Refundable: r.Refundable}
			if r.CancelDeadline != "" {
				t, err := time.Parse(time.RFC3339, r.CancelDeadline)
				if err != nil {
					return nil, bad("properties[%d].rooms[%d].cancel_deadline %q is not RFC 3339", i, j, clip(r.CancelDeadline))
				}
				o.CancelDeadline = t.UTC()
			}
			h.Offers = append(h.Offers, o)
		}
		out = append(out, h)
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// redact removes the API key, the secret and the request's signature from
// a vendor's message.
func (c *Client) redact(s, sig string) string {
	for _, v := range []string{sig, c.cfg.Secret, c.cfg.APIKey} {
		if v != "" {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// redactErr returns err, or err with the credentials removed from its
// message if it mentions one.
func (c *Client) redactErr(err error, sig string) error {
	msg := err.Error()
	if r := c.redact(msg, sig); r != msg {
		return &redactedError{msg: r, err: err}
	}
	return err
}

// redactedError shows a cleaned message but keeps the cause for errors.Is.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
