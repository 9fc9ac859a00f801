// Package service assembles hotelrates from a config.Config: the embedded
// sandbox (when enabled), the vendor client adapters, the archiver, the
// engine, the metrics registry and the HTTP API, and takes them down in
// order. The serve and search commands, the load test and end-to-end tests
// all start the service through it.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/net/netutil"

	"hotelrates"
	"hotelrates/archive"
	"hotelrates/config"
	"hotelrates/engine"
	"hotelrates/httpapi"
	"hotelrates/sandbox"
	"hotelrates/vendors/amadeus"
	"hotelrates/vendors/bulk"
	"hotelrates/vendors/hotelbeds"
	"hotelrates/vendors/rapid"
	"hotelrates/vendors/session"
	"hotelrates/vendors/solo"
	"hotelrates/vendorsim"
)

// The archiver journals each exchange before it is sent.
var _ engine.WriteAheadRecorder = (*archive.Archiver)(nil)

// Options are what the config file does not say.
type Options struct {
	// Logger logs the service's events (nil: slog.Default()).
	Logger *slog.Logger
	// Sandbox overrides the embedded sandbox's behaviour (the config's
	// sandbox.config file otherwise, or the defaults).
	Sandbox *sandbox.Config
}

// Service is a running hotelrates without its listener.
type Service struct {
	// Config is the configuration the service was started from.
	Config config.Config
	// Sim is the embedded sandbox, nil unless the config enables it.
	Sim *vendorsim.Sim
	// Engine runs the searches.
	Engine *engine.Engine
	// Archiver archives every vendor exchange.
	Archiver *archive.Archiver
	// Registry holds the service's metrics, served on /metrics.
	Registry *prometheus.Registry
	// Handler is the HTTP API, which Serve serves.
	Handler http.Handler
	log     *slog.Logger
}

// New starts everything but the HTTP listener.
func New(cfg config.Config, opts Options) (*Service, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Service{Config: cfg, log: log, Registry: prometheus.NewRegistry()}
	s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ok := false
	defer func() {
		if !ok {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			s.Close(ctx)
		}
	}()

	var simCfg sandbox.Config
	if cfg.Sandbox.Enabled {
		switch {
		case opts.Sandbox != nil:
			simCfg = *opts.Sandbox
		case cfg.Sandbox.Config != "":
			var err error
			if simCfg, err = sandbox.LoadConfig(cfg.Sandbox.Config); err != nil {
				return nil, err
			}
		default:
			simCfg = sandbox.DefaultConfig()
		}
		sim, err := vendorsim.Start(simCfg, cfg.Sandbox.Addr)
		if err != nil {
			return nil, err
		}
		s.Sim = sim
	}

	sink, prefix, err := archive.OpenSink(context.Background(), cfg.Archive.URL, archive.S3Options{
		Region: cfg.Archive.Region, Endpoint: cfg.Archive.Endpoint, PathStyle: cfg.Archive.PathStyle,
	})
	if err != nil {
		return nil, err
	}
	s.Archiver, err = archive.New(archive.Options{
		Sink: sink, Prefix: prefix, SpoolDir: cfg.Archive.SpoolDir, SpoolLimit: cfg.Archive.SpoolLimit,
		Instance: cfg.Archive.Instance, SegmentBytes: cfg.Archive.SegmentBytes, SegmentAge: cfg.Archive.SegmentAge,
		Queue: cfg.Archive.Queue, UploadTimeout: cfg.Archive.UploadTimeout, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	s.registerArchiveMetrics()

	vcs, err := s.engineVendors(cfg.Vendors, simCfg)
	if err != nil {
		return nil, err
	}
	eopts := engineOptions(cfg.Search, vcs)
	eopts.Recorder, eopts.Logger, eopts.Metrics = s.Archiver, log, engine.NewMetrics(s.Registry)
	if eopts.Mapping, err = s.mapping(cfg); err != nil {
		return nil, err
	}
	if eopts.Rates, err = s.rates(cfg); err != nil {
		return nil, err
	}
	s.Engine, err = engine.New(eopts)
	if err != nil {
		return nil, err
	}
	extra := map[string]any{}
	if s.Sim != nil {
		extra["sandbox_url"] = s.Sim.URL()
	}
	// /metrics moves to the admin listener when there is one.
	var public prometheus.Gatherer = s.Registry
	if cfg.Admin.Listen != "" {
		public = nil
	}
	s.Handler = httpapi.NewServer(httpapi.Deps{
		Engine: s.Engine, Logger: log, Gatherer: public, MaxBodyBytes: cfg.Search.MaxBodyBytes, Extra: extra,
		Ready: s.Ready, APIKeys: cfg.APIKeys,
		DefaultTimeout: cfg.Search.DefaultTimeout, MaxTimeout: cfg.Search.MaxTimeout,
	})
	ok = true
	return s, nil
}

// Ready reports why the service should not take traffic, if it should
// not: the archive cannot take records, or every vendor's circuit breaker
// is open.
func (s *Service) Ready() error {
	if err := s.Archiver.Ready(); err != nil {
		return err
	}
	var errs []error
	for _, err := range s.Engine.Health() {
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("no vendor available: %w", errors.Join(errs...))
}

// engineOptions maps the search settings to the engine's options. A
// setting the config leaves unset is zero here, so the engine's default
// applies (hotelrates.Limits' for max_hotels and max_nights).
func engineOptions(s config.Search, vendors []engine.VendorConfig) engine.Options {
	o := engine.Options{
		Vendors: vendors, DefaultTimeout: s.DefaultTimeout, MaxTimeout: s.MaxTimeout,
		Limits:      hotelrates.Limits{MaxHotels: s.MaxHotels, MaxNights: s.MaxNights},
		MaxSearches: s.MaxInFlight,
		NoSharing:   s.ShareCalls != nil && !*s.ShareCalls,
	}
	if d := s.StreamInterval; d != nil {
		o.StreamInterval = *d
		if *d == 0 {
			o.StreamInterval = -1 // set to none: the engine's "no interval"
		}
	}
	return o
}

// engineVendors builds the configured vendors' client adapters and maps
// their settings to the engine's VendorConfig. A setting the config
// leaves unset is zero here, so the engine's default applies (for the
// embedded sandbox's vendors, concurrency, max_batch and the rate limit
// are the sandbox vendor's, see vendor).
func (s *Service) engineVendors(vendors []config.Vendor, simCfg sandbox.Config) ([]engine.VendorConfig, error) {
	vcs := make([]engine.VendorConfig, 0, len(vendors))
	for _, v := range vendors {
		vendor, conc, err := s.vendor(&v, simCfg)
		if err != nil {
			return nil, err
		}
		vcs = append(vcs, engine.VendorConfig{
			Vendor: vendor, Concurrency: conc, MinWorkers: v.MinWorkers, MaxWorkers: v.MaxWorkers,
			IdleTimeout: v.IdleTimeout, CallTimeout: v.CallTimeout, RefreshBefore: v.RefreshBefore,
			MinConcurrency: v.MinConcurrency, RateLimit: v.RateLimit, Burst: v.Burst,
			RetryAttempts: v.RetryAttempts, RetryBackoff: v.RetryBackoff, RetryBudget: v.RetryBudget,
			BreakerFailures: v.BreakerFailures, BreakerCooldown: v.BreakerCooldown, Hedge: v.Hedge, HedgeBudget: v.HedgeBudget,
			CacheTTL: *v.CacheTTL, CacheEmptyTTL: v.CacheEmptyTTL, CacheSize: v.CacheSize, BatchWindow: v.BatchWindow,
		})
	}
	return vcs, nil
}

// vendor builds the client adapter of one configured vendor and its
// concurrency; vendors without a base URL are the embedded sandbox's, and
// get the sandbox vendor's capacity, batch size and rate limit unless the
// config sets them. Otherwise an unset concurrency stays zero for the
// engine's default (a session client then holds its own default number of
// sessions, which the engine keeps its concurrency within).
func (s *Service) vendor(v *config.Vendor, simCfg sandbox.Config) (hotelrates.Vendor, int, error) {
	base, conc := v.BaseURL, v.Concurrency
	var sim *sandbox.VendorConfig
	if base == "" {
		if s.Sim == nil {
			return nil, 0, fmt.Errorf("vendor %s has no base_url and the sandbox is off", v.Name)
		}
		base = s.Sim.VendorURL(v.Protocol)
		sim = simCfg.Vendors.Get(v.Protocol)
	}
	or := func(val, def string) string {
		if val != "" {
			return val
		}
		return def
	}
	if sim != nil {
		if conc == 0 {
			conc = sim.Concurrency
		}
		c := sim.Credentials
		v.ClientID, v.ClientSecret = or(v.ClientID, c.ClientID), or(v.ClientSecret, c.ClientSecret)
		v.APIKey, v.Secret = or(v.APIKey, c.APIKey), or(v.Secret, c.Secret)
		v.User, v.Password = or(v.User, c.User), or(v.Password, c.Password)
		if v.MaxBatch == 0 {
			v.MaxBatch = sim.MaxBatch
		}
		if v.RateLimit == 0 && sim.RPS > 0 {
			// Stay under the vendor's limit with headroom for jitter; a
			// vendor without a burst (Amadeus: one call per 100 ms) needs
			// more, since calls arrive up to a few ms off their spacing.
			v.RateLimit, v.Burst = sim.RPS*0.9, max(1, sim.Burst/2)
			if sim.Burst <= 1 {
				v.RateLimit = sim.RPS * 0.8
			}
		}
	}
	switch v.Protocol {
	case "solo":
		return solo.New(solo.Config{Name: v.Name, BaseURL: base, ClientID: v.ClientID, ClientSecret: v.ClientSecret}), conc, nil
	case "bulk":
		return bulk.New(bulk.Config{Name: v.Name, BaseURL: base, APIKey: v.APIKey, Secret: v.Secret, MaxBatch: v.MaxBatch}), conc, nil
	case "session":
		return session.New(session.Config{Name: v.Name, BaseURL: base, User: v.User, Password: v.Password, MaxBatch: v.MaxBatch, MaxSessions: conc}), conc, nil
	case "amadeus":
		return amadeus.New(amadeus.Config{Name: v.Name, BaseURL: base, ClientID: v.ClientID, ClientSecret: v.ClientSecret, MaxBatch: v.MaxBatch}), conc, nil
	case "rapid":
		return rapid.New(rapid.Config{Name: v.Name, BaseURL: base, APIKey: v.APIKey, Secret: v.Secret, MaxBatch: v.MaxBatch}), conc, nil
	case "hotelbeds":
		return hotelbeds.New(hotelbeds.Config{Name: v.Name, BaseURL: base, APIKey: v.APIKey, Secret: v.Secret, MaxBatch: v.MaxBatch}), conc, nil
	}
	return nil, 0, fmt.Errorf("vendor %s: unknown protocol %q", v.Name, v.Protocol)
}

func (s *Service) registerArchiveMetrics() {
	a := s.Archiver
	counter := func(name, help string, f func(archive.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(a.Stats())) })
	}
	gauge := func(name, help string, f func(archive.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(a.Stats()) })
	}
	s.Registry.MustRegister(
		counter("hotelrates_archive_records_total", "Vendor exchanges accepted for the archive.", func(st archive.Stats) int64 { return st.Records }),
		counter("hotelrates_archive_dropped_total", "Vendor exchanges the archive could not take (queue or spool full).", func(st archive.Stats) int64 { return st.Dropped }),
		counter("hotelrates_archive_lost_total", "Accepted exchanges the spool could not write (disk failure).", func(st archive.Stats) int64 { return st.Lost }),
		counter("hotelrates_archive_segments_total", "Segments closed into the spool.", func(st archive.Stats) int64 { return st.Segments }),
		counter("hotelrates_archive_segments_uploaded_total", "Segments the sink confirmed.", func(st archive.Stats) int64 { return st.Uploaded }),
		counter("hotelrates_archive_records_uploaded_total", "Records in uploaded segments.", func(st archive.Stats) int64 { return st.UploadedRecords }),
		counter("hotelrates_archive_upload_errors_total", "Failed uploads and spool errors.", func(st archive.Stats) int64 { return st.Errors }),
		counter("hotelrates_archive_torn_records_total", "Partial records cut off segments recovered after a crash.", func(st archive.Stats) int64 { return st.Torn }),
		counter("hotelrates_archive_interrupted_records_total", "Exchanges cut off by a crash, archived from the journal at start as interrupted records.", func(st archive.Stats) int64 { return st.Interrupted }),
		gauge("hotelrates_archive_spool_bytes", "Bytes in the archive spool.", func(st archive.Stats) float64 { return float64(st.SpoolBytes) }),
		gauge("hotelrates_archive_pending_segments", "Segments not yet uploaded.", func(st archive.Stats) float64 { return float64(st.Pending) }),
		gauge("hotelrates_archive_oldest_pending_seconds", "Age of the oldest record not yet uploaded.", func(st archive.Stats) float64 { return st.OldestPending.Seconds() }),
		gauge("hotelrates_archive_spool_full", "1 while the spool is full and records are refused.", func(st archive.Stats) float64 {
			if st.SpoolFull {
				return 1
			}
			return 0
		}),
	)
}

// MaxHeaderBytes bounds a request's header (line and fields).
const MaxHeaderBytes = 64 << 10

// Serve serves the API on ln until ctx ends, then shuts down gracefully:
// it stops accepting, lets searches in flight finish within the grace
// period, stops the engine's workers and flushes the archive. It holds at
// most listen_max_conns connections open at once; further ones wait to be
// accepted. It is ServeAdmin without an admin listener.
func (s *Service) Serve(ctx context.Context, ln net.Listener) error {
	return s.ServeAdmin(ctx, ln, nil)
}

// ServeAdmin is Serve with the operator's listener admin (nil: none)
// serving /metrics and net/http/pprof (httpapi.NewAdminServer) until the
// API's listener has shut down.
func (s *Service) ServeAdmin(ctx context.Context, ln, admin net.Listener) error {
	if admin != nil {
		asrv := &http.Server{
			Handler:           httpapi.NewAdminServer(s.Registry),
			MaxHeaderBytes:    MaxHeaderBytes,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		}
		adminDone := make(chan struct{})
		go func() {
			defer close(adminDone)
			asrv.Serve(admin)
		}()
		defer func() {
			asrv.Close()
			<-adminDone
		}()
		s.log.Info("admin listener: /metrics and /debug/pprof/", "url", "http://"+admin.Addr().String())
	}
	if n := s.Config.ListenMaxConns; n > 0 {
		ln = netutil.LimitListener(ln, n)
	}
	if len(s.Config.APIKeys) == 0 && !loopback(ln.Addr()) {
		s.log.Warn("the API is open to anyone who can reach it: set api_keys", "addr", ln.Addr().String())
	}
	srv := &http.Server{
		Handler:           s.Handler,
		MaxHeaderBytes:    MaxHeaderBytes,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      s.Config.Search.MaxTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	began := time.Now()
	grace := s.Config.ShutdownGrace
	s.log.Info("shutting down", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	// Searches still running near the end of the grace period answer with
	// what they have (complete false), leaving time to write the answers:
	// none is cut off without one, whatever its deadline.
	s.Engine.Drain(time.Now().Add(grace - drainMargin(grace)))
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("searches still in flight at the end of the grace period; closing")
		srv.Close()
	}
	<-served
	// Workers and the archive get what is left of the grace period, and at
	// least a few seconds to flush.
	cctx, ccancel := context.WithTimeout(context.Background(), max(5*time.Second, time.Until(deadlineOf(sctx))))
	defer ccancel()
	err = errors.Join(err, s.Close(cctx))
	if err != nil {
		s.log.Error("shutdown incomplete", "took", time.Since(began).Round(time.Millisecond), "err", err)
	} else {
		s.log.Info("stopped", "took", time.Since(began).Round(time.Millisecond))
	}
	return err
}

// Close stops the engine, flushes the archive and stops the sandbox.
func (s *Service) Close(ctx context.Context) error {
	var errs []error
	if s.Engine != nil {
		errs = append(errs, s.Engine.Close(ctx))
	}
	if s.Archiver != nil {
		errs = append(errs, s.Archiver.Close(ctx))
	}
	if s.Sim != nil {
		errs = append(errs, s.Sim.Close())
	}
	return errors.Join(errs...)
}

// drainMargin is how long before the end of the grace period the searches
// still running are told to answer: a fifth of the grace, at most 2 s, and
// at least 1 s (half the grace when that is shorter), because
// http.Server.Shutdown notices an idle connection only at its next poll,
// up to about 550 ms apart once it has been waiting a while, and the
// answers must be written before that.
func drainMargin(grace time.Duration) time.Duration {
	return max(min(grace/5, 2*time.Second), min(grace/2, time.Second))
}

// loopback reports whether addr is a loopback address.
func loopback(addr net.Addr) bool {
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}
