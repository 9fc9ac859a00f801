package session

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// Stay limits the server enforces.
const (
	maxNights = 30
	maxAdults = 9
	maxRooms  = 9
)

// Handler returns the session vendor's HTTP API on b, with paths relative
// to the vendor prefix (/login, /availability, /logout). Session idle time
// is measured with the wall clock.
func Handler(b *sandbox.Backend) http.Handler { return HandlerWithClock(b, nil) }

// HandlerWithClock is Handler with the clock that session expiry is
// measured with; nil means time.Now. Tests use it to age sessions.
func HandlerWithClock(b *sandbox.Backend, now func() time.Time) http.Handler {
	return newServer(b, now).routes()
}

// server is the simulated vendor: the backend plus the account's sessions.
type server struct {
	b           *sandbox.Backend
	now         func() time.Time
	user        string
	password    string
	maxBatch    int
	maxSessions int
	idle        time.Duration

	mu       sync.Mutex
	seq      uint64           // creation order of sessions
	sessions map[string]*sess // open sessions by id; at most maxSessions
}

// sess is one login session.
type sess struct {
	seq     uint64    // creation order: the lowest is evicted first
	busy    bool      // a request is in service on it
	lastEnd time.Time // when its last request ended (login time at first)
}

func newServer(b *sandbox.Backend, now func() time.Time) *server {
	if now == nil {
		now = time.Now
	}
	cfg := b.Config()
	s := &server{
		b:           b,
		now:         now,
		user:        cfg.Credentials.User,
		password:    cfg.Credentials.Password,
		maxBatch:    cfg.MaxBatch,
		maxSessions: cfg.Concurrency,
		idle:        cfg.SessionIdle,
		sessions:    map[string]*sess{},
	}
	if s.maxBatch <= 0 {
		s.maxBatch = DefaultMaxBatch
	}
	if s.maxSessions <= 0 {
		s.maxSessions = DefaultMaxSessions
	}
	if s.idle <= 0 {
		s.idle = 120 * time.Second
	}
	return s
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /availability", s.availability)
	mux.HandleFunc("POST /logout", s.logout)
	for _, p := range []string{"/login", "/availability", "/logout"} {
		mux.HandleFunc(p, methodNotAllowed)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeFault(w, http.StatusNotFound, CodeNotFound, "no such endpoint; use POST /login, /availability or /logout")
	})
	return mux
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	writeFault(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method "+r.Method+" is not allowed; use POST")
}

// writeFault writes an error answer in the protocol's Fault format.
func writeFault(w http.ResponseWriter, status int, code, msg string) {
	body := marshal(faultXML{Code: code, Message: msg})
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// writeXML writes a successful answer.
func writeXML(w http.ResponseWriter, v any) {
	body := marshal(v)
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// readBody reads a request body of at most MaxRequestBody bytes. On failure
// it has answered 400 and returns false.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeFault(w, http.StatusBadRequest, CodeInvalidRequest, fmt.Sprintf("request body is over %d bytes", MaxRequestBody))
		} else {
			writeFault(w, http.StatusBadRequest, CodeInvalidRequest, "request body could not be read")
		}
		return nil, false
	}
	return body, true
}

// xmlProblem describes why a request body did not decode, without quoting
// its content (it may hold a password).
func xmlProblem(root string, err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("request body is not well-formed XML (line %d); expected a <%s> document", se.Line, root)
	}
	return fmt.Sprintf("request body is not a <%s> document", root)
}

// newSessionID returns 128 random bits in hex.
func newSessionID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// expiredLocked reports whether se has been idle for the idle timeout.
// A session in service never expires.
func (s *server) expiredLocked(se *sess, now time.Time) bool {
	return !se.busy && now.Sub(se.lastEnd) >= s.idle
}

// lookupLocked returns the open session id, dropping it if it expired.
func (s *server) lookupLocked(id string, now time.Time) *sess {
	se, ok := s.sessions[id]
	if !ok {
		return nil
	}
	if s.expiredLocked(se, now) {
		delete(s.sessions, id)
		return nil
	}
	return se
}

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var rq loginRQ
	if err := unmarshal(body, &rq); err != nil {
		writeFault(w, http.StatusBadRequest, CodeInvalidRequest, xmlProblem("LoginRQ", err))
		return
	}
	userOK := subtle.ConstantTimeCompare([]byte(rq.User), []byte(s.user)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(rq.Password), []byte(s.password)) == 1
	if !userOK || !passOK || s.user == "" || s.password == "" {
		writeFault(w, http.StatusUnauthorized, CodeAuthFailed, "user or password is wrong")
		return
	}

	id := newSessionID()
	now := s.now()
	s.mu.Lock()
	for k, se := range s.sessions {
		if s.expiredLocked(se, now) {
			delete(s.sessions, k)
		}
	}
	for len(s.sessions) >= s.maxSessions {
		oldest := ""
		for k, se := range s.sessions {
			if oldest == "" || se.seq < s.sessions[oldest].seq {
				oldest = k
			}
		}
		delete(s.sessions, oldest)
	}
	s.seq++
	s.sessions[id] = &sess{seq: s.seq, lastEnd: now}
	s.mu.Unlock()

	s.b.AuthGrant()
	writeXML(w, loginRS{SessionID: id, IdleTimeout: int(s.idle / time.Second)})
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var rq logoutRQ
	if err := unmarshal(body, &rq); err != nil {
		writeFault(w, http.StatusBadRequest, CodeInvalidRequest, xmlProblem("LogoutRQ", err))
		return
	}
	s.mu.Lock()
	se := s.lookupLocked(rq.SessionID, s.now())
	if se != nil {
		delete(s.sessions, rq.SessionID)
	}
	s.mu.Unlock()
	if se == nil {
		writeFault(w, http.StatusUnauthorized, CodeInvalidSession, "the session is unknown, expired or ended")
		return
	}
	writeXML(w, logoutRS{})
}

// acquire takes the session id for one request. It answers 401 or 409 and
// returns nil when the request may not use it.
func (s *server) acquire(w http.ResponseWriter, id string) *sess {
	s.mu.Lock()
	se := s.lookupLocked(id, s.now())
	busy := se != nil && se.busy
	if se != nil && !busy {
		se.busy = true
	}
	s.mu.Unlock()
	switch {
	case id == "":
		writeFault(w, http.StatusUnauthorized, CodeInvalidSession, "SessionID is required; log in first")
		return nil
	case se == nil:
		writeFault(w, http.StatusUnauthorized, CodeInvalidSession, "the session is unknown, expired or ended; log in again")
		return nil
	case busy:
		writeFault(w, http.StatusConflict, CodeSessionBusy, "the session is serving another request; a session serves one request at a time")
		return nil
	}
	return se
}

// release ends a request on se: its idle time starts now.
func (s *server) release(se *sess) {
	s.mu.Lock()
	se.busy = false
	se.lastEnd = s.now()
	s.mu.Unlock()
}

// revoke ends the session id, if se is still it.
func (s *server) revoke(id string, se *sess) {
	s.mu.Lock()
	if s.sessions[id] == se {
		delete(s.sessions, id)
	}
	s.mu.Unlock()
}

// query is a validated availability request.
type query struct {
	stay   hotelrates.Stay
	hotels []string // as asked, duplicates included
}

// validate checks an availability request and returns the fault code and
// message of the first problem, naming the attribute at fault.
func (s *server) validate(rq *availRQ) (query, string, string) {
	var q query
	if len(rq.Hotels) > s.maxBatch {
		return q, CodeTooManyHotels, fmt.Sprintf("%d hotels is over the limit of %d per request", len(rq.Hotels), s.maxBatch)
	}
	if len(rq.Hotels) == 0 {
		return q, CodeInvalidRequest, "Hotel: at least one <Hotel id=\"...\"/> is required"
	}
	for i, h := range rq.Hotels {
		if msg := checkHotelID(h.ID); msg != "" {
			return q, CodeInvalidRequest, fmt.Sprintf("Hotel[%d]/@id %s", i+1, msg)
		}
		q.hotels = append(q.hotels, h.ID)
	}
	if len(rq.Stays) != 1 {
		return q, CodeInvalidRequest, "Stay: exactly one <Stay/> element is required"
	}
	st := rq.Stays[0]
	in, err := hotelrates.ParseDate(st.CheckIn)
	if err != nil {
		return q, CodeInvalidRequest, "Stay/@CheckIn must be a date YYYY-MM-DD"
	}
	out, err := hotelrates.ParseDate(st.CheckOut)
	if err != nil {
		return q, CodeInvalidRequest, "Stay/@CheckOut must be a date YYYY-MM-DD"
	}
	if !in.Before(out) {
		return q, CodeInvalidRequest, "Stay/@CheckOut must be after Stay/@CheckIn"
	}
	if in.DaysUntil(out) > maxNights {
		return q, CodeInvalidRequest, fmt.Sprintf("Stay/@CheckOut: a stay of %d nights is over the limit of %d", in.DaysUntil(out), maxNights)
	}
	adults, ok := smallInt(st.Adults)
	if !ok || adults < 1 || adults > maxAdults {
		return q, CodeInvalidRequest, fmt.Sprintf("Stay/@Adults must be a whole number from 1 to %d", maxAdults)
	}
	rooms, ok := smallInt(st.Rooms)
	if !ok || rooms < 1 || rooms > maxRooms {
		return q, CodeInvalidRequest, fmt.Sprintf("Stay/@Rooms must be a whole number from 1 to %d", maxRooms)
	}
	switch st.Currency {
	case "USD", "EUR", "GBP":
	default:
		return q, CodeInvalidRequest, "Stay/@Currency must be one of USD, EUR, GBP"
	}
	q.stay = hotelrates.Stay{CheckIn: in, CheckOut: out, Adults: adults, Rooms: rooms, Currency: st.Currency}
	return q, "", ""
}

// smallInt parses 1 to 3 decimal digits.
func smallInt(s string) (int, bool) {
	if len(s) == 0 || len(s) > 3 {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// checkHotelID returns what is wrong with a hotel id, or "".
func checkHotelID(id string) string {
	if id == "" {
		return "is missing or empty"
	}
	if len(id) > hotelrates.MaxHotelIDLen {
		return fmt.Sprintf("is longer than %d bytes", hotelrates.MaxHotelIDLen)
	}
	for _, c := range []byte(id) {
		if c <= ' ' || c >= 0x7f {
			return "must be printable ASCII without spaces"
		}
	}
	return ""
}

func (s *server) availability(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		s.b.RateCall(0)
		return
	}
	var rq availRQ
	if err := unmarshal(body, &rq); err != nil {
		s.b.RateCall(0)
		writeFault(w, http.StatusBadRequest, CodeInvalidRequest, xmlProblem("AvailRQ", err))
		return
	}
	s.b.RateCall(len(rq.Hotels))
	q, code, msg := s.validate(&rq)
	if code != "" {
		writeFault(w, http.StatusBadRequest, code, msg)
		return
	}

	se := s.acquire(w, rq.SessionID)
	if se == nil {
		return
	}
	defer s.release(se)

	ctx := r.Context()
	release, err := s.b.Admit(ctx)
	if err != nil {
		var te *sandbox.ThrottleError
		if errors.As(err, &te) {
			w.Header().Set("Retry-After", te.RetryAfterSeconds())
			writeFault(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests in service or waiting; retry later")
		}
		return
	}
	defer release()

	n := len(q.hotels)
	f := s.b.Roll(q.stay.Key() + "|" + strings.Join(q.hotels, ","))
	if s.b.Fail(ctx, w, f, sandbox.FaultAnswers{
		Internal: func(w http.ResponseWriter) {
			writeFault(w, http.StatusInternalServerError, CodeInternalError, "internal error")
		},
		Unavailable: func(w http.ResponseWriter) {
			writeFault(w, http.StatusServiceUnavailable, CodeServiceUnavailable, "service temporarily unavailable; retry later")
		},
		Revoked: func(w http.ResponseWriter) {
			s.revoke(rq.SessionID, se)
			writeFault(w, http.StatusUnauthorized, CodeInvalidSession, "the session is unknown, expired or ended; log in again")
		},
	}) {
		return
	}
	if s.b.Serve(ctx, n) != nil {
		return
	}
	s.b.WriteBody(ctx, w, ContentType, answer(s.b.Name(), q), f)
}

// answer builds the AvailRS body: every distinct hotel asked, once, in the
// order asked.
func answer(vendor string, q query) []byte {
	rs := availRS{Hotels: make([]hotelXML, 0, len(q.hotels))}
	seen := make(map[string]bool, len(q.hotels))
	for _, id := range q.hotels {
		if seen[id] {
			continue
		}
		seen[id] = true
		h := hotelXML{ID: id}
		switch offers := sandbox.Offers(vendor, id, q.stay); {
		case !sandbox.Carries(vendor, id):
			h.Status = StatusUnknown
		case len(offers) == 0:
			h.Status = StatusSoldOut
		default:
			h.Status = StatusAvailable
			for _, o := range offers {
				ox := offerXML{
					Room:       o.Room,
					Board:      o.Board,
					Total:      o.Total.Amount(),
					Currency:   o.Total.Currency,
					Refundable: strconv.FormatBool(o.Refundable),
				}
				if o.Refundable && !o.CancelDeadline.IsZero() {
					ox.CancelDeadline = o.CancelDeadline.UTC().Format(time.RFC3339)
				}
				h.Offers = append(h.Offers, ox)
			}
		}
		rs.Hotels = append(rs.Hotels, h)
	}
	return marshal(rs)
}
