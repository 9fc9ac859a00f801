package amadeus

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"hotelrates"
	"hotelrates/sandbox"
	"hotelrates/vendors/vendorhttp"
)

// Config configures a Client.
type Config struct {
	// Name is the vendor's name in searches and results; default "amadeus".
	Name string
	// BaseURL is the API root: "https://test.api.amadeus.com", or the
	// sandbox's "http://127.0.0.1:PORT/amadeus". A trailing slash is
	// ignored.
	BaseURL string
	// ClientID and ClientSecret are the application's API key and API
	// secret (OAuth2 client credentials).
	ClientID     string
	ClientSecret string
	// MaxBatch is the most hotels per call: default and at most
	// MaxHotelIDs (20).
	MaxBatch int
}

// Client is the Amadeus Hotel Search adapter: it implements
// hotelrates.Vendor (batches of up to 20 hotels, bearer tokens, children
// priced) and hotelrates.SecretHolder. It is safe for concurrent use.
type Client struct {
	name      string
	base      string
	maxBatch  int
	cfg       Config
	oauth     *clientcredentials.Config
	hostNames []string // what of the base URL error text must not show
}

var (
	_ hotelrates.Vendor       = (*Client)(nil)
	_ hotelrates.SecretHolder = (*Client)(nil)
)

// New returns a client for cfg, filling in its defaults.
func New(cfg Config) *Client {
	if cfg.Name == "" {
		cfg.Name = sandbox.Amadeus
	}
	if cfg.MaxBatch <= 0 || cfg.MaxBatch > MaxHotelIDs {
		cfg.MaxBatch = MaxHotelIDs
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	return &Client{
		name:     cfg.Name,
		base:     base,
		maxBatch: cfg.MaxBatch,
		cfg:      cfg,
		oauth: &clientcredentials.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			TokenURL:     base + TokenPath,
			// The API takes the credentials in the form only.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		hostNames: hostNames(base),
	}
}

// Info describes the vendor: batches of up to MaxBatch hotels, one bearer
// token for all calls, children priced.
func (c *Client) Info() hotelrates.VendorInfo {
	return hotelrates.VendorInfo{Name: c.name, MaxBatch: c.maxBatch, Auth: hotelrates.AuthToken, Children: true}
}

// Secrets returns the client id (Amadeus' API key) and secret, for the
// archive to redact.
func (c *Client) Secrets() []string {
	var s []string
	for _, v := range []string{c.cfg.ClientSecret, c.cfg.ClientID} {
		if v != "" {
			s = append(s, v)
		}
	}
	return s
}

// Fetch asks for the offers of q's hotels (Amadeus property codes) in one
// GET /v3/shopping/hotel-offers with every offer (bestRateOnly=false).
// A query with no hotels or more than MaxBatch distinct ones, or whose
// adults cannot be spread evenly over its rooms (the API prices adults per
// room), is ErrRejected without a call. Codes that cannot be Amadeus
// property codes (not 8 upper-case letters and digits) are answered with
// no offers without being sent. A hotel missing from the result has no
// offers; so has every hotel when the API answers 400 code 3664 (no rooms
// at the requested properties).
func (c *Client) Fetch(ctx context.Context, hc *http.Client, cred hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	ids := hotelrates.UniqueHotelIDs(q.HotelIDs)
	if len(ids) == 0 || len(ids) > c.maxBatch {
		return nil, c.rejected(fmt.Errorf("a call asks for 1 to %d hotels, not %d", c.maxBatch, len(ids)))
	}
	perRoom, err := adultsPerRoom(q.Stay)
	if err != nil {
		return nil, c.rejected(err)
	}
	send := make([]string, 0, len(ids))
	for _, id := range ids {
		if validHotelID(id) {
			send = append(send, id)
		}
	}
	if len(send) == 0 {
		return nil, nil
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+OffersPath+"?"+offersQuery(send, q.Stay, perRoom), nil)
	if err != nil {
		return nil, c.rejected(errors.New("cannot build the request: bad base URL"))
	}
	req.Header.Set("Accept", ContentType+", application/json")
	req.Header.Set("Authorization", "Bearer "+cred.Secret)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, vendorhttp.TransportError(c.name, c.cleanErr(err, cred.Secret))
	}
	data, rerr := vendorhttp.ReadBody(c.name, resp, vendorhttp.MaxBody)
	if ve, ok := errors.AsType[*hotelrates.VendorError](rerr); ok && ve.Err != nil {
		if cause := errors.Unwrap(ve.Err); cause != nil { // a read error may name addresses
			ve.Err = &cleanError{msg: "reading body: " + c.cleanText(describe(cause), 200, cred.Secret), err: ve.Err}
		}
	}
	switch s := resp.StatusCode; {
	case s == http.StatusOK:
		if rerr != nil {
			return nil, rerr
		}
		return decodeOffers(c.name, data, send, q.Stay, perRoom)
	case s == http.StatusBadRequest && rerr == nil && noRooms(data):
		return nil, nil // no hotel asked has rooms: all answered, no offers
	case s >= 200 && s < 300:
		return nil, &hotelrates.VendorError{Vendor: c.name, Kind: hotelrates.ErrBadResponse, Status: s, Err: errors.New("unexpected success status")}
	}
	msg := ""
	if rerr == nil {
		// The vendor's text may echo what it was sent.
		msg = c.cleanText(errorMessage(data), 300, cred.Secret)
	}
	e := vendorhttp.StatusError(c.name, resp, msg)
	if e.Kind == hotelrates.ErrThrottled && e.RetryAfter <= 0 {
		e.RetryAfter = DefaultRetryAfter
	}
	return nil, e
}

func (c *Client) rejected(err error) *hotelrates.VendorError {
	return &hotelrates.VendorError{Vendor: c.name, Kind: hotelrates.ErrRejected, Err: err}
}

// CanPrice implements hotelrates.StayChecker: Hotel Search v3 takes adults
// per room, so the adults must spread evenly over the rooms, and at most
// MaxNights nights.
func (c *Client) CanPrice(s hotelrates.Stay) error {
	if _, err := adultsPerRoom(s); err != nil {
		return err
	}
	if n := s.Nights(); n > MaxNights {
		return fmt.Errorf("amadeus prices stays of at most %d nights, not %d", MaxNights, n)
	}
	return nil
}

// adultsPerRoom returns the stay's adults per room, which is what the API
// takes, and an error when they do not spread evenly or are out of range.
func adultsPerRoom(s hotelrates.Stay) (int, error) {
	switch {
	case s.Rooms < 1 || s.Rooms > MaxRooms:
		return 0, fmt.Errorf("rooms must be 1 to %d, not %d", MaxRooms, s.Rooms)
	case s.Adults < s.Rooms || s.Adults%s.Rooms != 0:
		return 0, fmt.Errorf("the API prices adults per room: %d adults do not spread evenly over %d rooms", s.Adults, s.Rooms)
	case s.Adults/s.Rooms > MaxAdults:
		return 0, fmt.Errorf("at most %d adults per room, not %d", MaxAdults, s.Adults/s.Rooms)
	}
	return s.Adults / s.Rooms, nil
}

// offersQuery is the query of a hotel-offers call, parameters in a fixed
// order, lists comma-separated with literal commas.
func offersQuery(ids []string, s hotelrates.Stay, perRoom int) string {
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strings.ReplaceAll(url.QueryEscape(v), "%2C", ","))
	}
	add(paramHotelIDs, strings.Join(ids, ","))
	add(paramCheckIn, s.CheckIn.String())
	add(paramCheckOut, s.CheckOut.String())
	add(paramAdults, strconv.Itoa(perRoom))
	add(paramRooms, strconv.Itoa(s.Rooms))
	if len(s.Children) > 0 {
		ages := make([]string, len(s.Children))
		for i, a := range s.Children {
			ages[i] = strconv.Itoa(a)
		}
		add(paramChildAges, strings.Join(ages, ","))
	}
	add(paramCurrency, s.Currency)
	add(paramBestRateOnly, "false")
	return b.String()
}
