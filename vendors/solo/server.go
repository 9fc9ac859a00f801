package solo

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// Handler returns the simulated solo vendor's HTTP API over b. It serves
// paths relative to the vendor's prefix (TokenPath, AvailabilityPath); the
// sandbox mounts it under "/solo/" with http.StripPrefix.
func Handler(b *sandbox.Backend) http.Handler { return HandlerWithClock(b, time.Now) }

// HandlerWithClock is Handler with the clock that decides token expiry, so
// tests can move time forward. A nil now means time.Now.
func HandlerWithClock(b *sandbox.Backend, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	cfg := b.Config()
	s := &server{
		b:            b,
		now:          now,
		ttl:          cfg.TokenTTL,
		clientID:     cfg.Credentials.ClientID,
		clientSecret: cfg.Credentials.ClientSecret,
		maxTokens:    MaxTokens,
		tokens:       map[string]*tokenState{},
	}
	if s.ttl < time.Second {
		s.ttl = time.Second
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokenPath, s.token)
	mux.HandleFunc("POST "+AvailabilityPath, s.availability)
	mux.HandleFunc(TokenPath, methodNotAllowed)
	mux.HandleFunc(AvailabilityPath, methodNotAllowed)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, CodeNotFound, "no such endpoint")
	})
	return mux
}

// server is one solo vendor: its token store and the backend that models
// its capacity, latency and faults.
type server struct {
	b                      *sandbox.Backend
	now                    func() time.Time
	ttl                    time.Duration
	clientID, clientSecret string
	maxTokens              int // MaxTokens; smaller in tests

	mu     sync.Mutex
	tokens map[string]*tokenState
	order  []string // tokens in issue order (= expiry order), for purging
	head   int      // order[:head] are purged
}

type tokenState struct {
	expires time.Time
	revoked bool
}

// issue creates, stores and returns a new token, first purging expired
// tokens (and the oldest ones past MaxTokens) so the store stays bounded.
func (s *server) issue() (string, time.Duration) {
	var raw [20]byte
	rand.Read(raw[:]) // never fails (crypto/rand panics instead)
	tok := hex.EncodeToString(raw[:])
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purgeLocked(now, s.maxTokens-1)
	s.tokens[tok] = &tokenState{expires: now.Add(s.ttl)}
	s.order = append(s.order, tok)
	return tok, s.ttl
}

// purgeLocked drops tokens from the front of the issue order while they
// are expired (or already gone) or more than keep tokens are stored.
func (s *server) purgeLocked(now time.Time, keep int) {
	for s.head < len(s.order) {
		tok := s.order[s.head]
		st, ok := s.tokens[tok]
		if ok && now.Before(st.expires) && len(s.tokens) <= keep {
			break
		}
		delete(s.tokens, tok)
		s.order[s.head] = ""
		s.head++
	}
	if s.head > 64 && s.head*2 > len(s.order) {
		n := copy(s.order, s.order[s.head:])
		clear(s.order[n:])
		s.order = s.order[:n]
		s.head = 0
	}
}

// check reports whether tok is a live token, and if not, why.
func (s *server) check(tok string) (reason string, ok bool) {
	if tok == "" {
		return "a bearer token is required", false
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st, found := s.tokens[tok]
	switch {
	case !found:
		return "the token is not valid", false
	case st.revoked:
		return "the token was revoked", false
	case !now.Before(st.expires):
		return "the token expired", false // purged when the next token is issued
	}
	return "", true
}

// revoke marks tok revoked; it stays stored until it expires.
func (s *server) revoke(tok string) {
	s.mu.Lock()
	if st, ok := s.tokens[tok]; ok {
		st.revoked = true
	}
	s.mu.Unlock()
}

// token serves POST /oauth/token: the OAuth2 client credentials grant
// (RFC 6749 4.4), client authentication by HTTP Basic or form parameters
// (2.3.1), errors as in 5.2.
func (s *server) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBody)
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/x-www-form-urlencoded" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		msg := "the body is not a valid form"
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			msg = fmt.Sprintf("the body is larger than %d bytes", MaxRequestBody)
		}
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", msg)
		return
	}
	form := r.PostForm
	for k, v := range form {
		if len(v) > 1 {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("parameter %q is repeated", clip(k, 40)))
			return
		}
	}
	switch grant := form.Get("grant_type"); grant {
	case "client_credentials":
	case "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}

	var ids, secrets []string // candidate credentials: raw and form-decoded
	if r.Header.Get("Authorization") != "" {
		id, secret, ok := r.BasicAuth()
		if !ok {
			writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication must use HTTP Basic or form parameters")
			return
		}
		if form.Has("client_secret") {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "more than one client authentication method")
			return
		}
		// RFC 6749 2.3.1: id and secret are form-encoded before Basic;
		// accept clients that do not encode too.
		ids, secrets = []string{id}, []string{secret}
		if u, err := url.QueryUnescape(id); err == nil && u != id {
			ids = append(ids, u)
		}
		if u, err := url.QueryUnescape(secret); err == nil && u != secret {
			secrets = append(secrets, u)
		}
		if form.Has("client_id") && !slices.Contains(ids, form.Get("client_id")) {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "client_id does not match the Authorization header")
			return
		}
	} else {
		if !form.Has("client_id") {
			writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication is required")
			return
		}
		ids, secrets = []string{form.Get("client_id")}, []string{form.Get("client_secret")}
	}
	if !s.authenticClient(ids, secrets) {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}

	tok, ttl := s.issue()
	s.b.AuthGrant()
	body, _ := json.Marshal(tokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(ttl / time.Second)})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// authenticClient reports whether one of the candidate ids and one of the
// candidate secrets are the configured client's. An empty configured id
// matches nothing.
func (s *server) authenticClient(ids, secrets []string) bool {
	if s.clientID == "" {
		return false
	}
	idOK, secretOK := 0, 0
	for _, id := range ids {
		idOK |= subtle.ConstantTimeCompare([]byte(id), []byte(s.clientID))
	}
	for _, sec := range secrets {
		secretOK |= subtle.ConstantTimeCompare([]byte(sec), []byte(s.clientSecret))
	}
	return idOK&secretOK == 1
}

// availability serves POST /v1/availability.
func (s *server) availability(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBody)
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			s.b.RateCall(0)
			writeError(w, http.StatusBadRequest, CodeInvalidRequest, "Content-Type must be application/json")
			return
		}
	}
	req, err := decodeAvailability(r.Body)
	n := 0
	if err == nil && req.HotelID != "" {
		n = 1
	}
	s.b.RateCall(n)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the body is larger than %d bytes", MaxRequestBody))
			return
		}
		writeError(w, http.StatusBadRequest, CodeInvalidRequest, err.Error())
		return
	}
	stay, err := req.validate()
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalidRequest, err.Error())
		return
	}
	tok := bearerToken(r)
	if reason, ok := s.check(tok); !ok {
		writeInvalidToken(w, reason)
		return
	}

	ctx := r.Context()
	release, err := s.b.Admit(ctx)
	if err != nil {
		if te, ok := errors.AsType[*sandbox.ThrottleError](err); ok {
			w.Header().Set("Retry-After", te.RetryAfterSeconds())
			writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests, retry later")
		}
		return
	}
	defer release()

	f := s.b.Roll(stay.Key() + "|" + req.HotelID)
	if s.b.Fail(ctx, w, f, sandbox.FaultAnswers{
		Internal: func(w http.ResponseWriter) {
			writeError(w, http.StatusInternalServerError, CodeInternal, "internal error")
		},
		Unavailable: func(w http.ResponseWriter) {
			writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "service temporarily unavailable")
		},
		Revoked: func(w http.ResponseWriter) {
			s.revoke(tok)
			writeInvalidToken(w, "the token was revoked")
		},
	}) {
		return
	}
	if err := s.b.Serve(ctx, 1); err != nil {
		return
	}
	if !sandbox.Carries(sandbox.Solo, req.HotelID) {
		writeError(w, http.StatusNotFound, CodeHotelNotFound, "the hotel is not carried")
		return
	}
	offers := sandbox.Offers(sandbox.Solo, req.HotelID, stay)
	list := make([]wireOffer, 0, len(offers)) // sold out: "offers":[]
	for _, o := range offers {
		wo := wireOffer{Room: o.Room, Board: o.Board, Price: o.Total.Amount(), Refundable: o.Refundable}
		if o.Refundable && !o.CancelDeadline.IsZero() {
			wo.CancelBefore = o.CancelDeadline.UTC().Format(TimeLayout)
		}
		list = append(list, wo)
	}
	body, err := json.Marshal(availabilityResponse{HotelID: req.HotelID, Currency: stay.Currency, Offers: &list})
	if err != nil { // cannot happen: the types marshal
		writeError(w, http.StatusInternalServerError, CodeInternal, "internal error")
		return
	}
	s.b.WriteBody(ctx, w, "application/json", body, f)
}

// decodeAvailability decodes the request body strictly: one JSON object,
// no unknown fields, nothing after it.
func decodeAvailability(body io.Reader) (availabilityRequest, error) {
	var req availabilityRequest
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return req, err
		}
		return req, errors.New("the body must hold one JSON object and nothing after it")
	}
	return req, nil
}

// jsonError turns a decoding error into a message for the client, naming
// the field where there is one.
func jsonError(err error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return err
	}
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if e.Field == "" {
			return errors.New("the body must be a JSON object")
		}
		want := "a string"
		if e.Type != nil && e.Type.Kind() == reflect.Int {
			want = "an integer"
		}
		return fmt.Errorf("%s must be %s", clip(e.Field, 80), want)
	}
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Errorf("the body is not valid JSON (at byte %d)", e.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the body is empty or cut short")
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return errors.New(clip(msg, 120))
}

// validate checks the request and returns the stay it asks for, or an
// error whose message names the offending field.
func (req availabilityRequest) validate() (hotelrates.Stay, error) {
	var stay hotelrates.Stay
	if req.HotelID == "" {
		return stay, errors.New("hotel_id is required")
	}
	if len(req.HotelID) > MaxHotelIDLen {
		return stay, fmt.Errorf("hotel_id is longer than %d bytes", MaxHotelIDLen)
	}
	for _, c := range []byte(req.HotelID) {
		if c <= ' ' || c >= 0x7f {
			return stay, errors.New("hotel_id must be printable ASCII without spaces")
		}
	}
	in, err := parseDate("checkin", req.CheckIn)
	if err != nil {
		return stay, err
	}
	out, err := parseDate("checkout", req.CheckOut)
	if err != nil {
		return stay, err
	}
	switch nights := in.DaysUntil(out); {
	case nights < 1:
		return stay, fmt.Errorf("checkout %s must be after checkin %s", out, in)
	case nights > MaxNights:
		return stay, fmt.Errorf("checkout: a stay of %d nights is over the limit of %d", nights, MaxNights)
	}
	if req.Adults < 1 || req.Adults > MaxAdults {
		return stay, fmt.Errorf("adults must be between 1 and %d", MaxAdults)
	}
	if req.Rooms < 1 || req.Rooms > MaxRooms {
		return stay, fmt.Errorf("rooms must be between 1 and %d", MaxRooms)
	}
	switch req.Currency {
	case "USD", "EUR", "GBP":
	case "":
		return stay, errors.New("currency is required (USD, EUR or GBP)")
	default:
		return stay, fmt.Errorf("currency %q is not supported (use USD, EUR or GBP)", clip(req.Currency, 16))
	}
	return hotelrates.Stay{CheckIn: in, CheckOut: out, Adults: req.Adults, Rooms: req.Rooms, Currency: req.Currency}, nil
}

func parseDate(field, s string) (hotelrates.Date, error) {
	if s == "" {
		return hotelrates.Date{}, fmt.Errorf("%s is required (YYYY-MM-DD)", field)
	}
	d, err := hotelrates.ParseDate(s)
	if err != nil || len(s) != len(hotelrates.DateLayout) {
		return hotelrates.Date{}, fmt.Errorf("%s %q is not a date YYYY-MM-DD", field, clip(s, 32))
	}
	return d, nil
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header (scheme case-insensitive), or "".
func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	writeError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use POST")
}

func writeInvalidToken(w http.ResponseWriter, reason string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeError(w, http.StatusUnauthorized, CodeInvalidToken, reason)
}

// writeError writes the vendor's error format {"error":{"code","message"}}.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	body, _ := json.Marshal(errorResponse{Error: errorDetail{Code: code, Message: strings.ToValidUTF8(msg, "?")}})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// writeOAuthError writes an RFC 6749 5.2 error; a 401 names the Basic
// scheme in WWW-Authenticate.
func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	body, _ := json.Marshal(oauthError{Error: code, ErrorDescription: strings.ToValidUTF8(desc, "?")})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="solo"`)
	}
	w.WriteHeader(status)
	w.Write(body)
}

// clip shortens s to at most n bytes for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
