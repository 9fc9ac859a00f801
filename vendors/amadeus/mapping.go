package amadeus

import "time"

// boardTypes maps the sandbox's board codes to Amadeus boardType values
// and back. Other boardType values (CONTINENTAL_BREAKFAST, ...) reach the
// client's offers verbatim.
var (
	boardTypes = map[string]string{
		"RO": "ROOM_ONLY",
		"BB": "BREAKFAST",
		"HB": "HALF_BOARD",
		"FB": "FULL_BOARD",
		"AI": "ALL_INCLUSIVE",
	}
	boardCodes = invert(boardTypes)
)

func invert(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

// boardOf returns the offer's board: the sandbox code of a boardType the
// sandbox knows, the boardType itself otherwise ("" when absent).
func boardOf(boardType string) string {
	if c, ok := boardCodes[boardType]; ok {
		return c
	}
	return boardType
}

// roomType is how the sandbox server describes one of its room names: the
// 3-character room type code (category, beds, bed type) and its estimate.
type roomType struct {
	code     string
	category string
	beds     int
	bedType  string
}

// roomTypes describes the sandbox catalog's room names. A name not listed
// is sent as run of house ("ROH").
var roomTypes = map[string]roomType{
	"Standard Double": {"S1D", "STANDARD_ROOM", 1, "DOUBLE"},
	"Superior Twin":   {"P2T", "SUPERIOR_ROOM", 2, "TWIN"},
	"Deluxe King":     {"D1K", "DELUXE_ROOM", 1, "KING"},
	"Family Room":     {"F2Q", "FAMILY_ROOM", 2, "QUEEN"},
	"Junior Suite":    {"J1K", "JUNIOR_SUITE", 1, "KING"},
	"Executive Suite": {"E1K", "EXECUTIVE_SUITE", 1, "KING"},
}

// city is what the sandbox knows of the IATA city code inside an Amadeus
// hotel id (characters 3 to 5): the hotels' UTC offset (standard time, for
// cancellation deadlines) and local currency (for a search without
// currency).
type city struct {
	offset   time.Duration
	currency string
}

var cities = map[string]city{
	"LON": {0, "GBP"},
	"PAR": {time.Hour, "EUR"},
	"NYC": {-5 * time.Hour, "USD"},
	"BER": {time.Hour, "EUR"},
	"ROM": {time.Hour, "EUR"},
	"MAD": {time.Hour, "EUR"},
	"AMS": {time.Hour, "EUR"},
	"BCN": {time.Hour, "EUR"},
}

// cityOf returns the city code of an Amadeus hotel id and what the sandbox
// knows of it (UTC and EUR for a city it does not know).
func cityOf(code string) (string, city) {
	if len(code) < 5 {
		return "", city{0, "EUR"}
	}
	cc := code[2:5]
	if c, ok := cities[cc]; ok {
		return cc, c
	}
	return cc, city{0, "EUR"}
}

// validHotelID reports whether id is an Amadeus property code: 8
// characters, upper-case letters and digits.
func validHotelID(id string) bool {
	if len(id) != 8 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
