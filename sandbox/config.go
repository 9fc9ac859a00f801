package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the behaviour of the whole sandbox: a seed for every random
// choice and each vendor's settings. Start from DefaultConfig.
type Config struct {
	// Seed drives jitter and faults, so runs with the same seed repeat.
	Seed    uint64  `yaml:"seed"`
	Vendors Vendors `yaml:"vendors"`
}

// Vendors holds each sandbox vendor's settings.
type Vendors struct {
	Solo      VendorConfig `yaml:"solo"`
	Bulk      VendorConfig `yaml:"bulk"`
	Session   VendorConfig `yaml:"session"`
	Amadeus   VendorConfig `yaml:"amadeus"`
	Rapid     VendorConfig `yaml:"rapid"`
	Hotelbeds VendorConfig `yaml:"hotelbeds"`
}

// Get returns the settings of the named vendor.
func (v *Vendors) Get(name string) *VendorConfig {
	switch name {
	case Solo:
		return &v.Solo
	case Bulk:
		return &v.Bulk
	case Session:
		return &v.Session
	case Amadeus:
		return &v.Amadeus
	case Rapid:
		return &v.Rapid
	case Hotelbeds:
		return &v.Hotelbeds
	}
	return nil
}

// VendorConfig is one sandbox vendor's capacity, latency, faults and
// credentials. Fields a protocol does not use are ignored.
type VendorConfig struct {
	// Concurrency is how many availability calls are in service at once (C).
	// For the session vendor it is also the most open sessions per account.
	Concurrency int `yaml:"concurrency"`
	// QueueLimit is how many calls may wait for service; more get 429.
	QueueLimit int `yaml:"queue_limit"`
	// RPS limits availability calls per second (0: no limit); Burst is the
	// bucket size.
	RPS   float64 `yaml:"rps"`
	Burst int     `yaml:"burst"`
	// MaxBatch is the most hotels one availability call may ask for.
	MaxBatch int     `yaml:"max_batch"`
	Latency  Latency `yaml:"latency"`
	Faults   Faults  `yaml:"faults"`
	// DailyQuota is how many availability calls a day the account may make
	// (0: no quota); past it the vendor answers its over-quota error until
	// the next UTC day (hotelbeds).
	DailyQuota int `yaml:"daily_quota"`
	// TokenTTL is the lifetime of an OAuth2 token (solo, amadeus).
	TokenTTL time.Duration `yaml:"token_ttl"`
	// SignatureSkew is how far a signature's timestamp may be off (bulk,
	// rapid, hotelbeds).
	SignatureSkew time.Duration `yaml:"signature_skew"`
	// SessionIdle ends a session unused for this long (session).
	SessionIdle time.Duration `yaml:"session_idle"`
	Credentials Credentials   `yaml:"credentials"`
}

// Latency is the service time of one availability call:
// Base + PerHotel x hotels, times a jitter factor.
type Latency struct {
	Base     time.Duration `yaml:"base"`
	PerHotel time.Duration `yaml:"per_hotel"`
	// Jitter is "none" or "lognormal" (mean-preserving, spread Sigma).
	Jitter string  `yaml:"jitter"`
	Sigma  float64 `yaml:"sigma"`
}

// Of returns the latency of a call for n hotels without jitter.
func (l Latency) Of(n int) time.Duration { return l.Base + time.Duration(n)*l.PerHotel }

// Faults are the probabilities (0 to 1) of each fault per availability call,
// tried in this order. SlowBodyDelay is the pause between 64-byte chunks of
// a slow body.
type Faults struct {
	Error500      float64       `yaml:"error_500"`
	Error503      float64       `yaml:"error_503"`
	Hang          float64       `yaml:"hang"`
	Malformed     float64       `yaml:"malformed"`
	Truncated     float64       `yaml:"truncated"`
	SlowBody      float64       `yaml:"slow_body"`
	Revoke        float64       `yaml:"revoke"`
	SlowBodyDelay time.Duration `yaml:"slow_body_delay"`
}

// Credentials are a sandbox vendor's demo credentials.
type Credentials struct {
	ClientID     string `yaml:"client_id"`     // solo, amadeus
	ClientSecret string `yaml:"client_secret"` // solo, amadeus
	APIKey       string `yaml:"api_key"`       // bulk, rapid, hotelbeds
	Secret       string `yaml:"secret"`        // bulk, rapid, hotelbeds
	User         string `yaml:"user"`          // session
	Password     string `yaml:"password"`      // session
}

// The demo credentials of the default configuration.
const (
	DemoSoloClientID     = "demo-solo"
	DemoSoloClientSecret = "solo-demo-secret"
	DemoBulkAPIKey       = "demo-bulk-key"
	DemoBulkSecret       = "bulk-demo-secret"
	DemoSessionUser      = "demo-session"
	DemoSessionPassword  = "session-demo-password"

	DemoAmadeusClientID     = "demo-amadeus"
	DemoAmadeusClientSecret = "amadeus-demo-secret"
	DemoRapidAPIKey         = "demo-rapid-key"
	DemoRapidSecret         = "rapid-demo-secret"
	DemoHotelbedsAPIKey     = "demo-hotelbeds-key"
	DemoHotelbedsSecret     = "hotelbeds-demo-secret"
)

// DefaultConfig returns the documented defaults: solo C=16, 40 ms; bulk C=4,
// 100 ms + 0.5 ms per hotel, 20 requests/s, at most 250 hotels; session at
// most 4 sessions, 60 ms + 2 ms per hotel, at most 20 hotels; no jitter and
// no faults.
func DefaultConfig() Config {
	return Config{
		Seed: 1,
		Vendors: Vendors{
			Solo: VendorConfig{
				Concurrency: 16, QueueLimit: 1024, MaxBatch: 1,
				Latency:     Latency{Base: 40 * time.Millisecond, Jitter: "none", Sigma: 0.3},
				Faults:      Faults{SlowBodyDelay: 100 * time.Millisecond},
				TokenTTL:    1799 * time.Second,
				Credentials: Credentials{ClientID: DemoSoloClientID, ClientSecret: DemoSoloClientSecret},
			},
			Bulk: VendorConfig{
				Concurrency: 4, QueueLimit: 64, RPS: 20, Burst: 20, MaxBatch: 250,
				Latency:       Latency{Base: 100 * time.Millisecond, PerHotel: 500 * time.Microsecond, Jitter: "none", Sigma: 0.3},
				Faults:        Faults{SlowBodyDelay: 100 * time.Millisecond},
				SignatureSkew: 300 * time.Second,
				Credentials:   Credentials{APIKey: DemoBulkAPIKey, Secret: DemoBulkSecret},
			},
			Session: VendorConfig{
				Concurrency: 4, QueueLimit: 64, MaxBatch: 20,
				Latency:     Latency{Base: 60 * time.Millisecond, PerHotel: 2 * time.Millisecond, Jitter: "none", Sigma: 0.3},
				Faults:      Faults{SlowBodyDelay: 100 * time.Millisecond},
				SessionIdle: 120 * time.Second,
				Credentials: Credentials{User: DemoSessionUser, Password: DemoSessionPassword},
			},
			// The suppliers imitate their real APIs' published limits:
			// Amadeus' test environment takes 10 requests a second and no
			// more than one per 100 ms, at most 20 hotel ids a call; Rapid
			// up to 250 properties a call; Hotelbeds up to 2,000 hotel codes
			// a call at a few requests a second.
			Amadeus: VendorConfig{
				Concurrency: 8, QueueLimit: 64, RPS: 10, Burst: 1, MaxBatch: 20,
				Latency:     Latency{Base: 80 * time.Millisecond, PerHotel: 2 * time.Millisecond, Jitter: "none", Sigma: 0.3},
				Faults:      Faults{SlowBodyDelay: 100 * time.Millisecond},
				TokenTTL:    1799 * time.Second,
				Credentials: Credentials{ClientID: DemoAmadeusClientID, ClientSecret: DemoAmadeusClientSecret},
			},
			Rapid: VendorConfig{
				Concurrency: 8, QueueLimit: 64, RPS: 20, Burst: 20, MaxBatch: 250,
				Latency:       Latency{Base: 120 * time.Millisecond, PerHotel: 400 * time.Microsecond, Jitter: "none", Sigma: 0.3},
				Faults:        Faults{SlowBodyDelay: 100 * time.Millisecond},
				SignatureSkew: 300 * time.Second,
				Credentials:   Credentials{APIKey: DemoRapidAPIKey, Secret: DemoRapidSecret},
			},
			Hotelbeds: VendorConfig{
				Concurrency: 4, QueueLimit: 64, RPS: 8, Burst: 8, MaxBatch: 2000,
				Latency:       Latency{Base: 150 * time.Millisecond, PerHotel: 200 * time.Microsecond, Jitter: "none", Sigma: 0.3},
				Faults:        Faults{SlowBodyDelay: 100 * time.Millisecond},
				SignatureSkew: 300 * time.Second,
				Credentials:   Credentials{APIKey: DemoHotelbedsAPIKey, Secret: DemoHotelbedsSecret},
			},
		},
	}
}

// LoadConfig reads a YAML sandbox config over the defaults: keys it leaves
// out keep their default. Unknown keys are errors that name the key and line.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	cfg, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig parses YAML over DefaultConfig and validates the result.
func ParseConfig(b []byte) (Config, error) {
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// Validate checks every setting and names the first one out of range.
func (c Config) Validate() error {
	for _, name := range AllVendorNames() {
		v := c.Vendors.Get(name)
		p := "vendors." + name + "."
		switch {
		case v.Concurrency < 1:
			return fmt.Errorf("%sconcurrency must be at least 1", p)
		case v.QueueLimit < 0:
			return fmt.Errorf("%squeue_limit must not be negative", p)
		case v.RPS < 0:
			return fmt.Errorf("%srps must not be negative", p)
		case v.RPS > 0 && v.Burst < 1:
			return fmt.Errorf("%sburst must be at least 1 when rps is set", p)
		case v.MaxBatch < 1:
			return fmt.Errorf("%smax_batch must be at least 1", p)
		case name == Solo && v.MaxBatch != 1:
			return fmt.Errorf("%smax_batch must be 1: solo answers one hotel per call", p)
		case v.Latency.Base < 0 || v.Latency.PerHotel < 0:
			return fmt.Errorf("%slatency must not be negative", p)
		case v.Latency.Jitter != "none" && v.Latency.Jitter != "lognormal" && v.Latency.Jitter != "":
			return fmt.Errorf("%slatency.jitter must be none or lognormal, not %q", p, v.Latency.Jitter)
		case v.Latency.Sigma < 0 || v.Latency.Sigma > 3:
			return fmt.Errorf("%slatency.sigma must be between 0 and 3", p)
		case v.DailyQuota < 0:
			return fmt.Errorf("%sdaily_quota must not be negative", p)
		case v.Faults.SlowBodyDelay < 0:
			return fmt.Errorf("%sfaults.slow_body_delay must not be negative", p)
		}
		f := v.Faults
		sum := 0.0
		for _, pr := range []float64{f.Error500, f.Error503, f.Hang, f.Malformed, f.Truncated, f.SlowBody, f.Revoke} {
			if pr < 0 || pr > 1 {
				return fmt.Errorf("%sfaults: each probability must be between 0 and 1", p)
			}
			sum += pr
		}
		if sum > 1 {
			return fmt.Errorf("%sfaults: probabilities add up to %.3f, more than 1", p, sum)
		}
	}
	for _, name := range []string{Solo, Amadeus} {
		if c.Vendors.Get(name).TokenTTL < time.Second {
			return fmt.Errorf("vendors.%s.token_ttl must be at least 1s", name)
		}
	}
	for _, name := range []string{Bulk, Rapid, Hotelbeds} {
		if c.Vendors.Get(name).SignatureSkew < time.Second {
			return fmt.Errorf("vendors.%s.signature_skew must be at least 1s", name)
		}
	}
	if c.Vendors.Session.SessionIdle <= 0 {
		return fmt.Errorf("vendors.session.session_idle must be positive")
	}
	return nil
}
