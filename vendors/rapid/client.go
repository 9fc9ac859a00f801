package rapid

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
	"hotelrates/vendors/vendorhttp"
)

// The client's defaults for the request parameters a Config leaves empty.
const (
	DefaultCountryCode      = "US"
	DefaultLanguage         = "en-US"
	DefaultSalesChannel     = "website"
	DefaultSalesEnvironment = "hotel_only"
	DefaultUserAgent        = "hotelrates/1.0"
)

// Config configures a Client.
type Config struct {
	// Name is the vendor's name in searches and results; default "rapid".
	Name string
	// BaseURL is the API root: "https://test.ean.com" (or
	// "https://api.ean.com"), or the sandbox's "http://127.0.0.1:PORT/rapid".
	BaseURL string
	// APIKey and Secret sign every request.
	APIKey string
	Secret string
	// MaxBatch is the most properties per call; default and at most
	// MaxProperties (250).
	MaxBatch int
	// Now is the clock requests are signed with (and rate-limit resets are
	// measured against); default time.Now.
	Now func() time.Time

	// CountryCode is the traveller's point of sale (country_code, ISO
	// 3166-1 alpha-2); default "US".
	CountryCode string
	// Language is the answer's language (BCP 47 "xx-XX"); default "en-US".
	// Boards are read from English amenity names (see docs/sandbox/rapid.md).
	Language string
	// SalesChannel (website, agent_tool, mobile_app, mobile_web, meta,
	// cache) and SalesEnvironment (hotel_package, hotel_only, loyalty);
	// defaults "website" and "hotel_only".
	SalesChannel     string
	SalesEnvironment string
	// RatePlanCount is how many rates per property to ask for; default and
	// at most MaxRatePlanCount, so that every rate is returned.
	RatePlanCount int
	// UserAgent is sent as User-Agent ("{app name}/{app version}"); default
	// "hotelrates/1.0".
	UserAgent string
	// CustomerIP, when set, is sent as Customer-Ip.
	CustomerIP string
	// RequestsPerMinute is the account's capacity per minute, used to turn
	// Rate-Limit-Minute-Remaining (a percentage) into requests when an
	// answer has no Rate-Limit-Minute; 0: such answers are not reported to
	// the engine.
	RequestsPerMinute int
}

// Client is Expedia Rapid's adapter: it implements hotelrates.Vendor
// (batches of up to MaxBatch properties, children priced, each request
// signed, no credential state) and hotelrates.SecretHolder. It is safe for
// concurrent use.
type Client struct {
	cfg   Config
	url   string   // BaseURL + AvailabilityPath
	hosts []string // the API's host and host name, removed from errors
}

var (
	_ hotelrates.Vendor       = (*Client)(nil)
	_ hotelrates.SecretHolder = (*Client)(nil)
)

// New returns a client for cfg, filling in its defaults.
func New(cfg Config) *Client {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&cfg.Name, sandbox.Rapid)
	def(&cfg.CountryCode, DefaultCountryCode)
	def(&cfg.Language, DefaultLanguage)
	def(&cfg.SalesChannel, DefaultSalesChannel)
	def(&cfg.SalesEnvironment, DefaultSalesEnvironment)
	def(&cfg.UserAgent, DefaultUserAgent)
	if cfg.MaxBatch <= 0 || cfg.MaxBatch > MaxProperties {
		cfg.MaxBatch = MaxProperties
	}
	if cfg.RatePlanCount <= 0 || cfg.RatePlanCount > MaxRatePlanCount {
		cfg.RatePlanCount = MaxRatePlanCount
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{cfg: cfg, url: strings.TrimRight(cfg.BaseURL, "/") + AvailabilityPath}
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Host != "" {
		c.hosts = []string{u.Host, u.Hostname()}
	}
	return c
}

// Info describes the vendor: batches of up to MaxBatch properties, children
// priced, requests signed without credential state.
func (c *Client) Info() hotelrates.VendorInfo {
	return hotelrates.VendorInfo{Name: c.cfg.Name, MaxBatch: c.cfg.MaxBatch, Auth: hotelrates.AuthNone, Children: true}
}

// Authenticate returns a zero Credential: Rapid signs each request.
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

// CanPrice implements hotelrates.StayChecker: Rapid takes at most MaxRooms
// rooms, at least one adult each, and 1 to MaxNights nights.
func (c *Client) CanPrice(s hotelrates.Stay) error {
	if _, err := Occupancies(s); err != nil {
		return err
	}
	if n := s.Nights(); n < 1 || n > MaxNights {
		return fmt.Errorf("rapid prices stays of 1 to %d nights, not %d", MaxNights, n)
	}
	return nil
}

// Fetch asks for the offers of q's properties (Rapid property ids) in one
// signed call; cred is ignored. A query Rapid cannot be asked (no
// properties or more than MaxBatch, more than MaxRooms rooms, fewer adults
// than rooms, more than MaxNights nights) is ErrRejected without a call.
// Properties without offers are absent from the answer, which is then
// complete. Every answer's Rate-Limit-Minute* headers are reported to the
// engine (hotelrates.ReportRateLimit).
func (c *Client) Fetch(ctx context.Context, hc *http.Client, cred hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	name := c.cfg.Name
	reject := func(format string, args ...any) error {
		return &hotelrates.VendorError{Vendor: name, Kind: hotelrates.ErrRejected, Err: fmt.Errorf(format, args...)}
	}
	if n := len(q.HotelIDs); n == 0 || n > c.cfg.MaxBatch {
		return nil, reject("a call asks for 1 to %d properties, not %d", c.cfg.MaxBatch, n)
	}
	occupancies, err := Occupancies(q.Stay)
	if err != nil {
		return nil, reject("%v", err)
	}
	if n := q.Stay.Nights(); n < 1 || n > MaxNights {
		return nil, reject("rapid prices stays of 1 to %d nights, not %d", MaxNights, n)
	}
	// A code that cannot be a Rapid property id (a bad mapping row) is
	// answered "no offers" without being sent: the API would refuse the
	// whole call for it.
	ids := slices.DeleteFunc(hotelrates.UniqueHotelIDs(q.HotelIDs), func(id string) bool { return !validPropertyID(id) })
	if len(ids) == 0 {
		return nil, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"?"+c.query(ids, q.Stay, occupancies), nil)
	if err != nil {
		return nil, reject("cannot build the request: bad base URL")
	}
	unix := c.cfg.Now().Unix()
	sig := Signature(c.cfg.APIKey, c.cfg.Secret, unix)
	h := req.Header
	h.Set("Authorization", "EAN apikey="+c.cfg.APIKey+",signature="+sig+",timestamp="+strconv.FormatInt(unix, 10))
	h.Set("Accept", "application/json")
	// Set by hand, so the transport leaves the body compressed: readBody
	// decompresses it and so sees a cut-short stream.
	h.Set("Accept-Encoding", "gzip")
	h.Set("User-Agent", c.cfg.UserAgent)
	if c.cfg.CustomerIP != "" {
		h.Set("Customer-Ip", c.cfg.CustomerIP)
	}
	if id := sessionID(hotelrates.CallFromContext(ctx).SearchID); id != "" {
		h.Set("Customer-Session-Id", id)
	}

	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, vendorhttp.TransportError(name, c.scrub(err, sig))
	}
	body, rerr := c.readBody(resp)
	now := c.cfg.Now()
	budget := readMinuteBudget(resp.Header, now, c.cfg.RequestsPerMinute)
	if budget.known {
		hotelrates.ReportRateLimit(ctx, budget.remaining, budget.resetIn)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode/100 == 2:
		return nil, &hotelrates.VendorError{Vendor: name, Kind: hotelrates.ErrBadResponse, Status: resp.StatusCode, Err: errors.New("unexpected success status")}
	default:
		return nil, c.statusError(resp, body, rerr, budget, now, sig)
	}
	if rerr != nil {
		return nil, rerr
	}
	wholeStay := strings.EqualFold(resp.Header.Get(HeaderRegion), SandboxRegion)
	return decodeAnswer(name, body, ids, occupancies, q.Stay.Currency, wholeStay)
}

// query returns the request's query string.
func (c *Client) query(ids []string, stay hotelrates.Stay, occupancies []string) string {
	v := url.Values{
		"property_id":       ids,
		"occupancy":         occupancies,
		"checkin":           {stay.CheckIn.String()},
		"checkout":          {stay.CheckOut.String()},
		"currency":          {stay.Currency},
		"country_code":      {c.cfg.CountryCode},
		"language":          {c.cfg.Language},
		"rate_plan_count":   {strconv.Itoa(c.cfg.RatePlanCount)},
		"sales_channel":     {c.cfg.SalesChannel},
		"sales_environment": {c.cfg.SalesEnvironment},
	}
	return v.Encode()
}

// sessionID is the Customer-Session-Id of a call: the engine's search id,
// when it is 1 to 128 printable ASCII characters.
func sessionID(id string) string {
	if id == "" || len(id) > 128 {
		return ""
	}
	for i := 0; i < len(id); i++ {
		if id[i] < ' ' || id[i] > '~' {
			return ""
		}
	}
	return id
}

// statusError classifies a failed answer:
//
//	400 invalid_input        ErrRejected
//	401 (signature)          ErrUnauthorized (as bulk; re-signing may help once)
//	403, 404, 405, 426, 4xx  ErrRejected
//	429 too_many_requests    ErrThrottled, RetryAfter from Retry-After, else until
//	                         Rate-Limit-Minute-Reset
//	408, 5xx                 ErrUnavailable, RetryAfter from Retry-After
//
// The error's text is the vendor's error type and message, without the key,
// the secret or the signature, clipped.
func (c *Client) statusError(resp *http.Response, body []byte, readErr error, budget minuteBudget, now time.Time, sig string) *hotelrates.VendorError {
	e := &hotelrates.VendorError{Vendor: c.cfg.Name, Status: resp.StatusCode}
	if readErr == nil {
		if msg := errorMessage(body, func(t string) string { return c.redact(t, sig) }); msg != "" {
			// Redact before clipping: a clipped secret no longer matches.
			e.Err = errors.New(clip(c.redact(msg, sig), 300))
		}
	}
	retryAfter := vendorhttp.ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized:
		e.Kind = hotelrates.ErrUnauthorized
	case s == http.StatusTooManyRequests:
		e.Kind = hotelrates.ErrThrottled
		e.RetryAfter = retryAfter
		if e.RetryAfter == 0 && budget.hasReset {
			e.RetryAfter = budget.resetIn
		}
	case s >= 500 || s == http.StatusRequestTimeout:
		e.Kind = hotelrates.ErrUnavailable
		e.RetryAfter = retryAfter
	default:
		e.Kind = hotelrates.ErrRejected
	}
	return e
}

// redact removes the API key, the secret, the request's signature and the
// API's host from s.
func (c *Client) redact(s, sig string) string {
	for _, v := range append([]string{sig, c.cfg.Secret, c.cfg.APIKey}, c.hosts...) {
		if len(v) >= 3 {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// validPropertyID reports whether s can be a Rapid property id: 1 to 19
// digits.
func validPropertyID(s string) bool {
	if len(s) == 0 || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
