package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"hotelrates"
	"hotelrates/engine"
)

// roomsInc is a vendor of your own: here it answers from memory, a real
// one would call its API with the *http.Client the engine passes.
type roomsInc struct{}

func (roomsInc) Info() hotelrates.VendorInfo {
	return hotelrates.VendorInfo{Name: "rooms-inc", MaxBatch: 50, Auth: hotelrates.AuthNone}
}

func (roomsInc) Authenticate(context.Context, *http.Client) (hotelrates.Credential, error) {
	return hotelrates.Credential{}, nil
}

func (roomsInc) Fetch(_ context.Context, _ *http.Client, _ hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	var out []hotelrates.HotelOffers
	for _, id := range q.HotelIDs {
		if id == "sold-out" {
			continue // hotels left out have no offers
		}
		price := hotelrates.Money{Minor: int64(q.Stay.Nights()) * 12000, Currency: q.Stay.Currency}
		out = append(out, hotelrates.HotelOffers{HotelID: id, Offers: []hotelrates.Offer{
			{Room: "Double", Board: "BB", Total: price, Refundable: true, CancelDeadline: q.Stay.CheckIn.Time().Add(-24 * time.Hour)},
		}})
	}
	return out, nil
}

// Plug in a vendor of your own and search it.
func Example() {
	eng, err := engine.New(engine.Options{
		Vendors: []engine.VendorConfig{{Vendor: roomsInc{}, Concurrency: 4}},
	})
	if err != nil {
		panic(err)
	}
	defer eng.Close(context.Background())

	res, err := eng.Search(context.Background(), hotelrates.Search{
		HotelIDs: []string{"grand-hotel", "sold-out", "seaside"},
		Stay: hotelrates.Stay{
			CheckIn: hotelrates.MustDate("2027-05-01"), CheckOut: hotelrates.MustDate("2027-05-04"),
			Adults: 2, Rooms: 1, Currency: "EUR",
		},
	})
	if err != nil {
		panic(err)
	}
	for _, h := range res.Hotels {
		if len(h.Offers) == 0 {
			fmt.Println(h.HotelID, "no offers")
			continue
		}
		o := h.Offers[0]
		fmt.Println(h.HotelID, o.Vendor, o.Room, o.Board, o.Total)
	}
	v := res.Vendors[0]
	fmt.Println(v.Vendor, v.Status, v.HotelsAnswered, "of", v.HotelsRequested, "in", v.Calls, "calls")
	// Unordered output:
	// grand-hotel rooms-inc Double BB 360.00 EUR
	// seaside rooms-inc Double BB 360.00 EUR
	// sold-out no offers
	// rooms-inc ok 3 of 3 in 3 calls
}
