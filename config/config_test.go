package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		wantErr string
		check   func(Config) string
	}{
		{name: "empty file is the defaults without vendors", yaml: "", wantErr: "at least one vendor"},
		{name: "minimal sandbox", yaml: "sandbox: {enabled: true}\nvendors:\n  - protocol: solo\n", check: func(c Config) string {
			if c.Vendors[0].Name != "solo" || c.Search.MaxTimeout != 30*time.Second || c.Archive.URL != "file://./data/archive" {
				return "defaults not applied"
			}
			return ""
		}},
		{name: "env expansion", yaml: "vendors:\n  - name: s\n    protocol: solo\n    base_url: http://v.example/solo\n    client_id: id\n    client_secret: ${SOLO_SECRET}\n",
			env: map[string]string{"SOLO_SECRET": "s3cr3t: with colon"}, check: func(c Config) string {
				if c.Vendors[0].ClientSecret != "s3cr3t: with colon" {
					return "secret " + c.Vendors[0].ClientSecret
				}
				return ""
			}},
		{name: "unset env", yaml: "vendors:\n  - name: s\n    protocol: solo\n    base_url: http://x/solo\n    client_secret: ${NOPE}\n", wantErr: "line 5: environment variable NOPE is not set"},
		{name: "env in numbers, durations and booleans", yaml: "sandbox:\n  enabled: ${SB}\nsearch:\n  max_timeout: ${MAXT}\nvendors:\n  - protocol: bulk\n    concurrency: ${BULK_C}\n",
			env: map[string]string{"SB": "true", "MAXT": "12s", "BULK_C": "3"}, check: func(c Config) string {
				if !c.Sandbox.Enabled || c.Search.MaxTimeout != 12*time.Second || c.Vendors[0].Concurrency != 3 {
					return fmt.Sprintf("got %v %v %d", c.Sandbox.Enabled, c.Search.MaxTimeout, c.Vendors[0].Concurrency)
				}
				return ""
			}},
		{name: "env secret that looks like a number", yaml: "vendors:\n  - name: s\n    protocol: solo\n    base_url: http://v.example/solo\n    client_id: id\n    client_secret: ${SOLO_SECRET}\n",
			env: map[string]string{"SOLO_SECRET": "0012345"}, check: func(c Config) string {
				if c.Vendors[0].ClientSecret != "0012345" {
					return "secret " + c.Vendors[0].ClientSecret
				}
				return ""
			}},
		{name: "env that is not a number", yaml: "sandbox: {enabled: true}\nvendors:\n  - protocol: bulk\n    concurrency: ${BULK_C}\n", env: map[string]string{"BULK_C": "many"}, wantErr: "line 4: vendors[0].concurrency must be a whole number, not the value of ${BULK_C}"},
		{name: "type error and unknown key", yaml: "search: {max_hotel: 3, max_timeout: x}\n", wantErr: "line 1: field max_hotel not found in search; did you mean max_hotels?\n  line 1: search.max_timeout must be a duration"},
		{name: "unknown key with line", yaml: "search:\n  max_hotel: 3\n", wantErr: "line 2: field max_hotel not found"},
		{name: "unknown vendor key", yaml: "vendors:\n  - name: s\n    protokol: solo\n", wantErr: "line 3: field protokol not found"},
		{name: "bad protocol", yaml: "sandbox: {enabled: true}\nvendors: [{name: a, protocol: soap}]\n", wantErr: "vendors[0].protocol"},
		{name: "no base url without sandbox", yaml: "sandbox: {enabled: false}\nvendors: [{name: a, protocol: bulk}]\n", wantErr: "vendors[0].base_url is required"},
		{name: "duplicate name", yaml: "sandbox: {enabled: true}\nvendors: [{protocol: bulk}, {protocol: bulk}]\n", wantErr: "used twice"},
		{name: "workers above concurrency", yaml: "sandbox: {enabled: true}\nvendors: [{protocol: bulk, concurrency: 2, max_workers: 3}]\n", wantErr: "max_workers 3 is above"},
		{name: "timeouts", yaml: "sandbox: {enabled: true}\nsearch: {default_timeout: 40s}\nvendors: [{protocol: bulk}]\n", wantErr: "above search.max_timeout"},
		{name: "durations", yaml: "sandbox: {enabled: true}\nsearch: {default_timeout: 2s, max_timeout: 9s}\nvendors: [{protocol: bulk}]\n", check: func(c Config) string {
			if c.Search.DefaultTimeout != 2*time.Second || c.Search.MaxTimeout != 9*time.Second {
				return "durations not read"
			}
			return ""
		}},
		{name: "cache defaults and off", yaml: "sandbox: {enabled: true}\nvendors: [{protocol: bulk}, {protocol: solo, cache_ttl: 0s}, {protocol: session, cache_ttl: 10s}]\n", check: func(c Config) string {
			// cache_empty_ttl stays unset: the engine's cache_ttl/6 applies.
			if *c.Vendors[0].CacheTTL != 3*time.Minute || *c.Vendors[1].CacheTTL != 0 || *c.Vendors[2].CacheTTL != 10*time.Second || c.Vendors[0].CacheEmptyTTL != 0 || c.Vendors[2].CacheEmptyTTL != 0 {
				return fmt.Sprintf("cache ttls %v %v %v, empty %v %v", *c.Vendors[0].CacheTTL, *c.Vendors[1].CacheTTL, *c.Vendors[2].CacheTTL, c.Vendors[0].CacheEmptyTTL, c.Vendors[2].CacheEmptyTTL)
			}
			return ""
		}},
		{name: "default timeout above max timeout", yaml: "sandbox: {enabled: true}\nsearch: {default_timeout: 10s, max_timeout: 9s}\nvendors: [{protocol: bulk}]\n", wantErr: "search.default_timeout 10s is above search.max_timeout 9s"},
		{name: "negative max timeout", yaml: "sandbox: {enabled: true}\nsearch: {max_timeout: -1s}\nvendors: [{protocol: bulk}]\n", wantErr: "search.max_timeout must be positive"},
		{name: "budget above 1", yaml: "sandbox: {enabled: true}\nvendors: [{protocol: bulk, retry_budget: 1.5}]\n", wantErr: "vendors[0].retry_budget must be between 0 and 1, not 1.5"},
		{name: "rate limit not a number", yaml: "sandbox: {enabled: true}\nvendors: [{protocol: bulk, rate_limit: .nan}]\n", wantErr: "vendors[0].rate_limit must not be negative, not NaN"},
		{name: "archive url", yaml: "sandbox: {enabled: true}\narchive: {url: 'ftp://x'}\nvendors: [{protocol: bulk}]\n", wantErr: "archive.url"},
		{name: "s3 without bucket", yaml: "sandbox: {enabled: true}\narchive: {url: 's3:///x'}\nvendors: [{protocol: bulk}]\n", wantErr: "names no bucket"},
		{name: "s3 archive", yaml: "sandbox: {enabled: true}\narchive: {url: 's3://bkt/raw/x', path_style: true, region: eu-west-1}\nvendors: [{protocol: bulk}]\n", check: func(c Config) string {
			if c.Archive.URL != "s3://bkt/raw/x" || !c.Archive.PathStyle || c.Archive.Region != "eu-west-1" {
				return "s3 settings not read"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(c); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.Vendors) != 6 || !c.Sandbox.Enabled || c.Archive.URL != "file://./data/archive" || c.Archive.SpoolDir != "./data/spool" {
		t.Errorf("default %+v", c)
	}
}

// What the engine defaults is left unset (zero) by Parse and Default, so
// the service passes the zero on and the engine's default applies; what is
// set is kept as it is.
func TestEngineDefaultsLeftUnset(t *testing.T) {
	parse := func(yaml string) func() (Config, error) {
		return func() (Config, error) { return Parse([]byte(yaml), env(nil)) }
	}
	tests := []struct {
		name   string
		config func() (Config, error)
		search Search // the engine-defaulted search settings wanted
		vendor Vendor // the engine-defaulted vendor settings wanted, for every vendor
	}{
		{name: "embedded default", config: func() (Config, error) { return Default(), nil }},
		{name: "nothing set", config: parse("sandbox: {enabled: true}\nvendors: [{protocol: solo}, {protocol: bulk}, {protocol: session}]\n")},
		{name: "zero is unset", config: parse("sandbox: {enabled: true}\nsearch: {default_timeout: 0s, max_in_flight: 0}\nvendors: [{protocol: solo, cache_empty_ttl: 0s, cache_size: 0, retry_attempts: 0}]\n")},
		{name: "cache_ttl set, cache_empty_ttl not", config: parse("sandbox: {enabled: true}\nvendors: [{protocol: solo, cache_ttl: 12s}]\n")},
		{name: "everything set", config: parse(`sandbox: {enabled: true}
search: {default_timeout: 2s, max_hotels: 10, max_nights: 3, max_in_flight: 7, share_calls: false}
vendors:
  - protocol: bulk
    concurrency: 8
    min_workers: 2
    max_workers: 6
    idle_timeout: 11s
    call_timeout: 3s
    refresh_before: 20s
    min_concurrency: 3
    burst: 4
    retry_attempts: 2
    retry_backoff: 70ms
    retry_budget: 0.3
    breaker_failures: 9
    breaker_cooldown: 8s
    hedge_budget: 0.1
    cache_empty_ttl: 40s
    cache_size: 500
`),
			search: Search{DefaultTimeout: 2 * time.Second, MaxHotels: 10, MaxNights: 3, MaxInFlight: 7, ShareCalls: new(false)},
			vendor: Vendor{Concurrency: 8, MinWorkers: 2, MaxWorkers: 6, IdleTimeout: 11 * time.Second, CallTimeout: 3 * time.Second,
				RefreshBefore: 20 * time.Second, MinConcurrency: 3, Burst: 4, RetryAttempts: 2, RetryBackoff: 70 * time.Millisecond,
				RetryBudget: 0.3, BreakerFailures: 9, BreakerCooldown: 8 * time.Second, HedgeBudget: 0.1,
				CacheEmptyTTL: 40 * time.Second, CacheSize: 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.config()
			if err != nil {
				t.Fatal(err)
			}
			s := engineDefaulted(c.Search)
			if !reflect.DeepEqual(s, tt.search) {
				t.Errorf("search %+v, want %+v", s, tt.search)
			}
			for i, v := range c.Vendors {
				if got := vendorEngineDefaulted(v); got != tt.vendor {
					t.Errorf("vendors[%d] %+v, want %+v", i, got, tt.vendor)
				}
			}
		})
	}
}

// engineDefaulted keeps the search settings the engine defaults.
func engineDefaulted(s Search) Search {
	return Search{DefaultTimeout: s.DefaultTimeout, MaxHotels: s.MaxHotels, MaxNights: s.MaxNights, MaxInFlight: s.MaxInFlight, ShareCalls: s.ShareCalls}
}

// vendorEngineDefaulted keeps the vendor settings the engine defaults.
func vendorEngineDefaulted(v Vendor) Vendor {
	return Vendor{
		Concurrency: v.Concurrency, MinWorkers: v.MinWorkers, MaxWorkers: v.MaxWorkers, IdleTimeout: v.IdleTimeout,
		CallTimeout: v.CallTimeout, RefreshBefore: v.RefreshBefore, MinConcurrency: v.MinConcurrency, Burst: v.Burst,
		RetryAttempts: v.RetryAttempts, RetryBackoff: v.RetryBackoff, RetryBudget: v.RetryBudget,
		BreakerFailures: v.BreakerFailures, BreakerCooldown: v.BreakerCooldown, HedgeBudget: v.HedgeBudget,
		CacheEmptyTTL: v.CacheEmptyTTL, CacheSize: v.CacheSize,
	}
}

// A negative value is an error naming its key; zero is not (it is unset).
func TestNegativeNamesTheKey(t *testing.T) {
	tests := []struct{ key, value string }{
		{"search.default_timeout", "-1s"}, {"search.stream_interval", "-5ms"}, {"search.max_hotels", "-1"}, {"search.max_nights", "-2"}, {"search.max_in_flight", "-3"},
		{"vendors[0].max_batch", "-1"}, {"vendors[0].concurrency", "-1"}, {"vendors[0].min_workers", "-1"}, {"vendors[0].max_workers", "-1"},
		{"vendors[0].idle_timeout", "-1s"}, {"vendors[0].call_timeout", "-1s"}, {"vendors[0].refresh_before", "-1m"},
		{"vendors[0].min_concurrency", "-1"}, {"vendors[0].rate_limit", "-0.5"}, {"vendors[0].burst", "-1"},
		{"vendors[0].retry_attempts", "-1"}, {"vendors[0].retry_backoff", "-1ms"}, {"vendors[0].retry_budget", "-0.1"},
		{"vendors[0].breaker_failures", "-1"}, {"vendors[0].breaker_cooldown", "-1s"}, {"vendors[0].hedge_budget", "-0.1"},
		{"vendors[0].cache_ttl", "-1s"}, {"vendors[0].cache_empty_ttl", "-1s"}, {"vendors[0].cache_size", "-1"},
		{"vendors[0].batch_window", "-1ms"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			section, key, _ := strings.Cut(tt.key, ".")
			var yaml string
			if section == "search" {
				yaml = fmt.Sprintf("sandbox: {enabled: true}\nsearch: {%s: %s}\nvendors: [{protocol: bulk}]\n", key, tt.value)
			} else {
				yaml = fmt.Sprintf("sandbox: {enabled: true}\nvendors: [{protocol: bulk, %s: %s}]\n", key, tt.value)
			}
			_, err := Parse([]byte(yaml), env(nil))
			want := tt.key + " must not be negative, not "
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want %q", err, want)
			}
			zero := "0"
			if strings.HasSuffix(tt.value, "s") || strings.HasSuffix(tt.value, "m") {
				zero = "0s"
			}
			if _, err := Parse([]byte(strings.Replace(yaml, tt.value, zero, 1)), env(nil)); err != nil {
				t.Errorf("zero %s: %v", tt.key, err)
			}
		})
	}
}
