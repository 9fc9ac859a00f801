package hotelrates_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"hotelrates"
)

// wantError checks that err is an *hotelrates.Error with exactly the given
// code, field and message.
func wantError(t *testing.T, err error, code hotelrates.Code, field, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want %s error on field %q", code, field)
	}
	var e *hotelrates.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T (%v), want *hotelrates.Error", err, err)
	}
	if e.Code != code || e.Field != field || e.Message != msg {
		t.Errorf("got Error{Code: %q, Field: %q, Message: %q}\nwant Error{Code: %q, Field: %q, Message: %q}",
			e.Code, e.Field, e.Message, code, field, msg)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    string // String() of the result
		wantErr string // exact error text, "" when valid
	}{
		{in: "2026-12-01", want: "2026-12-01"},
		{in: "2024-02-29", want: "2024-02-29"}, // leap day
		{in: "1999-12-31", want: "1999-12-31"},
		{in: "2026-02-30", wantErr: `date "2026-02-30" is not YYYY-MM-DD`},
		{in: "2025-02-29", wantErr: `date "2025-02-29" is not YYYY-MM-DD`}, // not a leap year
		{in: "2026-13-01", wantErr: `date "2026-13-01" is not YYYY-MM-DD`},
		{in: "2026-1-01", wantErr: `date "2026-1-01" is not YYYY-MM-DD`},
		{in: "01/12/2026", wantErr: `date "01/12/2026" is not YYYY-MM-DD`},
		{in: "2026-12-01T00:00:00Z", wantErr: `date "2026-12-01T00:00:00Z" is not YYYY-MM-DD`},
		{in: " 2026-12-01", wantErr: `date " 2026-12-01" is not YYYY-MM-DD`},
		{in: "", wantErr: `date "" is not YYYY-MM-DD`},
		{in: "tomorrow", wantErr: `date "tomorrow" is not YYYY-MM-DD`},
		{in: "0001-01-01", wantErr: `date "0001-01-01" is before the year 1900`}, // would be the zero Date
		{in: "1899-12-31", wantErr: `date "1899-12-31" is before the year 1900`},
		{in: "1900-01-01", want: "1900-01-01"},
		// Long input is cut to 40 bytes in the message.
		{in: strings.Repeat("9", 50), wantErr: `date "` + strings.Repeat("9", 40) + `..." is not YYYY-MM-DD`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := hotelrates.ParseDate(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseDate(%q) = %v, want error %q", tt.in, d, tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Errorf("ParseDate(%q) error = %q, want %q", tt.in, err, tt.wantErr)
				}
				if !d.IsZero() {
					t.Errorf("ParseDate(%q) on error returned non-zero date %v", tt.in, d)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDate(%q) error: %v", tt.in, err)
			}
			if got := d.String(); got != tt.want {
				t.Errorf("ParseDate(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			wantTime, _ := time.Parse(time.DateOnly, tt.want)
			if !d.Time().Equal(wantTime) || d.Time().Location() != time.UTC {
				t.Errorf("ParseDate(%q).Time() = %v, want %v UTC midnight", tt.in, d.Time(), wantTime)
			}
		})
	}
}

func TestMustDate(t *testing.T) {
	if got := hotelrates.MustDate("2026-12-01").String(); got != "2026-12-01" {
		t.Errorf("MustDate = %q, want 2026-12-01", got)
	}
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("MustDate(\"2026-02-30\") did not panic")
		}
		err, ok := r.(error)
		if !ok || err.Error() != `date "2026-02-30" is not YYYY-MM-DD` {
			t.Errorf("MustDate panic value = %v, want the ParseDate error", r)
		}
	}()
	hotelrates.MustDate("2026-02-30")
}

func TestDateOf(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"utc", time.Date(2026, 12, 1, 23, 59, 59, 0, time.UTC), "2026-12-01"},
		// 2026-12-01 01:00 in Tokyo is 2026-11-30 in UTC: the local date wins.
		{"zone", time.Date(2026, 12, 1, 1, 0, 0, 0, tokyo), "2026-12-01"},
		{"same instant in utc", time.Date(2026, 12, 1, 1, 0, 0, 0, tokyo).UTC(), "2026-11-30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := hotelrates.DateOf(tt.in)
			if got := d.String(); got != tt.want {
				t.Errorf("DateOf(%v) = %q, want %q", tt.in, got, tt.want)
			}
			if d != hotelrates.MustDate(tt.want) {
				t.Errorf("DateOf(%v) != MustDate(%q)", tt.in, tt.want)
			}
		})
	}
}

func TestDateZero(t *testing.T) {
	var d hotelrates.Date
	if !d.IsZero() {
		t.Error("zero Date: IsZero() = false")
	}
	if got := d.String(); got != "" {
		t.Errorf("zero Date: String() = %q, want \"\"", got)
	}
	if hotelrates.MustDate("2026-12-01").IsZero() {
		t.Error("MustDate(2026-12-01).IsZero() = true")
	}
}

func TestDateArithmetic(t *testing.T) {
	tests := []struct {
		from string
		days int
		want string
	}{
		{"2026-12-01", 0, "2026-12-01"},
		{"2026-12-01", 3, "2026-12-04"},
		{"2026-12-30", 3, "2027-01-02"},
		{"2024-02-28", 1, "2024-02-29"},
		{"2025-02-28", 1, "2025-03-01"},
		{"2026-03-01", -1, "2026-02-28"},
		{"2026-03-28", 3, "2026-03-31"}, // across a DST change in most zones; Date is UTC
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s%+d", tt.from, tt.days), func(t *testing.T) {
			from := hotelrates.MustDate(tt.from)
			got := from.AddDays(tt.days)
			if got.String() != tt.want {
				t.Fatalf("AddDays(%d) = %v, want %s", tt.days, got, tt.want)
			}
			if n := from.DaysUntil(got); n != tt.days {
				t.Errorf("%s.DaysUntil(%s) = %d, want %d", tt.from, tt.want, n, tt.days)
			}
			if n := got.DaysUntil(from); n != -tt.days {
				t.Errorf("%s.DaysUntil(%s) = %d, want %d", tt.want, tt.from, n, -tt.days)
			}
			if b := from.Before(got); b != (tt.days > 0) {
				t.Errorf("%s.Before(%s) = %v, want %v", tt.from, tt.want, b, tt.days > 0)
			}
			if b := got.Before(from); b != (tt.days < 0) {
				t.Errorf("%s.Before(%s) = %v, want %v", tt.want, tt.from, b, tt.days < 0)
			}
		})
	}
}

func TestDateText(t *testing.T) {
	d := hotelrates.MustDate("2026-12-01")
	b, err := d.MarshalText()
	if err != nil || string(b) != "2026-12-01" {
		t.Fatalf("MarshalText = %q, %v; want \"2026-12-01\", nil", b, err)
	}

	type doc struct {
		CheckIn hotelrates.Date `json:"check_in"`
	}
	j, err := json.Marshal(doc{CheckIn: d})
	if err != nil {
		t.Fatal(err)
	}
	if string(j) != `{"check_in":"2026-12-01"}` {
		t.Errorf("json.Marshal = %s", j)
	}
	var back doc
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	if back.CheckIn != d {
		t.Errorf("JSON round trip = %v, want %v", back.CheckIn, d)
	}

	var bad hotelrates.Date
	err = bad.UnmarshalText([]byte("2026-02-30"))
	if err == nil || err.Error() != `date "2026-02-30" is not YYYY-MM-DD` {
		t.Errorf("UnmarshalText(2026-02-30) error = %v", err)
	}
	if !bad.IsZero() {
		t.Errorf("UnmarshalText error left date %v, want it untouched", bad)
	}
	if err := json.Unmarshal([]byte(`{"check_in":"12/01/2026"}`), &back); err == nil {
		t.Error("json.Unmarshal of a bad date: nil error")
	}
	if back.CheckIn != d {
		t.Errorf("failed json.Unmarshal changed the date to %v", back.CheckIn)
	}
}

func stay(in, out string, adults, rooms int, currency string) hotelrates.Stay {
	return hotelrates.Stay{
		CheckIn:  hotelrates.MustDate(in),
		CheckOut: hotelrates.MustDate(out),
		Adults:   adults,
		Rooms:    rooms,
		Currency: currency,
	}
}

func TestStayNightsAndKey(t *testing.T) {
	tests := []struct {
		stay   hotelrates.Stay
		nights int
		key    string
	}{
		{stay("2026-12-01", "2026-12-04", 2, 1, "USD"), 3, "2026-12-01|2026-12-04|2|1|USD"},
		{stay("2026-12-31", "2027-01-01", 9, 9, "EUR"), 1, "2026-12-31|2027-01-01|9|9|EUR"},
		{stay("2024-02-01", "2024-03-01", 10, 12, "GBP"), 29, "2024-02-01|2024-03-01|10|12|GBP"},
		{hotelrates.Stay{Adults: -1}, 0, "||-1|0|"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := tt.stay.Nights(); got != tt.nights {
				t.Errorf("Nights() = %d, want %d", got, tt.nights)
			}
			if got := tt.stay.Key(); got != tt.key {
				t.Errorf("Key() = %q, want %q", got, tt.key)
			}
		})
	}
	// Stays that differ in any field have different keys.
	base := stay("2026-12-01", "2026-12-04", 2, 1, "USD")
	variants := []hotelrates.Stay{
		stay("2026-12-02", "2026-12-04", 2, 1, "USD"),
		stay("2026-12-01", "2026-12-05", 2, 1, "USD"),
		stay("2026-12-01", "2026-12-04", 3, 1, "USD"),
		stay("2026-12-01", "2026-12-04", 2, 2, "USD"),
		stay("2026-12-01", "2026-12-04", 2, 1, "EUR"),
	}
	for _, v := range variants {
		if v.Key() == base.Key() {
			t.Errorf("Key of %+v equals Key of %+v", v, base)
		}
	}
}

func validSearch() hotelrates.Search {
	return hotelrates.Search{
		HotelIDs: []string{"H1", "H2"},
		Stay:     stay("2026-12-01", "2026-12-04", 2, 1, "USD"),
	}
}

func TestSearchValidate(t *testing.T) {
	tests := []struct {
		name   string
		limits hotelrates.Limits
		edit   func(*hotelrates.Search)
		field  string // "" means valid
		msg    string
	}{
		{name: "valid", edit: func(*hotelrates.Search) {}},
		{name: "valid with vendors and timeout", edit: func(s *hotelrates.Search) {
			s.Vendors = []string{"solo", "bulk"}
			s.Timeout = 2 * time.Second
			s.Fresh = true
		}},
		{name: "valid at every default limit", edit: func(s *hotelrates.Search) {
			s.HotelIDs = make([]string, 5000)
			for i := range s.HotelIDs {
				s.HotelIDs[i] = fmt.Sprintf("H%d", i)
			}
			s.Stay = stay("2026-12-01", "2026-12-31", 9, 9, "GBP")
		}},
		{name: "valid longest and odd ids", edit: func(s *hotelrates.Search) {
			s.HotelIDs = []string{strings.Repeat("x", hotelrates.MaxHotelIDLen), "!~", "a:b/c-d_e.f"}
		}},
		{name: "valid custom currency", limits: hotelrates.Limits{Currencies: []string{"JPY"}}, edit: func(s *hotelrates.Search) {
			s.Stay.Currency = "JPY"
		}},
		{name: "valid custom nights", limits: hotelrates.Limits{MaxNights: 60}, edit: func(s *hotelrates.Search) {
			s.Stay.CheckOut = s.Stay.CheckIn.AddDays(60)
		}},

		{name: "no hotels", edit: func(s *hotelrates.Search) { s.HotelIDs = nil },
			field: "hotel_ids", msg: "hotel_ids must name at least one hotel"},
		{name: "empty hotels", edit: func(s *hotelrates.Search) { s.HotelIDs = []string{} },
			field: "hotel_ids", msg: "hotel_ids must name at least one hotel"},
		{name: "too many hotels default", edit: func(s *hotelrates.Search) { s.HotelIDs = make([]string, 5001) },
			field: "hotel_ids", msg: "5001 hotels is over the limit of 5000 per search"},
		{name: "too many hotels custom", limits: hotelrates.Limits{MaxHotels: 2},
			edit:  func(s *hotelrates.Search) { s.HotelIDs = []string{"a", "b", "c"} },
			field: "hotel_ids", msg: "3 hotels is over the limit of 2 per search"},
		{name: "empty hotel id", edit: func(s *hotelrates.Search) { s.HotelIDs = []string{"H1", "H2", ""} },
			field: "hotel_ids[2]", msg: `hotel id "" is empty`},
		{name: "hotel id too long", edit: func(s *hotelrates.Search) {
			s.HotelIDs = []string{strings.Repeat("x", hotelrates.MaxHotelIDLen+1)}
		}, field: "hotel_ids[0]", msg: `hotel id "` + strings.Repeat("x", 65) + `" is longer than 64 bytes`},
		{name: "hotel id very long is truncated", edit: func(s *hotelrates.Search) {
			s.HotelIDs = []string{"ok", strings.Repeat("y", 200)}
		}, field: "hotel_ids[1]", msg: `hotel id "` + strings.Repeat("y", 80) + `..." is longer than 64 bytes`},
		{name: "hotel id with space", edit: func(s *hotelrates.Search) { s.HotelIDs = []string{"H 1"} },
			field: "hotel_ids[0]", msg: `hotel id "H 1" must be printable ASCII without spaces`},
		{name: "hotel id with tab", edit: func(s *hotelrates.Search) { s.HotelIDs = []string{"H1", "H\t2"} },
			field: "hotel_ids[1]", msg: `hotel id "H\t2" must be printable ASCII without spaces`},
		{name: "hotel id with DEL", edit: func(s *hotelrates.Search) { s.HotelIDs = []string{"H\x7f"} },
			field: "hotel_ids[0]", msg: `hotel id "H\x7f" must be printable ASCII without spaces`},
		{name: "hotel id not ASCII", edit: func(s *hotelrates.Search) { s.HotelIDs = []string{"hôtel"} },
			field: "hotel_ids[0]", msg: `hotel id "hôtel" must be printable ASCII without spaces`},
		{name: "hotel id invalid UTF-8", edit: func(s *hotelrates.Search) { s.HotelIDs = []string{"H\xff"} },
			field: "hotel_ids[0]", msg: `hotel id "H\xff" must be printable ASCII without spaces`},
		{name: "first bad hotel id wins", edit: func(s *hotelrates.Search) { s.HotelIDs = []string{"a", "", "b c"} },
			field: "hotel_ids[1]", msg: `hotel id "" is empty`},

		{name: "no check_in", edit: func(s *hotelrates.Search) { s.Stay.CheckIn = hotelrates.Date{} },
			field: "check_in", msg: "check_in is required (YYYY-MM-DD)"},
		{name: "no check_out", edit: func(s *hotelrates.Search) { s.Stay.CheckOut = hotelrates.Date{} },
			field: "check_out", msg: "check_out is required (YYYY-MM-DD)"},
		{name: "check_out equals check_in", edit: func(s *hotelrates.Search) { s.Stay.CheckOut = s.Stay.CheckIn },
			field: "check_out", msg: "check_out 2026-12-01 must be after check_in 2026-12-01"},
		{name: "check_out before check_in", edit: func(s *hotelrates.Search) {
			s.Stay.CheckIn, s.Stay.CheckOut = s.Stay.CheckOut, s.Stay.CheckIn
		}, field: "check_out", msg: "check_out 2026-12-01 must be after check_in 2026-12-04"},
		{name: "too many nights", edit: func(s *hotelrates.Search) { s.Stay.CheckOut = s.Stay.CheckIn.AddDays(31) },
			field: "check_out", msg: "a stay of 31 nights is over the limit of 30"},
		{name: "too many nights custom", limits: hotelrates.Limits{MaxNights: 2},
			edit:  func(*hotelrates.Search) {},
			field: "check_out", msg: "a stay of 3 nights is over the limit of 2"},
		{name: "zero adults", edit: func(s *hotelrates.Search) { s.Stay.Adults = 0 },
			field: "adults", msg: "adults must be between 1 and 9"},
		{name: "negative adults", edit: func(s *hotelrates.Search) { s.Stay.Adults = -1 },
			field: "adults", msg: "adults must be between 1 and 9"},
		{name: "too many adults", edit: func(s *hotelrates.Search) { s.Stay.Adults = 10 },
			field: "adults", msg: "adults must be between 1 and 9"},
		{name: "too many adults custom", limits: hotelrates.Limits{MaxAdults: 4},
			edit:  func(s *hotelrates.Search) { s.Stay.Adults = 5 },
			field: "adults", msg: "adults must be between 1 and 4"},
		{name: "zero rooms", edit: func(s *hotelrates.Search) { s.Stay.Rooms = 0 },
			field: "rooms", msg: "rooms must be between 1 and 9"},
		{name: "too many rooms", edit: func(s *hotelrates.Search) { s.Stay.Adults, s.Stay.Rooms = 9, 10 },
			field: "rooms", msg: "rooms must be between 1 and 9"},
		{name: "too many rooms custom", limits: hotelrates.Limits{MaxRooms: 2},
			edit:  func(s *hotelrates.Search) { s.Stay.Adults, s.Stay.Rooms = 4, 3 },
			field: "rooms", msg: "rooms must be between 1 and 2"},
		{name: "rooms exceed adults", edit: func(s *hotelrates.Search) { s.Stay.Adults, s.Stay.Rooms = 1, 2 },
			field: "rooms", msg: "rooms (2) cannot exceed adults (1)"},
		{name: "currency unsupported", edit: func(s *hotelrates.Search) { s.Stay.Currency = "JPY" },
			field: "currency", msg: `currency "JPY" is not supported (use one of USD, EUR, GBP)`},
		{name: "currency lower case", edit: func(s *hotelrates.Search) { s.Stay.Currency = "usd" },
			field: "currency", msg: `currency "usd" is not supported (use one of USD, EUR, GBP)`},
		{name: "currency empty", edit: func(s *hotelrates.Search) { s.Stay.Currency = "" },
			field: "currency", msg: `currency "" is not supported (use one of USD, EUR, GBP)`},
		{name: "currency custom list", limits: hotelrates.Limits{Currencies: []string{"CHF", "JPY"}},
			edit:  func(*hotelrates.Search) {},
			field: "currency", msg: `currency "USD" is not supported (use one of CHF, JPY)`},
		{name: "currency long is truncated", edit: func(s *hotelrates.Search) { s.Stay.Currency = strings.Repeat("Z", 50) },
			field: "currency", msg: `currency "` + strings.Repeat("Z", 40) + `..." is not supported (use one of USD, EUR, GBP)`},

		{name: "empty vendor", edit: func(s *hotelrates.Search) { s.Vendors = []string{"solo", ""} },
			field: "vendors[1]", msg: "vendor name is empty"},
		{name: "negative timeout", edit: func(s *hotelrates.Search) { s.Timeout = -time.Millisecond },
			field: "timeout_ms", msg: "timeout_ms must not be negative"},

		// Order of checks: hotels, then stay, then vendors, then timeout.
		{name: "hotels before stay", edit: func(s *hotelrates.Search) { s.HotelIDs = nil; s.Stay = hotelrates.Stay{} },
			field: "hotel_ids", msg: "hotel_ids must name at least one hotel"},
		{name: "stay before vendors", edit: func(s *hotelrates.Search) { s.Stay.Adults = 0; s.Vendors = []string{""} },
			field: "adults", msg: "adults must be between 1 and 9"},
		{name: "vendors before timeout", edit: func(s *hotelrates.Search) { s.Vendors = []string{""}; s.Timeout = -1 },
			field: "vendors[0]", msg: "vendor name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSearch()
			tt.edit(&s)
			err := s.Validate(tt.limits)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			wantError(t, err, hotelrates.CodeInvalidArgument, tt.field, tt.msg)
			if got := hotelrates.ErrorCode(err); got != hotelrates.CodeInvalidArgument {
				t.Errorf("ErrorCode = %q, want invalid_argument", got)
			}
		})
	}
}

func TestStayValidate(t *testing.T) {
	if err := stay("2026-12-01", "2026-12-02", 1, 1, "EUR").Validate(hotelrates.Limits{}); err != nil {
		t.Errorf("valid stay: %v", err)
	}
	err := stay("2026-12-01", "2026-12-02", 1, 1, "JPY").Validate(hotelrates.Limits{})
	wantError(t, err, hotelrates.CodeInvalidArgument, "currency", `currency "JPY" is not supported (use one of USD, EUR, GBP)`)
}

func TestUniqueHotelIDs(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"nil", nil, []string{}},
		{"empty", []string{}, []string{}},
		{"no duplicates", []string{"c", "a", "b"}, []string{"c", "a", "b"}},
		{"duplicates keep first-seen order", []string{"b", "a", "b", "c", "a", "b"}, []string{"b", "a", "c"}},
		{"all the same", []string{"x", "x", "x"}, []string{"x"}},
		{"case sensitive", []string{"h1", "H1", "h1"}, []string{"h1", "H1"}},
		{"empty string kept once", []string{"", "a", ""}, []string{"", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []string
			if tt.in != nil {
				in = slices.Clone(tt.in)
			}
			got := hotelrates.UniqueHotelIDs(in)
			if got == nil || !slices.Equal(got, tt.want) {
				t.Errorf("UniqueHotelIDs(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("UniqueHotelIDs modified its input: %q, was %q", in, tt.in)
			}
		})
	}
}

func TestParseMoney(t *testing.T) {
	tests := []struct {
		amount, currency string
		want             hotelrates.Money
		wantErr          string
	}{
		{amount: "123.45", currency: "USD", want: hotelrates.Money{Minor: 12345, Currency: "USD"}},
		{amount: "123", currency: "USD", want: hotelrates.Money{Minor: 12300, Currency: "USD"}},
		{amount: "123.4", currency: "EUR", want: hotelrates.Money{Minor: 12340, Currency: "EUR"}},
		{amount: "0.05", currency: "GBP", want: hotelrates.Money{Minor: 5, Currency: "GBP"}},
		{amount: "0", currency: "USD", want: hotelrates.Money{Minor: 0, Currency: "USD"}},
		{amount: "-0", currency: "USD", want: hotelrates.Money{Minor: 0, Currency: "USD"}},
		{amount: "-12.50", currency: "USD", want: hotelrates.Money{Minor: -1250, Currency: "USD"}},
		{amount: "007.10", currency: "USD", want: hotelrates.Money{Minor: 710, Currency: "USD"}},
		{amount: "1.2300000", currency: "USD", want: hotelrates.Money{Minor: 123, Currency: "USD"}}, // extra zeros allowed
		{amount: "15000", currency: "JPY", want: hotelrates.Money{Minor: 15000, Currency: "JPY"}},
		{amount: "15000.00", currency: "JPY", want: hotelrates.Money{Minor: 15000, Currency: "JPY"}},
		{amount: "9.99", currency: "CHF", want: hotelrates.Money{Minor: 999, Currency: "CHF"}},
		{amount: "9.99", currency: "XYZ", want: hotelrates.Money{Minor: 999, Currency: "XYZ"}}, // unknown: 2 decimals
		{amount: "999999999999999.99", currency: "USD", want: hotelrates.Money{Minor: 99999999999999999, Currency: "USD"}},
		{amount: "-999999999999999", currency: "JPY", want: hotelrates.Money{Minor: -999999999999999, Currency: "JPY"}},

		// Too many decimals.
		{amount: "1.234", currency: "USD", wantErr: `amount "1.234" has more than 2 decimals`},
		{amount: "1.001", currency: "EUR", wantErr: `amount "1.001" has more than 2 decimals`},
		{amount: "1.5", currency: "JPY", wantErr: `amount "1.5" has more than 0 decimals`},
		{amount: "0.001", currency: "XYZ", wantErr: `amount "0.001" has more than 2 decimals`},

		// Not a plain decimal.
		{amount: "", currency: "USD", wantErr: `amount "" is not a decimal`},
		{amount: "-", currency: "USD", wantErr: `amount "-" is not a decimal`},
		{amount: ".5", currency: "USD", wantErr: `amount ".5" is not a decimal`},
		{amount: "5.", currency: "USD", wantErr: `amount "5." is not a decimal`},
		{amount: "+5", currency: "USD", wantErr: `amount "+5" is not a decimal`},
		{amount: "--5", currency: "USD", wantErr: `amount "--5" is not a decimal`},
		{amount: "1e3", currency: "USD", wantErr: `amount "1e3" is not a decimal`},
		{amount: "1,000.00", currency: "USD", wantErr: `amount "1,000.00" is not a decimal`},
		// Digits are checked before the number of decimals.
		{amount: "1.2.3", currency: "USD", wantErr: `amount "1.2.3" is not a decimal`},
		{amount: "1.2.", currency: "USD", wantErr: `amount "1.2." is not a decimal`},
		{amount: " 1.00", currency: "USD", wantErr: `amount " 1.00" is not a decimal`},
		{amount: "1.00 ", currency: "USD", wantErr: `amount "1.00 " is not a decimal`},
		{amount: "1 ", currency: "USD", wantErr: `amount "1 " is not a decimal`},
		{amount: "0x10", currency: "USD", wantErr: `amount "0x10" is not a decimal`},
		{amount: "NaN", currency: "USD", wantErr: `amount "NaN" is not a decimal`},
		{amount: "١٢", currency: "USD", wantErr: `amount "١٢" is not a decimal`}, // Arabic-Indic digits

		// Out of range: more than 15 integer digits is refused before conversion.
		{amount: "1000000000000000", currency: "USD", wantErr: `amount "1000000000000000" is out of range (at most 15 integer digits)`},
		{amount: "-1000000000000000.00", currency: "JPY", wantErr: `amount "-1000000000000000.00" is out of range (at most 15 integer digits)`},
		{amount: "99999999999999999999", currency: "USD", wantErr: `amount "99999999999999999999" is out of range (at most 15 integer digits)`},

		// Bad currency.
		{amount: "1.00", currency: "usd", wantErr: `currency "usd" is not an ISO 4217 code`},
		{amount: "1.00", currency: "US", wantErr: `currency "US" is not an ISO 4217 code`},
		{amount: "1.00", currency: "USDX", wantErr: `currency "USDX" is not an ISO 4217 code`},
		{amount: "1.00", currency: "", wantErr: `currency "" is not an ISO 4217 code`},
		{amount: "1.00", currency: "Usd", wantErr: `currency "Usd" is not an ISO 4217 code`},
		{amount: "1.00", currency: "123", wantErr: `currency "123" is not an ISO 4217 code`},
		{amount: "1.00", currency: "U\x00D", wantErr: `currency "U\x00D" is not an ISO 4217 code`},
		{amount: "junk", currency: "eur", wantErr: `currency "eur" is not an ISO 4217 code`}, // currency checked first
	}
	for _, tt := range tests {
		t.Run(tt.amount+"_"+tt.currency, func(t *testing.T) {
			got, err := hotelrates.ParseMoney(tt.amount, tt.currency)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseMoney(%q, %q) = %v, want error %q", tt.amount, tt.currency, got, tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Errorf("ParseMoney(%q, %q) error = %q, want %q", tt.amount, tt.currency, err, tt.wantErr)
				}
				if got != (hotelrates.Money{}) {
					t.Errorf("ParseMoney(%q, %q) on error returned %+v, want zero Money", tt.amount, tt.currency, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMoney(%q, %q) error: %v", tt.amount, tt.currency, err)
			}
			if got != tt.want {
				t.Errorf("ParseMoney(%q, %q) = %+v, want %+v", tt.amount, tt.currency, got, tt.want)
			}
		})
	}
}

func TestMoneyFormat(t *testing.T) {
	tests := []struct {
		m      hotelrates.Money
		amount string
	}{
		{hotelrates.Money{Minor: 12345, Currency: "USD"}, "123.45"},
		{hotelrates.Money{Minor: 12300, Currency: "EUR"}, "123.00"},
		{hotelrates.Money{Minor: 5, Currency: "GBP"}, "0.05"},
		{hotelrates.Money{Minor: 50, Currency: "GBP"}, "0.50"},
		{hotelrates.Money{Minor: 100, Currency: "GBP"}, "1.00"},
		{hotelrates.Money{Minor: 0, Currency: "USD"}, "0.00"},
		{hotelrates.Money{Minor: -1, Currency: "USD"}, "-0.01"},
		{hotelrates.Money{Minor: -1250, Currency: "USD"}, "-12.50"},
		{hotelrates.Money{Minor: 15000, Currency: "JPY"}, "15000"},
		{hotelrates.Money{Minor: -7, Currency: "JPY"}, "-7"},
		{hotelrates.Money{Minor: 0, Currency: "JPY"}, "0"},
		{hotelrates.Money{Minor: 999, Currency: "XYZ"}, "9.99"},
		{hotelrates.Money{Minor: 999, Currency: ""}, "9.99"},
		{hotelrates.Money{Minor: 99999999999999999, Currency: "USD"}, "999999999999999.99"},
	}
	for _, tt := range tests {
		t.Run(tt.amount+"_"+tt.m.Currency, func(t *testing.T) {
			if got := tt.m.Amount(); got != tt.amount {
				t.Errorf("Amount() = %q, want %q", got, tt.amount)
			}
			if got, want := tt.m.String(), tt.amount+" "+tt.m.Currency; got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
			if got := fmt.Sprint(tt.m); got != tt.amount+" "+tt.m.Currency {
				t.Errorf("fmt.Sprint = %q", got)
			}
		})
	}
}

func TestMoneyJSON(t *testing.T) {
	m := hotelrates.Money{Minor: 12345, Currency: "USD"}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"amount":"123.45","currency":"USD"}`; string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	var back hotelrates.Money
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != m {
		t.Errorf("round trip = %+v, want %+v", back, m)
	}

	bad := []struct{ in, wantErr string }{
		{`{"amount":"1.234","currency":"USD"}`, `amount "1.234" has more than 2 decimals`},
		{`{"amount":"12","currency":"usd"}`, `currency "usd" is not an ISO 4217 code`},
		{`{"amount":"","currency":"USD"}`, `amount "" is not a decimal`},
		{`{"currency":"USD"}`, `amount "" is not a decimal`},
		{`{"amount":12.5,"currency":"USD"}`, ""}, // a JSON number is refused; text is the json package's
		{`"12.50 USD"`, ""},
	}
	for _, tt := range bad {
		t.Run(tt.in, func(t *testing.T) {
			got := hotelrates.Money{Minor: 1, Currency: "EUR"}
			err := json.Unmarshal([]byte(tt.in), &got)
			if err == nil {
				t.Fatalf("json.Unmarshal(%s) = %+v, want an error", tt.in, got)
			}
			if tt.wantErr != "" && err.Error() != tt.wantErr {
				t.Errorf("json.Unmarshal(%s) error = %q, want %q", tt.in, err, tt.wantErr)
			}
			if got != (hotelrates.Money{Minor: 1, Currency: "EUR"}) {
				t.Errorf("failed Unmarshal changed the value to %+v", got)
			}
		})
	}
}

func TestOfferJSON(t *testing.T) {
	deadline := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		offer hotelrates.Offer
		want  string
	}{
		{"non-refundable", hotelrates.Offer{Vendor: "solo", Room: "Double", Board: "RO",
			Total: hotelrates.Money{Minor: 30000, Currency: "USD"}},
			`{"vendor":"solo","room":"Double","board":"RO","total":{"amount":"300.00","currency":"USD"},"refundable":false}`},
		{"refundable", hotelrates.Offer{Vendor: "bulk", Room: "Twin", Board: "BB",
			Total: hotelrates.Money{Minor: 45000, Currency: "JPY"}, Refundable: true, CancelDeadline: deadline},
			`{"vendor":"bulk","room":"Twin","board":"BB","total":{"amount":"45000","currency":"JPY"},"refundable":true,"cancel_deadline":"2026-11-28T12:00:00Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.offer)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("json.Marshal =\n%s\nwant\n%s", b, tt.want)
			}
			var back hotelrates.Offer
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if back.Vendor != tt.offer.Vendor || back.Room != tt.offer.Room || back.Board != tt.offer.Board ||
				back.Total != tt.offer.Total || back.Refundable != tt.offer.Refundable ||
				!back.CancelDeadline.Equal(tt.offer.CancelDeadline) {
				t.Errorf("round trip = %+v, want %+v", back, tt.offer)
			}
		})
	}
}

func TestError(t *testing.T) {
	cause := errors.New("disk on fire")
	tests := []struct {
		name string
		err  *hotelrates.Error
		want string
	}{
		{"with field", hotelrates.Errorf(hotelrates.CodeInvalidArgument, "hotel_ids[3]", "hotel id %q is empty", ""),
			`invalid_argument: hotel id "" is empty (field hotel_ids[3])`},
		{"without field", hotelrates.Errorf(hotelrates.CodeNotFound, "", "no search %s", "s-1"),
			"not_found: no search s-1"},
		{"no args", hotelrates.Errorf(hotelrates.CodeOverloaded, "", "100%% busy"),
			"overloaded: 100% busy"},
		{"cause not shown", &hotelrates.Error{Code: hotelrates.CodeInternal, Message: "archive failed", Err: cause},
			"internal: archive failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}

	e := hotelrates.Errorf(hotelrates.CodeInvalidArgument, "rooms", "rooms must be between 1 and %d", 9)
	if e.Code != hotelrates.CodeInvalidArgument || e.Field != "rooms" || e.Message != "rooms must be between 1 and 9" ||
		e.Err != nil || e.RetryAfter != 0 {
		t.Errorf("Errorf = %+v", e)
	}
	if e.Unwrap() != nil {
		t.Errorf("Unwrap() of an Error without cause = %v", e.Unwrap())
	}

	wrapped := &hotelrates.Error{Code: hotelrates.CodeUnavailable, Message: "vendors down", Err: cause}
	if wrapped.Unwrap() != cause || !errors.Is(wrapped, cause) {
		t.Error("Error does not unwrap to its cause")
	}
	outer := fmt.Errorf("handling: %w", wrapped)
	var got *hotelrates.Error
	if !errors.As(outer, &got) || got != wrapped {
		t.Error("errors.As did not find the *Error in a wrapped chain")
	}
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want hotelrates.Code
	}{
		{"nil", nil, ""},
		{"plain error", errors.New("boom"), hotelrates.CodeInternal},
		{"*Error", hotelrates.Errorf(hotelrates.CodeNotFound, "", "x"), hotelrates.CodeNotFound},
		{"wrapped *Error", fmt.Errorf("ctx: %w", hotelrates.Errorf(hotelrates.CodeDeadline, "", "late")), hotelrates.CodeDeadline},
		{"first *Error in chain wins", &hotelrates.Error{Code: hotelrates.CodeCanceled, Message: "a",
			Err: hotelrates.Errorf(hotelrates.CodeTooLarge, "", "b")}, hotelrates.CodeCanceled},
		{"joined", errors.Join(errors.New("x"), hotelrates.Errorf(hotelrates.CodeUnsupportedMedia, "", "y")), hotelrates.CodeUnsupportedMedia},
		{"VendorError is internal", &hotelrates.VendorError{Vendor: "v", Kind: hotelrates.ErrBusy}, hotelrates.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hotelrates.ErrorCode(tt.err); got != tt.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestCodeValues(t *testing.T) {
	// The codes are part of the API's wire format.
	want := map[hotelrates.Code]string{
		hotelrates.CodeInvalidArgument:  "invalid_argument",
		hotelrates.CodeNotFound:         "not_found",
		hotelrates.CodeMethodNotAllowed: "method_not_allowed",
		hotelrates.CodeTooLarge:         "too_large",
		hotelrates.CodeUnsupportedMedia: "unsupported_media",
		hotelrates.CodeOverloaded:       "overloaded",
		hotelrates.CodeUnavailable:      "unavailable",
		hotelrates.CodeDeadline:         "deadline_exceeded",
		hotelrates.CodeCanceled:         "canceled",
		hotelrates.CodeInternal:         "internal",
	}
	if len(want) != 10 {
		t.Fatalf("codes are not distinct: %d of 10", len(want))
	}
	for c, s := range want {
		if string(c) != s {
			t.Errorf("code %q, want %q", c, s)
		}
	}
}

func TestErrorKindString(t *testing.T) {
	tests := []struct {
		kind hotelrates.ErrorKind
		want string
	}{
		{hotelrates.ErrUnavailable, "unavailable"},
		{hotelrates.ErrUnauthorized, "unauthorized"},
		{hotelrates.ErrThrottled, "throttled"},
		{hotelrates.ErrBadResponse, "bad_response"},
		{hotelrates.ErrBusy, "busy"},
		{hotelrates.ErrRejected, "rejected"},
		{hotelrates.ErrInternal, "internal"},
		{hotelrates.ErrQuota, "quota_exhausted"},
		{hotelrates.ErrorKind(8), "kind(8)"},
		{hotelrates.ErrorKind(42), "kind(42)"},
		{hotelrates.ErrorKind(-1), "kind(-1)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.kind.String(); got != tt.want {
				t.Errorf("ErrorKind(%d).String() = %q, want %q", int(tt.kind), got, tt.want)
			}
		})
	}
}

func TestVendorError(t *testing.T) {
	cause := errors.New("connection reset")
	tests := []struct {
		name      string
		err       *hotelrates.VendorError
		want      string
		retryable bool
	}{
		{"kind only", &hotelrates.VendorError{Vendor: "solo", Kind: hotelrates.ErrUnavailable},
			"vendor solo: unavailable", true},
		{"with status", &hotelrates.VendorError{Vendor: "bulk", Kind: hotelrates.ErrThrottled, Status: 429, RetryAfter: time.Second},
			"vendor bulk: throttled (HTTP 429)", true},
		{"with cause", &hotelrates.VendorError{Vendor: "session", Kind: hotelrates.ErrBadResponse, Err: cause},
			"vendor session: bad_response: connection reset", true},
		{"with status and cause", &hotelrates.VendorError{Vendor: "solo", Kind: hotelrates.ErrUnauthorized, Status: 401, Err: errors.New("token expired")},
			"vendor solo: unauthorized (HTTP 401): token expired", true},
		{"busy", &hotelrates.VendorError{Vendor: "session", Kind: hotelrates.ErrBusy, Status: 409},
			"vendor session: busy (HTTP 409)", true},
		{"rejected", &hotelrates.VendorError{Vendor: "bulk", Kind: hotelrates.ErrRejected, Status: 400, Err: errors.New("bad hotel")},
			"vendor bulk: rejected (HTTP 400): bad hotel", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if got := tt.err.Retryable(); got != tt.retryable {
				t.Errorf("Retryable() = %v, want %v", got, tt.retryable)
			}
			if got := tt.err.Unwrap(); got != tt.err.Err {
				t.Errorf("Unwrap() = %v, want %v", got, tt.err.Err)
			}
		})
	}
	ve := &hotelrates.VendorError{Vendor: "solo", Kind: hotelrates.ErrUnavailable, Err: cause}
	if !errors.Is(ve, cause) || !errors.Is(fmt.Errorf("fetch: %w", ve), cause) {
		t.Error("errors.Is does not reach the cause of a VendorError")
	}
}

func TestKindOf(t *testing.T) {
	throttled := &hotelrates.VendorError{Vendor: "bulk", Kind: hotelrates.ErrThrottled}
	tests := []struct {
		name   string
		err    error
		want   hotelrates.ErrorKind
		wantOK bool
	}{
		{"nil", nil, 0, false},
		{"plain", errors.New("x"), 0, false},
		{"*Error", hotelrates.Errorf(hotelrates.CodeUnavailable, "", "x"), 0, false},
		{"direct", throttled, hotelrates.ErrThrottled, true},
		{"wrapped", fmt.Errorf("call 3: %w", throttled), hotelrates.ErrThrottled, true},
		{"inside *Error", &hotelrates.Error{Code: hotelrates.CodeUnavailable, Err: &hotelrates.VendorError{Kind: hotelrates.ErrRejected}},
			hotelrates.ErrRejected, true},
		{"first in chain wins", &hotelrates.VendorError{Kind: hotelrates.ErrBusy, Err: throttled}, hotelrates.ErrBusy, true},
		{"zero kind is found", &hotelrates.VendorError{Kind: hotelrates.ErrUnavailable}, hotelrates.ErrUnavailable, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := hotelrates.KindOf(tt.err)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("KindOf(%v) = %v, %v; want %v, %v", tt.err, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestAuthSchemeString(t *testing.T) {
	tests := []struct {
		a    hotelrates.AuthScheme
		want string
	}{
		{hotelrates.AuthNone, "none"},
		{hotelrates.AuthToken, "token"},
		{hotelrates.AuthSession, "session"},
		{hotelrates.AuthScheme(7), "none"},
		{hotelrates.AuthScheme(-1), "none"},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("AuthScheme(%d).String() = %q, want %q", int(tt.a), got, tt.want)
		}
	}
}

func TestCredentialRedacted(t *testing.T) {
	const secret = "tok-SECRET-123"
	c := hotelrates.Credential{Secret: secret, Expires: time.Now().Add(time.Hour), IdleTimeout: time.Minute}

	for _, s := range []string{
		c.String(),
		fmt.Sprint(c),
		fmt.Sprintf("%v %+v %s", c, c, c),
		fmt.Sprintf("%v", &c),
		c.LogValue().String(),
	} {
		if s == "" || strings.Contains(s, secret) || !strings.Contains(s, "[credential redacted]") {
			t.Errorf("formatted credential = %q", s)
		}
	}
	for _, s := range []string{fmt.Sprintf("%#v", c), string(must(json.Marshal(c))), string(must(json.Marshal(&c)))} {
		if strings.Contains(s, secret) || !strings.Contains(s, "[redacted]") {
			t.Errorf("credential as %q", s)
		}
	}
	if got := c.LogValue().Kind(); got != slog.KindString {
		t.Errorf("LogValue kind = %v, want string", got)
	}

	var buf strings.Builder
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	logger.Info("auth", "cred", c)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("auth", "cred", c)
	if strings.Contains(buf.String(), secret) {
		t.Errorf("slog output reveals the secret: %s", buf.String())
	}
	if n := strings.Count(buf.String(), "[credential redacted]"); n != 2 {
		t.Errorf("slog output has %d redacted markers, want 2: %s", n, buf.String())
	}
}

func TestCallContext(t *testing.T) {
	if got := hotelrates.CallFromContext(context.Background()); got != (hotelrates.Call{}) {
		t.Errorf("CallFromContext(empty) = %+v, want zero", got)
	}
	want := hotelrates.Call{SearchID: "s-42", Kind: hotelrates.CallRates}
	ctx := hotelrates.ContextWithCall(context.Background(), want)
	if got := hotelrates.CallFromContext(ctx); got != want {
		t.Errorf("CallFromContext = %+v, want %+v", got, want)
	}
	// A derived context still carries the call; a later one replaces it.
	child, cancel := context.WithCancel(ctx)
	defer cancel()
	if got := hotelrates.CallFromContext(child); got != want {
		t.Errorf("CallFromContext(child) = %+v, want %+v", got, want)
	}
	auth := hotelrates.Call{Kind: hotelrates.CallAuth}
	if got := hotelrates.CallFromContext(hotelrates.ContextWithCall(child, auth)); got != auth {
		t.Errorf("CallFromContext(overridden) = %+v, want %+v", got, auth)
	}
	// Reading the call costs no allocation (every vendor call reads it).
	if n := testing.AllocsPerRun(100, func() { _ = hotelrates.CallFromContext(child) }); n != 0 {
		t.Errorf("CallFromContext allocates %v times", n)
	}
	// A value of another type under a different key is not mistaken for a Call.
	type otherKey struct{}
	other := context.WithValue(context.Background(), otherKey{}, want)
	if got := hotelrates.CallFromContext(other); got != (hotelrates.Call{}) {
		t.Errorf("CallFromContext(other key) = %+v, want zero", got)
	}
}

func TestExchangeJSON(t *testing.T) {
	e := hotelrates.Exchange{
		Vendor:     "solo",
		Kind:       hotelrates.CallRates,
		Start:      time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		DurationMS: 12.5,
		Method:     "GET",
		URL:        "http://vendor/rates",
		Status:     200,
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"vendor":"solo","kind":"rates","start":"2026-01-02T03:04:05Z","duration_ms":12.5,"method":"GET","url":"http://vendor/rates","status":200}`
	if string(b) != want {
		t.Errorf("json.Marshal =\n%s\nwant\n%s", b, want)
	}
}

// minorDigits mirrors the currency exponents documented by ParseMoney:
// JPY has none, every other currency two.
func minorDigits(currency string) int {
	if currency == "JPY" {
		return 0
	}
	return 2
}

// plainDecimal is what ParseMoney accepts as an amount, before the check of
// the number of decimals.
var plainDecimal = regexp.MustCompile(`^-?([0-9]{1,15})(?:\.([0-9]+))?$`)

func FuzzParseMoney(f *testing.F) {
	for _, s := range []struct{ amount, currency string }{
		{"123.45", "USD"},
		{"0", "EUR"},
		{"-0.01", "GBP"},
		{"15000", "JPY"},
		{"1.50", "JPY"},
		{"1.2300", "CHF"},
		{"999999999999999.99", "USD"},
		{"-999999999999999", "JPY"},
		{"1e3", "USD"},
		{".5", "USD"},
		{"5.", "USD"},
		{"--1", "USD"},
		{"1.00", "usd"},
		{"12", "XYZ"},
		{"00", "000"}, // digits are not letters: "000" is no currency
	} {
		f.Add(s.amount, s.currency)
	}
	f.Fuzz(func(t *testing.T, amount, currency string) {
		m, err := hotelrates.ParseMoney(amount, currency)
		// An ISO 4217 code: three ASCII upper-case letters.
		validCurrency := len(currency) == 3 && strings.IndexFunc(currency, func(r rune) bool { return r < 'A' || r > 'Z' }) < 0

		// Oracle for the amount grammar, for well-formed currencies.
		if validCurrency {
			accept := false
			if sm := plainDecimal.FindStringSubmatch(amount); sm != nil {
				accept = len(strings.TrimRight(sm[2], "0")) <= minorDigits(currency)
			}
			if accept != (err == nil) {
				t.Fatalf("ParseMoney(%q, %q) error = %v; want accepted = %v", amount, currency, err, accept)
			}
		}
		if err != nil {
			if m != (hotelrates.Money{}) {
				t.Fatalf("ParseMoney(%q, %q) returned %+v with error %v", amount, currency, m, err)
			}
			return
		}
		if !validCurrency {
			t.Fatalf("ParseMoney(%q, %q) accepted a malformed currency", amount, currency)
		}
		if m.Currency != currency {
			t.Fatalf("ParseMoney(%q, %q).Currency = %q", amount, currency, m.Currency)
		}

		// The value is exact: Minor == amount * 10^digits.
		r, ok := new(big.Rat).SetString(amount)
		if !ok {
			t.Fatalf("big.Rat cannot parse accepted amount %q", amount)
		}
		scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(minorDigits(currency))), nil)
		r.Mul(r, new(big.Rat).SetInt(scale))
		if !r.IsInt() || !r.Num().IsInt64() || r.Num().Int64() != m.Minor {
			t.Fatalf("ParseMoney(%q, %q).Minor = %d, want %s", amount, currency, m.Minor, r.RatString())
		}

		// Formatting and parsing again gives the same value.
		text := m.Amount()
		back, err := hotelrates.ParseMoney(text, m.Currency)
		if err != nil {
			t.Fatalf("ParseMoney(%q, %q) = %+v; Amount() = %q does not parse: %v", amount, currency, m, text, err)
		}
		if back != m {
			t.Fatalf("round trip of %q %s: %+v -> %q -> %+v", amount, currency, m, text, back)
		}
		if got, want := m.String(), text+" "+currency; got != want {
			t.Fatalf("String() = %q, want %q", got, want)
		}

		// And through JSON.
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("json.Marshal(%+v): %v", m, err)
		}
		var j hotelrates.Money
		if err := json.Unmarshal(b, &j); err != nil {
			t.Fatalf("json.Unmarshal(%s): %v", b, err)
		}
		if j != m {
			t.Fatalf("JSON round trip: %+v -> %s -> %+v", m, b, j)
		}
	})
}

// Spans of centuries are counted exactly (no overflow of a time.Duration).
func TestDaysUntilLongSpan(t *testing.T) {
	a, b := hotelrates.MustDate("1900-01-01"), hotelrates.MustDate("2250-01-01")
	if n := a.DaysUntil(b); n != 127835 {
		t.Errorf("DaysUntil = %d, want 127835", n)
	}
	if n := b.DaysUntil(a); n != -127835 {
		t.Errorf("DaysUntil back = %d, want -127835", n)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// FuzzMoneyMarshalJSON: Money's hand-written encoding is encoding/json's.
func FuzzMoneyMarshalJSON(f *testing.F) {
	f.Add(int64(12345), "USD")
	f.Add(int64(-7), "JPY")
	f.Add(int64(0), `a"<&>\`+"\x00é")
	f.Fuzz(func(t *testing.T, minor int64, currency string) {
		m := hotelrates.Money{Minor: minor, Currency: currency}
		got, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(struct {
			Amount   string `json:"amount"`
			Currency string `json:"currency"`
		}{m.Amount(), currency})
		if string(got) != string(want) {
			t.Fatalf("got %s, want %s", got, want)
		}
	})
}
