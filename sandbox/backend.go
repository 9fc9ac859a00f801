package sandbox

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Fault is what an availability call does wrong, if anything.
type Fault int

// The faults, in the order their probabilities are tried.
const (
	FaultNone      Fault = iota
	Fault500             // answer 500 in the vendor's error format
	Fault503             // answer 503 with Retry-After
	FaultHang            // never answer; hold the service slot until the client gives up
	FaultMalformed       // a complete body that does not parse
	FaultTruncated       // the connection drops halfway through the body
	FaultSlowBody        // the body trickles out in 64-byte chunks
	FaultRevoke          // the credential is revoked early; answer 401
)

var faultNames = [...]string{"none", "error_500", "error_503", "hang", "malformed", "truncated", "slow_body", "revoke"}

// String returns the fault's config name.
func (f Fault) String() string {
	if int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// ThrottleError is returned by Admit when a call is refused for capacity;
// the vendor answers 429 with Retry-After.
type ThrottleError struct {
	RetryAfter time.Duration
	Reason     string // "rate" or "queue"
}

func (e *ThrottleError) Error() string {
	return fmt.Sprintf("throttled (%s), retry after %s", e.Reason, e.RetryAfter)
}

// RetryAfterSeconds is the Retry-After header value: whole seconds, at least 1.
func (e *ThrottleError) RetryAfterSeconds() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.RetryAfter.Seconds()))))
}

// Backend is the protocol-independent runtime of one sandbox vendor: its
// capacity gate, rate limit, latency and fault models and statistics. A
// protocol server wraps one.
type Backend struct {
	name    string
	cfg     VendorConfig
	seed    uint64
	done    <-chan struct{}
	slots   chan struct{}
	limiter *rate.Limiter
	stats   stats

	rmu    sync.Mutex
	jitter *rand.Rand
	seen   map[string]uint64 // times each fault key was rolled
}

// NewBackend returns the runtime of vendor name. Hung calls are released
// when done is closed.
func NewBackend(name string, cfg VendorConfig, seed uint64, done <-chan struct{}) *Backend {
	b := &Backend{
		name:   name,
		cfg:    cfg,
		seed:   seed,
		done:   done,
		slots:  make(chan struct{}, cfg.Concurrency),
		jitter: rand.New(rand.NewPCG(seed, uint64(len(name)))),
		seen:   map[string]uint64{},
	}
	if cfg.RPS > 0 {
		b.limiter = rate.NewLimiter(rate.Limit(cfg.RPS), cfg.Burst)
	}
	b.stats.status = map[int]int64{}
	b.stats.faults = map[string]int64{}
	return b
}

// Name returns the vendor's name.
func (b *Backend) Name() string { return b.name }

// Config returns the vendor's settings.
func (b *Backend) Config() VendorConfig { return b.cfg }

// Done is closed when the sandbox shuts down.
func (b *Backend) Done() <-chan struct{} { return b.done }

// Admit admits one availability call: past the requests-per-second limit,
// or when every service slot is taken and the queue is full, it returns a
// *ThrottleError; otherwise it waits in the queue for a slot (or until ctx
// ends) and returns the function that gives the slot back.
func (b *Backend) Admit(ctx context.Context) (release func(), err error) {
	if b.limiter != nil {
		r := b.limiter.Reserve()
		if d := r.Delay(); d > 0 {
			r.Cancel()
			b.stats.throttle()
			return nil, &ThrottleError{RetryAfter: d, Reason: "rate"}
		}
	}
	select {
	case b.slots <- struct{}{}:
	default:
		if !b.stats.enqueue(b.cfg.QueueLimit) {
			b.stats.throttle()
			// A queued call waits about QueueLimit/C service times.
			wait := time.Duration(b.cfg.QueueLimit/b.cfg.Concurrency+1) * b.cfg.Latency.Of(b.cfg.MaxBatch)
			return nil, &ThrottleError{RetryAfter: wait, Reason: "queue"}
		}
		select {
		case b.slots <- struct{}{}:
			b.stats.dequeue()
		case <-ctx.Done():
			b.stats.dequeue()
			return nil, ctx.Err()
		case <-b.done:
			b.stats.dequeue()
			return nil, errors.New("sandbox shutting down")
		}
	}
	b.stats.enter()
	return func() {
		b.stats.leave()
		<-b.slots
	}, nil
}

// Latency returns the service time of a call for n hotels, jitter included.
func (b *Backend) Latency(n int) time.Duration {
	d := b.cfg.Latency.Of(n)
	if b.cfg.Latency.Jitter != "lognormal" || b.cfg.Latency.Sigma == 0 {
		return d
	}
	s := b.cfg.Latency.Sigma
	b.rmu.Lock()
	z := b.jitter.NormFloat64()
	b.rmu.Unlock()
	return time.Duration(float64(d) * math.Exp(s*z-s*s/2))
}

// Serve spends the service time of a call for n hotels, or returns ctx's
// error if the client gives up first.
func (b *Backend) Serve(ctx context.Context, n int) error {
	return Sleep(ctx, b.done, b.Latency(n))
}

// Sleep waits for d, or returns early with an error when ctx ends or done
// is closed.
func Sleep(ctx context.Context, done <-chan struct{}, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
		return errors.New("sandbox shutting down")
	}
}

// Hang blocks until the client gives up or the sandbox shuts down.
func (b *Backend) Hang(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-b.done:
	}
}

// Roll decides the fault of an availability call. The decision depends on
// the seed, the vendor, key (the request's content: stay and hotels) and how
// many times that key was rolled before, so the same sequence of requests
// meets the same faults whatever the order of concurrent calls.
func (b *Backend) Roll(key string) Fault {
	f := b.cfg.Faults
	probs := [...]float64{f.Error500, f.Error503, f.Hang, f.Malformed, f.Truncated, f.SlowBody, f.Revoke}
	any := false
	for _, p := range probs {
		any = any || p > 0
	}
	if !any {
		return FaultNone
	}
	b.rmu.Lock()
	if len(b.seen) > 1<<17 {
		clear(b.seen)
	}
	n := b.seen[key]
	b.seen[key] = n + 1
	b.rmu.Unlock()

	h := fnv.New64a()
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], b.seed)
	binary.BigEndian.PutUint64(buf[8:], n)
	h.Write(buf[:])
	h.Write([]byte(b.name))
	h.Write([]byte{0})
	h.Write([]byte(key))
	u := float64(mix(h.Sum64())>>11) / (1 << 53)
	acc := 0.0
	for i, p := range probs {
		acc += p
		if u < acc {
			fault := Fault(i + 1)
			b.stats.fault(fault.String())
			return fault
		}
	}
	return FaultNone
}

// WriteBody writes a successful availability answer, applying a body
// fault (malformed, truncated or slow) if f is one.
func (b *Backend) WriteBody(ctx context.Context, w http.ResponseWriter, contentType string, body []byte, f Fault) {
	w.Header().Set("Content-Type", contentType)
	switch f {
	case FaultMalformed:
		body = append(body[:len(body)/2:len(body)/2], "\x00#garbage<{"...)
	case FaultTruncated:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body[:len(body)/2])
		http.NewResponseController(w).Flush()
		// Drop the connection: the client sees an unexpected EOF.
		panic(http.ErrAbortHandler)
	case FaultSlowBody:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		for len(body) > 0 {
			n := min(64, len(body))
			if _, err := w.Write(body[:n]); err != nil {
				return
			}
			rc.Flush()
			body = body[n:]
			if len(body) > 0 && Sleep(ctx, b.done, b.cfg.Faults.SlowBodyDelay) != nil {
				panic(http.ErrAbortHandler)
			}
		}
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// RateCall counts one availability call asking for n hotels.
func (b *Backend) RateCall(n int) { b.stats.rateCall(n) }

// AuthGrant counts one token or session granted.
func (b *Backend) AuthGrant() { b.stats.authGrant() }

// Throttled counts a 429 sent for a reason other than Admit's (Admit counts
// its own).
func (b *Backend) Throttled() { b.stats.throttle() }

// Count is middleware that counts every request the vendor receives and the
// status of every answer. It re-raises http.ErrAbortHandler after counting.
func (b *Backend) Count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			code := sw.code
			if code == 0 {
				// Nothing was written: the client gave up (a hang) or the
				// sandbox is shutting down. 499 as nginx logs it.
				code = 499
			}
			b.stats.request(code)
		}()
		next.ServeHTTP(sw, r)
	})
}

// Stats returns a snapshot of the vendor's statistics.
func (b *Backend) Stats() VendorStats { return b.stats.snapshot() }

// Reset zeroes the statistics (in-service and queued calls stay counted).
func (b *Backend) Reset() { b.stats.reset() }

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Flush implements http.Flusher.
func (s *statusWriter) Flush() { http.NewResponseController(s.ResponseWriter).Flush() }

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// mix is the splitmix64 finalizer: it spreads every input bit over the
// output, which FNV alone does not do for the high bits.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// FaultAnswers write a vendor's own answers to the faults that replace the
// whole answer.
type FaultAnswers struct {
	// Internal writes a 500.
	Internal func(w http.ResponseWriter)
	// Unavailable writes a 503 (Retry-After: 1 is already set).
	Unavailable func(w http.ResponseWriter)
	// Revoked revokes the call's credential and writes its 401.
	Revoked func(w http.ResponseWriter)
}

// Fail acts out f if it replaces the whole answer (500, 503, hang,
// revoke) and reports whether it did; body faults and FaultNone are left
// to WriteBody.
func (b *Backend) Fail(ctx context.Context, w http.ResponseWriter, f Fault, a FaultAnswers) bool {
	switch f {
	case Fault500:
		a.Internal(w)
	case Fault503:
		w.Header().Set("Retry-After", "1")
		a.Unavailable(w)
	case FaultHang:
		b.Hang(ctx)
	case FaultRevoke:
		a.Revoked(w)
	default:
		return false
	}
	return true
}
