package hotelbeds

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

// Config configures a Client.
type Config struct {
	// Name is the vendor's name in searches and results; default
	// "hotelbeds".
	Name string
	// BaseURL is the API root: "https://api.test.hotelbeds.com", or the
	// sandbox's "http://127.0.0.1:PORT/hotelbeds".
	BaseURL string
	// APIKey and Secret sign every request.
	APIKey string
	Secret string
	// MaxBatch is the most hotel codes per call; default (and at most)
	// MaxHotels.
	MaxBatch int
	// Now is the clock requests are signed with and the daily quota's
	// reset is reckoned by; default time.Now.
	Now func() time.Time
}

// Client is the Hotelbeds availability adapter: it implements
// hotelrates.Vendor and hotelrates.SecretHolder. It is safe for concurrent
// use.
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
		cfg.Name = sandbox.Hotelbeds
	}
	if cfg.MaxBatch <= 0 || cfg.MaxBatch > MaxHotels {
		cfg.MaxBatch = MaxHotels
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg, url: strings.TrimRight(cfg.BaseURL, "/") + AvailabilityPath}
}

// Info describes the vendor: batches of up to MaxBatch hotel codes,
// children priced, requests signed without credential state.
func (c *Client) Info() hotelrates.VendorInfo {
	return hotelrates.VendorInfo{Name: c.cfg.Name, MaxBatch: c.cfg.MaxBatch, Auth: hotelrates.AuthNone, Children: true}
}

// Authenticate returns a zero Credential: every request is signed.
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

// Fetch asks for the offers of q's hotels (Hotelbeds codes, decimal
// integers) in one signed call; cred is ignored. Offers are in each
// hotel's contract currency, not necessarily q.Stay.Currency. A query
// with no hotels, more than MaxBatch, a code that is not a positive
// integer, or a stay the API cannot express is ErrRejected without a call.
func (c *Client) Fetch(ctx context.Context, hc *http.Client, cred hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	ids := hotelrates.UniqueHotelIDs(q.HotelIDs)
	if len(ids) == 0 || len(ids) > c.cfg.MaxBatch {
		return nil, c.rejected(fmt.Errorf("a call asks for 1 to %d hotels, not %d", c.cfg.MaxBatch, len(ids)))
	}
	codes := make([]int64, len(ids))
	for i, id := range ids {
		n, ok := parseCode(id)
		if !ok {
			return nil, c.rejected(fmt.Errorf("hotel id %q is not a Hotelbeds code (a positive integer)", clip(id, 24)))
		}
		codes[i] = n
	}
	if err := checkStay(q.Stay); err != nil {
		return nil, c.rejected(err)
	}
	body, err := json.Marshal(availabilityRQ{
		Stay:        &stayRQ{CheckIn: q.Stay.CheckIn.String(), CheckOut: q.Stay.CheckOut.String()},
		Occupancies: occupancies(q.Stay),
		Hotels:      &hotelsRQ{Hotel: codes},
	})
	if err != nil {
		return nil, c.rejected(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, c.rejected(errors.New("cannot build the request: bad base URL"))
	}
	sig := Signature(c.cfg.APIKey, c.cfg.Secret, c.cfg.Now().Unix())
	h := req.Header
	h.Set(APIKeyHeader, c.cfg.APIKey)
	h.Set(SignatureHeader, sig)
	h.Set("Accept", "application/json")
	h.Set("Content-Type", "application/json")
	// Set by hand, so the transport leaves the body compressed and Fetch
	// decompresses it (a gzip stream cut short is then ErrBadResponse).
	h.Set("Accept-Encoding", "gzip")

	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, vendorhttp.TransportError(c.cfg.Name, c.cleanErr(err, sig))
	}
	c.reportQPS(ctx, resp.Header)
	raw, err := vendorhttp.ReadBody(c.cfg.Name, resp, vendorhttp.MaxBody)
	if err != nil {
		return nil, c.scrub(err, sig)
	}
	data, derr := decompress(resp, raw)
	if resp.StatusCode != http.StatusOK {
		return nil, c.statusError(resp, data, derr, sig)
	}
	if derr != nil {
		return nil, &hotelrates.VendorError{Vendor: c.cfg.Name, Kind: hotelrates.ErrBadResponse, Status: resp.StatusCode, Err: derr}
	}
	return decodeAnswer(c.cfg.Name, data, ids, codes, q.Stay)
}

// parseCode reads a Hotelbeds hotel code: a positive decimal integer in
// canonical form (no sign, no leading zero), at most 2^31-1.
func parseCode(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 32)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != id {
		return 0, false
	}
	return n, true
}

func (c *Client) rejected(err error) *hotelrates.VendorError {
	return &hotelrates.VendorError{Vendor: c.cfg.Name, Kind: hotelrates.ErrRejected, Err: err}
}

// reportQPS passes the gateway's X-Plan-QPS headers, when an answer has
// them, to the engine: the requests left in the current second.
func (c *Client) reportQPS(ctx context.Context, h http.Header) {
	allotted, err1 := strconv.ParseFloat(strings.TrimSpace(h.Get(QPSAllottedHeader)), 64)
	current, err2 := strconv.Atoi(strings.TrimSpace(h.Get(QPSCurrentHeader)))
	if err1 != nil || err2 != nil || !(allotted >= 0 && allotted < 1e6) || current < 0 {
		return
	}
	hotelrates.ReportRateLimit(ctx, int(allotted)-current, time.Second)
}
