package session_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"

	"hotelrates"
	"hotelrates/sandbox"
	"hotelrates/vendors/session"
	"hotelrates/vendorsim"
)

// Run the sandbox in-process, log in with its demo account, ask for a
// batch of hotels on the session and log out.
func ExampleClient() {
	sim, err := vendorsim.Start(sandbox.DefaultConfig(), "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer sim.Close()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	client := session.New(session.Config{
		BaseURL:  sim.VendorURL(sandbox.Session),
		User:     sandbox.DemoSessionUser,
		Password: sandbox.DemoSessionPassword,
	})
	ctx := context.Background()
	cred, err := client.Authenticate(ctx, hc)
	if err != nil {
		panic(err)
	}
	fmt.Println("session idle timeout:", cred.IdleTimeout)

	stay := hotelrates.Stay{
		CheckIn:  hotelrates.MustDate("2027-05-01"),
		CheckOut: hotelrates.MustDate("2027-05-04"),
		Adults:   2,
		Rooms:    1,
		Currency: "GBP",
	}
	ids := sandbox.HotelIDs(1, 10) // session does not carry H00005 and H00010
	got, err := client.Fetch(ctx, hc, cred, hotelrates.Query{Stay: stay, HotelIDs: ids})
	if err != nil {
		panic(err)
	}
	same := 0
	for _, h := range got {
		if reflect.DeepEqual(h.Offers, sandbox.Offers(sandbox.Session, h.HotelID, stay)) {
			same++
		}
	}
	fmt.Println(len(got), "of", len(ids), "hotels have offers,", same, "as the ground truth")

	if err := client.CloseSession(ctx, hc, cred); err != nil {
		panic(err)
	}
	// Output:
	// session idle timeout: 2m0s
	// 8 of 10 hotels have offers, 8 as the ground truth
}
