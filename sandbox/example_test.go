package sandbox_test

import (
	"fmt"

	"hotelrates"
	"hotelrates/sandbox"
)

// The ground truth: what each sandbox vendor answers for a hotel and stay.
// It depends on nothing but its inputs, so a test can check a client's
// answer against it.
func ExampleOffers() {
	stay := hotelrates.Stay{
		CheckIn:  hotelrates.MustDate("2027-05-01"),
		CheckOut: hotelrates.MustDate("2027-05-04"),
		Adults:   2,
		Rooms:    1,
		Currency: "EUR",
	}
	hotel := sandbox.HotelID(42)
	for _, vendor := range sandbox.VendorNames {
		if !sandbox.Carries(vendor, hotel) {
			fmt.Println(vendor, "does not carry", hotel)
			continue
		}
		offers := sandbox.Offers(vendor, hotel, stay)
		if len(offers) == 0 {
			fmt.Println(vendor, "is sold out")
			continue
		}
		o := offers[0]
		fmt.Println(vendor, len(offers), "offers, first:", o.Room, o.Board, o.Total)
	}
	// Output:
	// solo 3 offers, first: Junior Suite BB 1333.77 EUR
	// bulk does not carry H00042
	// session 5 offers, first: Junior Suite FB 1515.93 EUR
}

// Catalog ids are "H" and five digits.
func ExampleHotelNumber() {
	ids := sandbox.HotelIDs(sandbox.FirstHotel, sandbox.FirstHotel+2)
	fmt.Println(ids)
	n, ok := sandbox.HotelNumber("H00042")
	fmt.Println(n, ok)
	_, ok = sandbox.HotelNumber("grand-hotel")
	fmt.Println(ok)
	// Output:
	// [H00001 H00002 H00003]
	// 42 true
	// false
}

// Start from the documented defaults and override some of them with YAML.
func ExampleParseConfig() {
	cfg, err := sandbox.ParseConfig([]byte(`
seed: 7
vendors:
  bulk:
    max_batch: 100
`))
	if err != nil {
		panic(err)
	}
	bulk := cfg.Vendors.Get(sandbox.Bulk)
	fmt.Println(cfg.Seed, bulk.MaxBatch, bulk.Concurrency, bulk.Credentials.APIKey)

	_, err = sandbox.ParseConfig([]byte("vendors:\n  solo:\n    concurency: 3\n"))
	fmt.Println(err)
	// Output:
	// 7 100 4 demo-bulk-key
	// yaml: unmarshal errors:
	//   line 3: field concurency not found in type sandbox.VendorConfig
}
