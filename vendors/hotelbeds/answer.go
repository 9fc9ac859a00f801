package hotelbeds

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"hotelrates"
)

// decodeAnswer parses a 200 AvailabilityRS for the hotels asked (ids, and
// their codes in the same order) and stay. Every hotel listed must have
// been asked, once. Each rate that covers the stay's rooms is one offer:
//
//	Room            rooms[].name (its code when it has no name)
//	Board           rates[].boardCode
//	Total           rates[].net in hotels[].currency, the contract currency
//	Refundable      rateClass NOR; NRF and unknown classes are not refundable
//	CancelDeadline  the earliest cancellationPolicies[].from, in UTC, when refundable
//
// A rate whose "rooms" is not the stay's (the API prices each occupancy of
// a mixed stay separately) is left out: it is not the price of the stay.
// rateType and paymentType do not change an offer, whatever their value.
// "hotels" without "hotels" inside (total 0) means nothing is available.
// The result lists the hotels with offers in the order asked.
func decodeAnswer(vendor string, data []byte, ids []string, codes []int64, stay hotelrates.Stay) ([]hotelrates.HotelOffers, error) {
	bad := func(format string, args ...any) error {
		return &hotelrates.VendorError{Vendor: vendor, Kind: hotelrates.ErrBadResponse, Status: http.StatusOK, Err: fmt.Errorf(format, args...)}
	}
	var a availabilityRS
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, bad("decoding answer: %v", jsonProblem(err))
	}
	if a.Hotels == nil {
		if a.Error != nil {
			return nil, bad("a 200 answer holds error %q and no hotels", clip(a.Error.Code, 40))
		}
		return nil, bad(`answer has no "hotels"`)
	}
	asked := make(map[int64]int, len(codes))
	for i, c := range codes {
		asked[c] = i
	}
	found := make([][]hotelrates.Offer, len(codes))
	seen := make([]bool, len(codes))
	for i, h := range a.Hotels.Hotels {
		k, ok := asked[h.Code]
		switch {
		case !ok:
			return nil, bad("hotels[%d]: hotel %d was not asked for", i, h.Code)
		case seen[k]:
			return nil, bad("hotels[%d]: hotel %d is listed twice", i, h.Code)
		}
		seen[k] = true
		offers, err := hotelOffers(vendor, h, stay)
		if err != nil {
			return nil, bad("hotels[%d] (code %d): %v", i, h.Code, err)
		}
		found[k] = offers
	}
	out := make([]hotelrates.HotelOffers, 0, len(a.Hotels.Hotels))
	for k, offers := range found {
		if len(offers) > 0 {
			out = append(out, hotelrates.HotelOffers{HotelID: ids[k], Offers: offers})
		}
	}
	return out, nil
}

// hotelOffers maps one hotel's rooms and rates to offers, in order.
func hotelOffers(vendor string, h hotelRS, stay hotelrates.Stay) ([]hotelrates.Offer, error) {
	var offers []hotelrates.Offer
	for i, r := range h.Rooms {
		name := r.Name
		if name == "" {
			name = r.Code
		}
		for j, rate := range r.Rates {
			f := fmt.Sprintf("rooms[%d].rates[%d]", i, j)
			if rate.Rooms != 0 && rate.Rooms != stay.Rooms {
				continue
			}
			if name == "" || rate.BoardCode == "" {
				return nil, fmt.Errorf("%s has no room name or board code", f)
			}
			total, err := hotelrates.ParseMoney(string(rate.Net), h.Currency)
			if err != nil {
				return nil, fmt.Errorf("%s.net: %v", f, err)
			}
			if total.Minor < 0 {
				return nil, fmt.Errorf("%s.net is negative", f)
			}
			o := hotelrates.Offer{Vendor: vendor, Room: name, Board: rate.BoardCode, Total: total, Refundable: rate.RateClass == RateClassRefundable}
			if o.Refundable {
				for k, p := range rate.CancellationPolicies {
					t, err := time.Parse(time.RFC3339, p.From)
					if err != nil {
						return nil, fmt.Errorf("%s.cancellationPolicies[%d].from %q is not an RFC 3339 time", f, k, clip(p.From, 40))
					}
					if o.CancelDeadline.IsZero() || t.Before(o.CancelDeadline) {
						o.CancelDeadline = t.UTC()
					}
				}
			}
			offers = append(offers, o)
		}
	}
	return offers, nil
}

// jsonProblem says why an answer does not decode without echoing it.
func jsonProblem(err error) error {
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Errorf("not valid JSON at byte %d", e.Offset)
	}
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return fmt.Errorf("field %s has the wrong type (JSON %s)", clip(e.Field, 80), e.Value)
	}
	return errors.New(clip(err.Error(), 120))
}
