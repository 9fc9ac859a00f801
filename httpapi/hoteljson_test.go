package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"hotelrates"
)

// plainHotel is Hotel without its methods: what encoding/json makes of it.
type plainHotel Hotel

func hotelCases() []Hotel {
	dl := time.Date(2027, 3, 8, 18, 0, 0, 0, time.UTC)
	return []Hotel{
		{},
		{Type: "hotel", HotelID: "H00001", Complete: true, Offers: []Offer{}},
		{HotelID: "H<&>\"\\\u2028\xff", Offers: []Offer{
			{Vendor: "solo", Room: "Deluxe King", Board: "BB", Total: hotelrates.Money{Minor: 12345, Currency: "USD"}, Refundable: true, CancelDeadline: dl},
			{Vendor: "hotelbeds", Room: "é", Board: "RO", Total: hotelrates.Money{Minor: 100, Currency: "GBP"}, Converted: true, Original: hotelrates.Money{Minor: 117, Currency: "EUR"}},
			{Vendor: "x", CancelDeadline: dl.In(time.FixedZone("x", 3600))},
		}, Sources: []Source{{Vendor: "solo", Cached: true, AgeMS: 41250}, {Vendor: "bulk", Shared: true}}},
	}
}

func TestHotelJSONIsEncodingJSON(t *testing.T) {
	for i, h := range hotelCases() {
		want, err := json.Marshal(plainHotel(h))
		if err != nil {
			t.Fatal(err)
		}
		if got := h.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
		if got, _ := json.Marshal(h); !bytes.Equal(got, want) {
			t.Errorf("case %d through json.Marshal:\n got %s\nwant %s", i, got, want)
		}
	}
}

func FuzzHotelJSON(f *testing.F) {
	f.Add("H1", "solo", "Deluxe", "BB", int64(100), "USD", true, int64(1800000000), int64(5), "bulk")
	f.Fuzz(func(t *testing.T, id, vendor, room, board string, minor int64, currency string, ref bool, deadline, age int64, src string) {
		h := Hotel{Type: "hotel", HotelID: id, Complete: ref, Offers: []Offer{{Vendor: vendor, Room: room, Board: board,
			Total: hotelrates.Money{Minor: minor, Currency: currency}, Refundable: ref, CancelDeadline: time.Unix(deadline, 0).UTC(),
			Converted: !ref, Original: hotelrates.Money{Minor: -minor, Currency: currency}}},
			Sources: []Source{{Vendor: src, Cached: ref, AgeMS: age, Shared: !ref}}}
		want, err := json.Marshal(plainHotel(h))
		if err != nil {
			return
		}
		if got := h.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}
