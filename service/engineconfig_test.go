package service

import (
	"cmp"
	"fmt"
	"reflect"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/config"
	"hotelrates/engine"
	"hotelrates/sandbox"
	"hotelrates/vendors/session"
)

// What the config leaves unset reaches the engine as zero, so the
// engine's default applies (engine.VendorConfig.withDefaults and
// engine.New): an unset cache_empty_ttl is the engine's CacheTTL/6, not a
// fixed value that would keep sold-out answers longer than offers. What
// is set is passed on as it is.
func TestEngineConfigLeavesDefaultsToTheEngine(t *testing.T) {
	const vendors = `
vendors:
  - {protocol: solo, base_url: "http://solo.example", client_id: a, client_secret: b%[1]s}
  - {protocol: bulk, base_url: "http://bulk.example", api_key: a, secret: b%[1]s}
  - {protocol: session, base_url: "http://session.example", user: a, password: b%[1]s}
`
	// The search options the engine gets from the config, Vendors and what
	// is not the config's (recorder, logger, metrics) left out.
	unsetOpts := engine.Options{MaxTimeout: 30 * time.Second} // max_timeout is the config's own
	tests := []struct {
		name     string
		search   string // YAML under search:
		vendor   string // YAML added to every vendor's flow mapping
		want     engine.VendorConfig
		wantOpts engine.Options
	}{
		{
			name: "nothing set: every engine default applies",
			want: engine.VendorConfig{CacheTTL: 3 * time.Minute}, wantOpts: unsetOpts,
		},
		{
			name: "cache_ttl set, cache_empty_ttl unset: the engine's CacheTTL/6", vendor: ", cache_ttl: 12s",
			want: engine.VendorConfig{CacheTTL: 12 * time.Second}, wantOpts: unsetOpts,
		},
		{
			name: "cache off", vendor: ", cache_ttl: 0s",
			want: engine.VendorConfig{}, wantOpts: unsetOpts,
		},
		{
			name: "zero is unset", search: "{default_timeout: 0s, max_in_flight: 0, max_hotels: 0}",
			vendor: ", concurrency: 0, cache_empty_ttl: 0s, cache_size: 0, retry_attempts: 0, burst: 0",
			want:   engine.VendorConfig{CacheTTL: 3 * time.Minute}, wantOpts: unsetOpts,
		},
		{
			name:   "everything set is passed on",
			search: "{default_timeout: 2s, max_timeout: 9s, max_hotels: 10, max_nights: 3, max_in_flight: 7, share_calls: false}",
			vendor: ", concurrency: 8, min_workers: 2, max_workers: 6, idle_timeout: 11s, call_timeout: 3s, refresh_before: 20s," +
				" min_concurrency: 3, rate_limit: 5, burst: 4, retry_attempts: 2, retry_backoff: 70ms, retry_budget: 0.3," +
				" breaker_failures: 9, breaker_cooldown: 8s, hedge: true, hedge_budget: 0.1," +
				" cache_ttl: 1m, cache_empty_ttl: 40s, cache_size: 500, batch_window: 2ms",
			want: engine.VendorConfig{
				Concurrency: 8, MinWorkers: 2, MaxWorkers: 6, IdleTimeout: 11 * time.Second, CallTimeout: 3 * time.Second,
				RefreshBefore: 20 * time.Second, MinConcurrency: 3, RateLimit: 5, Burst: 4,
				RetryAttempts: 2, RetryBackoff: 70 * time.Millisecond, RetryBudget: 0.3,
				BreakerFailures: 9, BreakerCooldown: 8 * time.Second, Hedge: true, HedgeBudget: 0.1,
				CacheTTL: time.Minute, CacheEmptyTTL: 40 * time.Second, CacheSize: 500, BatchWindow: 2 * time.Millisecond,
			},
			wantOpts: engine.Options{
				DefaultTimeout: 2 * time.Second, MaxTimeout: 9 * time.Second,
				Limits: hotelrates.Limits{MaxHotels: 10, MaxNights: 3}, MaxSearches: 7, NoSharing: true,
			},
		},
		{
			name: "share_calls true", search: "{share_calls: true}",
			want: engine.VendorConfig{CacheTTL: 3 * time.Minute}, wantOpts: unsetOpts,
		},
		{
			name: "stream_interval set", search: "{stream_interval: 25ms}",
			want: engine.VendorConfig{CacheTTL: 3 * time.Minute}, wantOpts: engine.Options{MaxTimeout: 30 * time.Second, StreamInterval: 25 * time.Millisecond},
		},
		{
			name: "stream_interval 0s: none", search: "{stream_interval: 0s}",
			want: engine.VendorConfig{CacheTTL: 3 * time.Minute}, wantOpts: engine.Options{MaxTimeout: 30 * time.Second, StreamInterval: -1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := fmt.Sprintf(vendors, tt.vendor)
			if tt.search != "" {
				yaml = "search: " + tt.search + "\n" + yaml
			}
			cfg, err := config.Parse([]byte(yaml), func(string) string { return "" })
			if err != nil {
				t.Fatalf("%v\n%s", err, yaml)
			}
			vcs, err := (&Service{}).engineVendors(cfg.Vendors, sandbox.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if len(vcs) != len(cfg.Vendors) {
				t.Fatalf("%d vendor configs for %d vendors", len(vcs), len(cfg.Vendors))
			}
			for i, vc := range vcs {
				if vc.Vendor == nil || vc.Vendor.Info().Name != cfg.Vendors[i].Name {
					t.Fatalf("vendors[%d]: client adapter %v", i, vc.Vendor)
				}
				// A session client holds the configured concurrency in
				// sessions, else its own default, which bounds the engine's.
				if info := vc.Vendor.Info(); info.Auth == hotelrates.AuthSession {
					want := cmp.Or(tt.want.Concurrency, session.DefaultMaxSessions)
					if info.MaxSessions != want {
						t.Errorf("vendors[%d]: %d sessions, want %d", i, info.MaxSessions, want)
					}
				}
				vc.Vendor = nil
				if !reflect.DeepEqual(vc, tt.want) {
					t.Errorf("vendors[%d] (%s):\n got %+v\nwant %+v", i, cfg.Vendors[i].Protocol, vc, tt.want)
				}
			}
			opts := engineOptions(cfg.Search, vcs)
			if len(opts.Vendors) != len(vcs) {
				t.Errorf("options carry %d vendors, want %d", len(opts.Vendors), len(vcs))
			}
			opts.Vendors = nil
			if !reflect.DeepEqual(opts, tt.wantOpts) {
				t.Errorf("options:\n got %+v\nwant %+v", opts, tt.wantOpts)
			}
		})
	}
}
