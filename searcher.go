package hotelrates

import (
	"context"
	"time"
)

// Searcher answers hotel rate searches: the service the HTTP API serves
// from. Package engine implements it.
type Searcher interface {
	// Search answers s from every vendor it names (all, when it names
	// none) and returns when every vendor answered for every hotel, or
	// when the search's deadline passes, with what arrived: every hotel
	// once, in the order of s.HotelIDs.
	Search(ctx context.Context, s Search) (Result, error)
	// Stream answers s like Search but passes hotels to onHotels as soon
	// as every vendor has answered for them, those that completed together
	// in one call (so a writer can flush once per call); the Result
	// returned last is the summary (Hotels nil).
	Stream(ctx context.Context, s Search, onHotels func([]HotelResult) error) (Result, error)
	// Vendors returns a live view of every configured vendor.
	Vendors() []VendorState
	// Limits returns the limits searches are validated against.
	Limits() Limits
}

// VendorState is a live view of one vendor's resources in a Searcher.
type VendorState struct {
	Name        string `json:"vendor"`
	Strategy    string `json:"strategy"` // "single" (one hotel per call) or "batch"
	MaxBatch    int    `json:"max_batch"`
	Auth        string `json:"auth"`
	Concurrency int    `json:"concurrency"`
	MinWorkers  int    `json:"min_workers"`
	MaxWorkers  int    `json:"max_workers"`
	// Workers are the rate loaders running; Queued the jobs waiting for
	// the vendor (retries waiting out their backoff included); InFlight the
	// calls in flight and PeakInFlight the most there ever were.
	Workers      int64 `json:"workers"`
	Queued       int64 `json:"queued"`
	InFlight     int64 `json:"in_flight"`
	PeakInFlight int64 `json:"peak_in_flight"`
	// ConcurrencyLimit is the adaptive limit now, between MinConcurrency
	// and Concurrency.
	ConcurrencyLimit float64 `json:"concurrency_limit"`
	MinConcurrency   int     `json:"min_concurrency"`
	RateLimit        float64 `json:"rate_limit,omitempty"`
	// Paused is true while the vendor's Retry-After holds calls back.
	Paused bool `json:"paused"`
	// QuotaExhaustedUntil, when set, is when the account's used-up quota
	// is renewed: until then the vendor is paused and its work fails at
	// once.
	QuotaExhaustedUntil time.Time `json:"quota_exhausted_until,omitzero"`
	// Breaker is the circuit breaker's state: closed, open or half-open.
	Breaker string `json:"breaker"`
	// Retries made, retries the budget refused, and the budget left (in
	// retries, to two decimals).
	Retries       int64   `json:"retries"`
	RetriesDenied int64   `json:"retries_denied"`
	RetryBudget   float64 `json:"retry_budget_left"`
	// Hedges are second calls made for a slow single-hotel call;
	// HedgesWon those that answered first.
	Hedges    int64 `json:"hedges"`
	HedgesWon int64 `json:"hedges_won"`
	// LatencyMS is the smoothed latency of a call.
	LatencyMS float64 `json:"latency_ms"`
	// Rate cache hits and misses (hotel lookups), the cache's size, and
	// hotels that joined another search's call queued or in flight.
	CacheHits   int64 `json:"cache_hits"`
	CacheMisses int64 `json:"cache_misses"`
	CacheSize   int   `json:"cache_entries"`
	Coalesced   int64 `json:"coalesced"`
	// HotelsPerCall is the mean number of hotels in the vendor's calls.
	HotelsPerCall float64 `json:"hotels_per_call"`
}
