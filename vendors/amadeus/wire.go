// Package amadeus imitates and speaks Amadeus for Developers' Hotel Search
// API (v3, GET /v3/shopping/hotel-offers): up to 20 Amadeus property codes
// a call, query parameters in, JSON out, and bearer tokens from the OAuth2
// client credentials grant (POST /v1/security/oauth2/token).
//
// The package holds both sides: Handler, the simulated Amadeus API served by
// the sandbox over a sandbox.Backend, and Client, the adapter that
// implements hotelrates.Vendor against the sandbox or the real test host
// (https://test.api.amadeus.com). The wire format, the error codes and how
// the client maps them are documented in docs/sandbox/amadeus.md.
package amadeus

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// The API's paths, relative to its root (Config.BaseURL).
const (
	// TokenPath is the OAuth2 token endpoint (POST, form-encoded).
	TokenPath = "/v1/security/oauth2/token"
	// OffersPath is Hotel Search v3's multi-hotel offers endpoint (GET).
	OffersPath = "/v3/shopping/hotel-offers"
)

// Limits of the API.
const (
	// MaxHotelIDs is the most hotelIds one call may carry (the
	// specification's maxItems); it is also the client's default and
	// largest MaxBatch.
	MaxHotelIDs = 20
	// MaxAdults and MaxRooms bound adults (per room) and roomQuantity.
	MaxAdults = 9
	MaxRooms  = 9
	// MaxNights is the longest stay the sandbox prices (code 377 past it).
	MaxNights = 30
	// MaxChildren is the most childAges the sandbox takes.
	MaxChildren = 9
	// MaxTokenForm is the largest token request body the sandbox reads.
	MaxTokenForm = 64 << 10
	// MaxTokens is how many unexpired tokens the sandbox keeps; past it
	// the oldest is dropped (and answers 401 like an expired one).
	MaxTokens = 1 << 16
	// DefaultRetryAfter is the client's RetryAfter for a 429 without a
	// Retry-After header: the test environment's one request per 100 ms.
	DefaultRetryAfter = 100 * time.Millisecond
	// DeadlineLayout is the layout of a cancellation deadline: ISO 8601
	// with the hotel's UTC offset.
	DeadlineLayout = time.RFC3339
)

// The media types of the API's answers.
const (
	// ContentType is the media type of Hotel Search answers and errors.
	ContentType = "application/vnd.amadeus+json"
	// TokenContentType is the media type of token answers and errors.
	TokenContentType = "application/json"
)

// Error codes of the API's error format {"errors":[{status,code,title,
// detail,source}]} (Hotel Search) and of the token endpoint's
// {"error","error_description","code","title"}.
const (
	CodeInvalidCurrency  = 61    // 400 INVALID CURRENCY CODE
	CodeSystemError      = 141   // 500 SYSTEM ERROR HAS OCCURRED
	CodeMaxStay          = 377   // 400 MAX STAY DURATION IS EXCEEDED
	CodeInvalidCheckIn   = 381   // 400 INVALID CHECK-IN DATE
	CodeInvalidCheckOut  = 382   // 400 INVALID CHECK-OUT DATE
	CodeInvalidHotelCode = 392   // 400 INVALID HOTEL CODE
	CodeInvalidAdults    = 397   // 400 INVALID NUMBER OF ADULTS
	CodeCheckOutOrder    = 404   // 400 CHECK_OUT DATE MUST BE FURTHER IN THE FUTURE THAN CHECK-IN DATE
	CodeInvalidFormat    = 477   // 400 INVALID FORMAT
	CodeInvalidOption    = 572   // 400 INVALID OPTION
	CodeNoRooms          = 3664  // 400 NO ROOMS AVAILABLE AT REQUESTED PROPERTY
	CodeMandatoryMissing = 32171 // 400 MANDATORY DATA MISSING
	CodeInvalidClient    = 38187 // token endpoint: 400/401 Invalid parameters
	CodeInternalError    = 38189 // 503 Internal error
	CodeInvalidToken     = 38190 // 401 Invalid access token
	CodeInvalidHeader    = 38191 // 401 Invalid HTTP header
	CodeTooManyRequests  = 38194 // 429 Too many requests
	CodeResourceNotFound = 38196 // 404 Resource not found
)

// titles are the canned titles of the codes, one to one.
var titles = map[int]string{
	CodeInvalidCurrency:  "INVALID CURRENCY CODE",
	CodeSystemError:      "SYSTEM ERROR HAS OCCURRED",
	CodeMaxStay:          "MAX STAY DURATION IS EXCEEDED",
	CodeInvalidCheckIn:   "INVALID CHECK-IN DATE",
	CodeInvalidCheckOut:  "INVALID CHECK-OUT DATE",
	CodeInvalidHotelCode: "INVALID HOTEL CODE",
	CodeInvalidAdults:    "INVALID NUMBER OF ADULTS",
	CodeCheckOutOrder:    "CHECK_OUT DATE MUST BE FURTHER IN THE FUTURE THAN CHECK-IN DATE",
	CodeInvalidFormat:    "INVALID FORMAT",
	CodeInvalidOption:    "INVALID OPTION",
	CodeNoRooms:          "NO ROOMS AVAILABLE AT REQUESTED PROPERTY",
	CodeMandatoryMissing: "MANDATORY DATA MISSING",
	CodeInvalidClient:    "Invalid parameters",
	CodeInternalError:    "Internal error",
	CodeInvalidToken:     "Invalid access token",
	CodeInvalidHeader:    "Invalid HTTP header",
	CodeTooManyRequests:  "Too many requests",
	CodeResourceNotFound: "Resource not found",
}

// The query parameters of GET /v3/shopping/hotel-offers.
const (
	paramHotelIDs      = "hotelIds"
	paramAdults        = "adults"
	paramCheckIn       = "checkInDate"
	paramCheckOut      = "checkOutDate"
	paramCountry       = "countryOfResidence"
	paramRooms         = "roomQuantity"
	paramPriceRange    = "priceRange"
	paramCurrency      = "currency"
	paramPaymentPolicy = "paymentPolicy"
	paramBoardType     = "boardType"
	paramIncludeClosed = "includeClosed"
	paramBestRateOnly  = "bestRateOnly"
	paramLang          = "lang"
	paramChildAges     = "childAges"
)

// The policies.refundable.cancellationRefund values.
const (
	refundableUpToDeadline = "REFUNDABLE_UP_TO_DEADLINE"
	nonRefundable          = "NON_REFUNDABLE"
)

// offersResponse is a 200 answer of GET /v3/shopping/hotel-offers. Data
// is a list (the published schema says one object; see docs).
type offersResponse struct {
	Data []hotelOffers `json:"data"`
}

// hotelOffers is one hotel's entry in data.
type hotelOffers struct {
	Type      string       `json:"type"`
	Hotel     hotel        `json:"hotel"`
	Available *bool        `json:"available,omitempty"`
	Offers    []hotelOffer `json:"offers,omitempty"`
}

type hotel struct {
	Type      string `json:"type,omitempty"`
	HotelID   string `json:"hotelId"`
	ChainCode string `json:"chainCode,omitempty"`
	Name      string `json:"name,omitempty"`
	CityCode  string `json:"cityCode,omitempty"`
}

// hotelOffer is one offer of a hotel.
type hotelOffer struct {
	Type         string    `json:"type,omitempty"`
	ID           string    `json:"id"`
	CheckInDate  string    `json:"checkInDate,omitempty"`
	CheckOutDate string    `json:"checkOutDate,omitempty"`
	RoomQuantity string    `json:"roomQuantity,omitempty"`
	RateCode     string    `json:"rateCode"`
	Room         room      `json:"room"`
	BoardType    string    `json:"boardType,omitempty"`
	Guests       *guests   `json:"guests,omitempty"`
	Price        price     `json:"price"`
	Policies     *policies `json:"policies,omitempty"`
}

type room struct {
	Type          string         `json:"type,omitempty"`
	TypeEstimated *typeEstimated `json:"typeEstimated,omitempty"`
	Description   *freeText      `json:"description,omitempty"`
}

type typeEstimated struct {
	Category string `json:"category,omitempty"`
	Beds     int    `json:"beds,omitempty"`
	BedType  string `json:"bedType,omitempty"`
}

type freeText struct {
	Text string `json:"text"`
	Lang string `json:"lang,omitempty"`
}

type guests struct {
	Adults    int   `json:"adults,omitempty"`
	ChildAges []int `json:"childAges,omitempty"`
}

type price struct {
	Currency string `json:"currency"`
	Base     string `json:"base,omitempty"`
	Total    string `json:"total"`
}

type policies struct {
	PaymentType   string         `json:"paymentType,omitempty"`
	Cancellations []cancellation `json:"cancellations,omitempty"`
	Refundable    *refundable    `json:"refundable,omitempty"`
}

type cancellation struct {
	Type        string    `json:"type,omitempty"`
	Deadline    string    `json:"deadline,omitempty"`
	Description *freeText `json:"description,omitempty"`
}

type refundable struct {
	CancellationRefund string `json:"cancellationRefund"`
}

// errorsResponse is the API's error format.
type errorsResponse struct {
	Errors []apiError `json:"errors"`
}

// apiError is one error. Status and code are integers per the
// specification; the 429 answer carries them as strings, which flexInt
// reads too.
type apiError struct {
	Status flexInt      `json:"status,omitempty"`
	Code   flexInt      `json:"code,omitempty"`
	Title  string       `json:"title,omitempty"`
	Detail string       `json:"detail,omitempty"`
	Source *errorSource `json:"source,omitempty"`
}

type errorSource struct {
	Parameter string `json:"parameter,omitempty"`
	Pointer   string `json:"pointer,omitempty"`
	Example   string `json:"example,omitempty"`
}

// throttleErrors is the body of a 429: code and status as strings, as the
// real API sends them.
type throttleErrors struct {
	Errors []throttleError `json:"errors"`
}

type throttleError struct {
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Status string `json:"status"`
}

// flexInt is an integer on the wire as a JSON number or a string of
// digits. It marshals as a number.
type flexInt int

func (n flexInt) MarshalJSON() ([]byte, error) { return strconv.AppendInt(nil, int64(n), 10), nil }

func (n *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) >= 2 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	v, err := strconv.ParseInt(string(b), 10, 32)
	if err != nil {
		return errors.New("not an integer")
	}
	*n = flexInt(v)
	return nil
}

// tokenResponse is the body of a 200 answer of the token endpoint.
type tokenResponse struct {
	Type            string `json:"type"`
	Username        string `json:"username"`
	ApplicationName string `json:"application_name"`
	ClientID        string `json:"client_id"`
	TokenType       string `json:"token_type"`
	AccessToken     string `json:"access_token"`
	ExpiresIn       int64  `json:"expires_in"`
	State           string `json:"state"`
	Scope           string `json:"scope"`
}

// tokenError is the token endpoint's error format.
type tokenError struct {
	Error            string  `json:"error"`
	ErrorDescription string  `json:"error_description"`
	Code             flexInt `json:"code"`
	Title            string  `json:"title"`
}
