package bulk

import (
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// MaxRequestBody is the largest availability request body the server
// reads (1 MiB); a larger one is answered 400 invalid_input.
const MaxRequestBody = 1 << 20

// DefaultSignatureSkew is how far a signature's timestamp may be from the
// server clock when the configuration does not say.
const DefaultSignatureSkew = 300 * time.Second

// Limits of the stay that the server enforces (and documents).
const (
	maxNights = 30
	maxAdults = 9
	maxRooms  = 9
)

// server is the simulated bulk vendor in front of one sandbox backend.
type server struct {
	b        *sandbox.Backend
	now      func() time.Time
	apiKey   string
	secret   string
	skew     time.Duration
	maxBatch int
}

// Handler returns the bulk vendor's HTTP API backed by b, serving paths
// relative to the vendor prefix (POST /v3/availability). Signature
// timestamps are checked against time.Now.
func Handler(b *sandbox.Backend) http.Handler { return HandlerWithClock(b, nil) }

// HandlerWithClock is Handler with the server clock that signature
// timestamps are checked against; nil means time.Now.
func HandlerWithClock(b *sandbox.Backend, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	cfg := b.Config()
	s := &server{
		b:        b,
		now:      now,
		apiKey:   cfg.Credentials.APIKey,
		secret:   cfg.Credentials.Secret,
		skew:     cfg.SignatureSkew,
		maxBatch: cfg.MaxBatch,
	}
	if s.skew <= 0 {
		s.skew = DefaultSignatureSkew
	}
	if s.maxBatch <= 0 {
		s.maxBatch = DefaultMaxBatch
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+AvailabilityPath, s.availability)
	mux.HandleFunc(AvailabilityPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, ErrTypeMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s; use POST", r.Method, AvailabilityPath))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, ErrTypeNotFound, "no resource at this path; the availability endpoint is POST "+AvailabilityPath)
	})
	return mux
}

// writeError writes an error answer in the protocol's format.
func writeError(w http.ResponseWriter, status int, typ, msg string) {
	b, _ := json.Marshal(errorBody{Type: typ, Message: msg})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `EAN realm="bulk"`)
	}
	w.WriteHeader(status)
	w.Write(b)
}

// requestError is a 400 answer to a request that does not decode or
// validate.
type requestError struct {
	typ string
	msg string
}

// availability serves POST /v3/availability.
func (s *server) availability(w http.ResponseWriter, r *http.Request) {
	req, decoded, rerr := s.decode(w, r)
	n := 0
	if decoded {
		n = len(req.PropertyIDs)
	}
	s.b.RateCall(n)
	var stay hotelrates.Stay
	if rerr == nil {
		stay, rerr = s.validate(&req)
	}
	if rerr != nil {
		writeError(w, http.StatusBadRequest, rerr.typ, rerr.msg)
		return
	}
	if msg, ok := s.authenticate(r.Header.Get("Authorization")); !ok {
		writeError(w, http.StatusUnauthorized, ErrTypeUnauthenticated, msg)
		return
	}

	ctx := r.Context()
	release, err := s.b.Admit(ctx)
	if err != nil {
		var te *sandbox.ThrottleError
		if errors.As(err, &te) {
			w.Header().Set("Retry-After", te.RetryAfterSeconds())
			writeError(w, http.StatusTooManyRequests, ErrTypeRateLimitExceeded, "too many requests ("+te.Reason+" limit); retry later")
		}
		return
	}
	defer release()

	ids := hotelrates.UniqueHotelIDs(req.PropertyIDs)
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	f := s.b.Roll(stay.Key() + "|" + strings.Join(sorted, ","))
	if s.b.Fail(ctx, w, f, sandbox.FaultAnswers{
		Internal: func(w http.ResponseWriter) {
			writeError(w, http.StatusInternalServerError, ErrTypeInternal, "an internal error occurred")
		},
		Unavailable: func(w http.ResponseWriter) {
			writeError(w, http.StatusServiceUnavailable, ErrTypeServiceUnavailable, "the service is temporarily unavailable")
		},
		// Signed requests carry no credential state: the API key is
		// "temporarily suspended" for this one request only.
		Revoked: func(w http.ResponseWriter) {
			writeError(w, http.StatusUnauthorized, ErrTypeUnauthenticated, "API key temporarily suspended")
		},
	}) {
		return
	}
	if err := s.b.Serve(ctx, len(ids)); err != nil {
		return
	}
	body, err := json.Marshal(s.answer(ids, stay))
	if err != nil { // cannot happen: the answer holds strings and bools only
		writeError(w, http.StatusInternalServerError, ErrTypeInternal, "an internal error occurred")
		return
	}
	s.b.WriteBody(ctx, w, "application/json", body, f)
}

// answer builds the success body: the properties that have offers, in the
// order asked.
func (s *server) answer(ids []string, stay hotelrates.Stay) availabilityResponse {
	props := make([]property, 0, len(ids))
	for _, id := range ids {
		offers := sandbox.Offers(s.b.Name(), id, stay)
		if len(offers) == 0 {
			continue
		}
		p := property{PropertyID: id, Rooms: make([]room, 0, len(offers))}
		for _, o := range offers {
			rm := room{
				RoomName:   o.Room,
				Board:      o.Board,
				Total:      amount{Value: o.Total.Amount(), Currency: o.Total.Currency},
				Refundable: o.Refundable,
			}
			if !o.CancelDeadline.IsZero() {
				rm.CancelDeadline = o.CancelDeadline.UTC().Format(time.RFC3339)
			}
			p.Rooms = append(p.Rooms, rm)
		}
		props = append(props, p)
	}
	return availabilityResponse{Properties: &props}
}

// decode reads the request body. decoded reports whether the body was a
// well-formed request object (so its property_ids can be counted).
func (s *server) decode(w http.ResponseWriter, r *http.Request) (req availabilityRequest, decoded bool, rerr *requestError) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return req, false, &requestError{ErrTypeInvalidInput, "Content-Type must be application/json"}
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return availabilityRequest{}, false, &requestError{ErrTypeInvalidInput, decodeMessage(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return availabilityRequest{}, false, &requestError{ErrTypeInvalidInput, decodeMessage(err)}
		}
		return availabilityRequest{}, false, &requestError{ErrTypeInvalidInput, "request body must hold one JSON object and nothing after it"}
	}
	return req, true, nil
}

// decodeMessage explains why a request body did not decode, without
// echoing more than a field name of the input.
func decodeMessage(err error) string {
	var (
		mb  *http.MaxBytesError
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mb):
		return fmt.Sprintf("request body is larger than %d bytes", MaxRequestBody)
	case errors.Is(err, io.EOF):
		return "request body is empty; expected a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "request body is not valid JSON: unexpected end of input"
	case errors.As(err, &syn):
		return fmt.Sprintf("request body is not valid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return "request body must be a JSON object"
		}
		return fmt.Sprintf("field %s must be a JSON %s", typ.Field, expectedType(typ.Field))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if len(name) > 80 {
			name = name[:80] + `..."`
		}
		return "unknown field " + name
	}
	return "request body is not a valid availability request"
}

func expectedType(field string) string {
	switch field {
	case "property_ids":
		return "array of strings"
	case "occupancy":
		return "object"
	case "occupancy.adults", "occupancy.rooms":
		return "integer"
	}
	return "string"
}

// validate checks a decoded request and returns its stay. Messages name
// the offending field.
func (s *server) validate(req *availabilityRequest) (hotelrates.Stay, *requestError) {
	bad := func(format string, args ...any) (hotelrates.Stay, *requestError) {
		return hotelrates.Stay{}, &requestError{ErrTypeInvalidInput, fmt.Sprintf(format, args...)}
	}
	switch {
	case len(req.PropertyIDs) == 0:
		return bad("property_ids must name at least one property")
	case len(req.PropertyIDs) > s.maxBatch:
		return hotelrates.Stay{}, &requestError{ErrTypeTooManyHotels, fmt.Sprintf("property_ids holds %d properties; the limit is %d per request", len(req.PropertyIDs), s.maxBatch)}
	}
	for i, id := range req.PropertyIDs {
		if !validID(id) {
			return bad("property_ids[%d] must be 1 to %d printable ASCII characters without spaces", i, hotelrates.MaxHotelIDLen)
		}
	}
	if req.Checkin == "" {
		return bad("checkin is required (YYYY-MM-DD)")
	}
	in, err := hotelrates.ParseDate(req.Checkin)
	if err != nil {
		return bad("checkin must be a date YYYY-MM-DD")
	}
	if req.Checkout == "" {
		return bad("checkout is required (YYYY-MM-DD)")
	}
	out, err := hotelrates.ParseDate(req.Checkout)
	if err != nil {
		return bad("checkout must be a date YYYY-MM-DD")
	}
	switch nights := in.DaysUntil(out); {
	case !in.Before(out):
		return bad("checkout must be after checkin")
	case nights > maxNights:
		return bad("checkout: a stay of %d nights is over the limit of %d", nights, maxNights)
	}
	a, rm := req.Occupancy.Adults, req.Occupancy.Rooms
	switch {
	case a < 1 || a > maxAdults:
		return bad("occupancy.adults must be between 1 and %d", maxAdults)
	case rm < 1 || rm > maxRooms:
		return bad("occupancy.rooms must be between 1 and %d", maxRooms)
	case rm > a:
		return bad("occupancy.rooms (%d) cannot exceed occupancy.adults (%d)", rm, a)
	}
	if c := req.Currency; c != "USD" && c != "EUR" && c != "GBP" {
		return bad("currency must be one of USD, EUR, GBP")
	}
	return hotelrates.Stay{CheckIn: in, CheckOut: out, Adults: a, Rooms: rm, Currency: req.Currency}, nil
}

func validID(id string) bool {
	if id == "" || len(id) > hotelrates.MaxHotelIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// authenticate checks the Authorization header of a signed request. It
// returns the 401 message and false when the request is not authentic.
func (s *server) authenticate(header string) (string, bool) {
	p, ok := parseAuthorization(header)
	if !ok {
		return "missing or malformed Authorization header; expected APIKey=<key>,Signature=<sha512 hex>,timestamp=<unix seconds>", false
	}
	// Compare in constant time, and compute the expected signature with the
	// configured key whatever key was sent.
	keyOK := s.apiKey != "" && subtle.ConstantTimeCompare([]byte(p.apiKey), []byte(s.apiKey)) == 1
	want := sha512.Sum512([]byte(s.apiKey + s.secret + p.timestampText))
	sigOK := subtle.ConstantTimeCompare(p.signature, want[:]) == 1
	switch {
	case !keyOK:
		return "unknown API key", false
	case !sigOK:
		return "signature does not match", false
	}
	now := s.now().Unix()
	if d := now - p.timestamp; d > int64(s.skew/time.Second) || -d > int64(s.skew/time.Second) {
		return fmt.Sprintf("timestamp is more than %d seconds from the server clock", int64(s.skew/time.Second)), false
	}
	return "", true
}

type authParams struct {
	apiKey    string
	signature []byte
	timestamp int64
	// timestampText is the timestamp as sent, which is what was signed.
	timestampText string
}

// parseAuthorization parses "[EAN ]APIKey=k,Signature=hex,timestamp=unix":
// three comma-separated parts in any order, optional spaces after commas,
// part names case-insensitive.
func parseAuthorization(h string) (authParams, bool) {
	var p authParams
	if len(h) > 4 && strings.EqualFold(h[:4], "EAN ") {
		h = h[4:]
	}
	parts := strings.Split(h, ",")
	if len(parts) != 3 {
		return p, false
	}
	var haveKey, haveSig, haveTS bool
	for _, part := range parts {
		name, val, ok := strings.Cut(strings.TrimLeft(part, " "), "=")
		if !ok || val == "" {
			return p, false
		}
		switch strings.ToLower(name) {
		case "apikey":
			if haveKey {
				return p, false
			}
			haveKey, p.apiKey = true, val
		case "signature":
			if haveSig || len(val) != 2*sha512.Size {
				return p, false
			}
			sig, err := hex.DecodeString(val)
			if err != nil {
				return p, false
			}
			haveSig, p.signature = true, sig
		case "timestamp":
			if haveTS || len(val) > 18 || strings.TrimLeft(val, "0123456789") != "" {
				return p, false
			}
			ts, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return p, false
			}
			haveTS, p.timestamp, p.timestampText = true, ts, val
		default:
			return p, false
		}
	}
	return p, haveKey && haveSig && haveTS
}
