package hotelbeds

import (
	"bytes"
	"compress/gzip"
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

// Limits of a request that the server enforces (and documents).
const (
	// MaxRequestBody is the largest availability request body the server
	// reads (1 MiB); a larger one is answered 400 INVALID_REQUEST.
	MaxRequestBody = 1 << 20
	// MaxNights is the longest stay one call may ask for.
	MaxNights = 30
)

// server is the simulated Hotelbeds API in front of one sandbox backend.
type server struct {
	b        *sandbox.Backend
	now      func() time.Time
	gw       *gateway
	failed   *failures
	maxBatch int
}

// Handler returns the simulated Hotelbeds API backed by b, serving paths
// relative to the vendor's prefix (POST /hotel-api/1.0/hotels). Its clock
// is time.Now.
func Handler(b *sandbox.Backend) http.Handler { return HandlerWithClock(b, nil) }

// HandlerWithClock is Handler with the clock that signatures are checked
// against, the daily quota's UTC day is reckoned by and the 410 repeat
// window is measured with; nil means time.Now.
func HandlerWithClock(b *sandbox.Backend, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	cfg := b.Config()
	skew := cfg.SignatureSkew
	if skew < time.Second {
		skew = DefaultSignatureSkew
	}
	s := &server{
		b:   b,
		now: now,
		gw: &gateway{
			now: now, apiKey: cfg.Credentials.APIKey, secret: cfg.Credentials.Secret,
			skew: int64(skew / time.Second), quota: cfg.DailyQuota, rps: cfg.RPS,
		},
		failed:   newFailures(MaxRemembered),
		maxBatch: min(max(cfg.MaxBatch, 1), MaxHotels),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+AvailabilityPath, s.availability)
	mux.HandleFunc(AvailabilityPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		s.writeError(w, http.StatusMethodNotAllowed, CodeInvalidRequest, fmt.Sprintf("method %s is not allowed on %s; use POST", r.Method, AvailabilityPath))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, http.StatusNotFound, CodeInvalidRequest, "no resource at this path; the availability endpoint is POST "+AvailabilityPath)
	})
	return mux
}

// requestError is a 4xx answer of the API to a request it refuses.
type requestError struct {
	status int
	code   string
	msg    string
}

func invalidData(format string, args ...any) *requestError {
	return &requestError{http.StatusBadRequest, CodeInvalidData, fmt.Sprintf(format, args...)}
}

func invalidRequest(format string, args ...any) *requestError {
	return &requestError{http.StatusBadRequest, CodeInvalidRequest, fmt.Sprintf(format, args...)}
}

// query is a validated request: the stay (without a currency: the API has
// no currency parameter, each hotel prices in its contract currency) and
// the distinct hotel codes in the order asked.
type query struct {
	stay  hotelrates.Stay
	codes []int64
}

// availability serves POST /hotel-api/1.0/hotels. Order of checks: the
// gateway (key and signature, daily quota, QPS), then the API (a failed
// request repeated, the body, faults, service).
func (s *server) availability(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	var (
		req  availabilityRQ
		rerr *requestError
	)
	if _, ok := errors.AsType[*http.MaxBytesError](readErr); ok {
		rerr = invalidRequest("request body is larger than %d bytes", MaxRequestBody)
	} else if readErr != nil {
		rerr = invalidRequest("request body could not be read")
	} else {
		rerr = decodeRequest(r.Header, body, &req)
	}
	n := 0
	if rerr == nil && req.Hotels != nil {
		n = len(req.Hotels.Hotel)
	}
	s.b.RateCall(n)

	if e, ok := s.gw.authenticate(r.Header); !ok {
		e.write(w, 0)
		return
	}
	current := s.gw.tick()
	if ok, retry := s.gw.reserve(); !ok {
		s.b.Throttled()
		errOverRate.write(w, retry)
		return
	}
	ctx := r.Context()
	release, err := s.b.Admit(ctx)
	if err != nil {
		s.gw.refund()
		if te, ok := errors.AsType[*sandbox.ThrottleError](err); ok {
			if s.gw.rps > 0 {
				w.Header().Set(QPSAllottedHeader, strconv.FormatFloat(s.gw.rps, 'f', -1, 64))
				w.Header().Set(QPSCurrentHeader, strconv.Itoa(current))
			}
			errOverQPS.write(w, te.RetryAfter)
		}
		return
	}
	defer release()

	now := s.now()
	if msg, ok := s.failed.repeated(body, now); ok {
		s.writeError(w, http.StatusGone, CodeInvalidData, "this request failed less than 15 minutes ago and is not processed again: "+msg)
		return
	}
	var q query
	if rerr == nil {
		q, rerr = s.validate(&req)
	}
	if rerr != nil {
		s.failed.remember(body, now, rerr.code+": "+rerr.msg)
		s.writeError(w, rerr.status, rerr.code, rerr.msg)
		return
	}

	key := make([]string, len(q.codes))
	for i, c := range slices.Sorted(slices.Values(q.codes)) {
		key[i] = strconv.FormatInt(c, 10)
	}
	f := s.b.Roll(q.stay.Key() + "|" + strings.Join(key, ","))
	if s.b.Fail(ctx, w, f, sandbox.FaultAnswers{
		Internal: func(w http.ResponseWriter) {
			s.writeError(w, http.StatusInternalServerError, CodeSystemError, "SYSTEM_ERROR-"+token(body, now)[:12]+": an internal error occurred")
		},
		Unavailable: func(w http.ResponseWriter) {
			s.writeError(w, http.StatusServiceUnavailable, CodeSystemError, "the service is temporarily unavailable")
		},
		// Signed requests carry no credential state: the gateway refuses
		// this one request as not authorized.
		Revoked: func(w http.ResponseWriter) { errNotAuthorized.write(w, 0) },
	}) {
		return
	}
	if err := s.b.Serve(ctx, len(q.codes)); err != nil {
		return
	}
	rs := s.answer(q)
	rs.AuditData = s.audit(r, body, now, start)
	out, err := json.Marshal(rs)
	if err != nil { // cannot happen: the answer holds strings and numbers
		s.writeError(w, http.StatusInternalServerError, CodeSystemError, "an internal error occurred")
		return
	}
	w.Header().Set("Vary", "Accept-Encoding")
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write(out)
		zw.Close()
		out = zb.Bytes()
		w.Header().Set("Content-Encoding", "gzip")
	}
	s.b.WriteBody(ctx, w, "application/json;charset=UTF-8", out, f)
}

// decodeRequest checks the request's media types and decodes its body
// strictly: one JSON object, no unknown fields, nothing after it.
func decodeRequest(h http.Header, body []byte, req *availabilityRQ) *requestError {
	if ct := h.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return &requestError{http.StatusUnsupportedMediaType, CodeInvalidRequest, "Content-Type must be application/json (the sandbox speaks JSON only)"}
		}
	}
	if !acceptsJSON(h.Values("Accept")) {
		return &requestError{http.StatusNotAcceptable, CodeInvalidRequest, "Accept must allow application/json"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return invalidRequest("%s", decodeMessage(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalidRequest("request body must hold one JSON object and nothing after it")
	}
	return nil
}

// decodeMessage explains why a body did not decode, naming at most a field.
func decodeMessage(err error) string {
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("request body is not valid JSON at byte %d", e.Offset)
	}
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if e.Field == "" {
			return "request body must be a JSON object"
		}
		return fmt.Sprintf("field %s must be a JSON %s", clip(e.Field, 80), jsonKind(e.Type.Kind().String()))
	}
	switch {
	case errors.Is(err, io.EOF):
		return "request body is empty; expected an AvailabilityRQ JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "request body is not valid JSON: unexpected end of input"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + clip(strings.TrimPrefix(err.Error(), "json: unknown field "), 80)
	}
	return "request body is not a valid AvailabilityRQ"
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64":
		return "integer"
	case "slice":
		return "array"
	case "struct", "ptr":
		return "object"
	case "bool":
		return "boolean"
	}
	return "string"
}

// validate checks a decoded request. Messages name the offending field.
func (s *server) validate(req *availabilityRQ) (query, *requestError) {
	var q query
	if req.Stay == nil {
		return q, invalidData("stay is required")
	}
	in, err := parseDate(req.Stay.CheckIn)
	if err != nil {
		return q, invalidData("stay.checkIn must be a date YYYY-MM-DD")
	}
	out, err := parseDate(req.Stay.CheckOut)
	if err != nil {
		return q, invalidData("stay.checkOut must be a date YYYY-MM-DD")
	}
	switch nights := in.DaysUntil(out); {
	case nights < 1:
		return q, invalidData("stay.checkOut must be after stay.checkIn")
	case nights > MaxNights:
		return q, invalidData("stay: %d nights is over the limit of %d", nights, MaxNights)
	}
	adults, rooms, ages, err := guests(req.Occupancies)
	if err != nil {
		return q, invalidData("%s", err.Error())
	}
	alt := given(req.Destination) || given(req.Geolocation) || given(req.Keywords)
	switch {
	case req.Hotels == nil && alt:
		return q, invalidData("the sandbox answers searches by hotels.hotel only, not by destination, geolocation or keywords")
	case req.Hotels != nil && alt:
		return q, invalidData("give one of hotels, destination, geolocation or keywords")
	case req.Hotels == nil || len(req.Hotels.Hotel) == 0:
		return q, invalidData("hotels.hotel must list at least one hotel code")
	case req.Hotels.Included != nil && !*req.Hotels.Included:
		return q, invalidData("hotels.included false (every hotel but these) is not supported by the sandbox")
	case len(req.Hotels.Hotel) > s.maxBatch:
		return q, invalidRequest("hotels.hotel holds %d hotel codes; the limit is %d per request", len(req.Hotels.Hotel), s.maxBatch)
	}
	seen := make(map[int64]bool, len(req.Hotels.Hotel))
	for i, c := range req.Hotels.Hotel {
		if c < 1 {
			return q, invalidData("hotels.hotel[%d] must be a positive hotel code", i)
		}
		if !seen[c] {
			seen[c] = true
			q.codes = append(q.codes, c)
		}
	}
	q.stay = hotelrates.Stay{CheckIn: in, CheckOut: out, Adults: adults, Rooms: rooms, Children: ages}
	return q, nil
}

// given reports whether an optional field is there and not null.
func given(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

func parseDate(s string) (hotelrates.Date, error) {
	if len(s) != len(hotelrates.DateLayout) {
		return hotelrates.Date{}, errors.New("not a date")
	}
	return hotelrates.ParseDate(s)
}

// acceptsJSON reports whether Accept headers (none: anything) allow JSON.
func acceptsJSON(vals []string) bool {
	if len(vals) == 0 {
		return true
	}
	for _, v := range vals {
		for part := range strings.SplitSeq(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "application/json", "application/*", "*/*", "":
				return true
			}
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip.
func acceptsGzip(v string) bool {
	for part := range strings.SplitSeq(v, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "x-gzip" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// writeError writes the API's JSON error answer.
func (s *server) writeError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(errorRS{
		AuditData: &auditData{Timestamp: s.now().UTC().Format(auditTimeLayout), ServerID: serverID, Environment: environment, Release: release},
		Error:     &apiError{Code: code, Message: strings.ToValidUTF8(msg, "?")},
	})
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
