// Package sandbox is the shared core of the simulated hotel vendors: the
// hotel catalog, the deterministic ground truth of offers, the capacity,
// latency and fault models, and the per-vendor statistics. The wire
// protocols live beside their clients in vendors/solo, vendors/bulk and
// vendors/session; package vendorsim serves them together.
package sandbox

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"time"

	"hotelrates"
)

// The sandbox vendor names: three protocols of the sandbox's own, and three
// suppliers whose real, published APIs the sandbox imitates.
const (
	Solo      = "solo"
	Bulk      = "bulk"
	Session   = "session"
	Amadeus   = "amadeus"
	Rapid     = "rapid"
	Hotelbeds = "hotelbeds"
)

// VendorNames lists the sandbox's own vendors in a stable order.
var VendorNames = []string{Solo, Bulk, Session}

// SupplierNames lists the sandbox suppliers (imitations of real APIs) in a
// stable order.
var SupplierNames = []string{Amadeus, Rapid, Hotelbeds}

// AllVendorNames returns the six sandbox vendors: VendorNames, then
// SupplierNames.
func AllVendorNames() []string {
	return append(append(make([]string, 0, 6), VendorNames...), SupplierNames...)
}

// FirstHotel and LastHotel bound the catalog: hotel ids are "H" and five
// digits, H00001 to H20000.
const (
	FirstHotel = 1
	LastHotel  = 20000
)

// HotelID returns the id of catalog hotel n, such as "H00042".
func HotelID(n int) string { return fmt.Sprintf("H%05d", n) }

// HotelIDs returns the ids of hotels from to to, inclusive.
func HotelIDs(from, to int) []string {
	ids := make([]string, 0, max(0, to-from+1))
	for n := from; n <= to; n++ {
		ids = append(ids, HotelID(n))
	}
	return ids
}

// HotelNumber returns n for a catalog id "Hnnnnn", and false for anything
// else.
func HotelNumber(id string) (int, bool) {
	if len(id) != 6 || id[0] != 'H' {
		return 0, false
	}
	for _, c := range id[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, _ := strconv.Atoi(id[1:])
	return n, n >= FirstHotel && n <= LastHotel
}

// Carries reports whether the sandbox vendor sells the hotel. The subsets
// are documented in docs/sandbox.md:
//
//	solo:      n % 4 != 0   (75% of the catalog)
//	bulk:      n % 3 != 0   (67%)
//	session:   n % 5 != 0   (80%)
//	amadeus:   n % 7 != 0   (86%)
//	rapid:     n % 3 != 1   (67%)
//	hotelbeds: n % 4 != 1   (75%)
func Carries(vendor, hotelID string) bool {
	n, ok := HotelNumber(hotelID)
	if !ok {
		return false
	}
	switch vendor {
	case Solo:
		return n%4 != 0
	case Bulk:
		return n%3 != 0
	case Session:
		return n%5 != 0
	case Amadeus:
		return n%7 != 0
	case Rapid:
		return n%3 != 1
	case Hotelbeds:
		return n%4 != 1
	}
	return false
}

var (
	roomTypes = []struct {
		name string
		pct  int64 // price in percent of the hotel's base rate
	}{
		{"Standard Double", 100}, {"Superior Twin", 115}, {"Deluxe King", 135},
		{"Family Room", 150}, {"Junior Suite", 170}, {"Executive Suite", 220},
	}
	boards = []struct {
		code  string
		cents int64 // USD cents per adult per night
	}{
		{"RO", 0}, {"BB", 1200}, {"HB", 3000}, {"FB", 4500}, {"AI", 7000},
	}
	// fxPerMille converts USD to the currency: amount*rate/1000, rounded half up.
	fxPerMille = map[string]int64{"USD": 1000, "EUR": 920, "GBP": 790}
)

// Child prices, in USD cents per child per night: a child of two or more
// pays a room supplement and half the adult board; an infant (under two)
// stays free.
const (
	childRoomCents = 1500
	infantAge      = 2
)

// Currencies lists the currencies the sandbox prices in.
var Currencies = []string{"USD", "EUR", "GBP"}

func rng(parts ...string) *rand.Rand {
	h := fnv.New128a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	sum := h.Sum(nil)
	return rand.New(rand.NewPCG(binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:])))
}

// Offers returns the ground truth: the offers the sandbox vendor answers for
// the hotel (our id, such as "H00042") and stay, in the order the vendor
// lists them. It returns nil when the vendor does not carry the hotel, when
// the hotel is sold out for the stay (about 8% of hotel/stay pairs per
// vendor), or for a currency the sandbox does not price in. Children are
// priced (see childRoomCents). Offers are in the stay's currency, except
// Hotelbeds' which are in the hotel's contract currency
// (ContractCurrency), as the real API prices them. The answer depends on
// nothing but its inputs.
func Offers(vendor, hotelID string, stay hotelrates.Stay) []hotelrates.Offer {
	currency := stay.Currency
	if vendor == Hotelbeds {
		currency = ContractCurrency(hotelID)
	}
	fx, ok := fxPerMille[currency]
	if _, asked := fxPerMille[stay.Currency]; !ok || !asked || !Carries(vendor, hotelID) || stay.Nights() < 1 || stay.Adults < 1 || stay.Rooms < 1 {
		return nil
	}
	priced := stay
	priced.Currency = currency // Hotelbeds' prices do not depend on the currency asked
	r := rng("offers", vendor, hotelID, priced.Key())
	if r.IntN(100) < 8 {
		return nil
	}
	base := 6000 + rng("hotel", hotelID).Int64N(34000) // hotel's nightly base in USD cents
	markup := 95 + r.Int64N(11)                        // vendor's price level, 95..105 %
	nights := int64(stay.Nights())
	n := 1 + r.IntN(5)
	offers := make([]hotelrates.Offer, 0, n)
	seen := map[[2]int]bool{}
	for len(offers) < n {
		rt, bd := r.IntN(len(roomTypes)), r.IntN(len(boards))
		if seen[[2]int{rt, bd}] {
			n-- // a duplicate room/board draw shortens the list, deterministically
			continue
		}
		seen[[2]int{rt, bd}] = true
		usd := base*roomTypes[rt].pct/100*nights*int64(stay.Rooms) + boards[bd].cents*nights*int64(stay.Adults)
		for _, age := range stay.Children {
			if age >= infantAge {
				usd += (childRoomCents + boards[bd].cents/2) * nights
			}
		}
		usd = usd * markup / 100
		o := hotelrates.Offer{
			Vendor: vendor,
			Room:   roomTypes[rt].name,
			Board:  boards[bd].code,
			Total:  hotelrates.Money{Minor: (usd*fx + 500) / 1000, Currency: currency},
		}
		if r.IntN(3) > 0 {
			o.Refundable = true
			days := 1 + r.IntN(7)
			o.CancelDeadline = stay.CheckIn.Time().AddDate(0, 0, -days).Add(18 * time.Hour)
		}
		offers = append(offers, o)
	}
	return offers
}
