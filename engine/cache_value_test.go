package engine

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"hotelrates"
)

func TestCachedOffersRoundTrip(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	deadline := time.Date(2030, 3, 27, 18, 0, 0, 123456789, time.UTC)
	usd := func(minor int64) hotelrates.Money { return hotelrates.Money{Minor: minor, Currency: "USD"} }
	tests := []struct {
		name    string
		offers  []hotelrates.Offer
		encoded bool // kept encoded, not as Offer values
	}{
		{"none", nil, true},
		{"one", []hotelrates.Offer{{Room: "Deluxe King", Board: "RO", Total: usd(69559)}}, true},
		{"every field", []hotelrates.Offer{{Room: "Suite", Board: "HB", Total: hotelrates.Money{Minor: 9020, Currency: "EUR"}, Refundable: true, CancelDeadline: deadline, Converted: true, Original: usd(10000)}}, true},
		{"negative, empty strings, unicode", []hotelrates.Offer{{Room: "", Board: "", Total: usd(-5)}, {Room: "Chambre à deux lits — vue mer 🌊", Board: "BB", Total: usd(1 << 62)}}, true},
		{"deadline before 1970", []hotelrates.Offer{{Room: "R", Board: "B", Refundable: true, CancelDeadline: time.Date(1960, 1, 1, 0, 0, 0, 1, time.UTC)}}, true},
		{"original without converted", []hotelrates.Offer{{Room: "R", Board: "B", Original: hotelrates.Money{Minor: 1}}}, true},
		{"deadline in another zone: kept as given", []hotelrates.Offer{{Room: "R", Board: "B", Refundable: true, CancelDeadline: time.Date(2030, 3, 27, 18, 0, 0, 0, berlin)}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCached(tt.offers, time.Now())
			if got := c.enc != "" || len(tt.offers) == 0; got != tt.encoded {
				t.Errorf("encoded = %v, want %v", got, tt.encoded)
			}
			if c.empty() != (len(tt.offers) == 0) {
				t.Errorf("empty() = %v with %d offers", c.empty(), len(tt.offers))
			}
			want := make([]hotelrates.Offer, len(tt.offers))
			for i, o := range tt.offers {
				o.Vendor = "solo"
				want[i] = o
			}
			prefix := []hotelrates.Offer{{Vendor: "bulk", Room: "kept"}}
			got := c.appendOffers(prefix[:1:1], "solo")
			if want := append(prefix[:1:1], want...); !reflect.DeepEqual(got, want) {
				t.Errorf("appendOffers = %+v, want %+v", got, want)
			}
		})
	}
}

func TestCachedOffersAreNotTheCallersSlice(t *testing.T) {
	for _, zone := range []*time.Location{time.UTC, time.FixedZone("X", -7200)} {
		offers := []hotelrates.Offer{{Room: "R", Board: "B", Refundable: true, CancelDeadline: time.Date(2030, 1, 1, 0, 0, 0, 0, zone)}}
		c := newCached(offers, time.Now())
		offers[0].Room = "changed"
		if got := c.appendOffers(nil, "v"); got[0].Room != "R" {
			t.Errorf("zone %v: the cache kept the caller's slice: room %q", zone, got[0].Room)
		}
	}
}

// TestOfferFieldsAreAllEncoded fails when hotelrates.Offer gains or loses
// a field: encodeOffers copies them one by one, and one it does not know
// would be lost on every cache hit. Teach the encoding the new field, then
// update the count.
func TestOfferFieldsAreAllEncoded(t *testing.T) {
	if n := reflect.TypeFor[hotelrates.Offer]().NumField(); n != 8 {
		t.Errorf("hotelrates.Offer has %d fields; encodeOffers and decodeOffers (engine/cache.go) carry 8", n)
	}
}

// FuzzCachedOffersRoundTrip encodes up to seven offers, each with its own
// flags, deadline (sometimes outside UTC: kept as given) and original
// price, and decodes them.
func FuzzCachedOffersRoundTrip(f *testing.F) {
	f.Add("Deluxe King", "RO", int64(69559), "USD", int64(1900000000), int64(5), int64(-1), "EUR", []byte{0, 1, 2, 3, 15, 16})
	f.Add("", "", int64(0), "", int64(0), int64(0), int64(0), "", []byte{})
	f.Add("Suite", "BB", int64(-1<<63), "\xff", int64(-1<<40), int64(999999999), int64(1<<62), "", []byte{4, 6, 32 | 4})
	f.Fuzz(func(t *testing.T, room, board string, minor int64, cur string, sec, nsec, origMinor int64, origCur string, shapes []byte) {
		if len(shapes) > 7 {
			shapes = shapes[:7]
		}
		offers := make([]hotelrates.Offer, len(shapes))
		for i, sh := range shapes {
			o := hotelrates.Offer{Vendor: "v", Room: room + strconv.Itoa(i), Board: board, Total: hotelrates.Money{Minor: minor + int64(i), Currency: cur},
				Refundable: sh&1 != 0, Converted: sh&2 != 0}
			if sh&4 != 0 {
				zone := time.UTC
				if sh&32 != 0 {
					zone = time.FixedZone("X", 3600*int(sh%5))
				}
				o.CancelDeadline = time.Unix(sec%(1<<40), nsec%1e9).In(zone)
			}
			if sh&8 != 0 {
				o.Original = hotelrates.Money{Minor: origMinor, Currency: origCur}
			}
			if sh&16 != 0 {
				o.Room = ""
			}
			offers[i] = o
		}
		got := newCached(offers, time.Time{}).appendOffers(nil, "v")
		if len(offers) == 0 {
			offers = nil
		}
		if !reflect.DeepEqual(got, offers) {
			t.Fatalf("round trip = %+v, want %+v", got, offers)
		}
	})
}

// BenchmarkRemember is filling the rate cache with one single-hotel
// answer of three offers, a new hotel each time (the cache full after the
// first 100,000).
func BenchmarkRemember(b *testing.B) {
	cache := newCache(VendorConfig{CacheTTL: 5 * time.Minute, CacheEmptyTTL: time.Minute, CacheSize: 100000})
	offers := []hotelrates.HotelOffers{{HotelID: "H1", Offers: []hotelrates.Offer{
		{Vendor: "solo", Room: "Deluxe King", Board: "RO", Total: hotelrates.Money{Minor: 69559, Currency: "USD"}},
		{Vendor: "solo", Room: "Family Room", Board: "AI", Total: hotelrates.Money{Minor: 105849, Currency: "USD"}, Refundable: true, CancelDeadline: time.Date(2030, 1, 1, 18, 0, 0, 0, time.UTC)},
		{Vendor: "solo", Room: "Deluxe King", Board: "BB", Total: hotelrates.Money{Minor: 74455, Currency: "USD"}},
	}}}
	ids := make([]string, 1<<18)
	for i := range ids {
		ids[i] = "H" + strconv.Itoa(i)
	}
	now := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := i % len(ids)
		remember(cache, "2030-01-03|2030-01-05|2|1|USD", ids[k:k+1], offers, now)
		i++
	}
}
