package hotelbeds

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// The auditData the sandbox writes.
const (
	auditTimeLayout = "2006-01-02 15:04:05.000"
	serverID        = "sandbox.hotelbeds"
	environment     = "[sandbox]"
	release         = "sandbox"
)

// hotelZone is the zone cancellation policies are written in: the API
// gives them in the hotel's local time with its offset.
var hotelZone = time.FixedZone("CET", 3600)

// roomCodes are the Hotelbeds room codes of the sandbox's room types.
var roomCodes = map[string]string{
	"Standard Double": "DBL.ST", "Superior Twin": "TWN.SU", "Deluxe King": "DBL.DX-KG",
	"Family Room": "FAM.ST", "Junior Suite": "JSU.ST", "Executive Suite": "SUI.EX",
}

var boardNames = map[string]string{
	"RO": "ROOM ONLY", "BB": "BED AND BREAKFAST", "HB": "HALF BOARD", "FB": "FULL BOARD", "AI": "ALL INCLUSIVE",
}

var destinations = [...]struct{ code, name string }{
	{"PMI", "Majorca"}, {"BCN", "Barcelona"}, {"MAD", "Madrid"}, {"LON", "London"},
	{"PAR", "Paris"}, {"ROM", "Rome"}, {"BER", "Berlin"}, {"NYC", "New York"},
}

// answer builds the AvailabilityRS of q: the hotels with offers, in the
// order asked, each from sandbox.Offers for the stay asked, priced in the
// hotel's contract currency (the ground truth's Hotelbeds offers do not
// depend on the currency a search asks for, and the API has none). Each offer is one rate that covers the whole
// stay: "rooms", "adults" and "children" are the stay's totals. Offers of
// the same room in a row share one rooms[] entry, so the rates read in
// order are the ground truth's offers in order.
func (s *server) answer(q query) availabilityRS {
	hotels := make([]hotelRS, 0, len(q.codes))
	for _, code := range q.codes {
		id, ok := sandbox.HotelOf(sandbox.Hotelbeds, strconv.FormatInt(code, 10))
		if !ok {
			continue
		}
		stay := q.stay
		stay.Currency = sandbox.ContractCurrency(id)
		offers := sandbox.Offers(sandbox.Hotelbeds, id, stay)
		if len(offers) == 0 {
			continue
		}
		hotels = append(hotels, s.hotel(code, stay, offers))
	}
	rs := &hotelsRS{Total: len(hotels)}
	if len(hotels) > 0 {
		rs.CheckIn, rs.CheckOut, rs.Hotels = q.stay.CheckIn.String(), q.stay.CheckOut.String(), hotels
	}
	return availabilityRS{Hotels: rs}
}

// hotel is one hotel of the answer.
func (s *server) hotel(code int64, stay hotelrates.Stay, offers []hotelrates.Offer) hotelRS {
	dest := destinations[code%int64(len(destinations))]
	stars := 3 + code%3
	h := hotelRS{
		Code: code, Name: "Sandbox Hotel " + strconv.FormatInt(code, 10),
		CategoryCode: strconv.FormatInt(stars, 10) + "EST", CategoryName: strconv.FormatInt(stars, 10) + " STARS",
		DestinationCode: dest.code, DestinationName: dest.name,
		Currency: offers[0].Total.Currency,
	}
	lo, hi := offers[0].Total, offers[0].Total
	ages := make([]string, len(stay.Children))
	for i, a := range stay.Children {
		ages[i] = strconv.Itoa(a)
	}
	for i, o := range offers {
		lo.Minor, hi.Minor = min(lo.Minor, o.Total.Minor), max(hi.Minor, o.Total.Minor)
		if i == 0 || o.Room != offers[i-1].Room {
			rc := roomCodes[o.Room]
			if rc == "" {
				rc = "ROO.ST"
			}
			h.Rooms = append(h.Rooms, roomRS{Code: rc, Name: o.Room})
		}
		r := &h.Rooms[len(h.Rooms)-1]
		r.Rates = append(r.Rates, s.rate(code, r.Code, stay, ages, o))
	}
	h.MinRate, h.MaxRate = decimal(lo.Amount()), decimal(hi.Amount())
	return h
}

// rate is one offer as a rate. A refundable offer is a NOR rate whose one
// cancellation policy charges the full price from its deadline; a
// non-refundable one is NRF, charged in full from now.
func (s *server) rate(code int64, roomCode string, stay hotelrates.Stay, ages []string, o hotelrates.Offer) rateRS {
	net := decimal(o.Total.Amount())
	occ := strconv.Itoa(stay.Rooms) + "~" + strconv.Itoa(stay.Adults) + "~" + strconv.Itoa(len(stay.Children))
	class, from := RateClassNonRefundable, s.now().Truncate(time.Minute)
	if o.Refundable {
		class, from = RateClassRefundable, o.CancelDeadline
	}
	sum := sha256.Sum256([]byte(stay.Key() + "|" + strconv.FormatInt(code, 10) + "|" + roomCode + "|" + o.Board))
	key := strings.Join([]string{
		compactDate(stay.CheckIn), compactDate(stay.CheckOut), "W", "1", strconv.FormatInt(code, 10), roomCode,
		"SANDBOX-" + o.Total.Currency, o.Board, class, occ, strings.Join(ages, "~"), "N@" + hex.EncodeToString(sum[:6]),
	}, "|")
	return rateRS{
		RateKey:              key,
		RateClass:            class,
		RateType:             RateTypeBookable,
		Net:                  net,
		Allotment:            1 + int(binary.BigEndian.Uint16(sum[6:8])%9),
		PaymentType:          PaymentAtWeb,
		BoardCode:            o.Board,
		BoardName:            boardNames[o.Board],
		CancellationPolicies: []cancelPolicy{{Amount: net, From: from.In(hotelZone).Format(time.RFC3339)}},
		Rooms:                stay.Rooms,
		Adults:               stay.Adults,
		Children:             len(stay.Children),
		ChildrenAges:         strings.Join(ages, ","),
	}
}

func compactDate(d hotelrates.Date) string { return strings.ReplaceAll(d.String(), "-", "") }

// audit is the auditData of an answer.
func (s *server) audit(r *http.Request, body []byte, now, start time.Time) *auditData {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = ""
	}
	return &auditData{
		ProcessTime: strconv.FormatInt(time.Since(start).Milliseconds(), 10),
		Timestamp:   now.UTC().Format(auditTimeLayout),
		RequestHost: host,
		ServerID:    serverID,
		Environment: environment,
		Release:     release,
		Token:       token(body, now),
	}
}

// token identifies one answer, as the API's auditData.token does.
func token(body []byte, now time.Time) string {
	sum := sha256.Sum256(append(binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano())), body...))
	return strings.ToUpper(hex.EncodeToString(sum[:16]))
}
