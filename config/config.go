// Package config reads the service's YAML configuration: strict (a bad
// file is a Problems error listing every problem at once, each naming its
// key, its line and the form expected), with ${ENV} expansion in values
// for secrets, defaults for what is left out, and validation with
// messages that name the setting. With no file, Default
// is the embedded default: the sandbox vendors in-process and a local
// archive.
//
// Defaults live in one place. A setting the engine defaults (see
// engine.Options and engine.VendorConfig, and hotelrates.Limits for
// max_hotels and max_nights) is left zero when the file does not set it,
// and the service passes the zero on, so the engine's default applies;
// this package states defaults only for what it alone owns (the listener,
// the archive, the sandbox, shutdown_grace, search.max_timeout,
// search.max_body_bytes and cache_ttl).
package config

import (
	"fmt"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole service configuration.
type Config struct {
	// Listen is the HTTP listen address.
	Listen string `yaml:"listen"`
	// DataDir holds local state: the archive (file sink) and its spool.
	DataDir string `yaml:"data_dir"`
	// LogLevel is debug, info, warn or error.
	LogLevel string  `yaml:"log_level"`
	Search   Search  `yaml:"search"`
	Archive  Archive `yaml:"archive"`
	Sandbox  Sandbox `yaml:"sandbox"`
	// Vendors are the vendors searched. A vendor without base_url is served
	// by the embedded sandbox (which must then be enabled), with its demo
	// credentials unless the entry gives its own.
	Vendors []Vendor `yaml:"vendors"`
	// ShutdownGrace bounds graceful shutdown: in-flight searches finish and
	// the archive is flushed within it. Searches whose deadline lies beyond
	// it answer with what they have shortly before it ends.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// API holds api_keys and listen_max_conns (see api.go).
	API `yaml:",inline"`
	// Admin is the operator's listener for pprof and /metrics (admin.go).
	Admin Admin `yaml:"admin"`
	// Mapping is a CSV file (hotel_id,vendor,vendor_code) saying which
	// vendors carry a hotel and under which code; empty: the embedded
	// sandbox's own mapping for its vendors, and every hotel by our id
	// for the rest.
	Mapping string `yaml:"mapping"`
	// Currency converts offers priced in another currency than asked.
	Currency Currency `yaml:"currency"`
}

// Currency holds the exchange rates.
type Currency struct {
	// Rates is a file of euro reference rates in the European Central
	// Bank's daily format (eurofxref-daily.xml or eurofxref.csv); empty:
	// the sandbox's fixed table while the sandbox is enabled, otherwise
	// none: offers priced in another currency than asked are then dropped
	// (logged once per currency), since they cannot be compared.
	Rates string `yaml:"rates"`
}

// Search bounds searches. Zero (unset) leaves a setting to the engine's
// default, but for MaxTimeout and MaxBodyBytes, whose defaults are the
// config's.
type Search struct {
	// DefaultTimeout is the deadline of a search that names none (0: the
	// engine's default, engine.Options.DefaultTimeout).
	DefaultTimeout time.Duration `yaml:"default_timeout"`
	// MaxTimeout caps the timeout a search may ask for. The service also
	// bounds HTTP response writes by it, so the config owns its default
	// (30 s) and always passes it to the engine.
	MaxTimeout time.Duration `yaml:"max_timeout"`
	// MaxHotels and MaxNights bound a search (0: the defaults of
	// hotelrates.Limits, which the engine validates searches with).
	MaxHotels int `yaml:"max_hotels"`
	MaxNights int `yaml:"max_nights"`
	// MaxBodyBytes bounds a request body; larger ones get 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxInFlight bounds the searches in progress; past it (or when a
	// vendor's backlog exceeds half a search's deadline) searches get 429
	// with Retry-After at once (0: the engine's default,
	// engine.Options.MaxSearches).
	MaxInFlight int `yaml:"max_in_flight"`
	// ShareCalls lets concurrent searches share vendor calls (coalescing
	// and cross-request batching); nil (unset) is the engine's default,
	// which shares them.
	ShareCalls *bool `yaml:"share_calls"`
	// StreamInterval is the least time between two batches of hotel
	// lines in a streamed answer (hotels completing meanwhile go
	// together); nil (unset) is the engine's default
	// (engine.Options.StreamInterval), 0 sends each batch as it completes.
	StreamInterval *time.Duration `yaml:"stream_interval"`
}

// Archive is where raw vendor exchanges go.
type Archive struct {
	// URL is s3://BUCKET/PREFIX or file:///DIR (default file://DATA_DIR/archive).
	URL string `yaml:"url"`
	// Region, Endpoint and PathStyle override the AWS SDK's standard chain
	// (AWS_REGION, AWS_ENDPOINT_URL_S3, ...) for s3 URLs.
	Region    string `yaml:"region"`
	Endpoint  string `yaml:"endpoint"`
	PathStyle bool   `yaml:"path_style"`
	// SpoolDir holds segments until the sink has them (default DATA_DIR/spool).
	SpoolDir string `yaml:"spool_dir"`
	// SpoolLimit bounds the spool in bytes; at the limit records are refused,
	// counted and logged, and /readyz fails.
	SpoolLimit int64 `yaml:"spool_limit"`
	// Instance names this process in segment keys (default HOSTNAME-PID).
	Instance     string        `yaml:"instance"`
	SegmentBytes int64         `yaml:"segment_bytes"`
	SegmentAge   time.Duration `yaml:"segment_age"`
	// Queue is the archiver's channel capacity.
	Queue int `yaml:"queue"`
	// UploadTimeout bounds one upload attempt.
	UploadTimeout time.Duration `yaml:"upload_timeout"`
}

// Sandbox is the embedded vendor sandbox.
type Sandbox struct {
	Enabled bool `yaml:"enabled"`
	// Addr is its listen address (default 127.0.0.1:0, any free port).
	Addr string `yaml:"addr"`
	// Config is a sandbox YAML file (the one `vendorsim --config` takes).
	Config string `yaml:"config"`
}

// Vendor is one vendor the service searches. A setting left zero (unset)
// gets the engine's default (engine.VendorConfig), or for the embedded
// sandbox's vendors, where noted, the sandbox vendor's own.
type Vendor struct {
	Name string `yaml:"name"`
	// Protocol is solo, bulk, session, amadeus, rapid or hotelbeds.
	Protocol string `yaml:"protocol"`
	// BaseURL is the vendor's API root, e.g. http://127.0.0.1:9090/solo;
	// empty for the embedded sandbox.
	BaseURL      string `yaml:"base_url"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	APIKey       string `yaml:"api_key"`
	Secret       string `yaml:"secret"`
	User         string `yaml:"user"`
	Password     string `yaml:"password"`
	// MaxBatch is the most hotels per call (batch protocols; 0: the
	// sandbox vendor's, else the client adapter's default).
	MaxBatch int `yaml:"max_batch"`
	// Concurrency is the most calls in flight (for session vendors, also
	// the most sessions; 0: the sandbox vendor's capacity, else the
	// engine's default).
	Concurrency   int           `yaml:"concurrency"`
	MinWorkers    int           `yaml:"min_workers"`
	MaxWorkers    int           `yaml:"max_workers"`
	IdleTimeout   time.Duration `yaml:"idle_timeout"`
	CallTimeout   time.Duration `yaml:"call_timeout"`
	RefreshBefore time.Duration `yaml:"refresh_before"`
	// MinConcurrency is the adaptive concurrency floor (concurrency is the
	// ceiling); equal to concurrency for a fixed limit.
	MinConcurrency int `yaml:"min_concurrency"`
	// RateLimit is calls per second (0: none; for the sandbox's vendors 90%
	// of the vendor's rate, with half its burst), Burst its bucket.
	RateLimit float64 `yaml:"rate_limit"`
	Burst     int     `yaml:"burst"`
	// Retries of retryable failures: attempts per call, first backoff, and
	// the budget as a fraction of calls.
	RetryAttempts int           `yaml:"retry_attempts"`
	RetryBackoff  time.Duration `yaml:"retry_backoff"`
	RetryBudget   float64       `yaml:"retry_budget"`
	// Circuit breaker: consecutive failures that open it, and the
	// cool-down before a probe.
	BreakerFailures int           `yaml:"breaker_failures"`
	BreakerCooldown time.Duration `yaml:"breaker_cooldown"`
	// Hedging of single-hotel calls slower than the observed p95, within a
	// budget of extra calls.
	Hedge       bool    `yaml:"hedge"`
	HedgeBudget float64 `yaml:"hedge_budget"`
	// Rate cache: how long offers are kept per hotel and stay (0s: off;
	// default 3m, the config's own: the engine's zero means off), how long
	// an answer without offers is kept (default: the engine's, CacheTTL/6),
	// and the most entries.
	CacheTTL      *time.Duration `yaml:"cache_ttl"`
	CacheEmptyTTL time.Duration  `yaml:"cache_empty_ttl"`
	CacheSize     int            `yaml:"cache_size"`
	// BatchWindow: how long a batch call may wait for other searches'
	// hotels of the same stay (batch protocols; default 0s).
	BatchWindow time.Duration `yaml:"batch_window"`
}

// Protocols lists the vendor protocols the service speaks.
var Protocols = []string{"solo", "bulk", "session", "amadeus", "rapid", "hotelbeds"}

// Default returns the embedded default: the sandbox in-process with its
// six vendors, the archive under ./data, listening on 127.0.0.1:8080.
func Default() Config {
	c := Config{
		Sandbox: Sandbox{Enabled: true},
		Vendors: []Vendor{
			{Name: "solo", Protocol: "solo"},
			{Name: "bulk", Protocol: "bulk"},
			{Name: "session", Protocol: "session"},
			{Name: "amadeus", Protocol: "amadeus"},
			{Name: "rapid", Protocol: "rapid"},
			{Name: "hotelbeds", Protocol: "hotelbeds"},
		},
	}
	c.applyDefaults()
	return c
}

func (c *Config) applyDefaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&c.Listen, "127.0.0.1:8080")
	def(&c.DataDir, "./data")
	def(&c.LogLevel, "info")
	def(&c.Sandbox.Addr, "127.0.0.1:0")
	c.API.applyDefaults()
	if c.Archive.URL == "" {
		c.Archive.URL = "file://" + strings.TrimSuffix(c.DataDir, "/") + "/archive"
	}
	if c.Archive.SpoolDir == "" {
		c.Archive.SpoolDir = strings.TrimSuffix(c.DataDir, "/") + "/spool"
	}
	if c.Archive.SpoolLimit == 0 {
		c.Archive.SpoolLimit = 1 << 30
	}
	if c.Archive.UploadTimeout == 0 {
		c.Archive.UploadTimeout = 30 * time.Second
	}
	if c.Archive.SegmentBytes == 0 {
		c.Archive.SegmentBytes = 8 << 20
	}
	if c.Archive.SegmentAge == 0 {
		c.Archive.SegmentAge = time.Minute
	}
	if c.Archive.Queue == 0 {
		c.Archive.Queue = 4096
	}
	// What the engine defaults (default_timeout, max_hotels, max_nights,
	// max_in_flight, share_calls and a vendor's engine settings but
	// cache_ttl) stays zero: the service passes it on and the engine's
	// default applies.
	if c.Search.MaxTimeout == 0 {
		c.Search.MaxTimeout = 30 * time.Second
	}
	if c.Search.MaxBodyBytes == 0 {
		c.Search.MaxBodyBytes = 1 << 20
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = 20 * time.Second
	}
	for i := range c.Vendors {
		v := &c.Vendors[i]
		if v.Name == "" {
			v.Name = v.Protocol
		}
		if v.CacheTTL == nil {
			ttl := 3 * time.Minute
			v.CacheTTL = &ttl
		}
	}
}

// Load reads a config file; see Parse.
func Load(path string, getenv func(string) string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c, err := Parse(b, getenv)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Parse reads YAML config. ${NAME} in a value is replaced by the
// environment variable NAME (an unset variable is an error); defaults fill
// what is left out (the embedded sandbox is enabled unless the file says
// otherwise); the result is validated. A bad config is a Problems error
// that lists every problem at once, each naming its key, its line and the
// form expected: unknown and repeated keys, values of the wrong form (a
// duration is written like 5s), unset variables, and invalid settings.
func Parse(b []byte, getenv func(string) string) (Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return Config{}, err
	}
	var ps Problems
	orig := map[*yaml.Node]string{}
	expand(&root, "", getenv, orig, &ps)
	k := newChecker(orig)
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		k.check(root.Content[0], reflect.TypeFor[Config](), "")
	}
	ps = append(ps, k.ps...)
	// With the bad values unset and the bad keys removed, the rest is
	// decoded and validated too, so every problem is reported at once.
	k.mend(&root)
	c := Config{Sandbox: Sandbox{Enabled: true}} // the documented default
	if len(root.Content) > 0 {
		if err := root.Decode(&c); err != nil {
			return Config{}, err
		}
	}
	c.applyDefaults()
	var reported []string
	for _, p := range ps {
		reported = append(reported, p.Key)
	}
	for _, p := range c.problems() {
		// A setting already reported is not reported again as unset.
		if !covered(p.Key, reported) {
			ps = append(ps, p)
		}
	}
	ps.locate(k.lines)
	ps.sortByLine()
	if len(ps) > 0 {
		return Config{}, ps
	}
	return c, nil
}

// Validate checks the config and lists every bad setting, each named (a
// Problems error).
func (c Config) Validate() error {
	return c.problems().Err()
}

// problems lists every bad setting, in the config's order.
func (c Config) problems() Problems {
	var ps Problems
	add := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	validAddr(add, "listen", c.Listen)
	if c.Admin.Listen != "" {
		validAddr(add, "admin.listen", c.Admin.Listen)
	}
	if err := c.API.validate(); err != nil {
		msg := err.Error()
		key, _, _ := strings.Cut(msg, " ")
		add(key, "%s", msg)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		add("log_level", "log_level must be debug, info, warn or error, not %q", c.LogLevel)
	}
	s := c.Search
	// Zero is unset: the engine's default applies.
	notNegative(add, "search.",
		setting{"default_timeout", s.DefaultTimeout}, setting{"max_hotels", s.MaxHotels},
		setting{"max_nights", s.MaxNights}, setting{"max_in_flight", s.MaxInFlight},
	)
	if s.StreamInterval != nil {
		notNegative(add, "search.", setting{"stream_interval", *s.StreamInterval})
	}
	switch {
	case s.MaxTimeout <= 0:
		add("search.max_timeout", "search.max_timeout must be positive")
	case s.DefaultTimeout > s.MaxTimeout:
		add("search.default_timeout", "search.default_timeout %s is above search.max_timeout %s", s.DefaultTimeout, s.MaxTimeout)
	}
	if s.MaxBodyBytes < 1024 {
		add("search.max_body_bytes", "search.max_body_bytes must be at least 1024")
	}
	if c.ShutdownGrace < 0 {
		add("shutdown_grace", "shutdown_grace must not be negative")
	}
	u, err := url.Parse(c.Archive.URL)
	switch {
	case err != nil || (u.Scheme != "file" && u.Scheme != "s3"):
		add("archive.url", "archive.url must be s3://BUCKET/PREFIX or file:///DIR, not %q", c.Archive.URL)
	case u.Scheme == "s3" && u.Host == "":
		add("archive.url", "archive.url %q names no bucket", c.Archive.URL)
	}
	a := c.Archive
	if a.SegmentBytes < 1024 {
		add("archive.segment_bytes", "archive.segment_bytes must be at least 1024")
	}
	if a.SegmentAge < time.Second {
		add("archive.segment_age", "archive.segment_age must be at least 1s")
	}
	if a.Queue < 1 {
		add("archive.queue", "archive.queue must be at least 1")
	}
	if a.SpoolLimit < 1<<20 {
		add("archive.spool_limit", "archive.spool_limit must be at least 1 MiB (1048576)")
	}
	if a.UploadTimeout < time.Second {
		add("archive.upload_timeout", "archive.upload_timeout must be at least 1s")
	}
	if c.Sandbox.Enabled {
		validAddr(add, "sandbox.addr", c.Sandbox.Addr)
	}
	if len(c.Vendors) == 0 {
		add("vendors", "vendors: at least one vendor is needed")
	}
	names := map[string]bool{}
	for i, v := range c.Vendors {
		p := fmt.Sprintf("vendors[%d]", i)
		switch {
		case v.Name == "":
			add(p+".name", "%s.name is required", p)
		case names[v.Name]:
			add(p+".name", "%s.name %q is used twice", p, v.Name)
		}
		names[v.Name] = true
		if !slices.Contains(Protocols, v.Protocol) {
			add(p+".protocol", "%s.protocol must be one of %v, not %q", p, Protocols, v.Protocol)
		}
		if v.BaseURL == "" && !c.Sandbox.Enabled {
			add(p+".base_url", "%s.base_url is required when the sandbox is not enabled", p)
		}
		if v.BaseURL != "" {
			if u, err := url.Parse(v.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				add(p+".base_url", "%s.base_url %q is not an http(s) URL", p, v.BaseURL)
			}
			// The sandbox's demo credentials serve only vendors without a
			// base_url: an external vendor without its own would start
			// and then fail every call.
			for _, cred := range v.credentials() {
				if cred.value == "" {
					add(p+"."+cred.key, "%s.%s is required: a %s vendor with a base_url needs its own %s", p, cred.key, v.Protocol, v.credentialKeys())
				}
			}
		}
		// Zero is unset: the engine's default applies (the sandbox
		// vendor's, for concurrency and max_batch of sandbox vendors).
		var cacheTTL time.Duration
		if v.CacheTTL != nil {
			cacheTTL = *v.CacheTTL
		}
		notNegative(add, p+".",
			setting{"max_batch", v.MaxBatch}, setting{"concurrency", v.Concurrency},
			setting{"min_workers", v.MinWorkers}, setting{"max_workers", v.MaxWorkers},
			setting{"idle_timeout", v.IdleTimeout}, setting{"call_timeout", v.CallTimeout},
			setting{"refresh_before", v.RefreshBefore}, setting{"min_concurrency", v.MinConcurrency},
			setting{"rate_limit", v.RateLimit}, setting{"burst", v.Burst},
			setting{"retry_attempts", v.RetryAttempts}, setting{"retry_backoff", v.RetryBackoff},
			setting{"retry_budget", v.RetryBudget}, setting{"breaker_failures", v.BreakerFailures},
			setting{"breaker_cooldown", v.BreakerCooldown}, setting{"hedge_budget", v.HedgeBudget},
			setting{"cache_ttl", cacheTTL}, setting{"cache_empty_ttl", v.CacheEmptyTTL},
			setting{"cache_size", v.CacheSize}, setting{"batch_window", v.BatchWindow},
		)
		if v.MaxWorkers > 0 && v.Concurrency > 0 && v.MaxWorkers > v.Concurrency {
			add(p+".max_workers", "%s.max_workers %d is above its concurrency %d", p, v.MaxWorkers, v.Concurrency)
		}
		if v.MinWorkers > 0 && v.MaxWorkers > 0 && v.MinWorkers > v.MaxWorkers {
			add(p+".min_workers", "%s.min_workers %d is above max_workers %d", p, v.MinWorkers, v.MaxWorkers)
		}
		if v.Protocol == "solo" && v.MaxBatch > 1 {
			add(p+".max_batch", "%s.max_batch: the solo protocol answers one hotel per call", p)
		}
		if v.MinConcurrency > 0 && v.Concurrency > 0 && v.MinConcurrency > v.Concurrency {
			add(p+".min_concurrency", "%s.min_concurrency %d is above its concurrency %d", p, v.MinConcurrency, v.Concurrency)
		}
		if v.RetryBudget > 1 {
			add(p+".retry_budget", "%s.retry_budget must be between 0 and 1, not %g", p, v.RetryBudget)
		}
		if v.HedgeBudget > 1 {
			add(p+".hedge_budget", "%s.hedge_budget must be between 0 and 1, not %g", p, v.HedgeBudget)
		}
	}
	return ps
}

// A credential is one credential key of a vendor and its value.
type credential struct{ key, value string }

// credentials are the keys the vendor's protocol authenticates with.
func (v Vendor) credentials() []credential {
	switch v.Protocol {
	case "solo", "amadeus":
		return []credential{{"client_id", v.ClientID}, {"client_secret", v.ClientSecret}}
	case "bulk", "rapid", "hotelbeds":
		return []credential{{"api_key", v.APIKey}, {"secret", v.Secret}}
	case "session":
		return []credential{{"user", v.User}, {"password", v.Password}}
	}
	return nil
}

// credentialKeys names the protocol's credential keys, as "a and b".
func (v Vendor) credentialKeys() string {
	var keys []string
	for _, c := range v.credentials() {
		keys = append(keys, c.key)
	}
	return strings.Join(keys, " and ")
}

// A setting is a numeric key and its value: an int, float64 or
// time.Duration.
type setting struct {
	key   string
	value any
}

// notNegative reports every setting whose value is negative (or, for a
// float, not a number). Zero is fine: it leaves the setting to its
// default.
func notNegative(add func(key, format string, args ...any), prefix string, settings ...setting) {
	for _, s := range settings {
		var bad bool
		switch v := s.value.(type) {
		case int:
			bad = v < 0
		case float64:
			bad = !(v >= 0)
		case time.Duration:
			bad = v < 0
		default:
			panic(fmt.Sprintf("config: setting %s has type %T", s.key, v))
		}
		if bad {
			add(prefix+s.key, "%s%s must not be negative, not %v", prefix, s.key, s.value)
		}
	}
}

func validAddr(add func(key, format string, args ...any), key, addr string) {
	if _, port, ok := strings.Cut(addr, ":"); !ok || port == "" {
		add(key, "%s must be HOST:PORT, not %q", key, addr)
	}
}
