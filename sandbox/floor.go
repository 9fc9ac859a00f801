package sandbox

import "time"

// Floor returns the physical floor of answering n hotels from one vendor
// with these settings and no jitter: the least time any client could take,
// given the vendor's concurrency C, its batch limit B and its latency
// L(b) = base + per_hotel x b. For one hotel per call it is
// ceil(n/C)·L(1); for batches it is the best split into k calls of about
// n/k hotels, ceil(k/C)·L(ceil(n/k)), which is at most
// ceil(ceil(n/B)/C)·L(B), the time of full batches of B (k = ceil(n/B) is
// one of the splits tried). A requests-per-second limit beyond the burst
// adds its own bound. Floor(0) is 0.
func Floor(v VendorConfig, n int) time.Duration {
	if n <= 0 {
		return 0
	}
	c, b := max(1, v.Concurrency), max(1, v.MaxBatch)
	best := time.Duration(-1)
	for k := (n + b - 1) / b; k <= n; k++ {
		size := (n + k - 1) / k
		if size > b {
			continue
		}
		d := time.Duration((k+c-1)/c) * v.Latency.Of(size)
		if v.RPS > 0 && k > v.Burst {
			d = max(d, time.Duration(float64(k-v.Burst)/v.RPS*float64(time.Second)))
		}
		if best < 0 || d < best {
			best = d
		}
	}
	return best
}

// SearchFloor returns the floor of a search of n consecutive catalog
// hotels over the named vendors: the slowest vendor's floor, since vendors
// are asked in parallel, each for the hotels it carries (at least
// CarriedAtLeast of them, wherever the n start).
func SearchFloor(cfg Config, n int, vendors ...string) time.Duration {
	var f time.Duration
	for _, name := range vendors {
		if v := cfg.Vendors.Get(name); v != nil {
			f = max(f, Floor(*v, CarriedAtLeast(name, n)))
		}
	}
	return f
}

// carryPeriod is how often a vendor leaves a hotel out of its catalog:
// one hotel in every period (Carries).
var carryPeriod = map[string]int{Solo: 4, Bulk: 3, Session: 5, Amadeus: 7, Rapid: 3, Hotelbeds: 4}

// CarriedAtLeast returns how many of any n consecutive catalog hotels the
// vendor carries, at the least: n less one in every period, rounded up.
func CarriedAtLeast(vendor string, n int) int {
	p, ok := carryPeriod[vendor]
	if !ok || n <= 0 {
		return max(0, n)
	}
	return n - (n+p-1)/p
}
