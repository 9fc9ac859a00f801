package sandbox

import (
	"strconv"
	"sync"
)

// VendorStats is what one sandbox vendor has seen since start or the last
// reset. It is the JSON of one vendor in GET /_sandbox/stats.
type VendorStats struct {
	// Requests counts every HTTP request the vendor received, auth included.
	Requests int64 `json:"requests"`
	// RateCalls counts availability calls, whatever their outcome.
	RateCalls int64 `json:"rate_calls"`
	// Hotels counts the hotel ids asked for in well-formed availability calls.
	Hotels int64 `json:"hotels"`
	// Status counts answers by HTTP status code.
	Status map[string]int64 `json:"status"`
	// Throttled counts 429 answers.
	Throttled int64 `json:"throttled"`
	// AuthGrants counts tokens or sessions granted.
	AuthGrants int64 `json:"auth_grants"`
	// InService is the number of availability calls being served now.
	InService int64 `json:"in_service"`
	// PeakInService is the most calls ever served at once (never above C).
	PeakInService int64 `json:"peak_in_service"`
	// Queued is the number of calls waiting for service now.
	Queued int64 `json:"queued"`
	// PeakQueue is the most calls ever waiting at once.
	PeakQueue int64 `json:"peak_queue"`
	// Faults counts the faults injected, by kind.
	Faults map[string]int64 `json:"faults"`
}

type stats struct {
	mu sync.Mutex
	VendorStats
	status map[int]int64
	faults map[string]int64
}

func (s *stats) request(code int) {
	s.mu.Lock()
	s.Requests++
	s.status[code]++
	s.mu.Unlock()
}

func (s *stats) rateCall(n int) {
	s.mu.Lock()
	s.RateCalls++
	s.Hotels += int64(n)
	s.mu.Unlock()
}

func (s *stats) authGrant() {
	s.mu.Lock()
	s.AuthGrants++
	s.mu.Unlock()
}

func (s *stats) throttle() {
	s.mu.Lock()
	s.Throttled++
	s.mu.Unlock()
}

func (s *stats) fault(name string) {
	s.mu.Lock()
	s.faults[name]++
	s.mu.Unlock()
}

// enqueue counts a call that waits for service, unless limit calls already
// wait.
func (s *stats) enqueue(limit int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Queued >= int64(limit) {
		return false
	}
	s.Queued++
	s.PeakQueue = max(s.PeakQueue, s.Queued)
	return true
}

func (s *stats) dequeue() {
	s.mu.Lock()
	s.Queued--
	s.mu.Unlock()
}

func (s *stats) enter() {
	s.mu.Lock()
	s.InService++
	s.PeakInService = max(s.PeakInService, s.InService)
	s.mu.Unlock()
}

func (s *stats) leave() {
	s.mu.Lock()
	s.InService--
	s.mu.Unlock()
}

func (s *stats) snapshot() VendorStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.VendorStats
	v.Status = make(map[string]int64, len(s.status))
	for code, n := range s.status {
		v.Status[strconv.Itoa(code)] = n
	}
	v.Faults = make(map[string]int64, len(s.faults))
	for k, n := range s.faults {
		v.Faults[k] = n
	}
	return v
}

func (s *stats) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, q := s.InService, s.Queued
	s.VendorStats = VendorStats{InService: in, PeakInService: in, Queued: q, PeakQueue: q}
	clear(s.status)
	clear(s.faults)
}
