package engine

import (
	"time"

	"github.com/maypok86/otter/v2"

	"hotelrates"
)

// flightKey names one hotel for one stay: the key of the rate cache and of
// the vendor queue's table of calls queued or in flight.
type flightKey struct {
	stay  string // hotelrates.Stay.Key
	hotel string
}

// cached is a vendor's answer for one hotel and stay, kept by the rate
// cache.
type cached struct {
	offers []hotelrates.Offer
	at     time.Time
}

// hit is a hotel the rate cache answered.
type hit struct {
	hotel string
	c     cached
}

// newCache returns the vendor's rate cache, or nil when it is off. The
// vendor's queue worker reads it and the loaders fill it; its maintenance
// runs on the calling goroutine (no goroutine of its own beyond the expiry clean-up,
// which Engine.Close stops).
func newCache(cfg VendorConfig) *otter.Cache[flightKey, cached] {
	if cfg.CacheTTL <= 0 {
		return nil
	}
	ttl, empty := cfg.CacheTTL, cfg.CacheEmptyTTL
	return otter.Must(&otter.Options[flightKey, cached]{
		MaximumSize: cfg.CacheSize,
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[flightKey, cached]) time.Duration {
			if len(e.Value.offers) == 0 {
				return empty // sold out or not carried: ask again sooner
			}
			return ttl
		}),
		Executor: func(fn func()) { fn() },
	})
}
