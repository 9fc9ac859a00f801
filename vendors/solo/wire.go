// Package solo implements the sandbox protocol "solo": a vendor that prices
// one hotel per availability call, speaks JSON and authenticates with OAuth2
// client credentials (like the Booking.com Demand API's availability call).
//
// The package holds both sides of the protocol: Handler, the simulated
// vendor's HTTP API served by the sandbox, and Client, the adapter that
// implements hotelrates.Vendor against it. The wire format is documented in
// docs/sandbox/solo.md.
package solo

import "time"

// The protocol's paths, relative to the vendor's base URL.
const (
	// TokenPath is the OAuth2 token endpoint (POST, form-encoded).
	TokenPath = "/oauth/token"
	// AvailabilityPath is the availability endpoint (POST, JSON).
	AvailabilityPath = "/v1/availability"
)

// Protocol limits.
const (
	// MaxRequestBody is the largest request body the server reads (1 MiB).
	MaxRequestBody = 1 << 20
	// MaxNights is the longest stay one availability call may ask for.
	MaxNights = 30
	// MaxAdults is the most adults one availability call may ask for.
	MaxAdults = 9
	// MaxRooms is the most rooms one availability call may ask for.
	MaxRooms = 9
	// MaxHotelIDLen is the longest hotel id the server accepts.
	MaxHotelIDLen = 64
	// MaxTokens is how many unexpired tokens the server keeps; past it the
	// oldest token is dropped (and answers 401 like an expired one).
	MaxTokens = 1 << 16
	// TimeLayout is the layout of cancel_before: RFC 3339 in UTC.
	TimeLayout = time.RFC3339
)

// The error codes of the vendor's own error format {"error":{"code","message"}}.
const (
	CodeInvalidRequest   = "invalid_request"    // 400: the body does not parse or a field is out of range
	CodeInvalidToken     = "invalid_token"      // 401: bearer token missing, unknown, expired or revoked
	CodeHotelNotFound    = "hotel_not_found"    // 404: the vendor does not carry the hotel
	CodeNotFound         = "not_found"          // 404: no such endpoint
	CodeMethodNotAllowed = "method_not_allowed" // 405: wrong method for the endpoint
	CodeTooLarge         = "payload_too_large"  // 413: request body over MaxRequestBody
	CodeRateLimited      = "rate_limited"       // 429: over capacity or rate; see Retry-After
	CodeInternal         = "internal_error"     // 500: vendor failure
	CodeUnavailable      = "unavailable"        // 503: vendor temporarily down; see Retry-After
)

// availabilityRequest is the body of POST /v1/availability.
type availabilityRequest struct {
	HotelID  string `json:"hotel_id"`
	CheckIn  string `json:"checkin"`
	CheckOut string `json:"checkout"`
	Adults   int    `json:"adults"`
	Rooms    int    `json:"rooms"`
	Currency string `json:"currency"`
}

// availabilityResponse is the body of a 200 answer to POST /v1/availability.
// Offers is a pointer so the client can tell a missing list from an empty one.
type availabilityResponse struct {
	HotelID  string       `json:"hotel_id"`
	Currency string       `json:"currency"`
	Offers   *[]wireOffer `json:"offers"`
}

// wireOffer is one offer on the wire.
type wireOffer struct {
	Room         string `json:"room"`
	Board        string `json:"board"`
	Price        string `json:"price"`
	Refundable   bool   `json:"refundable"`
	CancelBefore string `json:"cancel_before,omitempty"`
}

// errorResponse is the vendor's error format for every non-OAuth error.
type errorResponse struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// tokenResponse is the body of a 200 answer to POST /oauth/token (RFC 6749 5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// oauthError is the body of a failed token request (RFC 6749 5.2).
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}
