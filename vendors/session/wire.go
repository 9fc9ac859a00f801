// Package session is the sandbox vendor "session": a protocol in the style
// of legacy SOAP/GDS hotel APIs, with XML bodies, login sessions that serve
// one request at a time and expire when idle, and small availability
// batches. It holds both sides: Handler, the simulated vendor's HTTP API,
// and Client, the adapter that implements hotelrates.Vendor against it.
// The protocol is documented in docs/sandbox/session.md.
package session

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"unicode"
)

// Protocol is the protocol's name, the default vendor name and the path
// prefix the sandbox mounts the handler under.
const Protocol = "session"

// ContentType is the media type of every request and answer body.
const ContentType = "application/xml"

// The defaults of the protocol's limits.
const (
	// DefaultMaxBatch is the most hotels one availability call may ask for.
	DefaultMaxBatch = 20
	// DefaultMaxSessions is the most sessions an account may hold open.
	DefaultMaxSessions = 4
)

// MaxRequestBody is the largest request body the server reads (1 MiB).
const MaxRequestBody = 1 << 20

// The fault codes of the protocol, each with one HTTP status.
const (
	CodeAuthFailed         = "AuthFailed"         // 401: wrong user or password
	CodeInvalidSession     = "InvalidSession"     // 401: session missing, unknown, expired, evicted, logged out or revoked
	CodeSessionBusy        = "SessionBusy"        // 409: the session is serving another request
	CodeTooManyHotels      = "TooManyHotels"      // 400: more hotels than MaxBatch
	CodeInvalidRequest     = "InvalidRequest"     // 400: malformed XML or an invalid attribute
	CodeNotFound           = "NotFound"           // 404: unknown path
	CodeMethodNotAllowed   = "MethodNotAllowed"   // 405: wrong method (Allow: POST)
	CodeRateLimited        = "RateLimited"        // 429: over capacity (Retry-After)
	CodeInternalError      = "InternalError"      // 500
	CodeServiceUnavailable = "ServiceUnavailable" // 503 (Retry-After)
)

// The availability status of one hotel in an answer.
const (
	StatusAvailable = "available" // the hotel has at least one offer
	StatusSoldOut   = "soldout"   // the vendor carries the hotel but has nothing for the stay
	StatusUnknown   = "unknown"   // the vendor does not carry the hotel, or it is no catalog id
)

// loginRQ is the body of POST /login.
type loginRQ struct {
	XMLName  xml.Name `xml:"LoginRQ"`
	User     string   `xml:"User"`
	Password string   `xml:"Password"`
}

// loginRS is the answer to a successful login.
type loginRS struct {
	XMLName     xml.Name `xml:"LoginRS"`
	SessionID   string   `xml:"SessionID"`
	IdleTimeout int      `xml:"IdleTimeout"` // seconds
}

// logoutRQ is the body of POST /logout.
type logoutRQ struct {
	XMLName   xml.Name `xml:"LogoutRQ"`
	SessionID string   `xml:"SessionID,attr"`
}

// logoutRS is the answer to a successful logout.
type logoutRS struct {
	XMLName xml.Name `xml:"LogoutRS"`
}

// availRQ is the body of POST /availability.
type availRQ struct {
	XMLName   xml.Name   `xml:"AvailRQ"`
	SessionID string     `xml:"SessionID,attr"`
	Stays     []stayXML  `xml:"Stay"`
	Hotels    []hotelRef `xml:"Hotel"`
}

// stayXML is the stay of an availability request. The numbers are kept as
// text so the server can name the attribute that does not parse.
type stayXML struct {
	CheckIn  string `xml:"CheckIn,attr"`
	CheckOut string `xml:"CheckOut,attr"`
	Adults   string `xml:"Adults,attr"`
	Rooms    string `xml:"Rooms,attr"`
	Currency string `xml:"Currency,attr"`
}

// hotelRef is one hotel asked for.
type hotelRef struct {
	ID string `xml:"id,attr"`
}

// availRS is the answer to an availability request.
type availRS struct {
	XMLName xml.Name   `xml:"AvailRS"`
	Hotels  []hotelXML `xml:"Hotel"`
}

// hotelXML is one hotel of an answer.
type hotelXML struct {
	ID     string     `xml:"id,attr"`
	Status string     `xml:"status,attr"`
	Offers []offerXML `xml:"Offer"`
}

// offerXML is one offer of an answer.
type offerXML struct {
	Room           string `xml:"Room,attr"`
	Board          string `xml:"Board,attr"`
	Total          string `xml:"Total,attr"`
	Currency       string `xml:"Currency,attr"`
	Refundable     string `xml:"Refundable,attr"`
	CancelDeadline string `xml:"CancelDeadline,attr,omitempty"`
}

// faultXML is the body of every error answer.
type faultXML struct {
	XMLName xml.Name `xml:"Fault"`
	Code    string   `xml:"code,attr"`
	Message string   `xml:",chardata"`
}

// marshal encodes v as an XML document with the XML declaration.
func marshal(v any) []byte {
	b, err := xml.Marshal(v)
	if err != nil {
		// Only unsupported types fail, and the wire types have none.
		panic(fmt.Sprintf("session: marshal %T: %v", v, err))
	}
	return append([]byte(xml.Header), b...)
}

// errTrailing reports content after the document's root element.
var errTrailing = errors.New("content after the root element")

// unmarshal decodes the XML document b into v strictly: the root element
// must be v's and nothing but white space, comments and processing
// instructions may follow it.
func unmarshal(b []byte, v any) error {
	dec := xml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty document")
		}
		return err
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimFunc(t, unicode.IsSpace)) != 0 {
				return errTrailing
			}
		default:
			return errTrailing
		}
	}
}
