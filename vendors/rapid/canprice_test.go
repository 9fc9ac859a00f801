package rapid_test

import (
	"testing"

	"hotelrates"
	"hotelrates/vendors/rapid"
)

func TestCanPrice(t *testing.T) {
	in := hotelrates.MustDate("2027-03-10")
	c := rapid.New(rapid.Config{BaseURL: "http://127.0.0.1:1"})
	for _, tt := range []struct {
		adults, rooms, nights int
		ok                    bool
	}{{2, 1, 2, true}, {3, 2, 2, true}, {9, 9, 2, false}, {2, 1, 28, true}, {2, 1, 29, false}} {
		st := hotelrates.Stay{CheckIn: in, CheckOut: in.AddDays(tt.nights), Adults: tt.adults, Rooms: tt.rooms, Currency: "USD"}
		if err := c.CanPrice(st); (err == nil) != tt.ok {
			t.Errorf("%d adults, %d rooms, %d nights: %v, want ok %v", tt.adults, tt.rooms, tt.nights, err, tt.ok)
		}
	}
}
