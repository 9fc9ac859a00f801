package amadeus

import (
	"fmt"
	"net/url"
	"strings"

	"hotelrates"
)

// offersRequest is a decoded GET /v3/shopping/hotel-offers.
type offersRequest struct {
	// ids are the distinct hotelIds, in the order asked.
	ids []string
	// stay has Adults = adults per room x roomQuantity; Currency is ""
	// when the request names none (each hotel then prices in its local
	// currency).
	stay          hotelrates.Stay
	adultsPerRoom int
	bestRateOnly  bool
	includeClosed bool
	boardType     string // "" for any
	paymentPolicy string // "NONE" for any
}

// requestError is a 400 answer: a code of the API's table, the offending
// parameter and a detail.
type requestError struct {
	code   int
	param  string
	detail string
}

func badParam(code int, param, format string, args ...any) *requestError {
	return &requestError{code: code, param: param, detail: fmt.Sprintf(format, args...)}
}

// parseQuery decodes and checks the query of a hotel-offers call. today
// is the default check-in date. n is the number of distinct hotel ids
// when hotelIds itself is well formed (for the statistics), else 0.
func parseQuery(rawQuery string, today hotelrates.Date, maxBatch int) (req offersRequest, n int, rerr *requestError) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return req, 0, badParam(CodeInvalidFormat, "", "The query string is not a valid URL query")
	}
	for k, v := range q {
		if len(v) > 1 && k != paramHotelIDs {
			return req, 0, badParam(CodeInvalidFormat, clip(k, 40), "Parameter %s is repeated", clip(k, 40))
		}
	}
	if req.ids, rerr = parseHotelIDs(q, maxBatch); rerr != nil {
		return req, 0, rerr
	}
	n = len(req.ids)
	if rerr = req.parseStay(q, today); rerr != nil {
		return req, n, rerr
	}
	return req, n, req.parseFilters(q)
}

// parseHotelIDs reads hotelIds: comma-separated (and, leniently, repeated
// parameters), 1 to maxBatch property codes. Duplicates are answered once.
func parseHotelIDs(q url.Values, maxBatch int) ([]string, *requestError) {
	vals, ok := q[paramHotelIDs]
	joined := strings.Join(vals, ",")
	if !ok || joined == "" {
		return nil, badParam(CodeMandatoryMissing, paramHotelIDs, "hotelIds is required: 1 to %d Amadeus property codes, comma-separated", maxBatch)
	}
	items := strings.Split(joined, ",")
	if len(items) > maxBatch {
		return nil, badParam(CodeInvalidFormat, paramHotelIDs, "hotelIds holds %d codes; at most %d are allowed", len(items), maxBatch)
	}
	for _, id := range items {
		if id == "" {
			return nil, badParam(CodeInvalidFormat, paramHotelIDs, "hotelIds holds an empty code")
		}
		if !validHotelID(id) {
			return nil, badParam(CodeInvalidHotelCode, paramHotelIDs, "%q is not an Amadeus property code (8 upper-case letters and digits)", clip(id, 16))
		}
	}
	return hotelrates.UniqueHotelIDs(items), nil
}

// parseStay reads the dates and guests.
func (req *offersRequest) parseStay(q url.Values, today hotelrates.Date) *requestError {
	in := today
	if v, ok := q[paramCheckIn]; ok {
		d, ok := parseDate(v[0])
		if !ok {
			return badParam(CodeInvalidCheckIn, paramCheckIn, "checkInDate %q is not a date YYYY-MM-DD", clip(v[0], 16))
		}
		in = d
	}
	out := in.AddDays(1)
	if v, ok := q[paramCheckOut]; ok {
		d, ok := parseDate(v[0])
		if !ok {
			return badParam(CodeInvalidCheckOut, paramCheckOut, "checkOutDate %q is not a date YYYY-MM-DD", clip(v[0], 16))
		}
		out = d
	}
	switch nights := in.DaysUntil(out); {
	case nights < 1:
		return badParam(CodeCheckOutOrder, paramCheckOut, "checkOutDate %s must be after checkInDate %s", out, in)
	case nights > MaxNights:
		return badParam(CodeMaxStay, paramCheckOut, "a stay of %d nights is over the limit of %d", nights, MaxNights)
	}
	adults, rooms := 1, 1
	if v, ok := q[paramAdults]; ok {
		if adults, ok = smallInt(v[0], 1, MaxAdults); !ok {
			return badParam(CodeInvalidAdults, paramAdults, "adults must be an integer from 1 to %d (per room)", MaxAdults)
		}
	}
	if v, ok := q[paramRooms]; ok {
		if rooms, ok = smallInt(v[0], 1, MaxRooms); !ok {
			return badParam(CodeInvalidFormat, paramRooms, "roomQuantity must be an integer from 1 to %d", MaxRooms)
		}
	}
	var children []int
	if v, ok := q[paramChildAges]; ok {
		for _, s := range strings.Split(v[0], ",") {
			age, ok := smallInt(s, 0, hotelrates.MaxChildAge)
			if !ok {
				return badParam(CodeInvalidFormat, paramChildAges, "childAges must be comma-separated ages from 0 to %d", hotelrates.MaxChildAge)
			}
			children = append(children, age)
		}
		if len(children) > MaxChildren {
			return badParam(CodeInvalidFormat, paramChildAges, "childAges holds %d children; at most %d are allowed", len(children), MaxChildren)
		}
	}
	req.adultsPerRoom = adults
	req.stay = hotelrates.Stay{CheckIn: in, CheckOut: out, Adults: adults * rooms, Rooms: rooms, Children: children}
	return nil
}

// parseFilters reads the currency and the filters.
func (req *offersRequest) parseFilters(q url.Values) *requestError {
	if v, ok := q[paramCurrency]; ok {
		switch v[0] {
		case "USD", "EUR", "GBP":
			req.stay.Currency = v[0]
		default:
			return badParam(CodeInvalidCurrency, paramCurrency, "currency %q is not one of USD, EUR, GBP", clip(v[0], 8))
		}
	}
	if v, ok := q[paramPriceRange]; ok {
		if !validPriceRange(v[0]) {
			return badParam(CodeInvalidFormat, paramPriceRange, "priceRange must be MIN-MAX, -MAX or MIN (decimal amounts)")
		}
		if req.stay.Currency == "" {
			return badParam(CodeMandatoryMissing, paramCurrency, "currency is mandatory with priceRange")
		}
	}
	req.paymentPolicy = "NONE"
	if v, ok := q[paramPaymentPolicy]; ok {
		switch v[0] {
		case "NONE", "GUARANTEE", "DEPOSIT":
			req.paymentPolicy = v[0]
		default:
			return badParam(CodeInvalidOption, paramPaymentPolicy, "paymentPolicy must be GUARANTEE, DEPOSIT or NONE")
		}
	}
	if v, ok := q[paramBoardType]; ok {
		if _, known := boardCodes[v[0]]; !known {
			return badParam(CodeInvalidOption, paramBoardType, "boardType must be ROOM_ONLY, BREAKFAST, HALF_BOARD, FULL_BOARD or ALL_INCLUSIVE")
		}
		req.boardType = v[0]
	}
	var ok bool
	if req.includeClosed, ok = boolParam(q, paramIncludeClosed, false); !ok {
		return badParam(CodeInvalidFormat, paramIncludeClosed, "includeClosed must be true or false")
	}
	if req.bestRateOnly, ok = boolParam(q, paramBestRateOnly, true); !ok {
		return badParam(CodeInvalidFormat, paramBestRateOnly, "bestRateOnly must be true or false")
	}
	if v, ok := q[paramLang]; ok && !validLang(v[0]) {
		return badParam(CodeInvalidFormat, paramLang, "lang must be 2 to 5 letters, digits or hyphens")
	}
	if v, ok := q[paramCountry]; ok && !(len(v[0]) == 2 && upper(v[0][0]) && upper(v[0][1])) {
		return badParam(CodeInvalidFormat, paramCountry, "countryOfResidence must be an ISO 3166-1 alpha-2 code")
	}
	return nil
}

// parseDate parses exactly YYYY-MM-DD.
func parseDate(s string) (hotelrates.Date, bool) {
	if len(s) != len(hotelrates.DateLayout) {
		return hotelrates.Date{}, false
	}
	d, err := hotelrates.ParseDate(s)
	return d, err == nil
}

// smallInt parses 1 or 2 decimal digits within [lo, hi].
func smallInt(s string, lo, hi int) (int, bool) {
	if len(s) < 1 || len(s) > 2 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n >= lo && n <= hi
}

func boolParam(q url.Values, name string, def bool) (bool, bool) {
	v, ok := q[name]
	if !ok {
		return def, true
	}
	switch v[0] {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// validPriceRange accepts "MIN-MAX", "-MAX" and "MIN", each a decimal
// with at most 15 integer and 2 fraction digits.
func validPriceRange(s string) bool {
	lo, hi, dash := strings.Cut(s, "-")
	if !dash {
		return decimal(lo)
	}
	return (lo == "" || decimal(lo)) && decimal(hi)
}

func decimal(s string) bool {
	ip, fp, dot := strings.Cut(s, ".")
	if ip == "" || len(ip) > 15 || (dot && (fp == "" || len(fp) > 2)) {
		return false
	}
	for _, c := range ip + fp {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func validLang(s string) bool {
	if len(s) < 2 || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !upper(c) && (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

func upper(c byte) bool { return c >= 'A' && c <= 'Z' }

// clip shortens s to at most n bytes (valid UTF-8) for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
