package hotelbeds_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"

	"hotelrates"
	"hotelrates/sandbox"
	"hotelrates/vendors/hotelbeds"
)

// Serve the sandbox's Hotelbeds API on a local port, mounted under
// /hotelbeds as the sandbox mounts it, and price a family's stay at four
// hotels in one signed call. The engine passes Hotelbeds codes (the
// sandbox maps our H00042 to 1126); offers come in each hotel's contract
// currency, whatever currency the stay asks for.
func ExampleClient() {
	done := make(chan struct{})
	defer close(done)
	backend := sandbox.NewBackend(sandbox.Hotelbeds, sandbox.DefaultConfig().Vendors.Hotelbeds, 1, done)
	srv := httptest.NewServer(http.StripPrefix("/hotelbeds", hotelbeds.Handler(backend)))
	defer srv.Close()

	client := hotelbeds.New(hotelbeds.Config{
		BaseURL: srv.URL + "/hotelbeds", // the real test host: https://api.test.hotelbeds.com
		APIKey:  sandbox.DemoHotelbedsAPIKey,
		Secret:  sandbox.DemoHotelbedsSecret,
	})
	stay := hotelrates.Stay{
		CheckIn:  hotelrates.MustDate("2027-03-10"),
		CheckOut: hotelrates.MustDate("2027-03-13"),
		Adults:   2,
		Children: []int{9},
		Rooms:    1,
		Currency: "USD",
	}
	var codes []string
	for _, id := range []string{"H00040", "H00041", "H00042", "H00043"} { // H00041 is not carried
		if code, ok := sandbox.VendorCode(sandbox.Hotelbeds, id); ok {
			codes = append(codes, code)
		}
	}
	got, err := client.Fetch(context.Background(), srv.Client(), hotelrates.Credential{}, hotelrates.Query{Stay: stay, HotelIDs: codes})
	if err != nil {
		panic(err)
	}
	for _, h := range got {
		id, _ := sandbox.HotelOf(sandbox.Hotelbeds, h.HotelID)
		truth := sandbox.Offers(sandbox.Hotelbeds, id, stay)
		o := h.Offers[0]
		fmt.Println(h.HotelID, id, "offers:", len(h.Offers), "ground truth:", reflect.DeepEqual(h.Offers, truth))
		terms := "non-refundable"
		if o.Refundable {
			terms = "free cancellation until " + o.CancelDeadline.Format("2006-01-02 15:04Z07:00")
		}
		fmt.Println("  first:", o.Room, o.Board, o.Total, terms)
	}
	fmt.Println(len(got), "of", len(codes), "hotels answered in", backend.Stats().RateCalls, "call")

	// The API has no currency parameter: asked in EUR, the prices are the same.
	stay.Currency = "EUR"
	again, err := client.Fetch(context.Background(), srv.Client(), hotelrates.Credential{}, hotelrates.Query{Stay: stay, HotelIDs: codes})
	if err != nil {
		panic(err)
	}
	fmt.Println("asked in EUR, the same offers:", reflect.DeepEqual(again, got))
	// Output:
	// 1120 H00040 offers: 5 ground truth: true
	//   first: Executive Suite RO 878.59 GBP free cancellation until 2027-03-03 18:00Z
	// 1126 H00042 offers: 1 ground truth: true
	//   first: Family Room FB 1598.16 USD non-refundable
	// 1129 H00043 offers: 4 ground truth: true
	//   first: Superior Twin FB 781.81 EUR non-refundable
	// 3 of 3 hotels answered in 1 call
	// asked in EUR, the same offers: true
}
