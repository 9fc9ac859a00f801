package hotelrates_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"hotelrates"
)

func ExampleParseDate() {
	in, err := hotelrates.ParseDate("2026-12-01")
	if err != nil {
		panic(err)
	}
	out := in.AddDays(3)
	fmt.Println(in, "to", out, "is", in.DaysUntil(out), "nights")

	_, err = hotelrates.ParseDate("2026-02-30")
	fmt.Println(err)
	// Output:
	// 2026-12-01 to 2026-12-04 is 3 nights
	// date "2026-02-30" is not YYYY-MM-DD
}

func ExampleSearch_Validate() {
	s := hotelrates.Search{
		HotelIDs: []string{"H1", "H 2"},
		Stay: hotelrates.Stay{
			CheckIn:  hotelrates.MustDate("2026-12-01"),
			CheckOut: hotelrates.MustDate("2026-12-04"),
			Adults:   2,
			Rooms:    1,
			Currency: "USD",
		},
	}
	err := s.Validate(hotelrates.Limits{})

	var e *hotelrates.Error
	if errors.As(err, &e) {
		fmt.Println("code:", e.Code)
		fmt.Println("field:", e.Field)
		fmt.Println("message:", e.Message)
	}

	s.HotelIDs[1] = "H2"
	fmt.Println("fixed:", s.Validate(hotelrates.Limits{}))
	// Output:
	// code: invalid_argument
	// field: hotel_ids[1]
	// message: hotel id "H 2" must be printable ASCII without spaces
	// fixed: <nil>
}

func ExampleUniqueHotelIDs() {
	ids := hotelrates.UniqueHotelIDs([]string{"H3", "H1", "H3", "H2", "H1"})
	fmt.Println(ids)
	// Output: [H3 H1 H2]
}

func ExampleParseMoney() {
	m, err := hotelrates.ParseMoney("123.40", "EUR")
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Minor, m)

	b, _ := json.Marshal(m)
	fmt.Println(string(b))

	_, err = hotelrates.ParseMoney("99.999", "USD")
	fmt.Println(err)
	// Output:
	// 12340 123.40 EUR
	// {"amount":"123.40","currency":"EUR"}
	// amount "99.999" has more than 2 decimals
}

func ExampleKindOf() {
	err := fmt.Errorf("fetch: %w", &hotelrates.VendorError{
		Vendor: "bulk",
		Kind:   hotelrates.ErrThrottled,
		Status: 429,
	})
	kind, ok := hotelrates.KindOf(err)
	fmt.Println(kind, ok)
	fmt.Println(err)
	// Output:
	// throttled true
	// fetch: vendor bulk: throttled (HTTP 429)
}
