package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hotelrates"
	"hotelrates/vendors/vendorhttp"
)

// maxFaultBody is the most of an error answer the client reads.
const maxFaultBody = 64 << 10

// Config configures a Client.
type Config struct {
	// Name is the vendor's name in searches and results; default "session".
	Name string
	// BaseURL is where the vendor's API lives, such as
	// "http://127.0.0.1:9090/session".
	BaseURL string
	// User and Password are the account's credentials.
	User     string
	Password string
	// MaxBatch is the most hotels per availability call; default 20.
	MaxBatch int
	// MaxSessions is how many sessions the account may hold open; default 4.
	MaxSessions int
}

// Client is the adapter for the session protocol. It implements
// hotelrates.Vendor, hotelrates.SessionCloser and hotelrates.SecretHolder,
// and is safe for concurrent use.
type Client struct {
	cfg  Config
	base string
}

var (
	_ hotelrates.Vendor        = (*Client)(nil)
	_ hotelrates.SessionCloser = (*Client)(nil)
	_ hotelrates.SecretHolder  = (*Client)(nil)
)

// New returns a Client for cfg, with defaults filled in.
func New(cfg Config) *Client {
	if cfg.Name == "" {
		cfg.Name = Protocol
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	return &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/")}
}

// Info describes the vendor: batches of MaxBatch hotels behind at most
// MaxSessions login sessions.
func (c *Client) Info() hotelrates.VendorInfo {
	return hotelrates.VendorInfo{
		Name:        c.cfg.Name,
		MaxBatch:    c.cfg.MaxBatch,
		Auth:        hotelrates.AuthSession,
		MaxSessions: c.cfg.MaxSessions,
	}
}

// Secrets returns the configured password.
func (c *Client) Secrets() []string {
	if c.cfg.Password == "" {
		return nil
	}
	return []string{c.cfg.Password}
}

// Authenticate logs in and returns the new session: Secret is the session
// id and IdleTimeout how long the vendor keeps it unused. Wrong credentials
// are ErrRejected.
func (c *Client) Authenticate(ctx context.Context, hc *http.Client) (hotelrates.Credential, error) {
	resp, err := c.post(ctx, hc, "/login", loginRQ{User: c.cfg.User, Password: c.cfg.Password})
	if err != nil {
		return hotelrates.Credential{}, err
	}
	if resp.StatusCode != http.StatusOK {
		e := c.statusError(resp, "")
		if e.Kind == hotelrates.ErrUnauthorized {
			e.Kind = hotelrates.ErrRejected // the credentials are wrong: retrying will not help
		}
		return hotelrates.Credential{}, e
	}
	body, err := vendorhttp.ReadBody(c.cfg.Name, resp, vendorhttp.MaxBody)
	if err != nil {
		return hotelrates.Credential{}, err
	}
	var rs loginRS
	if err := unmarshal(body, &rs); err != nil {
		return hotelrates.Credential{}, vendorhttp.DecodeError(c.cfg.Name, resp.StatusCode, errors.New("login answer is not a <LoginRS> document"))
	}
	if rs.SessionID == "" || rs.IdleTimeout < 0 {
		return hotelrates.Credential{}, vendorhttp.DecodeError(c.cfg.Name, resp.StatusCode, errors.New("login answer lacks a session id or has a negative idle timeout"))
	}
	return hotelrates.Credential{
		Secret:      rs.SessionID,
		IdleTimeout: time.Duration(rs.IdleTimeout) * time.Second,
	}, nil
}

// CloseSession logs the session out. A session the vendor no longer knows
// (expired, evicted, revoked) is already closed, so that is not an error.
func (c *Client) CloseSession(ctx context.Context, hc *http.Client, cred hotelrates.Credential) error {
	resp, err := c.post(ctx, hc, "/logout", logoutRQ{SessionID: cred.Secret})
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusUnauthorized:
		resp.Body.Close()
		return nil
	}
	return c.statusError(resp, cred.Secret)
}

// Fetch asks for the offers of q on the session cred. An invalid session
// is ErrUnauthorized and a session serving another call ErrBusy.
func (c *Client) Fetch(ctx context.Context, hc *http.Client, cred hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	if len(q.HotelIDs) == 0 {
		return nil, nil
	}
	st := q.Stay
	rq := availRQ{
		SessionID: cred.Secret,
		Stays: []stayXML{{
			CheckIn:  st.CheckIn.String(),
			CheckOut: st.CheckOut.String(),
			Adults:   strconv.Itoa(st.Adults),
			Rooms:    strconv.Itoa(st.Rooms),
			Currency: st.Currency,
		}},
		Hotels: make([]hotelRef, len(q.HotelIDs)),
	}
	for i, id := range q.HotelIDs {
		rq.Hotels[i] = hotelRef{ID: id}
	}
	resp, err := c.post(ctx, hc, "/availability", rq)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.statusError(resp, cred.Secret)
	}
	body, err := vendorhttp.ReadBody(c.cfg.Name, resp, vendorhttp.MaxBody)
	if err != nil {
		return nil, err
	}
	out, err := decodeAvail(c.cfg.Name, body, q)
	if err != nil {
		return nil, vendorhttp.DecodeError(c.cfg.Name, resp.StatusCode, err)
	}
	return out, nil
}

// post sends v as XML to path. A failure to get an answer is
// ErrUnavailable.
func (c *Client) post(ctx context.Context, hc *http.Client, path string, v any) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(marshal(v)))
	if err != nil {
		// Only a bad BaseURL gets here; the error quotes the URL, never the body.
		return nil, &hotelrates.VendorError{Vendor: c.cfg.Name, Kind: hotelrates.ErrRejected, Err: err}
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("Accept", ContentType)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, vendorhttp.TransportError(c.cfg.Name, err)
	}
	return resp, nil
}

// statusError classifies a non-200 answer from its status and Fault code,
// reading (and closing) its body for the vendor's message. secret, if not
// empty, is removed from the message.
func (c *Client) statusError(resp *http.Response, secret string) *hotelrates.VendorError {
	code, msg := "", ""
	if body, err := vendorhttp.ReadBody(c.cfg.Name, resp, maxFaultBody); err == nil {
		var f faultXML
		if unmarshal(body, &f) == nil {
			code, msg = f.Code, strings.TrimSpace(f.Message)
		}
	}
	for _, s := range []string{secret, c.cfg.Password} {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	text := ""
	if code != "" {
		text = code + ": " + msg
	}
	e := vendorhttp.StatusError(c.cfg.Name, resp, text)
	switch {
	case resp.StatusCode == http.StatusConflict && code == CodeSessionBusy:
		e.Kind = hotelrates.ErrBusy
	case code == CodeInvalidSession:
		e.Kind = hotelrates.ErrUnauthorized
	}
	return e
}

// decodeAvail decodes and checks an AvailRS body against the query: every
// distinct hotel asked appears exactly once, no other hotel appears, every
// offer is in the currency asked. It returns the hotels that have offers,
// in the answer's order.
func decodeAvail(vendor string, body []byte, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	var rs availRS
	if err := unmarshal(body, &rs); err != nil {
		return nil, errors.New("answer is not an <AvailRS> document")
	}
	asked := make(map[string]bool, len(q.HotelIDs))
	for _, id := range q.HotelIDs {
		asked[id] = false
	}
	var out []hotelrates.HotelOffers
	for i, h := range rs.Hotels {
		answered, ok := asked[h.ID]
		switch {
		case !ok:
			return nil, fmt.Errorf("hotel %d of the answer was not asked for", i+1)
		case answered:
			return nil, fmt.Errorf("hotel %q is answered twice", h.ID)
		}
		asked[h.ID] = true
		switch h.Status {
		case StatusSoldOut, StatusUnknown:
			if len(h.Offers) != 0 {
				return nil, fmt.Errorf("hotel %q is %s but has offers", h.ID, h.Status)
			}
			continue
		case StatusAvailable:
			if len(h.Offers) == 0 {
				return nil, fmt.Errorf("hotel %q is available but has no offers", h.ID)
			}
		default:
			return nil, fmt.Errorf("hotel %q has an unknown status", h.ID)
		}
		ho := hotelrates.HotelOffers{HotelID: h.ID, Offers: make([]hotelrates.Offer, 0, len(h.Offers))}
		for j, ox := range h.Offers {
			o, err := decodeOffer(vendor, ox, q.Stay.Currency)
			if err != nil {
				return nil, fmt.Errorf("hotel %q offer %d: %w", h.ID, j+1, err)
			}
			ho.Offers = append(ho.Offers, o)
		}
		out = append(out, ho)
	}
	for _, id := range q.HotelIDs {
		if !asked[id] {
			return nil, fmt.Errorf("hotel %q asked for is missing from the answer", id)
		}
	}
	return out, nil
}

// decodeOffer converts one offer, checking its currency and fields.
func decodeOffer(vendor string, ox offerXML, currency string) (hotelrates.Offer, error) {
	if ox.Currency != currency {
		return hotelrates.Offer{}, fmt.Errorf("currency %q differs from the %s asked", ox.Currency, currency)
	}
	if ox.Room == "" || ox.Board == "" {
		return hotelrates.Offer{}, errors.New("room or board is missing")
	}
	total, err := hotelrates.ParseMoney(ox.Total, ox.Currency)
	if err != nil {
		return hotelrates.Offer{}, err
	}
	o := hotelrates.Offer{Vendor: vendor, Room: ox.Room, Board: ox.Board, Total: total}
	switch ox.Refundable {
	case "true":
		o.Refundable = true
	case "false":
	default:
		return hotelrates.Offer{}, errors.New("attribute Refundable is neither true nor false")
	}
	if ox.CancelDeadline != "" {
		if !o.Refundable {
			return hotelrates.Offer{}, errors.New("a non-refundable offer has a cancel deadline")
		}
		t, err := time.Parse(time.RFC3339, ox.CancelDeadline)
		if err != nil {
			return hotelrates.Offer{}, errors.New("CancelDeadline is not an RFC 3339 time")
		}
		o.CancelDeadline = t.UTC()
	}
	return o, nil
}
