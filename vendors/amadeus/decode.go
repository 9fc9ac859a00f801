package amadeus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"hotelrates"
)

// decodeOffers parses and checks a 200 answer to a call for the hotels
// asked and stay (adults per room perRoom). It returns the hotels with
// offers in the order asked. Any error is a *hotelrates.VendorError:
// ErrBadResponse for an answer that is malformed or does not match the
// request, ErrRejected when children were asked and the answer does not
// say it priced them.
func decodeOffers(vendor string, data []byte, asked []string, stay hotelrates.Stay, perRoom int) ([]hotelrates.HotelOffers, error) {
	bad := func(format string, args ...any) error {
		return &hotelrates.VendorError{Vendor: vendor, Kind: hotelrates.ErrBadResponse, Status: http.StatusOK, Err: fmt.Errorf(format, args...)}
	}
	var top struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, bad("decoding answer: %v", jsonMessage(err))
	}
	var list []hotelOffers
	switch d := bytes.TrimSpace(top.Data); {
	case len(d) == 0 || bytes.Equal(d, []byte("null")):
		return nil, bad(`answer has no "data"`)
	case d[0] == '{': // the published schema's single object
		var one hotelOffers
		if err := json.Unmarshal(d, &one); err != nil {
			return nil, bad("decoding data: %v", jsonMessage(err))
		}
		list = []hotelOffers{one}
	default:
		if err := json.Unmarshal(d, &list); err != nil {
			return nil, bad("decoding data: %v", jsonMessage(err))
		}
	}

	byID := make(map[string]*hotelrates.HotelOffers, len(list))
	pending := make(map[string]bool, len(asked))
	for _, id := range asked {
		pending[id] = true
	}
	for i, h := range list {
		id := h.Hotel.HotelID
		if _, dup := byID[id]; dup || !pending[id] {
			if dup {
				return nil, bad("data[%d]: hotel %q is listed twice", i, clip(id, 16))
			}
			return nil, bad("data[%d]: hotel %q was not asked for", i, clip(id, 16))
		}
		ho := &hotelrates.HotelOffers{HotelID: id}
		byID[id] = ho
		if h.Available != nil && !*h.Available {
			continue // closed: no offers
		}
		for j, w := range h.Offers {
			o, err := offerOf(vendor, w, stay, perRoom)
			if err != nil {
				if ve, ok := errors.AsType[*hotelrates.VendorError](err); ok {
					ve.Err = fmt.Errorf("data[%d].offers[%d]: %w", i, j, ve.Err)
					return nil, ve
				}
				return nil, bad("data[%d].offers[%d]: %v", i, j, err)
			}
			ho.Offers = append(ho.Offers, o)
		}
	}
	var out []hotelrates.HotelOffers
	for _, id := range asked {
		if ho := byID[id]; ho != nil && len(ho.Offers) > 0 {
			out = append(out, *ho)
		}
	}
	return out, nil
}

// offerOf maps one wire offer: the room from room.description.text (its
// whitespace collapsed; else the estimated category, else the room type
// code), the board from boardType, the total from price, refundability
// from policies.refundable and the deadline from the earliest
// policies.cancellations deadline.
func offerOf(vendor string, w hotelOffer, stay hotelrates.Stay, perRoom int) (hotelrates.Offer, error) {
	var o hotelrates.Offer
	if w.CheckInDate != "" && w.CheckInDate != stay.CheckIn.String() || w.CheckOutDate != "" && w.CheckOutDate != stay.CheckOut.String() {
		return o, fmt.Errorf("dates %s to %s, asked %s to %s", clip(w.CheckInDate, 12), clip(w.CheckOutDate, 12), stay.CheckIn, stay.CheckOut)
	}
	if w.Guests != nil && w.Guests.Adults != 0 && w.Guests.Adults != perRoom {
		return o, fmt.Errorf("guests.adults %d, asked %d per room", w.Guests.Adults, perRoom)
	}
	if len(stay.Children) > 0 {
		if w.Guests == nil || w.Guests.ChildAges == nil {
			return o, &hotelrates.VendorError{Vendor: vendor, Kind: hotelrates.ErrRejected, Status: http.StatusOK,
				Err: errors.New("the offer does not price the children asked for (no guests.childAges)")}
		}
		if !sameAges(w.Guests.ChildAges, stay.Children) {
			return o, fmt.Errorf("guests.childAges %v, asked %v", clipInts(w.Guests.ChildAges), stay.Children)
		}
	}
	total, err := hotelrates.ParseMoney(w.Price.Total, w.Price.Currency)
	if err != nil {
		return o, fmt.Errorf("price: %v", err)
	}
	if total.Minor < 0 {
		return o, errors.New("price.total is negative")
	}
	o = hotelrates.Offer{Vendor: vendor, Room: roomName(w.Room), Board: boardOf(w.BoardType), Total: total}
	if o.Room == "" {
		return o, errors.New("room has no description, category or type")
	}
	if w.Policies != nil && w.Policies.Refundable != nil && w.Policies.Refundable.CancellationRefund == refundableUpToDeadline {
		o.Refundable = true
		for k, c := range w.Policies.Cancellations {
			if c.Deadline == "" {
				continue
			}
			t, err := time.Parse(DeadlineLayout, c.Deadline)
			if err != nil {
				return o, fmt.Errorf("policies.cancellations[%d].deadline %q is not ISO 8601 with an offset", k, clip(c.Deadline, 40))
			}
			if t = t.UTC(); o.CancelDeadline.IsZero() || t.Before(o.CancelDeadline) {
				o.CancelDeadline = t
			}
		}
	}
	return o, nil
}

func roomName(r room) string {
	if r.Description != nil {
		if s := strings.Join(strings.Fields(r.Description.Text), " "); s != "" {
			return s
		}
	}
	if r.TypeEstimated != nil && strings.TrimSpace(r.TypeEstimated.Category) != "" {
		return strings.TrimSpace(r.TypeEstimated.Category)
	}
	return strings.TrimSpace(r.Type)
}

// sameAges reports whether a and b hold the same ages, in any order.
func sameAges(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func clipInts(a []int) []int {
	if len(a) > 12 {
		return a[:12]
	}
	return a
}

// errorsOf reads the API's error format; ok is false when data is not in
// it.
func errorsOf(data []byte) (errs []apiError, ok bool) {
	var e errorsResponse
	if json.Unmarshal(data, &e) != nil || len(e.Errors) == 0 {
		return nil, false
	}
	return e.Errors, true
}

// noRooms reports whether an error answer says only that no hotel asked
// has rooms (code 3664): the hotels are answered, with no offers.
func noRooms(data []byte) bool {
	errs, ok := errorsOf(data)
	if !ok {
		return false
	}
	for _, e := range errs {
		if e.Code != CodeNoRooms {
			return false
		}
	}
	return true
}

// errorMessage is the first error's "code title: detail" (and how many
// more there are), or "" when data is not in the API's error format. The
// caller redacts, then clips it.
func errorMessage(data []byte) string {
	errs, ok := errorsOf(data)
	if !ok {
		return ""
	}
	e := errs[0]
	var parts []string
	if e.Code != 0 {
		parts = append(parts, fmt.Sprint(int(e.Code)))
	}
	if t := strings.TrimSpace(e.Title); t != "" {
		parts = append(parts, t)
	}
	msg := strings.Join(parts, " ")
	if d := strings.TrimSpace(e.Detail); d != "" {
		msg = strings.TrimPrefix(msg+": "+d, ": ")
	}
	if e.Source != nil && e.Source.Parameter != "" {
		msg += " (parameter " + e.Source.Parameter + ")"
	}
	if len(errs) > 1 {
		msg += fmt.Sprintf(" (and %d more errors)", len(errs)-1)
	}
	return msg
}

// jsonMessage describes a decoding error without echoing the input.
func jsonMessage(err error) string {
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("not valid JSON at byte %d", e.Offset)
	}
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return fmt.Sprintf("field %s has the wrong JSON type (%s)", clip(e.Field, 80), e.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return clip(strings.TrimPrefix(err.Error(), "json: "), 120)
}
