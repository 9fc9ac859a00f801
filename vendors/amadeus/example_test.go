package amadeus_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"

	"hotelrates"
	"hotelrates/sandbox"
	"hotelrates/vendors/amadeus"
)

// Serve the simulated Amadeus on loopback as the sandbox mounts it, get a
// token with its demo credentials and price four hotels in one call: two
// with offers, one sold out for the stay, one Amadeus does not carry.
// Every answer is the sandbox's ground truth for our catalog id.
func ExampleClient() {
	done := make(chan struct{})
	defer close(done)
	b := sandbox.NewBackend(sandbox.Amadeus, sandbox.DefaultConfig().Vendors.Amadeus, 1, done)
	srv := httptest.NewServer(http.StripPrefix("/amadeus", amadeus.Handler(b)))
	defer srv.Close()
	hc := srv.Client()

	client := amadeus.New(amadeus.Config{
		BaseURL:      srv.URL + "/amadeus", // the real test host: https://test.api.amadeus.com
		ClientID:     sandbox.DemoAmadeusClientID,
		ClientSecret: sandbox.DemoAmadeusClientSecret,
	})
	ctx := context.Background()
	cred, err := client.Authenticate(ctx, hc)
	if err != nil {
		panic(err)
	}

	stay := hotelrates.Stay{
		CheckIn:  hotelrates.MustDate("2027-05-01"),
		CheckOut: hotelrates.MustDate("2027-05-04"),
		Adults:   2,
		Children: []int{6},
		Rooms:    1,
		Currency: "EUR",
	}
	codes := []string{"HRPAR001", "HRNYC002", "HRLON00G", "HRBCN007"} // H00001, H00002, H00016, H00007
	got, err := client.Fetch(ctx, hc, cred, hotelrates.Query{Stay: stay, HotelIDs: codes})
	if err != nil {
		panic(err)
	}
	answered := map[string][]hotelrates.Offer{}
	for _, h := range got {
		answered[h.HotelID] = h.Offers
	}
	for _, code := range codes {
		ours, carried := sandbox.HotelOf(sandbox.Amadeus, code)
		switch offers := answered[code]; {
		case !carried:
			fmt.Println(code, "not carried")
		case offers == nil:
			fmt.Println(code, ours, "no offers")
		default:
			truth := sandbox.Offers(sandbox.Amadeus, ours, stay)
			fmt.Println(code, ours, "offers:", len(offers), "ground truth:", reflect.DeepEqual(offers, truth))
		}
	}
	// Output:
	// HRPAR001 H00001 offers: 5 ground truth: true
	// HRNYC002 H00002 offers: 4 ground truth: true
	// HRLON00G H00016 no offers
	// HRBCN007 not carried
}
