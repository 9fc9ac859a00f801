// Package hotelbeds is the client adapter for the Hotelbeds APItude Booking
// API's availability call (POST /hotel-api/1.0/hotels) and the sandbox's
// imitation of it.
//
// One call prices up to MaxHotels (2,000) hotel codes for one stay. Every
// request is signed: the Api-key header and X-Signature, the hex SHA-256 of
// the API key, the secret and the Unix time in seconds. Prices are in each
// hotel's contract currency, whatever currency the search asked for; the
// engine converts them. The API's gateway (Mashery) answers bad
// signatures, throttling and the daily quota itself, as 403 with a tiny
// XML body and an X-Mashery-Error-Code header; the API answers JSON.
//
// The package holds the wire types, the simulated vendor's HTTP server
// (Handler) and the client adapter (Client) that implements
// hotelrates.Vendor. The protocol is described in docs/sandbox/hotelbeds.md.
package hotelbeds

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
)

// AvailabilityPath is the availability endpoint, relative to the API root
// (https://api.test.hotelbeds.com, or the sandbox's .../hotelbeds).
const AvailabilityPath = "/hotel-api/1.0/hotels"

// MaxHotels is the most hotel codes one availability call may hold.
const MaxHotels = 2000

// The request headers of the API.
const (
	// APIKeyHeader carries the API key.
	APIKeyHeader = "Api-key"
	// SignatureHeader carries Signature(key, secret, now).
	SignatureHeader = "X-Signature"
)

// The gateway's (Mashery's) error codes, in the X-Mashery-Error-Code
// header of its 403 answers.
const (
	// MasheryOverRate: the account's daily quota is used up.
	MasheryOverRate = "ERR_403_DEVELOPER_OVER_RATE"
	// MasheryOverQPS: over the plan's queries per second.
	MasheryOverQPS = "ERR_403_DEVELOPER_OVER_QPS"
	// MasheryNotAuthorized: the signature is wrong, or signed with a clock
	// too far from the gateway's.
	MasheryNotAuthorized = "ERR_403_NOT_AUTHORIZED"
	// MasheryDeveloperInactive: the API key is missing, unknown or inactive.
	MasheryDeveloperInactive = "ERR_403_DEVELOPER_INACTIVE"
)

// The headers of the gateway's answers (besides Retry-After).
const (
	// MasheryErrorCodeHeader carries one of the Mashery* codes.
	MasheryErrorCodeHeader = "X-Mashery-Error-Code"
	// ErrorDetailHeader carries the error's text, such as "Not Authorized".
	ErrorDetailHeader = "X-Error-Detail-Header"
	// QPSAllottedHeader and QPSCurrentHeader carry the plan's queries per
	// second and the calls made in the current second.
	QPSAllottedHeader = "X-Plan-QPS-Allotted"
	QPSCurrentHeader  = "X-Plan-QPS-Current"
)

// The API's own error codes ("error.code" of a JSON error answer).
const (
	// CodeInvalidRequest: the request does not parse (400), or asks for
	// more than MaxHotels hotels.
	CodeInvalidRequest = "INVALID_REQUEST"
	// CodeInvalidData: the request parses but a field is wrong (400); also
	// the code of a 410 answer to a failed request repeated too soon.
	CodeInvalidData = "INVALID_DATA"
	// CodeSystemError: the API failed (500, 503).
	CodeSystemError = "SYSTEM_ERROR"
)

// The rate enums the client knows. Other values are kept: an unknown
// rateClass is not refundable, an unknown rateType or paymentType does not
// change the offer.
const (
	RateClassRefundable    = "NOR"
	RateClassNonRefundable = "NRF"
	RateTypeBookable       = "BOOKABLE"
	RateTypeRecheck        = "RECHECK"
	PaymentAtWeb           = "AT_WEB"
	PaymentAtHotel         = "AT_HOTEL"
	PaxAdult               = "AD"
	PaxChild               = "CH"
)

// Signature returns the X-Signature of a request made at unix seconds: the
// lowercase hex SHA-256 of apiKey + secret + the decimal unix time.
func Signature(apiKey, secret string, unix int64) string {
	sum := sha256.Sum256([]byte(apiKey + secret + strconv.FormatInt(unix, 10)))
	return hex.EncodeToString(sum[:])
}

// availabilityRQ is the body of POST /hotel-api/1.0/hotels. The client
// fills stay, occupancies and hotels. The server decodes strictly (no
// unknown fields) and also accepts the API's optional fields, which it
// ignores, except the search alternatives to a hotel list (destination,
// geolocation, keywords), which it does not serve.
type availabilityRQ struct {
	Stay        *stayRQ     `json:"stay"`
	Occupancies []occupancy `json:"occupancies"`
	Hotels      *hotelsRQ   `json:"hotels,omitempty"`

	Destination  json.RawMessage `json:"destination,omitempty"`
	Geolocation  json.RawMessage `json:"geolocation,omitempty"`
	Keywords     json.RawMessage `json:"keywords,omitempty"`
	Filter       json.RawMessage `json:"filter,omitempty"`
	Boards       json.RawMessage `json:"boards,omitempty"`
	RoomsFilter  json.RawMessage `json:"rooms,omitempty"`
	DailyRate    json.RawMessage `json:"dailyRate,omitempty"`
	SourceMarket json.RawMessage `json:"sourceMarket,omitempty"`
	Language     json.RawMessage `json:"language,omitempty"`
	EchoToken    json.RawMessage `json:"echoToken,omitempty"`
}

type stayRQ struct {
	CheckIn        string          `json:"checkIn"`
	CheckOut       string          `json:"checkOut"`
	ShiftDays      json.RawMessage `json:"shiftDays,omitempty"`
	AllowOnlyShift json.RawMessage `json:"allowOnlyShift,omitempty"`
}

// occupancy is Rooms identical rooms, each for Adults adults and Children
// children whose ages Paxes give.
type occupancy struct {
	Rooms    int   `json:"rooms"`
	Adults   int   `json:"adults"`
	Children int   `json:"children"`
	Paxes    []pax `json:"paxes,omitempty"`
}

// pax is one guest: type AD or CH, the age required for a child; RoomID
// (1 to the occupancy's rooms) says which of the occupancy's rooms.
type pax struct {
	RoomID *int   `json:"roomId,omitempty"`
	Type   string `json:"type"`
	Age    *int   `json:"age,omitempty"`
}

type hotelsRQ struct {
	Hotel    []int64         `json:"hotel"`
	Included *bool           `json:"included,omitempty"`
	Type     json.RawMessage `json:"type,omitempty"`
}

// availabilityRS is a successful answer.
type availabilityRS struct {
	AuditData *auditData `json:"auditData,omitempty"`
	Hotels    *hotelsRS  `json:"hotels"`
	Error     *apiError  `json:"error,omitempty"`
}

type auditData struct {
	ProcessTime string `json:"processTime,omitempty"`
	Timestamp   string `json:"timestamp,omitempty"`
	RequestHost string `json:"requestHost,omitempty"`
	ServerID    string `json:"serverId,omitempty"`
	Environment string `json:"environment,omitempty"`
	Release     string `json:"release,omitempty"`
	Token       string `json:"token,omitempty"`
}

type hotelsRS struct {
	CheckIn  string    `json:"checkIn,omitempty"`
	CheckOut string    `json:"checkOut,omitempty"`
	Total    int       `json:"total"`
	Hotels   []hotelRS `json:"hotels,omitempty"`
}

type hotelRS struct {
	Code            int64    `json:"code"`
	Name            string   `json:"name,omitempty"`
	CategoryCode    string   `json:"categoryCode,omitempty"`
	CategoryName    string   `json:"categoryName,omitempty"`
	DestinationCode string   `json:"destinationCode,omitempty"`
	DestinationName string   `json:"destinationName,omitempty"`
	Currency        string   `json:"currency"`
	MinRate         decimal  `json:"minRate,omitempty"`
	MaxRate         decimal  `json:"maxRate,omitempty"`
	Rooms           []roomRS `json:"rooms"`
}

type roomRS struct {
	Code  string   `json:"code"`
	Name  string   `json:"name"`
	Rates []rateRS `json:"rates"`
}

type rateRS struct {
	RateKey              string         `json:"rateKey"`
	RateClass            string         `json:"rateClass"`
	RateType             string         `json:"rateType"`
	Net                  decimal        `json:"net"`
	Allotment            int            `json:"allotment"`
	PaymentType          string         `json:"paymentType"`
	Packaging            bool           `json:"packaging"`
	BoardCode            string         `json:"boardCode"`
	BoardName            string         `json:"boardName,omitempty"`
	CancellationPolicies []cancelPolicy `json:"cancellationPolicies,omitempty"`
	Rooms                int            `json:"rooms"`
	Adults               int            `json:"adults"`
	Children             int            `json:"children"`
	ChildrenAges         string         `json:"childrenAges,omitempty"`
}

type cancelPolicy struct {
	Amount decimal `json:"amount"`
	From   string  `json:"from"`
}

// errorRS is the API's JSON error answer.
type errorRS struct {
	AuditData *auditData `json:"auditData,omitempty"`
	Error     *apiError  `json:"error"`
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// decimal is an amount on the wire. The API writes money as JSON strings
// ("698.64"); the client also takes a JSON number, by its exact text, never
// as a float. It marshals as a string.
type decimal string

// UnmarshalJSON implements json.Unmarshaler: a string, or a number's text.
func (d *decimal) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = decimal(s)
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("an amount must be a JSON string or number")
	}
	*d = decimal(n)
	return nil
}
