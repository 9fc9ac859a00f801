package sandbox

import (
	"testing"

	"hotelrates"
)

func TestVendorCodeRoundTrip(t *testing.T) {
	for _, v := range append(append([]string{}, VendorNames...), SupplierNames...) {
		seen := map[string]bool{}
		carried := 0
		for n := FirstHotel; n <= LastHotel; n++ {
			id := HotelID(n)
			code, ok := VendorCode(v, id)
			if ok != Carries(v, id) {
				t.Fatalf("%s %s: VendorCode ok=%v, Carries=%v", v, id, ok, !ok)
			}
			if !ok {
				continue
			}
			carried++
			if seen[code] {
				t.Fatalf("%s: code %q given twice", v, code)
			}
			seen[code] = true
			back, ok := HotelOf(v, code)
			if !ok || back != id {
				t.Fatalf("%s: HotelOf(%q) = %q, %v; want %s", v, code, back, ok, id)
			}
		}
		if carried == 0 {
			t.Fatalf("%s carries nothing", v)
		}
	}
}

func TestVendorCodeExamples(t *testing.T) {
	tests := []struct{ vendor, id, code string }{
		{Amadeus, "H00043", "HRBER017"},
		{Rapid, "H00042", "2000294"},
		{Hotelbeds, "H00042", "1126"},
		{Solo, "H00042", "H00042"},
	}
	for _, tt := range tests {
		if got, ok := VendorCode(tt.vendor, tt.id); !ok || got != tt.code {
			t.Errorf("VendorCode(%s, %s) = %q, %v; want %q", tt.vendor, tt.id, got, ok, tt.code)
		}
	}
	for _, bad := range []struct{ vendor, code string }{
		{Amadeus, "HRLON017"}, {Amadeus, "hrber017"}, {Amadeus, "HRBER01"}, {Amadeus, "HRBER-17"}, {Amadeus, "HRNYC016"}, // H00042 is not carried by amadeus
		{Rapid, "2000295"}, {Rapid, "02000294"}, {Rapid, "1999993"}, {Hotelbeds, "1127"}, {Hotelbeds, "+1126"},
		{Hotelbeds, "1003"}, // H00001 is not carried by hotelbeds
		{Solo, "H00004"}, {Solo, "x"},
	} {
		if id, ok := HotelOf(bad.vendor, bad.code); ok {
			t.Errorf("HotelOf(%s, %q) = %s, want no hotel", bad.vendor, bad.code, id)
		}
	}
}

func TestContractCurrency(t *testing.T) {
	checked := 0
	for n := 1; n <= 200; n++ {
		id := HotelID(n)
		want := ContractCurrency(id)
		for _, o := range Offers(Hotelbeds, id, stay("USD")) {
			checked++
			if o.Total.Currency != want {
				t.Fatalf("hotelbeds %s priced in %s, want its contract currency %s", id, o.Total.Currency, want)
			}
		}
		for _, o := range Offers(Rapid, id, stay("GBP")) {
			if o.Total.Currency != "GBP" {
				t.Fatalf("rapid %s priced in %s, want the stay's GBP", id, o.Total.Currency)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no hotelbeds offers checked")
	}
	for id, want := range map[string]string{"H00010": "GBP", "H00014": "USD", "H00035": "GBP", "H00042": "USD", "H00043": "EUR"} {
		if got := ContractCurrency(id); got != want {
			t.Errorf("ContractCurrency(%s) = %s, want %s", id, got, want)
		}
	}
}

func TestChildrenArePriced(t *testing.T) {
	adults := stay("USD")
	kids := adults
	kids.Children = []int{9, 1}
	if adults.Key() == kids.Key() {
		t.Fatal("children do not change the stay's key")
	}
	var priced bool
	for n := 1; n <= 50 && !priced; n++ {
		for _, o := range Offers(Solo, HotelID(n), kids) {
			priced = priced || o.Total.Minor > 0
		}
	}
	if !priced {
		t.Fatal("no offers for a stay with children")
	}
}

func TestExchangeRates(t *testing.T) {
	x := ExchangeRates()
	for _, c := range Currencies {
		if !x.Has(c) {
			t.Fatalf("no rate for %s", c)
		}
	}
	// The table is the sandbox's own fxPerMille: 920 EUR and 790 GBP are
	// 1000 USD.
	for _, tt := range []struct {
		in   hotelrates.Money
		to   string
		want int64
	}{
		{hotelrates.Money{Minor: 92000, Currency: "EUR"}, "USD", 100000},
		{hotelrates.Money{Minor: 79000, Currency: "GBP"}, "USD", 100000},
		{hotelrates.Money{Minor: 100000, Currency: "USD"}, "GBP", 79000},
		{hotelrates.Money{Minor: 79000, Currency: "GBP"}, "EUR", 92000},
	} {
		if got, err := x.Convert(tt.in, tt.to); err != nil || got.Minor != tt.want {
			t.Errorf("Convert(%s, %s) = %v, %v; want %d", tt.in, tt.to, got, err, tt.want)
		}
	}
}

func TestMappingCovers(t *testing.T) {
	if !(Mapping{}).Covers(Amadeus) || !(Mapping{}).Covers(Solo) || (Mapping{}).Covers("x") {
		t.Fatal("the default sandbox mapping covers the six vendors")
	}
	m := Mapping{Protocols: map[string]string{"rapid-eu": Rapid}}
	if m.Covers(Amadeus) || m.Covers(Rapid) || !m.Covers("rapid-eu") {
		t.Fatal("a restricted mapping covers only its vendors")
	}
	if c, ok := m.VendorCode("rapid-eu", "H00042"); !ok || c != "2000294" {
		t.Fatalf("VendorCode = %q, %v", c, ok)
	}
}

func TestCarriedAtLeast(t *testing.T) {
	for _, v := range append(append([]string{}, VendorNames...), SupplierNames...) {
		for _, n := range []int{1, 2, 7, 10, 50, 200, 1000} {
			lo := CarriedAtLeast(v, n)
			for from := 1; from <= 30; from++ {
				got := 0
				for _, id := range HotelIDs(from, from+n-1) {
					if Carries(v, id) {
						got++
					}
				}
				if got < lo {
					t.Fatalf("%s carries %d of %d hotels from %d, below the bound %d", v, got, n, from, lo)
				}
			}
		}
	}
}
