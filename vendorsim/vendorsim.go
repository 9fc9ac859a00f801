// Package vendorsim serves the three sandbox vendors (solo, bulk and
// session) together on one listener, each under its own path prefix, with
// the operator endpoints GET /_sandbox/stats and POST /_sandbox/reset.
//
// It runs in-process for tests and for the service's embedded default, and
// stand-alone as `hotelrates vendorsim`.
package vendorsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
	"hotelrates/vendors/amadeus"
	"hotelrates/vendors/bulk"
	"hotelrates/vendors/hotelbeds"
	"hotelrates/vendors/rapid"
	"hotelrates/vendors/session"
	"hotelrates/vendors/solo"
)

// Sim is a running sandbox.
type Sim struct {
	cfg      sandbox.Config
	backends map[string]*sandbox.Backend
	handler  http.Handler
	done     chan struct{}

	ln      net.Listener
	srv     *http.Server
	served  chan struct{}
	closing sync.Once
}

// New returns a sandbox serving cfg, not yet listening: use Handler with a
// server of your own, or Start.
func New(cfg sandbox.Config) (*Sim, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Sim{cfg: cfg, backends: map[string]*sandbox.Backend{}, done: make(chan struct{})}
	mux := http.NewServeMux()
	handlers := map[string]func(*sandbox.Backend) http.Handler{
		sandbox.Solo:      solo.Handler,
		sandbox.Bulk:      bulk.Handler,
		sandbox.Session:   session.Handler,
		sandbox.Amadeus:   amadeus.Handler,
		sandbox.Rapid:     rapid.Handler,
		sandbox.Hotelbeds: hotelbeds.Handler,
	}
	for _, name := range sandbox.AllVendorNames() {
		b := sandbox.NewBackend(name, *cfg.Vendors.Get(name), cfg.Seed, s.done)
		s.backends[name] = b
		mux.Handle("/"+name+"/", b.Count(http.StripPrefix("/"+name, handlers[name](b))))
	}
	mux.HandleFunc("GET /_sandbox/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("POST /_sandbox/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"vendors": sandbox.AllVendorNames(), "stats": "/_sandbox/stats", "docs": "docs/sandbox.md"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"code": "not_found", "message": "no sandbox vendor at " + r.URL.Path}})
	})
	s.handler = mux
	return s, nil
}

// Start listens on addr ("127.0.0.1:0" for any free port) and serves the
// sandbox until Close.
func Start(cfg sandbox.Config, addr string) (*Sim, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox listen: %w", err)
	}
	s.serve(ln)
	return s, nil
}

// Serve serves the sandbox on ln (for example an in-memory listener in
// tests) until Close, which closes ln.
func Serve(cfg sandbox.Config, ln net.Listener) (*Sim, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	s.serve(ln)
	return s, nil
}

func (s *Sim) serve(ln net.Listener) {
	s.ln = ln
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		s.srv.Serve(ln)
	}()
}

// Handler returns the sandbox's HTTP handler.
func (s *Sim) Handler() http.Handler { return s.handler }

// Config returns the sandbox's configuration.
func (s *Sim) Config() sandbox.Config { return s.cfg }

// URL returns the base URL of a started sandbox, such as
// "http://127.0.0.1:9090".
func (s *Sim) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// VendorURL returns the base URL of one vendor, such as
// "http://127.0.0.1:9090/solo".
func (s *Sim) VendorURL(name string) string { return s.URL() + "/" + name }

// Backend returns the runtime of the named vendor, or nil.
func (s *Sim) Backend(name string) *sandbox.Backend { return s.backends[name] }

// Stats returns every vendor's statistics, keyed by vendor name.
func (s *Sim) Stats() map[string]sandbox.VendorStats {
	out := make(map[string]sandbox.VendorStats, len(s.backends))
	for name, b := range s.backends {
		out[name] = b.Stats()
	}
	return out
}

// Reset zeroes every vendor's statistics.
func (s *Sim) Reset() {
	for _, b := range s.backends {
		b.Reset()
	}
}

// Close ends hung calls and stops a started sandbox, waiting up to five
// seconds for calls in service.
func (s *Sim) Close() error {
	var err error
	s.closing.Do(func() {
		close(s.done)
		if s.srv == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err = s.srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			err = s.srv.Close()
		}
		<-s.served
	})
	return err
}

// Clients returns client adapters for the three sandbox vendors at baseURL
// (a sandbox's URL), with the credentials of cfg.
func Clients(baseURL string, cfg sandbox.Config) []hotelrates.Vendor {
	v := cfg.Vendors
	return []hotelrates.Vendor{
		solo.New(solo.Config{Name: sandbox.Solo, BaseURL: baseURL + "/solo", ClientID: v.Solo.Credentials.ClientID, ClientSecret: v.Solo.Credentials.ClientSecret}),
		bulk.New(bulk.Config{Name: sandbox.Bulk, BaseURL: baseURL + "/bulk", APIKey: v.Bulk.Credentials.APIKey, Secret: v.Bulk.Credentials.Secret, MaxBatch: v.Bulk.MaxBatch}),
		session.New(session.Config{Name: sandbox.Session, BaseURL: baseURL + "/session", User: v.Session.Credentials.User, Password: v.Session.Credentials.Password, MaxBatch: v.Session.MaxBatch, MaxSessions: v.Session.Concurrency}),
	}
}

// SupplierClients returns client adapters for the three sandbox suppliers
// (imitations of Amadeus, Expedia Rapid and Hotelbeds) at baseURL, with the
// credentials of cfg. They know hotels by the suppliers' codes: search
// them through an engine with sandbox.Mapping.
func SupplierClients(baseURL string, cfg sandbox.Config) []hotelrates.Vendor {
	v := cfg.Vendors
	return []hotelrates.Vendor{
		amadeus.New(amadeus.Config{Name: sandbox.Amadeus, BaseURL: baseURL + "/amadeus", ClientID: v.Amadeus.Credentials.ClientID, ClientSecret: v.Amadeus.Credentials.ClientSecret, MaxBatch: v.Amadeus.MaxBatch}),
		rapid.New(rapid.Config{Name: sandbox.Rapid, BaseURL: baseURL + "/rapid", APIKey: v.Rapid.Credentials.APIKey, Secret: v.Rapid.Credentials.Secret, MaxBatch: v.Rapid.MaxBatch}),
		hotelbeds.New(hotelbeds.Config{Name: sandbox.Hotelbeds, BaseURL: baseURL + "/hotelbeds", APIKey: v.Hotelbeds.Credentials.APIKey, Secret: v.Hotelbeds.Credentials.Secret, MaxBatch: v.Hotelbeds.MaxBatch}),
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
