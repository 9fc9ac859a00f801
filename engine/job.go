package engine

import (
	"context"
	"sync/atomic"
	"time"

	"hotelrates"
)

// job is one vendor call's worth of work — a stay and up to MaxBatch
// hotels — on behalf of one or more searches, its members. Several
// searches share a job when they need the same hotel and stay at the same
// time (coalescing), or when the queue merges their jobs for a batch
// vendor (cross-request batching). The vendor's queue worker owns every
// field but sent; a loader gets the job only inside an attempt.
type job struct {
	stay    hotelrates.Stay
	stayKey string
	hotels  []string // no duplicates

	state    jobState
	run      *jobRun   // the run of the queue's edf holding it, nil when not queued there
	pos      int       // its place in that run
	seq      uint64    // arrival order: EDF's tie-break
	deadline time.Time // EDF order: the most urgent member's deadline
	dl       int64     // deadline as the heap compares it (set by setDeadline)
	enqueued time.Time

	members []*member
	active  int // members whose search has not left
	first   member
	inline  [1]*member // members' first backing array: a job of one search allocates no slice

	// The attempts running (one, or two when hedged) and the retry state.
	running     []*attempt
	runBuf      [2]*attempt
	primary     attempt // reused by every attempt but a hedge (they never overlap)
	attempts    int     // attempts handed to loaders
	errs        int     // attempts that failed
	retries     int
	authRetries int
	retriedBusy bool
	retryAt     time.Time
	hedgeAt     time.Time // a single-hotel job not yet hedged: when to hedge
	abandonAt   time.Time // no search waits: when its calls in flight are cancelled
	lastErr     error

	// sent counts the calls sent to the vendor, shifted left by one; its
	// lowest bit says no search waits for the job any more. A loader
	// counts a call in with markSent only while that bit is clear, and the
	// queue sets it with markGone, so once the queue has seen the last
	// search leave no call starts for the job. The one field a loader and
	// the queue share, as a single atomic word.
	sent atomic.Uint64
}

// setDeadline sets the job's deadline, and the integer the queue's edf
// compares (cheaper than time.Time's): the
// time since deadlineEpoch, on the monotonic clock like every other
// comparison of deadlines (a step of the wall clock reorders nothing).
func (j *job) setDeadline(t time.Time) {
	j.deadline, j.dl = t, int64(t.Sub(deadlineEpoch))
}

// deadlineEpoch is what job deadlines are counted from.
var deadlineEpoch = time.Now()

type jobState uint8

const (
	jobReserved jobState = iota // planned for a search not yet admitted everywhere
	jobQueued                   // in the heap, waiting for a loader and the gate
	jobDelayed                  // waiting out a retry's backoff
	jobRunning                  // attempts handed to loaders
	jobDone                     // answered, failed, dropped or merged
)

// markSent counts a call about to be sent, unless no search waits for the
// job any more; it reports whether the call may go.
func (j *job) markSent() bool {
	for {
		v := j.sent.Load()
		if v&1 != 0 {
			return false
		}
		if j.sent.CompareAndSwap(v, v+2) {
			return true
		}
	}
}

// markGone says no search waits for the job: no further call starts.
func (j *job) markGone() { j.sent.Or(1) }

// revive says a search waits for the job again (it joined a call in its
// grace): calls may start for it again.
func (j *job) revive() { j.sent.And(^uint64(1)) }

// calls returns the calls sent for the job so far.
func (j *job) calls() int { return int(j.sent.Load() >> 1) }

// member is one search's part in a job.
type member struct {
	w      *waiter
	hotels []string
	shared bool // the search joined a job another search started
	job    *job // the job answering it (moves when jobs merge)
	done   bool // its result was delivered
}

// waiter is one search as one vendor's queue sees it: where its results
// go, its deadline, and its parts. The queue owns it.
type waiter struct {
	id        string // the search's id, for the archive
	seq       uint64 // the engine's own key for the search
	inbox     *inbox
	deadline  time.Time
	members   []*member
	reserved  []*job // planned, not yet committed
	committed bool   // admitted by every vendor of the search
}

// attempt is one call of a job, handed to one loader.
type attempt struct {
	job *job
	// ctx bounds the attempt, the wait for a credential included: the call
	// timeout from dispatch, the engine's life, and the queue giving up
	// on it (a hedge that lost, the grace after every search left).
	ctx      context.Context
	cancel   context.CancelFunc
	gaveUp   bool   // the queue cancelled it (owned by the queue)
	searches string // the members' search ids, for the archive
	hedge    bool
	started  time.Time
	done     func(error)           // the breaker's verdict
	report   hotelrates.CallReport // what the vendor's answer said of its limits (the loader's, during the call)
}

// giveUp cancels the attempt for the queue's own reasons (a hedge that
// lost, the grace after every search left).
func (a *attempt) giveUp() {
	a.gaveUp = true
	a.cancel()
}

// attemptResult is what a loader reports of an attempt.
type attemptResult struct {
	l        *loader
	a        *attempt
	offers   []hotelrates.HotelOffers
	err      error
	sent     bool          // the call went to the vendor
	rtt      time.Duration // of the call, when sent
	timedOut bool          // the call timeout ended it, not the queue
	hung     bool          // timedOut by the hang cut (gate.hangAfter), not the configured timeout
	// abandoned: when the call ended, its context had ended (the queue
	// gave up on it, the call timeout, or the engine stopping).
	abandoned bool
	limit     hotelrates.RateLimit // the vendor's published budget, if it said
}

// jobResult is what one member learns from a job.
type jobResult struct {
	vendor string
	hotels []string
	offers []hotelrates.HotelOffers
	err    error
	calls  int // vendor calls made, retries included
	errors int // vendor calls that failed
	shared bool
}
