package httpapi

import (
	"strconv"

	"hotelrates"
	"hotelrates/internal/jsonw"
)

// AppendJSON appends h as JSON, exactly as encoding/json marshals it
// (TestHotelJSONIsEncodingJSON), without reflection: an answer holds a
// hotel line per hotel and an offer object per offer, thousands a second.
func (h Hotel) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	if h.Type != "" {
		b = append(b, `"type":`...)
		b = jsonw.AppendString(b, h.Type)
		b = append(b, ',')
	}
	b = append(b, `"hotel_id":`...)
	b = jsonw.AppendString(b, h.HotelID)
	b = append(b, `,"complete":`...)
	b = strconv.AppendBool(b, h.Complete)
	b = append(b, `,"offers":`...)
	if h.Offers == nil {
		b = append(b, `null`...)
	} else {
		b = append(b, '[')
		for i := range h.Offers {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendOffer(b, &h.Offers[i])
		}
		b = append(b, ']')
	}
	if len(h.Sources) > 0 {
		b = append(b, `,"sources":[`...)
		for i, s := range h.Sources {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"vendor":`...)
			b = jsonw.AppendString(b, s.Vendor)
			b = append(b, `,"cached":`...)
			b = strconv.AppendBool(b, s.Cached)
			if s.AgeMS != 0 {
				b = append(b, `,"age_ms":`...)
				b = strconv.AppendInt(b, s.AgeMS, 10)
			}
			if s.Shared {
				b = append(b, `,"shared":true`...)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// MarshalJSON implements json.Marshaler with AppendJSON.
func (h Hotel) MarshalJSON() ([]byte, error) { return h.AppendJSON(nil), nil }

func appendOffer(b []byte, o *hotelrates.Offer) []byte {
	b = append(b, `{"vendor":`...)
	b = jsonw.AppendString(b, o.Vendor)
	b = append(b, `,"room":`...)
	b = jsonw.AppendString(b, o.Room)
	b = append(b, `,"board":`...)
	b = jsonw.AppendString(b, o.Board)
	b = append(b, `,"total":`...)
	b = appendMoney(b, o.Total)
	b = append(b, `,"refundable":`...)
	b = strconv.AppendBool(b, o.Refundable)
	if !o.CancelDeadline.IsZero() {
		b = append(b, `,"cancel_deadline":`...)
		if t, err := o.CancelDeadline.MarshalJSON(); err == nil {
			b = append(b, t...)
		} else {
			b = append(b, `null`...)
		}
	}
	if o.Converted {
		b = append(b, `,"converted":true`...)
	}
	if o.Original != (hotelrates.Money{}) {
		b = append(b, `,"original":`...)
		b = appendMoney(b, o.Original)
	}
	return append(b, '}')
}

func appendMoney(b []byte, m hotelrates.Money) []byte {
	j, _ := m.MarshalJSON() // never fails
	return append(b, j...)
}
