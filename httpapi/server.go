// Package httpapi is hotelrates' HTTP API: POST /v1/search (JSON, or an
// NDJSON stream of hotels as they complete), GET /v1/vendors, /healthz,
// /readyz and /metrics. Errors are JSON {"error": {"code", "message",
// "field"}} with a 4xx for bad input, never a 500.
package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hotelrates"
)

// Deps are what the API serves from.
type Deps struct {
	// Engine runs the searches and lists the vendors (package engine's
	// Engine, or any other hotelrates.Searcher).
	Engine hotelrates.Searcher
	// Logger logs requests and failures (nil: slog.Default()).
	Logger *slog.Logger
	// Gatherer serves /metrics (nil: /metrics answers 404).
	Gatherer prometheus.Gatherer
	// Ready reports whether the service can take searches (nil: always).
	Ready func() error
	// MaxBodyBytes bounds a request body (default 1 MiB).
	MaxBodyBytes int64
	// Extra, if set, is merged into GET /v1/vendors answers under "extra"
	// (for example sandbox URLs).
	Extra map[string]any
	// APIKeys, when not empty, are the keys a client must send as
	// "Authorization: Bearer KEY" on every route but /healthz and /readyz;
	// others get 401 unauthenticated. Keys are compared in constant time
	// and never logged. Empty: the API is open.
	APIKeys []string
	// Now tells the date, for refusing stays whose check-in is past (nil:
	// time.Now).
	Now func() time.Time
	// DefaultTimeout and MaxTimeout are the Engine's search timeouts (see
	// engine.Options): a stream's writes must be done by the search's
	// deadline they give, and a grace (streamGrace), so that a client that
	// stops reading ends its stream and frees its search's slot then. With
	// DefaultTimeout zero, MaxTimeout bounds a search that names no
	// timeout; with MaxTimeout zero too, 30 s (the engine's default
	// maximum).
	DefaultTimeout time.Duration
	MaxTimeout     time.Duration
}

// NewServer returns the API's handler. All routes are in routes().
func NewServer(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 1 << 20
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &server{Deps: d, keys: newKeyring(d.APIKeys)}
	s.APIKeys = nil // only the digests are kept
	mux := http.NewServeMux()
	s.routes(mux)
	return s.recoverer(s.logRequests(s.authenticate(mux)))
}

type server struct {
	Deps
	keys keyring
}

// routes is the one place every route is declared.
func (s *server) routes(mux *http.ServeMux) {
	mux.Handle("/v1/search", methods{http.MethodPost: s.handleSearch})
	mux.Handle("/v1/vendors", methods{http.MethodGet: s.handleVendors})
	mux.Handle("/healthz", methods{http.MethodGet: s.handleHealth})
	mux.Handle("/readyz", methods{http.MethodGet: s.handleReady})
	if s.Gatherer != nil {
		mux.Handle("/metrics", methods{http.MethodGet: promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{}).ServeHTTP})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, hotelrates.Errorf(hotelrates.CodeNotFound, "", "no route for %s %s", r.Method, r.URL.Path))
	})
}

// methods routes by method and answers others with a JSON 405 and Allow.
type methods map[string]http.HandlerFunc

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := m[r.Method]; ok {
		h(w, r)
		return
	}
	if h, ok := m[http.MethodGet]; ok && r.Method == http.MethodHead {
		h(w, r)
		return
	}
	allow := make([]string, 0, len(m))
	for k := range m {
		allow = append(allow, k)
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, hotelrates.Errorf(hotelrates.CodeMethodNotAllowed, "", "%s is not allowed here; use %s", r.Method, strings.Join(allow, ", ")))
}

const ndjson = "application/x-ndjson"

func (s *server) handleSearch(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			writeError(w, hotelrates.Errorf(hotelrates.CodeUnsupportedMedia, "", "Content-Type must be application/json, not %q", clip(ct, maxEcho)))
			return
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
			writeError(w, hotelrates.Errorf(hotelrates.CodeUnsupportedMedia, "", "the body must be UTF-8 JSON, not charset %q", clip(cs, maxEcho)))
			return
		}
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		writeError(w, hotelrates.Errorf(hotelrates.CodeUnsupportedMedia, "", "Content-Encoding %q is not supported; send the JSON body unencoded", clip(ce, maxEcho)))
		return
	}
	search, err := DecodeSearch(r.Body, s.MaxBodyBytes)
	if err == nil {
		err = checkNotPast(search.Stay, s.Now())
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if wantsNDJSON(r.Header.Get("Accept")) {
		s.stream(w, r, search)
		return
	}
	res, err := s.Engine.Search(r.Context(), search)
	if err != nil {
		s.searchError(w, r, err)
		return
	}
	s.logVendorErrors(res)
	out := SearchResponse{SearchID: res.SearchID, Complete: res.Complete, ElapsedMS: res.Elapsed.Milliseconds(), Vendors: VendorsFromResult(res.Vendors), Hotels: make([]Hotel, 0, len(res.Hotels))}
	for _, h := range res.Hotels {
		out.Hotels = append(out.Hotels, HotelFromResult(h, ""))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) searchError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		// The client went away: nobody reads an answer.
		s.Logger.Info("search abandoned by client", "err", err)
		return
	}
	if hotelrates.ErrorCode(err) == hotelrates.CodeInternal {
		s.Logger.Error("search failed", "err", err)
	}
	writeError(w, err)
}

func wantsNDJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && (mt == ndjson || mt == "application/ndjson") {
			q, err := strconv.ParseFloat(params["q"], 64)
			return params["q"] == "" || (err == nil && q > 0) // q=0: not acceptable
		}
	}
	return false
}

// streamGrace is how long after a search's deadline its stream may still
// be written: the hotels left and the summary.
const streamGrace = 2 * time.Second

// fallbackMaxTimeout bounds a search when Deps gives no timeouts: the
// engine's default maximum.
const fallbackMaxTimeout = 30 * time.Second

// searchTimeout is an upper bound on how long the engine runs search: its
// timeout or the default, capped at the maximum.
func (s *server) searchTimeout(search hotelrates.Search) time.Duration {
	limit := s.MaxTimeout
	if limit <= 0 {
		limit = fallbackMaxTimeout
	}
	t := search.Timeout
	if t <= 0 {
		t = s.DefaultTimeout
	}
	if t <= 0 || t > limit {
		t = limit
	}
	return t
}

// stream answers a search as NDJSON: a line per hotel as it completes and
// a summary line last. Validation errors still come as a JSON error
// before the first line. Every write must be done by the search's
// deadline and streamGrace: a client that does not read ends its stream
// then (the search is cancelled), instead of holding the search's slot
// until the server's write timeout.
func (s *server) stream(w http.ResponseWriter, r *http.Request, search hotelrates.Search) {
	rc := http.NewResponseController(w)
	writeBy := time.Now().Add(s.searchTimeout(search) + streamGrace)
	_ = rc.SetWriteDeadline(writeBy) // not supported by every ResponseWriter (httptest's recorder)
	enc := json.NewEncoder(w)
	started := false
	count := 0
	start := func() {
		if !started {
			started = true
			w.Header().Set("Content-Type", ndjson)
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusOK)
		}
	}
	// Validate before the status line goes out.
	if err := search.Validate(s.Engine.Limits()); err != nil {
		writeError(w, err)
		return
	}
	var line []byte // the hotel lines of a batch, reused
	sum, err := s.Engine.Stream(r.Context(), search, func(hs []hotelrates.HotelResult) error {
		start()
		_ = rc.SetWriteDeadline(writeBy)
		line = line[:0]
		for _, h := range hs {
			count++
			line = append(HotelFromResult(h, "hotel").AppendJSON(line), '\n')
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
		return rc.Flush() // once per batch (at most one per the engine's StreamInterval)
	})
	if err != nil {
		switch {
		case !started:
			s.searchError(w, r, err)
		case errors.Is(err, os.ErrDeadlineExceeded):
			s.Logger.Info("stream ended: the client did not read it by the search's deadline", "err", err)
		}
		return
	}
	start()
	s.logVendorErrors(sum)
	_ = rc.SetWriteDeadline(writeBy)
	enc.Encode(SummaryFromResult(sum, count))
	rc.Flush()
}

// logVendorErrors logs at debug level the full text of the vendor errors
// that clients get sanitised (see SanitizeText).
func (s *server) logVendorErrors(res hotelrates.Result) {
	for _, v := range res.Vendors {
		if v.Error != "" && SanitizeText(v.Error) != v.Error {
			s.Logger.Debug("vendor error", "search_id", res.SearchID, "vendor", v.Vendor, "status", string(v.Status), "err", v.Error)
		}
	}
}

// checkNotPast refuses a stay whose check-in is before today, as the date
// is where the day begins last (UTC-12): a stay that begins today
// anywhere on earth is accepted.
func checkNotPast(st hotelrates.Stay, now time.Time) error {
	today := hotelrates.DateOf(now.UTC().Add(-12 * time.Hour))
	if !st.CheckIn.IsZero() && st.CheckIn.Before(today) {
		return hotelrates.Errorf(hotelrates.CodeInvalidArgument, "check_in", "check_in %s is in the past (today is %s)", st.CheckIn, today)
	}
	return nil
}

func (s *server) handleVendors(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"vendors": s.Engine.Vendors()}
	if s.Extra != nil {
		out["extra"] = s.Extra
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) handleReady(w http.ResponseWriter, r *http.Request) {
	if s.Ready != nil {
		if err := s.Ready(); err != nil {
			// The probe is open to all: the reason says what, not where.
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": SanitizeError(err)})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// logRequests logs each request at debug level, and server errors at
// error level.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelDebug
		if sw.code >= 500 {
			level = slog.LevelError
		}
		s.Logger.Log(r.Context(), level, "http", "method", r.Method, "path", r.URL.Path, "status", sw.code, "duration", time.Since(start))
	})
}

// recoverer turns a panic into a logged 500, except http.ErrAbortHandler.
func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				s.Logger.Error("panic serving request", "path", r.URL.Path, "panic", v)
				writeError(w, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
