// Package bulk is the "bulk" sandbox vendor protocol, modelled on Expedia
// Rapid and Hotelbeds: up to MaxBatch (default 250) hotels per availability
// call, JSON bodies, and every request signed with an API key and a shared
// secret (no token or session state).
//
// The package holds the wire types, the simulated vendor's HTTP server
// (Handler) and the client adapter (Client) that implements
// hotelrates.Vendor. The protocol is described in docs/sandbox/bulk.md.
package bulk

import (
	"crypto/sha512"
	"encoding/hex"
	"strconv"
)

// AvailabilityPath is the availability endpoint, relative to the vendor's
// base URL (the sandbox mounts the vendor under /bulk).
const AvailabilityPath = "/v3/availability"

// DefaultMaxBatch is the most hotels per availability call when the
// configuration does not say.
const DefaultMaxBatch = 250

// The error types ("type" in an error body) of the protocol.
const (
	ErrTypeInvalidInput       = "invalid_input"           // 400
	ErrTypeTooManyHotels      = "too_many_hotels"         // 400
	ErrTypeUnauthenticated    = "request_unauthenticated" // 401
	ErrTypeNotFound           = "resource_not_found"      // 404
	ErrTypeMethodNotAllowed   = "method_not_allowed"      // 405
	ErrTypeRateLimitExceeded  = "rate_limit_exceeded"     // 429
	ErrTypeInternal           = "internal_error"          // 500
	ErrTypeServiceUnavailable = "service_unavailable"     // 503
)

// Signature returns the request signature of the protocol: the lowercase
// hex SHA-512 of apiKey + secret + the decimal unix time in seconds.
func Signature(apiKey, secret string, unix int64) string {
	sum := sha512.Sum512([]byte(apiKey + secret + strconv.FormatInt(unix, 10)))
	return hex.EncodeToString(sum[:])
}

// AuthorizationHeader returns the value of the Authorization header that
// signs a request made at unix seconds.
func AuthorizationHeader(apiKey, secret string, unix int64) string {
	return "APIKey=" + apiKey + ",Signature=" + Signature(apiKey, secret, unix) + ",timestamp=" + strconv.FormatInt(unix, 10)
}

// availabilityRequest is the body of POST /v3/availability.
type availabilityRequest struct {
	PropertyIDs []string  `json:"property_ids"`
	Checkin     string    `json:"checkin"`
	Checkout    string    `json:"checkout"`
	Occupancy   occupancy `json:"occupancy"`
	Currency    string    `json:"currency"`
}

type occupancy struct {
	Adults int `json:"adults"`
	Rooms  int `json:"rooms"`
}

// availabilityResponse is a successful answer. Properties is a pointer so
// the client can tell a missing list from an empty one.
type availabilityResponse struct {
	Properties *[]property `json:"properties"`
}

type property struct {
	PropertyID string `json:"property_id"`
	Rooms      []room `json:"rooms"`
}

type room struct {
	RoomName       string `json:"room_name"`
	Board          string `json:"board"`
	Total          amount `json:"total"`
	Refundable     bool   `json:"refundable"`
	CancelDeadline string `json:"cancel_deadline,omitempty"`
}

type amount struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

// errorBody is the body of every error answer.
type errorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}
