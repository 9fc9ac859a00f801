package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	"hotelrates"
	"hotelrates/engine"
	"hotelrates/httpapi"
	"hotelrates/sandbox"
	"hotelrates/vendorsim"
)

// Decode the body of POST /v1/search into a search, with the defaults
// filled in (2 adults, 1 room, USD). Errors name the field.
func ExampleDecodeSearch() {
	s, err := httpapi.DecodeSearch(strings.NewReader(
		`{"hotel_ids":["H00001","H00002"],"check_in":"2027-05-01","check_out":"2027-05-04","currency":"EUR"}`), 1<<20)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.HotelIDs, s.Stay.Nights(), "nights,", s.Stay.Adults, "adults,", s.Stay.Rooms, "room,", s.Stay.Currency)

	for _, body := range []string{
		`{"hotel_ids":["H00001"],"check_in":"2027-05-01"}`,
		`{"hotel_ids":["H00001"],"check_in":"2027-05-01","nights":3}`,
	} {
		_, err = httpapi.DecodeSearch(strings.NewReader(body), 1<<20)
		var e *hotelrates.Error
		if errors.As(err, &e) {
			fmt.Printf("%s %q: %s\n", e.Code, e.Field, e.Message)
		}
	}
	// Output:
	// [H00001 H00002] 3 nights, 2 adults, 1 room, EUR
	// invalid_argument "check_out": check_out is required (YYYY-MM-DD)
	// invalid_argument "nights": unknown field "nights"
}

// Serve the API over an engine that searches the in-process sandbox, and
// stream a search with the Go client.
func ExampleClient_Stream() {
	cfg := sandbox.DefaultConfig()
	sim, err := vendorsim.Start(cfg, "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer sim.Close()

	var vendors []engine.VendorConfig
	for _, v := range vendorsim.Clients(sim.URL(), cfg) {
		vendors = append(vendors, engine.VendorConfig{Vendor: v, Concurrency: cfg.Vendors.Get(v.Info().Name).Concurrency})
	}
	eng, err := engine.New(engine.Options{Vendors: vendors})
	if err != nil {
		panic(err)
	}
	defer eng.Close(context.Background())

	// The clock is fixed only so that the example's stay is never in the
	// past and its output (which depends on the stay) never changes; a
	// real server leaves Now nil, for time.Now.
	april := func() time.Time { return time.Date(2027, 4, 1, 12, 0, 0, 0, time.UTC) }
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{Engine: eng, Logger: slog.New(slog.DiscardHandler), Now: april}))
	defer srv.Close()

	c := httpapi.Client{BaseURL: srv.URL, HTTP: srv.Client()}
	var hotels []string
	sum, err := c.Stream(context.Background(), httpapi.SearchRequest{
		HotelIDs: []string{"H00001", "H00002", "H00003"},
		CheckIn:  "2027-05-01",
		CheckOut: "2027-05-04",
	}, func(h httpapi.Hotel) {
		// Hotels arrive as they complete, in no fixed order.
		hotels = append(hotels, fmt.Sprint(h.HotelID, " offers: ", len(h.Offers), " complete: ", h.Complete))
	})
	if err != nil {
		panic(err)
	}
	slices.Sort(hotels)
	for _, h := range hotels {
		fmt.Println(h)
	}
	fmt.Println("summary:", sum.Hotels, "hotels, complete:", sum.Complete)
	for _, v := range sum.Vendors {
		fmt.Println(v.Vendor, v.Status, v.HotelsAnswered, "of", v.HotelsRequested)
	}
	// Output:
	// H00001 offers: 10 complete: true
	// H00002 offers: 11 complete: true
	// H00003 offers: 5 complete: true
	// summary: 3 hotels, complete: true
	// solo ok 3 of 3
	// bulk ok 3 of 3
	// session ok 3 of 3
}
