package sandbox

import (
	"slices"
	"strconv"
	"strings"

	"hotelrates"
)

var _ hotelrates.HotelMapping = Mapping{}

// The sandbox suppliers know a hotel by their own code, as the real ones
// do; VendorCode and HotelOf translate between our catalog id ("H00042")
// and a vendor's code:
//
//	solo, bulk, session: our id itself
//	amadeus:   8 characters, "HR", a city code and the hotel number in
//	           base 36 ("HRBER017" is H00043)
//	rapid:     a number, 2000000 + 7n ("2000294" is H00042)
//	hotelbeds: a number, 1000 + 3n ("1126" is H00042)
//
// A vendor has a code only for the hotels it carries.

// amadeusCities are the IATA city codes in Amadeus hotel ids, by n % 8.
var amadeusCities = [...]string{"LON", "PAR", "NYC", "BER", "ROM", "MAD", "AMS", "BCN"}

// VendorCode returns the vendor's code of our catalog hotel, and false when
// the vendor does not carry it.
func VendorCode(vendor, hotelID string) (string, bool) {
	n, ok := HotelNumber(hotelID)
	if !ok || !Carries(vendor, hotelID) {
		return "", false
	}
	switch vendor {
	case Amadeus:
		b36 := strings.ToUpper(strconv.FormatInt(int64(n), 36))
		return "HR" + amadeusCities[n%8] + strings.Repeat("0", 3-len(b36)) + b36, true
	case Rapid:
		return strconv.Itoa(2000000 + 7*n), true
	case Hotelbeds:
		return strconv.Itoa(1000 + 3*n), true
	}
	return hotelID, true
}

// HotelOf returns our catalog id of the vendor's hotel code, and false when
// the code names no hotel the vendor carries.
func HotelOf(vendor, code string) (string, bool) {
	n := -1
	switch vendor {
	case Amadeus:
		if len(code) != 8 || code[:2] != "HR" || strings.ToUpper(code) != code {
			return "", false
		}
		v, err := strconv.ParseInt(code[5:], 36, 32)
		if err != nil || v < 0 || amadeusCities[v%8] != code[2:5] {
			return "", false
		}
		n = int(v)
	case Rapid, Hotelbeds:
		base, step := 2000000, 7
		if vendor == Hotelbeds {
			base, step = 1000, 3
		}
		v, err := strconv.Atoi(code)
		if err != nil || v < base || (v-base)%step != 0 || strconv.Itoa(v) != code {
			return "", false
		}
		n = (v - base) / step
	default:
		if _, ok := HotelNumber(code); !ok {
			return "", false
		}
		return code, Carries(vendor, code)
	}
	if n < FirstHotel || n > LastHotel {
		return "", false
	}
	id := HotelID(n)
	return id, Carries(vendor, id)
}

// ContractCurrency is the currency a hotel's Hotelbeds contract prices it
// in, whatever currency a search asks for: GBP for n % 5 == 0, else USD for
// n % 7 == 0, else EUR.
func ContractCurrency(hotelID string) string {
	n, _ := HotelNumber(hotelID)
	switch {
	case n%5 == 0:
		return "GBP"
	case n%7 == 0:
		return "USD"
	}
	return "EUR"
}

// Mapping is the sandbox's own hotel mapping as a hotelrates.HotelMapping
// (VendorCode and HotelOf). Protocols maps each vendor name it covers to
// the sandbox vendor it is (a configured vendor "solo-eu" may be the
// sandbox's solo); nil covers the six under their own names.
type Mapping struct {
	Protocols map[string]string
}

func (m Mapping) protocol(vendor string) (string, bool) {
	if m.Protocols == nil {
		return vendor, slices.Contains(VendorNames, vendor) || slices.Contains(SupplierNames, vendor)
	}
	p, ok := m.Protocols[vendor]
	return p, ok
}

// Covers implements hotelrates.HotelMapping.
func (m Mapping) Covers(vendor string) bool { _, ok := m.protocol(vendor); return ok }

// VendorCode implements hotelrates.HotelMapping.
func (m Mapping) VendorCode(vendor, hotelID string) (string, bool) {
	p, ok := m.protocol(vendor)
	if !ok {
		return "", false
	}
	return VendorCode(p, hotelID)
}

// HotelID implements hotelrates.HotelMapping.
func (m Mapping) HotelID(vendor, code string) (string, bool) {
	p, ok := m.protocol(vendor)
	if !ok {
		return "", false
	}
	return HotelOf(p, code)
}

// Truth returns what a sandbox vendor's Fetch of codes (its own codes, our
// ids for solo, bulk and session) must return for stay: for each code,
// once and in order, that names a hotel the vendor carries and has offers
// for, the ground truth (Offers), keyed by the code.
func Truth(vendor string, codes []string, stay hotelrates.Stay) []hotelrates.HotelOffers {
	out := []hotelrates.HotelOffers{}
	for _, code := range hotelrates.UniqueHotelIDs(codes) {
		id, ok := HotelOf(vendor, code)
		if !ok {
			continue
		}
		if o := Offers(vendor, id, stay); len(o) > 0 {
			out = append(out, hotelrates.HotelOffers{HotelID: code, Offers: o})
		}
	}
	return out
}
