package bulk_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"

	"hotelrates"
	"hotelrates/sandbox"
	"hotelrates/vendors/bulk"
	"hotelrates/vendorsim"
)

// Run the sandbox in-process and ask for several hotels in one signed
// call; bulk needs no token, so Authenticate returns a zero credential.
func ExampleClient() {
	sim, err := vendorsim.Start(sandbox.DefaultConfig(), "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer sim.Close()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	client := bulk.New(bulk.Config{
		BaseURL: sim.VendorURL(sandbox.Bulk),
		APIKey:  sandbox.DemoBulkAPIKey,
		Secret:  sandbox.DemoBulkSecret,
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
		Currency: "EUR",
	}
	ids := sandbox.HotelIDs(1, 6) // bulk does not carry H00003 and H00006
	got, err := client.Fetch(ctx, hc, cred, hotelrates.Query{Stay: stay, HotelIDs: ids})
	if err != nil {
		panic(err)
	}
	for _, h := range got {
		truth := sandbox.Offers(sandbox.Bulk, h.HotelID, stay)
		fmt.Println(h.HotelID, "offers:", len(h.Offers), "ground truth:", reflect.DeepEqual(h.Offers, truth))
	}
	fmt.Println(len(got), "of", len(ids), "hotels answered in", sim.Stats()[sandbox.Bulk].RateCalls, "call")
	// Output:
	// H00001 offers: 4 ground truth: true
	// H00002 offers: 4 ground truth: true
	// H00004 offers: 4 ground truth: true
	// H00005 offers: 4 ground truth: true
	// 4 of 6 hotels answered in 1 call
}

// Every request carries a signature of the API key, the secret and the
// time in Unix seconds.
func ExampleAuthorizationHeader() {
	fmt.Println(bulk.AuthorizationHeader("demo-bulk-key", "bulk-demo-secret", 1798761600))
	// Output:
	// APIKey=demo-bulk-key,Signature=be871387f95802344d4f71ab5a77999b6632de36633aa32b3ab99a2543e9b904ffb3b9c3230804062e04cbd1dc58e6e1197ecbebf0cb5515ba8a7637c0209990,timestamp=1798761600
}
