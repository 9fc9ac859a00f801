package engine

import "hotelrates"

// Per-vendor and per-search goroutine constants of GoroutineBound.
const (
	// vendorGoroutines: the vendor's queue worker and token manager loop,
	// one token fetch in flight, and the rate cache's clean-up.
	vendorGoroutines = 4
	// connGoroutines: an HTTP/1.1 client connection's read and write loops.
	connGoroutines = 2
	// searchGoroutines: a search runs on its caller's goroutine and its
	// deadline is a channel timer, so it adds none of its own.
	searchGoroutines = 0
)

// GoroutineBound returns the most goroutines the engine runs while
// searches searches are in progress, not counting the callers' own
// goroutines: per vendor its loader pool's maximum, a constant (queue
// worker, token manager, one token fetch or up to MaxSessions logins, the
// cache's clean-up) and two per connection of its transport (at most
// Concurrency+2 connections with the engine's own transport); searches add
// none, since each runs on its caller's goroutine. A Transport passed in
// VendorConfig is counted the same way, which holds only if it bounds its
// connections likewise.
func (e *Engine) GoroutineBound(searches int) int {
	n := searches * searchGoroutines
	for _, name := range e.order {
		v := e.vendors[name]
		n += v.cfg.MaxWorkers + vendorGoroutines + connGoroutines*maxConns(v.cfg.Concurrency)
		if v.info.Auth == hotelrates.AuthSession {
			n += v.cfg.Concurrency // logins in flight
		}
	}
	return n
}

// maxConns is the most connections the engine's own transport opens to a
// vendor: one per call in flight, one for a token request and one for a
// logout.
func maxConns(concurrency int) int { return concurrency + 2 }
