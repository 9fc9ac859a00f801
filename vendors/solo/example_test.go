package solo_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"

	"hotelrates"
	"hotelrates/sandbox"
	"hotelrates/vendors/solo"
	"hotelrates/vendorsim"
)

// Run the sandbox in-process, get a token with its demo credentials and
// ask for hotels one call at a time; every answer is the sandbox's ground
// truth.
func ExampleClient() {
	sim, err := vendorsim.Start(sandbox.DefaultConfig(), "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer sim.Close()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	client := solo.New(solo.Config{
		BaseURL:      sim.VendorURL(sandbox.Solo),
		ClientID:     sandbox.DemoSoloClientID,
		ClientSecret: sandbox.DemoSoloClientSecret,
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
		Rooms:    1,
		Currency: "USD",
	}
	for _, id := range []string{"H00001", "H00002", "H00004"} {
		got, err := client.Fetch(ctx, hc, cred, hotelrates.Query{Stay: stay, HotelIDs: []string{id}})
		if err != nil {
			panic(err)
		}
		if len(got) == 0 {
			fmt.Println(id, "no offers") // solo does not carry H00004
			continue
		}
		truth := sandbox.Offers(sandbox.Solo, id, stay)
		fmt.Println(id, "offers:", len(got[0].Offers), "ground truth:", reflect.DeepEqual(got[0].Offers, truth))
	}
	// Output:
	// H00001 offers: 1 ground truth: true
	// H00002 offers: 4 ground truth: true
	// H00004 no offers
}
