package rapid

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"hotelrates/sandbox"
)

// DefaultSignatureSkew is how far a signature's timestamp may be from the
// server's clock when the sandbox configuration does not say.
const DefaultSignatureSkew = 300 * time.Second

// The messages of the API's own errors (from the spec's examples).
const (
	msgInvalidInput       = "An invalid request was sent in, please check the nested errors for details."
	msgUnauthenticated    = "Data required to authenticate your request is missing or inaccurate. Ensure that your request follows the guidelines in our documentation."
	msgUnauthorized       = "Your request could not be authorized."
	msgTooManyRequests    = "You have reached your capacity for this type of request."
	msgInternal           = "An internal server error has occurred."
	msgServiceUnavailable = "This service is currently unavailable."
)

// server is the sandbox's Rapid in front of one sandbox backend.
type server struct {
	b        *sandbox.Backend
	now      func() time.Time
	apiKey   string
	secret   string
	skew     time.Duration
	maxBatch int
	window   *rateWindow
}

// Handler returns the sandbox's imitation of Rapid's shopping API backed by
// b, serving the API's own paths (GET /v3/properties/availability); the
// sandbox mounts it under "/rapid" with http.StripPrefix. Signature
// timestamps and rate-limit windows follow time.Now.
func Handler(b *sandbox.Backend) http.Handler { return HandlerWithClock(b, nil) }

// HandlerWithClock is Handler with the clock that signature timestamps and
// the rate-limit windows (minute, UTC day) follow; nil means time.Now.
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
		window:   &rateWindow{perMinute: perMinuteBudget(cfg.RPS), perDay: cfg.DailyQuota},
	}
	if s.skew <= 0 {
		s.skew = DefaultSignatureSkew
	}
	if s.maxBatch <= 0 || s.maxBatch > MaxProperties {
		s.maxBatch = MaxProperties
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+AvailabilityPath, s.availability)
	mux.HandleFunc(AvailabilityPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, r, http.StatusMethodNotAllowed, errorBody{Type: ErrTypeMethodNotAllowed,
			Message: fmt.Sprintf("Method %s is not allowed on %s; use GET.", clip(r.Method, 20), AvailabilityPath)})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, http.StatusNotFound, errorBody{Type: ErrTypeNotFound,
			Message: "The requested resource could not be found; the sandbox serves GET " + AvailabilityPath + "."})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderRegion, SandboxRegion)
		mux.ServeHTTP(w, r)
	})
}

// availability serves GET /v3/properties/availability. The order of
// checks: signature (401) → the minute's capacity (429) → parameters and
// the Test header (400) → Test scenarios → capacity and the per-second rate
// (429) → injected fault → service.
func (s *server) availability(w http.ResponseWriter, r *http.Request) {
	q, qerr := url.ParseQuery(r.URL.RawQuery)
	n := 0
	if qerr == nil {
		n = len(q["property_id"])
	}
	s.b.RateCall(n)
	now := s.now()
	if e := s.authenticate(r.Header.Get("Authorization"), now); e != nil {
		w.Header().Set("WWW-Authenticate", `EAN apikey=<API key>,signature=<SHA-512 hex of API key + secret + timestamp>,timestamp=<Unix seconds>`)
		writeError(w, r, http.StatusUnauthorized, *e)
		return
	}
	st := s.window.take(now)
	for k, v := range st.header {
		w.Header()[k] = v
	}
	if !st.admitted {
		s.b.Throttled()
		writeError(w, r, http.StatusTooManyRequests, errorBody{Type: ErrTypeTooManyRequests, Message: msgTooManyRequests})
		return
	}
	req, errs := s.parse(q, qerr, r.Header.Values(HeaderTest))
	if len(errs) > 0 {
		writeError(w, r, http.StatusBadRequest, errorBody{Type: ErrTypeInvalidInput, Message: msgInvalidInput, Errors: errs})
		return
	}
	switch req.test {
	case TestServiceUnavailable:
		writeError(w, r, http.StatusServiceUnavailable, errorBody{Type: ErrTypeServiceUnavailable, Message: msgServiceUnavailable})
		return
	case TestUnknownInternalError:
		writeError(w, r, http.StatusInternalServerError, errorBody{Type: ErrTypeInternal, Message: msgInternal})
		return
	case TestForbidden:
		writeError(w, r, http.StatusForbidden, errorBody{Type: ErrTypeUnauthorized, Message: msgUnauthorized})
		return
	case TestNoAvailability:
		s.writeAnswer(r.Context(), w, r, []byte("[]"), sandbox.FaultNone)
		return
	}

	ctx := r.Context()
	release, err := s.b.Admit(ctx)
	if err != nil {
		if te, ok := errors.AsType[*sandbox.ThrottleError](err); ok {
			w.Header().Set("Retry-After", te.RetryAfterSeconds())
			writeError(w, r, http.StatusTooManyRequests, errorBody{Type: ErrTypeTooManyRequests, Message: msgTooManyRequests})
		}
		return
	}
	defer release()

	sorted := slices.Clone(req.ids)
	slices.Sort(sorted)
	f := s.b.Roll(req.stay.Key() + "|" + strings.Join(sorted, ","))
	if s.b.Fail(ctx, w, f, sandbox.FaultAnswers{
		Internal: func(w http.ResponseWriter) {
			writeError(w, r, http.StatusInternalServerError, errorBody{Type: ErrTypeInternal, Message: msgInternal})
		},
		Unavailable: func(w http.ResponseWriter) {
			writeError(w, r, http.StatusServiceUnavailable, errorBody{Type: ErrTypeServiceUnavailable, Message: msgServiceUnavailable})
		},
		// Signed requests carry no credential state: the key is
		// suspended for this one request only.
		Revoked: func(w http.ResponseWriter) {
			writeError(w, r, http.StatusUnauthorized, errorBody{Type: ErrTypeUnauthenticated, Message: msgUnauthenticated,
				Fields: []errorField{{Name: "servertimestamp", Type: "server", Value: fieldValue(strconv.FormatInt(now.Unix(), 10))}},
				Errors: []errorDetail{{Type: "apikey.suspended", Message: "The API key is temporarily suspended."}}})
		},
	}) {
		return
	}
	if err := s.b.Serve(ctx, len(req.ids)); err != nil {
		return
	}
	body, err := json.Marshal(s.answer(req))
	if err != nil { // cannot happen: the answer holds strings, numbers and bools
		writeError(w, r, http.StatusInternalServerError, errorBody{Type: ErrTypeInternal, Message: msgInternal})
		return
	}
	s.writeAnswer(ctx, w, r, body, f)
}

// writeAnswer writes a 200 body, gzipped when the client accepts it, with a
// body fault (malformed, truncated, slow) if f is one. A malformed body is
// broken before it is compressed, so it is a valid gzip stream of bad JSON;
// a truncated one is cut in its compressed form.
func (s *server) writeAnswer(ctx context.Context, w http.ResponseWriter, r *http.Request, body []byte, f sandbox.Fault) {
	if acceptsGzip(r.Header) {
		if f == sandbox.FaultMalformed {
			body = append(body[:len(body)/2:len(body)/2], "\x00#garbage<{"...)
			f = sandbox.FaultNone
		}
		body = gzipped(body)
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Vary", "Accept-Encoding")
	}
	s.b.WriteBody(ctx, w, "application/json", body, f)
}

// writeError writes an error answer in Rapid's format, gzipped when the
// client accepts it.
func writeError(w http.ResponseWriter, r *http.Request, status int, e errorBody) {
	b, _ := json.Marshal(e)
	h := w.Header()
	if acceptsGzip(r.Header) {
		b = gzipped(b)
		h.Set("Content-Encoding", "gzip")
		h.Set("Vary", "Accept-Encoding")
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// acceptsGzip reports whether Accept-Encoding allows gzip (or "*") with a
// non-zero q.
func acceptsGzip(h http.Header) bool {
	for _, v := range h.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			token, params, _ := strings.Cut(part, ";")
			token = strings.ToLower(strings.TrimSpace(token))
			if token != "gzip" && token != "*" {
				continue
			}
			qv, hasQ := strings.CutPrefix(strings.ReplaceAll(strings.ToLower(params), " ", ""), "q=")
			if f, err := strconv.ParseFloat(qv, 64); hasQ && err == nil && f <= 0 {
				continue
			}
			return true
		}
	}
	return false
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // the level is valid
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// authenticate checks a request's Authorization header at now. It returns
// the 401 answer when the request is not authentic: the API's message, the
// fields the API names (apikey, signature and timestamp as sent, and the
// server's clock) and, as the sandbox's own help, a nested error saying
// what is wrong.
func (s *server) authenticate(header string, now time.Time) *errorBody {
	p, ok := parseAuthorization(header)
	// Compare in constant time, and compute the expected signature with the
	// configured key whatever key was sent.
	keyOK := s.apiKey != "" && subtle.ConstantTimeCompare([]byte(p.apiKey), []byte(s.apiKey)) == 1
	want := sha512.Sum512([]byte(s.apiKey + s.secret + p.timestampText))
	sigOK := subtle.ConstantTimeCompare(p.signature, want[:]) == 1
	skew := int64(s.skew / time.Second)
	var typ, msg string
	switch d := now.Unix() - p.timestamp; {
	case header == "":
		typ, msg = "authorization.missing", "The Authorization header is missing."
	case !ok:
		typ, msg = "authorization.invalid_format", "The Authorization header must be EAN apikey=<key>,signature=<SHA-512 hex>,timestamp=<Unix seconds>."
	case !keyOK:
		typ, msg = "apikey.unknown", "The API key is not known."
	case !sigOK:
		typ, msg = "signature.mismatch", "The signature does not match the API key, the secret and the timestamp."
	case d > skew || -d > skew:
		typ, msg = "timestamp.out_of_range", fmt.Sprintf("The timestamp is more than %d seconds from the server's clock.", skew)
	default:
		return nil
	}
	e := &errorBody{Type: ErrTypeUnauthenticated, Message: msgUnauthenticated, Errors: []errorDetail{{Type: typ, Message: msg}}}
	for _, f := range []errorField{
		{Name: "apikey", Type: "header", Value: fieldValue(p.apiKey)},
		{Name: "signature", Type: "header", Value: fieldValue(p.sentSignature)},
		{Name: "timestamp", Type: "header", Value: fieldValue(p.timestampText)},
	} {
		if f.Value != "" {
			f.Value = fieldValue(clip(string(f.Value), 160))
			e.Fields = append(e.Fields, f)
		}
	}
	e.Fields = append(e.Fields, errorField{Name: "servertimestamp", Type: "server", Value: fieldValue(strconv.FormatInt(now.Unix(), 10))})
	return e
}
