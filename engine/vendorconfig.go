package engine

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"hotelrates"
)

// VendorConfig is one vendor and the engine's resources for it.
type VendorConfig struct {
	Vendor hotelrates.Vendor
	// Concurrency is the most calls in flight to the vendor (default 4; for
	// session vendors at most the vendor's MaxSessions).
	Concurrency int
	// MinWorkers and MaxWorkers bound the rate-loader pool (defaults 1 and
	// Concurrency). MaxWorkers may not exceed Concurrency.
	MinWorkers int
	MaxWorkers int
	// IdleTimeout is how long a loader above the minimum waits for work
	// before it stops (default 30 s).
	IdleTimeout time.Duration
	// CallTimeout bounds one attempt of a vendor call, from the moment the
	// vendor's queue hands it to a loader (the wait for a credential
	// included), inside the search deadline (default 10 s). Once calls of
	// its size have answered, a call of a vendor without sessions is given
	// up sooner, as hung, after 8 times their smoothed wait (at least
	// 1 s), and retried. AuthTimeout bounds one login or token request
	// (default 10 s).
	CallTimeout time.Duration
	AuthTimeout time.Duration
	// RefreshBefore is how long before expiry a token is refreshed
	// (default 60 s, never more than a tenth of the token's life), if a
	// call used it: a token no call used lapses, and the next call fetches
	// one on demand.
	RefreshBefore time.Duration
	// QueueLimit is the most jobs that may wait for the vendor (default
	// 100000); jobs past it fail with code overloaded.
	QueueLimit int
	// Transport is the vendor's own connection pool (default: a new
	// http.Transport with MaxIdleConnsPerHost of at least Concurrency).
	Transport http.RoundTripper

	// MinConcurrency is the floor of the adaptive concurrency limit
	// (default Concurrency/4, at least 1); Concurrency is its ceiling. Set
	// it to Concurrency for a fixed limit.
	MinConcurrency int
	// RateLimit is the most calls per second (0: no limit), with bursts of
	// Burst (default 1).
	RateLimit float64
	Burst     int
	// RetryAttempts is the most attempts of one call that fails in a
	// retryable way (default 3; 1: no retries); RetryBackoff the first
	// backoff (default 50 ms, doubling, with full jitter); RetryBudget the
	// most retries as a fraction of calls (default 0.2).
	RetryAttempts int
	RetryBackoff  time.Duration
	RetryBudget   float64
	// BreakerFailures consecutive failures (or half of at least 4x that many calls)
	// open the vendor's circuit breaker (default 5); after BreakerCooldown
	// (default 5 s) one probe call decides whether it closes.
	BreakerFailures int
	BreakerCooldown time.Duration
	// Hedge sends a second call for a single-hotel vendor when the first
	// has not answered by the vendor's observed 95th percentile latency, at
	// most HedgeBudget extra calls (default 0.05). Off by default.
	Hedge       bool
	HedgeBudget float64

	// CacheTTL keeps the vendor's offers per hotel and stay for this long
	// (0: no cache); CacheEmptyTTL is the shorter life of an answer without
	// offers (default CacheTTL/6); CacheSize bounds the entries (default
	// 100000).
	CacheTTL      time.Duration
	CacheEmptyTTL time.Duration
	CacheSize     int
	// BatchWindow, for batch vendors, lets a queued job wait this long for
	// other searches' hotels of the same stay to ride in the same call
	// (0: no wait; jobs are still merged when they would wait for a loader
	// anyway). Never past any member's deadline. The vendor's queue waits
	// behind the held job, so keep it to a few milliseconds.
	BatchWindow time.Duration
}

func (c VendorConfig) withDefaults(info hotelrates.VendorInfo) (VendorConfig, error) {
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if info.Auth == hotelrates.AuthSession {
		if info.MaxSessions < 1 {
			return c, fmt.Errorf("vendor %s: a session vendor needs MaxSessions", info.Name)
		}
		c.Concurrency = min(c.Concurrency, info.MaxSessions)
	}
	if c.MinWorkers <= 0 {
		c.MinWorkers = 1
	}
	if c.MaxWorkers <= 0 {
		c.MaxWorkers = c.Concurrency
	}
	if c.MaxWorkers > c.Concurrency {
		return c, fmt.Errorf("vendor %s: max workers %d is above its concurrency %d", info.Name, c.MaxWorkers, c.Concurrency)
	}
	if c.MinWorkers > c.MaxWorkers {
		return c, fmt.Errorf("vendor %s: min workers %d is above max workers %d", info.Name, c.MinWorkers, c.MaxWorkers)
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Second
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 10 * time.Second
	}
	if c.AuthTimeout <= 0 {
		c.AuthTimeout = 10 * time.Second
	}
	if c.RefreshBefore <= 0 {
		c.RefreshBefore = time.Minute
	}
	if c.QueueLimit <= 0 {
		c.QueueLimit = 100000
	}
	if c.MinConcurrency <= 0 {
		c.MinConcurrency = max(1, c.Concurrency/4)
	}
	c.MinConcurrency = min(c.MinConcurrency, c.Concurrency)
	if c.RateLimit < 0 {
		return c, fmt.Errorf("vendor %s: negative rate limit", info.Name)
	}
	if c.Burst <= 0 {
		c.Burst = 1
	}
	if c.RetryAttempts <= 0 {
		c.RetryAttempts = 3
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 50 * time.Millisecond
	}
	if c.RetryBudget <= 0 {
		c.RetryBudget = 0.2
	}
	if c.BreakerFailures <= 0 {
		c.BreakerFailures = 5
	}
	if c.BreakerCooldown <= 0 {
		c.BreakerCooldown = 5 * time.Second
	}
	if c.HedgeBudget <= 0 {
		c.HedgeBudget = 0.05
	}
	if c.CacheEmptyTTL <= 0 {
		c.CacheEmptyTTL = c.CacheTTL / 6
	}
	if c.CacheSize <= 0 {
		c.CacheSize = 100000
	}
	return c, nil
}

// NewTransport returns an http.Transport for one vendor that keeps enough
// idle connections for concurrency calls in flight and opens no more than
// concurrency+2 (the calls, a token request and a logout), so the
// goroutines its connections need are bounded too (GoroutineBound).
func NewTransport(concurrency int) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          max(100, 2*concurrency),
		MaxIdleConnsPerHost:   max(2, concurrency),
		MaxConnsPerHost:       maxConns(concurrency),
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 0, // the call's context bounds it
		ForceAttemptHTTP2:     true,
	}
}
