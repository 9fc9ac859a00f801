// Package hotelrates holds the domain of a hotel rate loader: a search for
// many hotels over one stay, the offers vendors return for it, the per-vendor
// status of a search, the Vendor interface a user implements to plug in a
// hotel supplier, the record of one vendor HTTP exchange, and the error type
// with codes that every layer shares.
//
// The package depends on the standard library only. The worker model that
// answers a search lives in package engine; the HTTP service in httpapi; the
// vendor sandbox in sandbox and vendorsim; client adapters for the sandbox
// protocols in vendors/solo, vendors/bulk and vendors/session.
package hotelrates

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Date is a civil date (no time of day, no zone), written YYYY-MM-DD.
type Date struct {
	t time.Time // always UTC midnight
}

// DateLayout is the layout of a Date in text form.
const DateLayout = "2006-01-02"

// ParseDate parses a date written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q is not YYYY-MM-DD", truncate(s, 40))
	}
	if t.Year() < minYear {
		// (0001-01-01 would also be the zero Date, which means "none".)
		return Date{}, fmt.Errorf("date %q is before the year %d", s, minYear)
	}
	return Date{t: t}, nil
}

// MustDate parses a date written YYYY-MM-DD and panics if it is not valid.
// It is meant for constants in tests and examples.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf returns the civil date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{t: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Time returns midnight UTC of d.
func (d Date) Time() time.Time { return d.t }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return Date{t: d.t.AddDate(0, 0, n)} }

// DaysUntil returns the number of days from d to e (negative if e is before d).
func (d Date) DaysUntil(e Date) int { return int((e.t.Unix() - d.t.Unix()) / 86400) }

// minYear is the earliest year ParseDate takes.
const minYear = 1900

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }

// String returns d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(DateLayout)
}

// appendTo appends String's text to b.
func (d Date) appendTo(b []byte) []byte {
	if d.IsZero() {
		return b
	}
	return d.t.AppendFormat(b, DateLayout)
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// Stay is what a traveller asks prices for: dates, guests and the currency
// to price in.
type Stay struct {
	CheckIn  Date
	CheckOut Date
	Adults   int
	// Children holds the age (0 to 17) of each child, in the order asked;
	// nil or empty when no children travel.
	Children []int
	Rooms    int
	Currency string
}

// MaxChildAge is the oldest a child may be; older guests are adults.
const MaxChildAge = 17

// Nights returns the number of nights of the stay.
func (s Stay) Nights() int { return s.CheckIn.DaysUntil(s.CheckOut) }

// Key returns a canonical string that identifies the stay, for maps and
// caches: two stays with the same key ask for the same prices.
func (s Stay) Key() string {
	// "CHECKIN|CHECKOUT|ADULTS|ROOMS|CURRENCY", and "|AGE,AGE..." when
	// children travel, built in one allocation (it is computed for every
	// vendor call).
	b := make([]byte, 0, 48+3*len(s.Children))
	b = s.CheckIn.appendTo(b)
	b = append(b, '|')
	b = s.CheckOut.appendTo(b)
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(s.Adults), 10)
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(s.Rooms), 10)
	b = append(b, '|')
	b = append(b, s.Currency...)
	ages := s.Children
	if !slices.IsSorted(ages) {
		ages = slices.Sorted(slices.Values(ages)) // the same children in another order ask the same prices
	}
	for i, age := range ages {
		if i == 0 {
			b = append(b, '|')
		} else {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(age), 10)
	}
	return string(b)
}

// Validate checks the stay on its own and returns an *Error naming the
// offending field (check_in, check_out, adults, children, rooms, currency).
func (s Stay) Validate(l Limits) error {
	l = l.withDefaults()
	switch {
	case s.CheckIn.IsZero():
		return Errorf(CodeInvalidArgument, "check_in", "check_in is required (YYYY-MM-DD)")
	case s.CheckOut.IsZero():
		return Errorf(CodeInvalidArgument, "check_out", "check_out is required (YYYY-MM-DD)")
	case !s.CheckIn.Before(s.CheckOut):
		return Errorf(CodeInvalidArgument, "check_out", "check_out %s must be after check_in %s", s.CheckOut, s.CheckIn)
	case s.Nights() > l.MaxNights:
		return Errorf(CodeInvalidArgument, "check_out", "a stay of %d nights is over the limit of %d", s.Nights(), l.MaxNights)
	case s.Adults < 1 || s.Adults > l.MaxAdults:
		return Errorf(CodeInvalidArgument, "adults", "adults must be between 1 and %d", l.MaxAdults)
	case len(s.Children) > l.MaxChildren:
		return Errorf(CodeInvalidArgument, "children", "%d children is over the limit of %d", len(s.Children), l.MaxChildren)
	case s.Rooms < 1 || s.Rooms > l.MaxRooms:
		return Errorf(CodeInvalidArgument, "rooms", "rooms must be between 1 and %d", l.MaxRooms)
	case s.Rooms > s.Adults:
		return Errorf(CodeInvalidArgument, "rooms", "rooms (%d) cannot exceed adults (%d)", s.Rooms, s.Adults)
	}
	for i, age := range s.Children {
		if age < 0 || age > MaxChildAge {
			return Errorf(CodeInvalidArgument, fmt.Sprintf("children[%d]", i), "a child's age must be between 0 and %d, not %d", MaxChildAge, age)
		}
	}
	if !l.currency(s.Currency) {
		return Errorf(CodeInvalidArgument, "currency", "currency %q is not supported (use one of %s)", truncate(s.Currency, 40), strings.Join(l.Currencies, ", "))
	}
	return nil
}

// Search is one request for the offers of many hotels for one stay.
type Search struct {
	// ID identifies the search in results, logs and archive records. The
	// engine assigns one when it is empty.
	ID string
	// HotelIDs are the hotels to price. Duplicates are answered once.
	HotelIDs []string
	// Stay is the dates, guests and currency.
	Stay Stay
	// Vendors, when not empty, restricts the search to these vendors.
	Vendors []string
	// Timeout bounds the search; zero means the engine's default. The
	// engine caps it at its maximum.
	Timeout time.Duration
	// Fresh skips the rate cache: every vendor is asked again.
	Fresh bool
}

// Limits bound what a search may ask for. The zero value of a field means
// its default.
type Limits struct {
	MaxHotels   int      // default 5000
	MaxNights   int      // default 30
	MaxAdults   int      // default 9
	MaxChildren int      // default 6
	MaxRooms    int      // default 9
	Currencies  []string // default USD, EUR, GBP
}

func (l Limits) withDefaults() Limits {
	if l.MaxHotels <= 0 {
		l.MaxHotels = 5000
	}
	if l.MaxNights <= 0 {
		l.MaxNights = 30
	}
	if l.MaxAdults <= 0 {
		l.MaxAdults = 9
	}
	if l.MaxChildren <= 0 {
		l.MaxChildren = 6
	}
	if l.MaxRooms <= 0 {
		l.MaxRooms = 9
	}
	if len(l.Currencies) == 0 {
		l.Currencies = []string{"USD", "EUR", "GBP"}
	}
	return l
}

func (l Limits) currency(c string) bool {
	for _, x := range l.Currencies {
		if x == c {
			return true
		}
	}
	return false
}

// MaxHotelIDLen is the longest hotel id a search may carry.
const MaxHotelIDLen = 64

// Validate checks the search and returns an *Error with code
// invalid_argument naming the offending field, such as "hotel_ids[3]".
// Vendor names are checked by the engine, which knows them.
func (s Search) Validate(l Limits) error {
	l = l.withDefaults()
	if len(s.HotelIDs) == 0 {
		return Errorf(CodeInvalidArgument, "hotel_ids", "hotel_ids must name at least one hotel")
	}
	if len(s.HotelIDs) > l.MaxHotels {
		return Errorf(CodeInvalidArgument, "hotel_ids", "%d hotels is over the limit of %d per search", len(s.HotelIDs), l.MaxHotels)
	}
	for i, id := range s.HotelIDs {
		if err := validID(id); err != nil {
			return Errorf(CodeInvalidArgument, fmt.Sprintf("hotel_ids[%d]", i), "hotel id %q %v", truncate(id, 80), err)
		}
	}
	if err := s.Stay.Validate(l); err != nil {
		return err
	}
	for i, v := range s.Vendors {
		if v == "" {
			return Errorf(CodeInvalidArgument, fmt.Sprintf("vendors[%d]", i), "vendor name is empty")
		}
	}
	if s.Timeout < 0 {
		return Errorf(CodeInvalidArgument, "timeout_ms", "timeout_ms must not be negative")
	}
	return nil
}

func validID(id string) error {
	if id == "" {
		return fmt.Errorf("is empty")
	}
	if len(id) > MaxHotelIDLen {
		return fmt.Errorf("is longer than %d bytes", MaxHotelIDLen)
	}
	for _, r := range id {
		if r <= ' ' || r == 0x7f || r > '~' {
			return fmt.Errorf("must be printable ASCII without spaces")
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// UniqueHotelIDs returns ids without duplicates, in first-seen order.
func UniqueHotelIDs(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, ok := seen[id]; ok {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, id)
	}
	return out
}
