package hotelrates

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// currencyExponent gives the number of minor-unit digits of the currencies
// the package knows. Others default to 2.
var currencyExponent = map[string]int{"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "CHF": 2}

func exponent(currency string) int {
	if e, ok := currencyExponent[currency]; ok {
		return e
	}
	return 2
}

// Money is an exact amount in the minor units of a currency (cents for
// USD). It is never a float. In JSON it is {"amount":"123.45","currency":"USD"}.
type Money struct {
	Minor    int64
	Currency string
}

// ParseMoney parses a decimal amount such as "123.45" in currency. It
// rejects more fraction digits than the currency has (unless they are
// zeros), signs other than a leading minus, exponents and anything else
// that is not a plain decimal.
func ParseMoney(amount, currency string) (Money, error) {
	if len(currency) != 3 || strings.IndexFunc(currency, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		return Money{}, fmt.Errorf("currency %q is not an ISO 4217 code", truncate(currency, 10))
	}
	s := amount
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") {
		return Money{}, fmt.Errorf("amount %q is not a decimal", truncate(amount, 40))
	}
	if len(intPart) > 15 {
		return Money{}, fmt.Errorf("amount %q is out of range (at most 15 integer digits)", truncate(amount, 40))
	}
	for _, part := range []string{intPart, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return Money{}, fmt.Errorf("amount %q is not a decimal", truncate(amount, 40))
			}
		}
	}
	exp := exponent(currency)
	frac = strings.TrimRight(frac, "0")
	if len(frac) > exp {
		return Money{}, fmt.Errorf("amount %q has more than %d decimals", truncate(amount, 40), exp)
	}
	frac += strings.Repeat("0", exp-len(frac))
	n, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil { // not reached with 15 integer digits; kept for safety
		return Money{}, fmt.Errorf("amount %q is out of range", truncate(amount, 40))
	}
	if neg {
		n = -n
	}
	return Money{Minor: n, Currency: currency}, nil
}

// appendAmount appends Amount's text to b.
func (m Money) appendAmount(b []byte) []byte {
	return append(b, m.Amount()...)
}

// Amount returns the amount as a decimal string with the currency's number
// of decimals, such as "123.45".
func (m Money) Amount() string {
	exp := exponent(m.Currency)
	n := m.Minor
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	s := strconv.FormatInt(n, 10)
	if exp == 0 {
		return sign + s
	}
	if len(s) <= exp {
		s = strings.Repeat("0", exp-len(s)+1) + s
	}
	return sign + s[:len(s)-exp] + "." + s[len(s)-exp:]
}

// String returns the amount and currency, such as "123.45 USD".
func (m Money) String() string { return m.Amount() + " " + m.Currency }

type moneyJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// MarshalJSON implements json.Marshaler. It writes the object itself,
// without reflection (an answer marshals thousands of prices), when the
// currency needs no escaping, as a valid code never does.
func (m Money) MarshalJSON() ([]byte, error) {
	for i := 0; i < len(m.Currency); i++ {
		if c := m.Currency[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return json.Marshal(moneyJSON{Amount: m.Amount(), Currency: m.Currency})
		}
	}
	b := make([]byte, 0, 40+len(m.Currency))
	b = append(b, `{"amount":"`...)
	b = m.appendAmount(b)
	b = append(b, `","currency":"`...)
	b = append(b, m.Currency...)
	return append(b, `"}`...), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (m *Money) UnmarshalJSON(b []byte) error {
	var j moneyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	p, err := ParseMoney(j.Amount, j.Currency)
	if err != nil {
		return err
	}
	*m = p
	return nil
}

// Offer is one bookable rate of one hotel from one vendor.
type Offer struct {
	Vendor         string    `json:"vendor"`
	Room           string    `json:"room"`
	Board          string    `json:"board"`
	Total          Money     `json:"total"`
	Refundable     bool      `json:"refundable"`
	CancelDeadline time.Time `json:"cancel_deadline,omitzero"` // zero when not refundable
	// Converted is true when the vendor priced the offer in another
	// currency than the search asked for: Total is then converted at the
	// service's exchange rates, and Original is the vendor's own amount.
	Converted bool  `json:"converted,omitempty"`
	Original  Money `json:"original,omitzero"`
}

// HotelOffers is a vendor's answer for one hotel.
type HotelOffers struct {
	HotelID string
	Offers  []Offer
}

// Status is the outcome of a search at one vendor.
type Status string

// The vendor statuses of a search.
const (
	StatusOK      Status = "ok"      // every hotel asked was answered
	StatusPartial Status = "partial" // some hotels were answered, some not
	StatusFailed  Status = "failed"  // no hotel was answered, because of errors
	StatusTimeout Status = "timeout" // no hotel was answered before the deadline
	StatusSkipped Status = "skipped" // the vendor was not asked (it cannot price the stay); Error says why
)

// VendorStatus reports how one vendor did in one search.
type VendorStatus struct {
	Vendor          string
	Status          Status
	HotelsRequested int
	HotelsAnswered  int
	Calls           int // vendor calls made for this search (retries included)
	Errors          int // calls that failed
	Elapsed         time.Duration
	Error           string // the last error, if any; never holds a credential
}

// HotelResult is every vendor's offers for one hotel of a search.
type HotelResult struct {
	HotelID string
	Offers  []Offer
	// Complete is true when every vendor asked for the hotel answered.
	Complete bool
	// Sources says, per vendor that answered, where the answer came from.
	Sources []Source
}

// Source says where one vendor's answer for one hotel came from.
type Source struct {
	Vendor string
	// Cached is true when the answer came from the rate cache; Age is then
	// how old it is.
	Cached bool
	Age    time.Duration
	// Shared is true when one vendor call answered this search and another
	// that needed the same hotel and stay at the same time.
	Shared bool
}

// Result is the answer to a search: the hotels with their offers and the
// status of each vendor. Complete is false when the deadline came before
// every vendor answered for every hotel.
type Result struct {
	SearchID string
	Complete bool
	Elapsed  time.Duration
	Hotels   []HotelResult
	Vendors  []VendorStatus
}
