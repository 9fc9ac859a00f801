// Package offertest is shared by tests: it compares vendor answers (the
// vendor packages' ground-truth tests) and gives the stay dates of tests
// that search through a server on the real clock (FutureDate).
package offertest

import (
	"testing"
	"time"

	"hotelrates"
)

// FutureDate returns the date days days after today in UTC. The API
// refuses a check-in in the past by the real clock (httpapi.Deps.Now
// unset), so a test that searches through it takes its stay from here
// rather than from a fixed date that would one day pass. Call it once per
// test and derive every date from that one, so the search and the ground
// truth it is compared with have the same stay even across midnight.
func FutureDate(days int) hotelrates.Date {
	return hotelrates.DateOf(time.Now().UTC()).AddDays(days)
}

// Equal fails the test unless got holds the same hotels as want, in
// order, each with the same offers in order: vendor, room, board, total,
// refundability and cancellation deadline (the same instant).
func Equal(t testing.TB, got, want []hotelrates.HotelOffers) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d hotels, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].HotelID != want[i].HotelID || len(got[i].Offers) != len(want[i].Offers) {
			t.Fatalf("hotel %d: got %s with %d offers, want %s with %d", i, got[i].HotelID, len(got[i].Offers), want[i].HotelID, len(want[i].Offers))
		}
		for j, w := range want[i].Offers {
			g := got[i].Offers[j]
			if g.Vendor != w.Vendor || g.Room != w.Room || g.Board != w.Board || g.Total != w.Total ||
				g.Refundable != w.Refundable || !g.CancelDeadline.Equal(w.CancelDeadline) {
				t.Fatalf("hotel %s offer %d: got %+v, want %+v", want[i].HotelID, j, g, w)
			}
		}
	}
}
