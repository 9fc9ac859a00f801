package loadtest

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Percentile returns the p-th percentile (0 < p <= 100) of samples by the
// nearest-rank method: the smallest sample such that at least p% of the
// samples are at or below it. It returns 0 for no samples. samples is not
// modified.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return percentileSorted(s, p)
}

func percentileSorted(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

// Summary is the latency distribution of a set of searches.
type Summary struct {
	N                        int
	P50, P95, P99, Mean, Max time.Duration
}

// Summarize returns the percentiles, mean and maximum of samples.
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Summary{
		N:   len(s),
		P50: percentileSorted(s, 50), P95: percentileSorted(s, 95), P99: percentileSorted(s, 99),
		Mean: sum / time.Duration(len(s)), Max: s[len(s)-1],
	}
}

// ms converts a duration to milliseconds rounded to 0.1 ms.
func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Millisecond)*10) / 10 }

// procStatus reads a field of /proc/self/status in kB (VmRSS, VmHWM); 0
// where there is no such file.
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	prefix := []byte(field + ":")
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, prefix) {
			continue
		}
		f := bytes.Fields(line[len(prefix):])
		if len(f) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(string(f[0]), 10, 64)
		return n
	}
	return 0
}

// resetPeakRSS asks Linux to restart VmHWM from the current RSS; it
// reports whether that worked.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// sampler samples this process's goroutines and resident memory until
// stopped. Its goroutine is owned by the sampler: stop ends it and waits.
type sampler struct {
	stopc chan struct{}
	done  chan struct{}

	mu       sync.Mutex
	peakG    int
	peakRSSk int64
	hwmReset bool
}

// startSampler starts sampling every interval.
func startSampler(interval time.Duration) *sampler {
	s := &sampler{stopc: make(chan struct{}), done: make(chan struct{})}
	s.hwmReset = resetPeakRSS()
	s.sample()
	go every(interval, s.sample, s.stopc, s.done)
	return s
}

func (s *sampler) sample() {
	g := runtime.NumGoroutine()
	rss := procStatus("VmRSS")
	s.mu.Lock()
	s.peakG = max(s.peakG, g)
	s.peakRSSk = max(s.peakRSSk, rss)
	s.mu.Unlock()
}

// stop ends sampling and returns the peak goroutines and the peak RSS in
// MB (VmHWM when it could be reset at the start, else the sampled peak).
func (s *sampler) stop() (goroutines int, rssMB float64) {
	s.sample()
	close(s.stopc)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	peak := s.peakRSSk
	if s.hwmReset {
		peak = max(peak, procStatus("VmHWM"))
	}
	return s.peakG, math.Round(float64(peak)/1024*10) / 10
}

// every calls f each interval until stop is closed, then closes done. The
// samplers' goroutines run it; their stop methods own them.
func every(interval time.Duration, f func(), stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			f()
		case <-stop:
			return
		}
	}
}
