package amadeus

import (
	"encoding/json"
	"errors"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// Handler returns the simulated Amadeus API over b: the token endpoint
// (TokenPath) and Hotel Search v3 (OffersPath), at the real API's paths;
// the sandbox mounts it under "/amadeus" with http.StripPrefix.
func Handler(b *sandbox.Backend) http.Handler { return HandlerWithClock(b, time.Now) }

// HandlerWithClock is Handler with the clock that decides token expiry and
// the default check-in date (today, UTC), so tests can move time. A nil
// now means time.Now.
func HandlerWithClock(b *sandbox.Backend, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	cfg := b.Config()
	ttl := max(cfg.TokenTTL, time.Second)
	maxBatch := cfg.MaxBatch
	if maxBatch <= 0 || maxBatch > MaxHotelIDs {
		maxBatch = MaxHotelIDs
	}
	s := &server{
		b:            b,
		now:          now,
		tokens:       newTokenStore(now, ttl),
		clientID:     cfg.Credentials.ClientID,
		clientSecret: cfg.Credentials.ClientSecret,
		maxBatch:     maxBatch,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokenPath, s.token)
	mux.HandleFunc("GET "+OffersPath, s.offers)
	mux.HandleFunc(TokenPath, methodNotAllowed(http.MethodPost))
	mux.HandleFunc(OffersPath, methodNotAllowed(http.MethodGet))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, CodeResourceNotFound, "", "The targeted resource doesn't exist")
	})
	return mux
}

// server is one simulated Amadeus: its tokens and the backend that models
// its capacity, latency and faults.
type server struct {
	b                      *sandbox.Backend
	now                    func() time.Time
	tokens                 *tokenStore
	clientID, clientSecret string
	maxBatch               int
}

// offers serves GET /v3/shopping/hotel-offers. Order of checks: token
// (401), query (400), rate and capacity (429), fault, service time, answer.
func (s *server) offers(w http.ResponseWriter, r *http.Request) {
	req, n, rerr := parseQuery(r.URL.RawQuery, hotelrates.DateOf(s.now().UTC()), s.maxBatch)
	s.b.RateCall(n)
	tok, ok := bearerToken(r)
	if !ok {
		writeUnauthorized(w, CodeInvalidHeader, "Missing or invalid format for mandatory Authorization header")
		return
	}
	if !s.tokens.valid(tok) {
		writeUnauthorized(w, CodeInvalidToken, "The access token provided in the Authorization header is invalid")
		return
	}
	if rerr != nil {
		writeError(w, http.StatusBadRequest, rerr.code, rerr.param, rerr.detail)
		return
	}

	ctx := r.Context()
	release, err := s.b.Admit(ctx)
	if err != nil {
		if _, ok := errors.AsType[*sandbox.ThrottleError](err); ok {
			writeThrottled(w)
		}
		return
	}
	defer release()

	sorted := slices.Clone(req.ids)
	slices.Sort(sorted)
	f := s.b.Roll(req.stay.Key() + "|" + strings.Join(sorted, ","))
	if s.b.Fail(ctx, w, f, sandbox.FaultAnswers{
		Internal: func(w http.ResponseWriter) {
			writeError(w, http.StatusInternalServerError, CodeSystemError, "", "An internal error occurred, please try again later")
		},
		Unavailable: func(w http.ResponseWriter) {
			writeError(w, http.StatusServiceUnavailable, CodeInternalError, "", "The service is temporarily unavailable, please try again later")
		},
		Revoked: func(w http.ResponseWriter) {
			s.tokens.revoke(tok)
			writeUnauthorized(w, CodeInvalidToken, "The access token provided in the Authorization header is invalid")
		},
	}) {
		return
	}
	if err := s.b.Serve(ctx, len(req.ids)); err != nil {
		return
	}
	data := answer(req)
	if len(data) == 0 {
		// The real API's answer when no hotel asked has a room; sent
		// intact whatever the body fault.
		writeError(w, http.StatusBadRequest, CodeNoRooms, paramHotelIDs, "No rooms are available at the requested properties for the requested stay")
		return
	}
	body, err := json.Marshal(offersResponse{Data: data})
	if err != nil { // cannot happen: the types marshal
		writeError(w, http.StatusInternalServerError, CodeSystemError, "", "An internal error occurred, please try again later")
		return
	}
	s.b.WriteBody(ctx, w, ContentType, body, f)
}

// answer builds the data list: the hotels asked that the sandbox carries
// and that have offers for the stay and filters, in the order asked;
// sold-out hotels too (available false) when the request includes closed
// ones. Unknown codes are left out.
func answer(req offersRequest) []hotelOffers {
	data := make([]hotelOffers, 0, len(req.ids))
	for _, id := range req.ids {
		our, ok := sandbox.HotelOf(sandbox.Amadeus, id)
		if !ok {
			continue
		}
		cc, c := cityOf(id)
		stay := req.stay
		if stay.Currency == "" {
			stay.Currency = c.currency
		}
		offers := filter(sandbox.Offers(sandbox.Amadeus, our, stay), req)
		h := hotelOffers{
			Type:  "hotel-offers",
			Hotel: hotel{Type: "hotel", HotelID: id, ChainCode: "HR", Name: "Sandbox Hotel " + our, CityCode: cc},
		}
		available := len(offers) > 0
		if !available && !req.includeClosed {
			continue
		}
		h.Available = &available
		zone := time.FixedZone("", int(c.offset/time.Second))
		for i, o := range offers {
			h.Offers = append(h.Offers, wireOffer(id, i, o, req, stay, zone))
		}
		data = append(data, h)
	}
	return data
}

// filter applies boardType, paymentPolicy and bestRateOnly.
func filter(offers []hotelrates.Offer, req offersRequest) []hotelrates.Offer {
	out := offers[:0:0]
	for _, o := range offers {
		switch {
		case req.boardType != "" && boardTypes[o.Board] != req.boardType:
		case req.paymentPolicy == "GUARANTEE" && !o.Refundable:
		case req.paymentPolicy == "DEPOSIT" && o.Refundable:
		default:
			out = append(out, o)
		}
	}
	if req.bestRateOnly && len(out) > 1 {
		best := out[0]
		for _, o := range out[1:] {
			if o.Total.Minor < best.Total.Minor {
				best = o
			}
		}
		out = []hotelrates.Offer{best}
	}
	return out
}

// wireOffer describes the ground-truth offer o, the i-th of hotel id: the
// room name in room.description.text, the board as boardType, the total
// as price.total, refundability in policies.refundable and the deadline,
// in the hotel's UTC offset, in policies.cancellations.
func wireOffer(id string, i int, o hotelrates.Offer, req offersRequest, stay hotelrates.Stay, zone *time.Location) hotelOffer {
	rt, known := roomTypes[o.Room]
	if !known {
		rt = roomType{code: "ROH"}
	}
	w := hotelOffer{
		Type:         "hotel-offer",
		ID:           offerID(stay, id, i),
		CheckInDate:  stay.CheckIn.String(),
		CheckOutDate: stay.CheckOut.String(),
		RoomQuantity: strconv.Itoa(stay.Rooms),
		RateCode:     "BAR",
		Room:         room{Type: rt.code, Description: &freeText{Text: o.Room, Lang: "EN"}},
		BoardType:    boardTypes[o.Board],
		Guests:       &guests{Adults: req.adultsPerRoom, ChildAges: stay.Children},
		Price:        price{Currency: o.Total.Currency, Base: o.Total.Amount(), Total: o.Total.Amount()},
	}
	if known {
		w.Room.TypeEstimated = &typeEstimated{Category: rt.category, Beds: rt.beds, BedType: rt.bedType}
	}
	if o.Refundable {
		c := cancellation{Type: "FULL_STAY"}
		if !o.CancelDeadline.IsZero() {
			c.Deadline = o.CancelDeadline.In(zone).Format(DeadlineLayout)
		}
		w.Policies = &policies{PaymentType: "GUARANTEE", Cancellations: []cancellation{c}, Refundable: &refundable{refundableUpToDeadline}}
	} else {
		w.RateCode = "PRO"
		w.Policies = &policies{
			PaymentType:   "DEPOSIT",
			Cancellations: []cancellation{{Type: "FULL_STAY", Description: &freeText{Text: "NON-REFUNDABLE RATE"}}},
			Refundable:    &refundable{nonRefundable},
		}
	}
	return w
}

// offerID is a deterministic offer id: upper-case letters and digits.
func offerID(stay hotelrates.Stay, hotelID string, i int) string {
	h := fnv.New64a()
	h.Write([]byte(stay.Key()))
	h.Write([]byte{'|'})
	h.Write([]byte(hotelID))
	h.Write([]byte{'|', byte(i)})
	return strings.ToUpper(strconv.FormatUint(h.Sum64(), 36))
}

// bearerToken returns the token of "Authorization: Bearer <token>" (the
// scheme in any case), and false when the header is missing or another
// scheme.
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, 0, "", "Use "+allow+" on this resource")
	}
}
