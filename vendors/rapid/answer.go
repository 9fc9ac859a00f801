package rapid

import (
	"hash/fnv"
	"strconv"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// The sandbox's 200 answer, a JSON array of these, holds the fields of the
// spec's PropertyAvailability that the client reads and a realistic few
// more.
type (
	propertyOut struct {
		PropertyID string    `json:"property_id"`
		Status     string    `json:"status"`
		Score      int       `json:"score"`
		Rooms      []roomOut `json:"rooms"`
		Links      struct {
			AdditionalRates link `json:"additional_rates"`
		} `json:"links"`
	}
	roomOut struct {
		ID       string    `json:"id"`
		RoomName string    `json:"room_name"`
		Rates    []rateOut `json:"rates"`
	}
	rateOut struct {
		ID               string             `json:"id"`
		Status           string             `json:"status"`
		AvailableRooms   int                `json:"available_rooms"`
		Refundable       bool               `json:"refundable"`
		MerchantOfRecord string             `json:"merchant_of_record"`
		Amenities        map[string]amenity `json:"amenities,omitempty"`
		Links            struct {
			PaymentOptions link `json:"payment_options"`
		} `json:"links"`
		BedGroups               map[string]bedGroup   `json:"bed_groups"`
		CancelPenalties         []cancelPenalty       `json:"cancel_penalties,omitempty"`
		NonrefundableDateRanges []dateRange           `json:"nonrefundable_date_ranges,omitempty"`
		OccupancyPricing        map[string]pricingOut `json:"occupancy_pricing"`
	}
	link struct {
		Method string `json:"method"`
		Href   string `json:"href"`
	}
	bedGroup struct {
		ID          string `json:"id"`
		Description string `json:"description"`
		Links       struct {
			PriceCheck link `json:"price_check"`
		} `json:"links"`
	}
	cancelPenalty struct {
		Currency string `json:"currency"`
		Start    string `json:"start"`
		End      string `json:"end"`
		Nights   string `json:"nights,omitempty"`
		Percent  string `json:"percent,omitempty"`
	}
	dateRange struct {
		Start string `json:"start"`
		End   string `json:"end"`
	}
	pricingOut struct {
		Nightly [][]nightCharge `json:"nightly"`
		Totals  totalsOut       `json:"totals"`
	}
	nightCharge struct {
		Type     string `json:"type"`
		Value    string `json:"value"`
		Currency string `json:"currency"`
	}
	totalsOut struct {
		Inclusive charge `json:"inclusive"`
		Exclusive charge `json:"exclusive"`
	}
)

// hotelZones are the time zones cancel penalties are written in, by hotel
// number: the same instants, written with the offsets of real hotels.
var hotelZones = [...]*time.Location{
	time.FixedZone("EST", -5*3600), time.FixedZone("GMT", 0), time.FixedZone("CET", 3600),
	time.FixedZone("EET", 2*3600), time.FixedZone("JST", 9*3600), time.FixedZone("PST", -8*3600),
	time.FixedZone("IST", 5*3600+1800),
}

// answer builds the 200 body from the ground truth: the properties asked
// that have offers, in the order asked; each offer of
// sandbox.Offers(sandbox.Rapid, hotel, stay) (the first rate_plan_count) a
// rate, under a room entry named for its room type (consecutive offers of
// the same room type share one, so the order of offers is the ground
// truth's). Unknown ids, hotels Rapid does not carry and sold-out hotels
// are absent.
func (s *server) answer(req availRequest) []propertyOut {
	keys, counts := distinct(req.occupancies)
	out := make([]propertyOut, 0, len(req.ids))
	for _, code := range req.ids {
		id, ok := sandbox.HotelOf(sandbox.Rapid, code)
		if !ok {
			continue
		}
		offers := sandbox.Offers(sandbox.Rapid, id, req.stay)
		if len(offers) > req.ratePlanCount {
			offers = offers[:req.ratePlanCount]
		}
		if len(offers) == 0 {
			continue
		}
		h := hash(code, req.stay.Key())
		p := propertyOut{PropertyID: code, Status: "available", Score: 1000 + int(h%9000)}
		p.Links.AdditionalRates = link{Method: "GET", Href: "/v3/properties/" + code + "/availability?token=" + token(h)}
		n, _ := sandbox.HotelNumber(id)
		zone := hotelZones[n%len(hotelZones)]
		for i, o := range offers {
			rate := s.rate(code, req.stay, i, o, keys, counts, zone)
			if last := len(p.Rooms) - 1; last >= 0 && p.Rooms[last].RoomName == o.Room {
				p.Rooms[last].Rates = append(p.Rooms[last].Rates, rate)
				continue
			}
			p.Rooms = append(p.Rooms, roomOut{ID: roomID(o.Room), RoomName: o.Room, Rates: []rateOut{rate}})
		}
		out = append(out, p)
	}
	return out
}

// rate is offer i of a property as a Rapid rate.
func (s *server) rate(code string, stay hotelrates.Stay, i int, o hotelrates.Offer, keys []string, counts map[string]int, zone *time.Location) rateOut {
	h := hash(code, stay.Key(), strconv.Itoa(i))
	id := strconv.FormatUint(h%1_000_000_000, 10)
	room := roomID(o.Room)
	r := rateOut{
		ID:               id,
		Status:           "available",
		AvailableRooms:   1 + int(h%12),
		Refundable:       o.Refundable,
		MerchantOfRecord: "expedia",
		OccupancyPricing: pricing(o.Total, keys, counts, stay.Nights()),
	}
	r.Links.PaymentOptions = link{Method: "GET", Href: "/v3/properties/" + code + "/payment-options?token=" + token(h)}
	bed := bedGroup{ID: room + "1", Description: bedsOf(o.Room)}
	bed.Links.PriceCheck = link{Method: "GET", Href: "/v3/properties/" + code + "/rooms/" + room + "/rates/" + id + "?token=" + token(h)}
	r.BedGroups = map[string]bedGroup{bed.ID: bed}
	if a, ok := boardAmenity(o.Board); ok {
		r.Amenities = map[string]amenity{a.ID: a}
	}
	if h%2 == 0 {
		if r.Amenities == nil {
			r.Amenities = map[string]amenity{}
		}
		r.Amenities[wifiAmenity.ID] = wifiAmenity
	}
	checkin := stay.CheckIn.Time()
	if o.Refundable {
		// Free until the deadline; then one night until noon of the
		// check-in day (hotel time); then the whole stay.
		noonIn := time.Date(checkin.Year(), checkin.Month(), checkin.Day(), 12, 0, 0, 0, zone)
		out := stay.CheckOut.Time()
		noonOut := time.Date(out.Year(), out.Month(), out.Day(), 12, 0, 0, 0, zone)
		r.CancelPenalties = []cancelPenalty{
			{Currency: o.Total.Currency, Start: o.CancelDeadline.In(zone).Format(TimeLayout), End: noonIn.Format(TimeLayout), Nights: "1"},
			{Currency: o.Total.Currency, Start: noonIn.Format(TimeLayout), End: noonOut.Format(TimeLayout), Percent: "100%"},
		}
	} else {
		r.NonrefundableDateRanges = []dateRange{{Start: stay.CheckIn.String(), End: stay.CheckOut.AddDays(-1).String()}}
	}
	return r
}

// pricing splits a rate's total over the occupancies asked: each
// occupancy's totals are for all the rooms asked with it (the sandbox's
// convention: its ground truth is a price for the whole stay, which
// identical rooms cannot always share equally), its share in proportion to
// its rooms, the rounding left to the first. Each share is broken down per
// night into base_rate and tax_and_service_fee (1/11 of the share), the
// first night taking what does not divide evenly.
func pricing(total hotelrates.Money, keys []string, counts map[string]int, nights int) map[string]pricingOut {
	rooms := 0
	for _, k := range keys {
		rooms += counts[k]
	}
	shares := make([]int64, len(keys))
	var given int64
	for i, k := range keys {
		shares[i] = total.Minor * int64(counts[k]) / int64(rooms)
		given += shares[i]
	}
	shares[0] += total.Minor - given
	money := func(minor int64) amount {
		return amount{Value: hotelrates.Money{Minor: minor, Currency: total.Currency}.Amount(), Currency: total.Currency}
	}
	both := func(minor int64) charge { return charge{BillableCurrency: money(minor), RequestCurrency: money(minor)} }
	out := make(map[string]pricingOut, len(keys))
	for i, k := range keys {
		tax := shares[i] / 11
		base := shares[i] - tax
		nightly := make([][]nightCharge, nights)
		n := int64(nights)
		for d := range nightly {
			b, t := base/n, tax/n
			if d == 0 {
				b, t = base-b*(n-1), tax-t*(n-1)
			}
			nightly[d] = []nightCharge{
				{Type: "base_rate", Value: money(b).Value, Currency: total.Currency},
				{Type: "tax_and_service_fee", Value: money(t).Value, Currency: total.Currency},
			}
		}
		out[k] = pricingOut{Nightly: nightly, Totals: totalsOut{Inclusive: both(shares[i]), Exclusive: both(base)}}
	}
	return out
}

// roomID is the sandbox's id of a room type.
func roomID(name string) string { return strconv.FormatUint(200000+hash(name)%800000, 10) }

// bedsOf describes the beds of a room type.
func bedsOf(room string) string {
	switch room {
	case "Superior Twin":
		return "2 Twin Beds"
	case "Deluxe King", "Junior Suite", "Executive Suite":
		return "1 King Bed"
	case "Family Room":
		return "1 Queen Bed and 1 Sofa Bed"
	}
	return "1 Double Bed"
}

func token(h uint64) string { return strconv.FormatUint(h, 36) }

func hash(parts ...string) uint64 {
	f := fnv.New64a()
	for _, p := range parts {
		f.Write([]byte(p))
		f.Write([]byte{0})
	}
	return f.Sum64()
}
