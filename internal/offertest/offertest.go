// Package offertest compares vendor answers in tests: the vendor
// packages' ground-truth tests share it.
package offertest

import (
	"testing"

	"hotelrates"
)

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
