package rapid_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"

	"hotelrates"
	"hotelrates/sandbox"
	"hotelrates/vendors/rapid"
)

// Serve the sandbox's Rapid under /rapid, as the sandbox mounts it, and ask
// for several properties in one signed call. The engine asks with Rapid's
// own property ids, so the catalog hotels are mapped to them first; Rapid
// needs no token, so Authenticate returns a zero credential.
func ExampleClient() {
	done := make(chan struct{})
	backend := sandbox.NewBackend(sandbox.Rapid, sandbox.DefaultConfig().Vendors.Rapid, 1, done)
	srv := httptest.NewServer(http.StripPrefix("/rapid", rapid.Handler(backend)))
	defer func() {
		close(done)
		srv.Close()
	}()

	client := rapid.New(rapid.Config{
		BaseURL: srv.URL + "/rapid", // https://test.ean.com for the real test host
		APIKey:  sandbox.DemoRapidAPIKey,
		Secret:  sandbox.DemoRapidSecret,
	})
	ctx := context.Background()
	cred, err := client.Authenticate(ctx, srv.Client())
	if err != nil {
		panic(err)
	}

	stay := hotelrates.Stay{
		CheckIn:  hotelrates.MustDate("2027-05-01"),
		CheckOut: hotelrates.MustDate("2027-05-04"),
		Adults:   3,
		Children: []int{8},
		Rooms:    2,
		Currency: "EUR",
	}
	var codes []string
	for _, id := range sandbox.HotelIDs(1, 6) { // Rapid does not carry H00001 and H00004; H00003 is sold out
		if code, ok := sandbox.VendorCode(sandbox.Rapid, id); ok {
			codes = append(codes, code)
		}
	}
	got, err := client.Fetch(ctx, srv.Client(), cred, hotelrates.Query{Stay: stay, HotelIDs: codes})
	if err != nil {
		panic(err)
	}
	occupancies, _ := rapid.Occupancies(stay)
	fmt.Println("occupancies:", occupancies)
	for _, h := range got {
		id, _ := sandbox.HotelOf(sandbox.Rapid, h.HotelID)
		truth := sandbox.Offers(sandbox.Rapid, id, stay)
		fmt.Println(h.HotelID, id, "offers:", len(h.Offers), "ground truth:", reflect.DeepEqual(h.Offers, truth))
	}
	fmt.Println(len(got), "of", len(codes), "properties answered in", backend.Stats().RateCalls, "call")
	// Output:
	// occupancies: [2-8 1]
	// 2000014 H00002 offers: 5 ground truth: true
	// 2000035 H00005 offers: 3 ground truth: true
	// 2000042 H00006 offers: 4 ground truth: true
	// 3 of 4 properties answered in 1 call
}

// Every request is signed with the API key, the secret and the time in
// Unix seconds.
func ExampleAuthorizationHeader() {
	fmt.Println(rapid.AuthorizationHeader("demo-rapid-key", "rapid-demo-secret", 1798761600))
	// Output:
	// EAN apikey=demo-rapid-key,signature=5d8ce7390db5450abc0a31a60aba14b6023d16014f0d4e3713988d950184b22dda1562abdb5f9cd7c5e75f6d6a006657a56747eb59bfa875c5f177be1e30b5f0,timestamp=1798761600
}

// One occupancy per room: the adults spread evenly, the children in the
// first room.
func ExampleOccupancies() {
	occ, err := rapid.Occupancies(hotelrates.Stay{Adults: 5, Rooms: 2, Children: []int{9, 4}})
	fmt.Println(occ, err)
	// Output:
	// [3-9,4 2] <nil>
}
