package hotelrates_test

import (
	"strings"
	"testing"

	"hotelrates"
)

func TestReadMapping(t *testing.T) {
	m, err := hotelrates.ReadMapping(strings.NewReader("hotel_id,vendor,vendor_code\nH00001,amadeus,HRLON001\n\nH00001, rapid ,2000007\nH00002,amadeus,HRPAR002\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Len() != 3 || !m.Covers("amadeus") || !m.Covers("rapid") || m.Covers("solo") {
		t.Fatalf("len %d, covers amadeus %v rapid %v solo %v", m.Len(), m.Covers("amadeus"), m.Covers("rapid"), m.Covers("solo"))
	}
	if c, ok := m.VendorCode("rapid", "H00001"); !ok || c != "2000007" {
		t.Fatalf("VendorCode = %q, %v", c, ok)
	}
	if h, ok := m.HotelID("amadeus", "HRPAR002"); !ok || h != "H00002" {
		t.Fatalf("HotelID = %q, %v", h, ok)
	}
	if _, ok := m.VendorCode("rapid", "H00002"); ok {
		t.Fatal("rapid does not carry H00002")
	}
}

func TestReadMappingErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty"},
		{"id,vendor,code\n", "line 1: the first line must be hotel_id,vendor,vendor_code"},
		{"hotel_id,vendor,vendor_code\nH1,amadeus\n", "line 2"},
		{"hotel_id,vendor,vendor_code\nH1,amadeus,A\nH1,amadeus,B\n", "line 3: hotel H1 is mapped twice for vendor amadeus (A and B)"},
		{"hotel_id,vendor,vendor_code\nH1,amadeus,A\nH2,amadeus,A\n", "line 3: vendor amadeus code A is mapped to two hotels (H1 and H2)"},
		{"hotel_id,vendor,vendor_code\nH 1,amadeus,A\n", `line 2: hotel_id "H 1" must be printable ASCII without spaces`},
		{"hotel_id,vendor,vendor_code\nH1,,A\n", `line 2: vendor "" is empty`},
		{"hotel_id,vendor,vendor_code\nH1,rapid,\"x\n", "line 2"},
	}
	for _, tt := range tests {
		_, err := hotelrates.ReadMapping(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadMapping(%q) = %v, want an error with %q", tt.in, err, tt.want)
		}
	}
}

func FuzzReadMapping(f *testing.F) {
	f.Add("hotel_id,vendor,vendor_code\nH00001,amadeus,HRLON001\n")
	f.Add("hotel_id,vendor,vendor_code\nH1,a,\"b\"\"c\"\n")
	f.Add("hotel_id,vendor,vendor_code\r\nH1,a,b\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := hotelrates.ReadMapping(strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "mapping: ") {
				t.Fatalf("error without the mapping prefix: %v", err)
			}
			return
		}
		if m.Len() > strings.Count(in, "\n")+1 {
			t.Fatalf("%d pairs from %d lines", m.Len(), strings.Count(in, "\n")+1)
		}
	})
}

func TestStayKeyIgnoresTheOrderOfChildren(t *testing.T) {
	a := hotelrates.Stay{CheckIn: hotelrates.MustDate("2027-03-10"), CheckOut: hotelrates.MustDate("2027-03-12"), Adults: 2, Rooms: 1, Currency: "USD", Children: []int{9, 4}}
	b := a
	b.Children = []int{4, 9}
	if a.Key() != b.Key() {
		t.Fatalf("%q != %q", a.Key(), b.Key())
	}
	if a.Children[0] != 9 {
		t.Fatal("Key reordered the stay's children")
	}
	c := a
	c.Children = nil
	if c.Key() == a.Key() {
		t.Fatal("children do not count in the key")
	}
}
