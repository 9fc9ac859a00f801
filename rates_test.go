package hotelrates_test

import (
	"strings"
	"testing"

	"hotelrates"
)

const ecbDaily = `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
	<Cube>
		<Cube time="2026-12-01">
			<Cube currency="USD" rate="1.0870"/>
			<Cube currency="JPY" rate="161.25"/>
			<Cube currency="GBP" rate="0.8587"/>
		</Cube>
	</Cube>
</gesmes:Envelope>`

const ecbCSV = "Date, USD, JPY, GBP, \n01 December 2026, 1.0870, 161.25, 0.8587, \n"

func TestReadECBRates(t *testing.T) {
	for name, in := range map[string]string{"xml": ecbDaily, "csv": ecbCSV} {
		t.Run(name, func(t *testing.T) {
			x, err := hotelrates.ReadECBRates(strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if x.Base() != "EUR" || !x.Has("USD") || !x.Has("JPY") || !x.Has("GBP") || x.Has("CHF") || x.Date() == "" {
				t.Fatalf("base %s date %q", x.Base(), x.Date())
			}
			tests := []struct {
				in   hotelrates.Money
				to   string
				want int64
			}{
				{hotelrates.Money{Minor: 10000, Currency: "EUR"}, "USD", 10870},  // 100.00 EUR
				{hotelrates.Money{Minor: 10870, Currency: "USD"}, "EUR", 10000},  // and back
				{hotelrates.Money{Minor: 10000, Currency: "GBP"}, "USD", 12659},  // 100 / 0.8587 * 1.0870 = 126.586...
				{hotelrates.Money{Minor: 100, Currency: "EUR"}, "JPY", 161},      // 1.00 EUR = 161.25 JPY, no minor units
				{hotelrates.Money{Minor: 2, Currency: "EUR"}, "JPY", 3},          // 3.225 rounds to 3
				{hotelrates.Money{Minor: -10000, Currency: "EUR"}, "GBP", -8587}, // signs kept
				{hotelrates.Money{Minor: 12345, Currency: "USD"}, "USD", 12345},
			}
			for _, tt := range tests {
				got, err := x.Convert(tt.in, tt.to)
				if err != nil || got.Minor != tt.want || got.Currency != tt.to {
					t.Errorf("Convert(%s, %s) = %v, %v; want %d", tt.in, tt.to, got, err, tt.want)
				}
			}
			if _, err := x.Convert(hotelrates.Money{Minor: 1, Currency: "CHF"}, "USD"); err == nil {
				t.Error("converted from a currency without a rate")
			}
		})
	}
}

func TestReadECBRatesErrors(t *testing.T) {
	for _, in := range []string{"", "<Cube><Cube currency=\"USD\" rate=\"-1\"/></Cube>", "<Cube><Cube currency=\"usd\" rate=\"1\"/></Cube>",
		"<Cube><Cube currency=\"USD\" rate=\"1e3\"/></Cube>", "<Cube time=\"a\"><Cube currency=\"USD\" rate=\"1\"/></Cube><Cube time=\"b\"/>",
		"Rate, USD\n1, 2\n", "<Cube><Cube currency=\"USD\" rate=\"0x10\"/></Cube>", "<Cube><Cube currency=\"USD\" rate=\"1_087\"/></Cube>",
		"<Cube><Cube currency=\"USD\" rate=\".5\"/></Cube>", "<Cube><Cube currency=\"USD\" rate=\"1.\"/></Cube>", "Date, USD\nx, 1/2\n", "<Cube>", "<Cube/>"} {
		if _, err := hotelrates.ReadECBRates(strings.NewReader(in)); err == nil || !strings.HasPrefix(err.Error(), "exchange rates: ") {
			t.Errorf("ReadECBRates(%q) = %v, want an error", in, err)
		}
	}
}

func FuzzReadECBRates(f *testing.F) {
	f.Add(ecbDaily)
	f.Add(ecbCSV)
	f.Fuzz(func(t *testing.T, in string) {
		x, err := hotelrates.ReadECBRates(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, c := range []string{"USD", "GBP", "JPY", "EUR"} {
			if x.Has(c) {
				if _, err := x.Convert(hotelrates.Money{Minor: 123456, Currency: "EUR"}, c); err != nil && !strings.Contains(err.Error(), "out of range") {
					t.Fatalf("convert to %s: %v", c, err)
				}
			}
		}
	})
}
