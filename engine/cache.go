package engine

import (
	"time"

	"github.com/maypok86/otter/v2"

	"hotelrates"
)

// cached is a vendor's answer for one hotel and stay, kept by the rate
// cache.
type cached struct {
	offers []hotelrates.Offer
	at     time.Time
}

// newCache returns the vendor's rate cache, or nil when it is off. It runs
// its maintenance on the calling goroutine: it starts no goroutine of its
// own beyond the expiry clean-up, which Engine.Close stops.
func newCache(cfg VendorConfig) *otter.Cache[string, cached] {
	if cfg.CacheTTL <= 0 {
		return nil
	}
	ttl, empty := cfg.CacheTTL, cfg.CacheEmptyTTL
	return otter.Must(&otter.Options[string, cached]{
		MaximumSize: cfg.CacheSize,
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, cached]) time.Duration {
			if len(e.Value.offers) == 0 {
				return empty // sold out or not carried: ask again sooner
			}
			return ttl
		}),
		Executor: func(fn func()) { fn() },
	})
}

// lookup returns the cached answer for a hotel and stay.
func (v *vendorRT) lookup(stayKey, hotel string) (cached, bool) {
	if v.cache == nil {
		return cached{}, false
	}
	c, ok := v.cache.GetIfPresent(stayKey + "|" + hotel)
	if ok {
		v.metrics.cacheHits.WithLabelValues(v.name).Inc()
		v.hits.Add(1)
	} else {
		v.metrics.cacheMisses.WithLabelValues(v.name).Inc()
		v.misses.Add(1)
	}
	return c, ok
}

// remember caches a job's answer: every hotel of it, those without offers
// too.
func (v *vendorRT) remember(j *job, offers []hotelrates.HotelOffers) {
	if v.cache == nil {
		return
	}
	now := time.Now()
	by := make(map[string][]hotelrates.Offer, len(offers))
	for _, ho := range offers {
		by[ho.HotelID] = append(by[ho.HotelID], ho.Offers...)
	}
	for _, h := range j.hotels {
		v.cache.Set(j.stayKey+"|"+h, cached{offers: by[h], at: now})
	}
}
