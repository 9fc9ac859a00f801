// Package rapid speaks Expedia Rapid's shopping API (EPS Rapid v3,
// GET /v3/properties/availability) for the hotel rate loader: Client, the
// adapter that implements hotelrates.Vendor against the real API or the
// sandbox, and Handler, the sandbox's imitation of the API over a
// sandbox.Backend.
//
// Requests carry up to MaxProperties property ids, one occupancy per room
// (see Occupancies), and an "EAN" signature of the API key, the shared
// secret and the time (see AuthorizationHeader); answers are gzipped JSON.
// The wire format, the mapping to offers and every error are described in
// docs/sandbox/rapid.md.
package rapid

import (
	"encoding/json"
	"errors"
)

// AvailabilityPath is the availability endpoint, relative to the API root
// (https://test.ean.com, or the sandbox's .../rapid).
const AvailabilityPath = "/v3/properties/availability"

// Limits of the API.
const (
	// MaxProperties is the most property_id values one call may carry; it
	// is also the client's default and largest MaxBatch.
	MaxProperties = 250
	// MaxRooms is the most occupancies (rooms) one call may carry.
	MaxRooms = 8
	// MaxNights is the longest stay one call may ask for.
	MaxNights = 28
	// MaxRatePlanCount is the largest rate_plan_count (rates per property);
	// the client's default, so that every rate is returned.
	MaxRatePlanCount = 250
	// MaxChildAge is the oldest child an occupancy may name.
	MaxChildAge = 17
)

// The error types ("type" of an error body) the sandbox answers and the
// client knows.
const (
	ErrTypeInvalidInput       = "invalid_input"           // 400
	ErrTypeUnauthenticated    = "request_unauthenticated" // 401
	ErrTypeUnauthorized       = "request_unauthorized"    // 403
	ErrTypeNotFound           = "resource_not_found"      // 404 (a path the API does not have)
	ErrTypeMethodNotAllowed   = "method_not_allowed"      // 405
	ErrTypeUpgradeRequired    = "upgrade_required"        // 426 (plain HTTP to the real API)
	ErrTypeTooManyRequests    = "too_many_requests"       // 429
	ErrTypeInternal           = "unknown_internal_error"  // 500
	ErrTypeServiceUnavailable = "service_unavailable"     // 503
)

// The values of the Test request header. The spec lists the first three
// for this endpoint; the sandbox also honours two of the sibling
// additional-availability endpoint's, no_availability and forbidden.
const (
	TestStandard             = "standard"
	TestServiceUnavailable   = "service_unavailable"
	TestUnknownInternalError = "unknown_internal_error"
	TestNoAvailability       = "no_availability"
	TestForbidden            = "forbidden"
)

// Headers of the API.
const (
	HeaderTest = "Test"
	// HeaderRegion says where a request was processed; the sandbox answers
	// SandboxRegion.
	HeaderRegion = "Region"

	HeaderRateLimitMinute          = "Rate-Limit-Minute"           // requests per minute
	HeaderRateLimitMinuteRemaining = "Rate-Limit-Minute-Remaining" // percent of the minute's capacity left
	HeaderRateLimitMinuteReset     = "Rate-Limit-Minute-Reset"     // Unix ms when the minute's capacity resets
	HeaderRateLimitDay             = "Rate-Limit-Day"              // requests per day
	HeaderRateLimitDayRemaining    = "Rate-Limit-Day-Remaining"    // percent of the day's capacity left
	HeaderRateLimitDayReset        = "Rate-Limit-Day-Reset"        // Unix ms when the day's capacity resets
	HeaderRateLimitReduction       = "Rate-Limit-Reduction-Status" // "active" once the day's capacity is used up
)

// SandboxRegion is the Region header of the sandbox's answers. It also
// tells the client that the answer prices each occupancy for all the rooms
// requested with it (see docs/sandbox/rapid.md, "Prices"), where the real
// API prices one room.
const SandboxRegion = "sandbox"

// TimeLayout is the layout of cancel penalty times: extended ISO 8601 with
// milliseconds and a ±hh:mm offset, as the API writes them.
const TimeLayout = "2006-01-02T15:04:05.000-07:00"

// errorBody is the body of every error answer.
type errorBody struct {
	Type    string        `json:"type"`
	Message string        `json:"message"`
	Fields  []errorField  `json:"fields,omitempty"`
	Errors  []errorDetail `json:"errors,omitempty"`
}

// errorDetail is one of the nested errors of an error body.
type errorDetail struct {
	Type    string       `json:"type"`
	Message string       `json:"message"`
	Fields  []errorField `json:"fields,omitempty"`
}

// errorField names one input (or, for servertimestamp, the server's clock)
// an error is about.
type errorField struct {
	Name  string     `json:"name"`
	Type  string     `json:"type"`
	Value fieldValue `json:"value"`
}

// fieldValue is a field's value: a string in the spec, read from a JSON
// string or number.
type fieldValue string

// UnmarshalJSON implements json.Unmarshaler.
func (v *fieldValue) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = fieldValue(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("field value is neither a string nor a number")
	}
	*v = fieldValue(n.String())
	return nil
}

// amount is a money amount: a decimal string and an ISO 4217 currency.
type amount struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

// charge is an amount in the billable and in the requested currency.
type charge struct {
	BillableCurrency amount `json:"billable_currency"`
	RequestCurrency  amount `json:"request_currency"`
}

// amenity is one amenity of a rate.
type amenity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// The client reads these parts of a 200 answer (a JSON array of
// properties); it ignores every other field.
type (
	wireProperty struct {
		PropertyID string     `json:"property_id"`
		Status     string     `json:"status"`
		Rooms      []wireRoom `json:"rooms"`
	}
	wireRoom struct {
		RoomName string     `json:"room_name"`
		Rates    []wireRate `json:"rates"`
	}
	wireRate struct {
		Status           string                 `json:"status"`
		Refundable       bool                   `json:"refundable"`
		Amenities        map[string]wireAmenity `json:"amenities"`
		CancelPenalties  []wirePenalty          `json:"cancel_penalties"`
		OccupancyPricing map[string]wirePricing `json:"occupancy_pricing"`
	}
	wireAmenity struct {
		Name string `json:"name"`
	}
	wirePenalty struct {
		Start string `json:"start"`
	}
	wirePricing struct {
		Totals struct {
			Inclusive *charge `json:"inclusive"`
		} `json:"totals"`
	}
)
