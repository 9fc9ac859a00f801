package engine

import (
	"container/heap"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"hotelrates"
)

// job is one vendor call's worth of work — a stay and up to MaxBatch
// hotels — on behalf of one or more searches, its members. Several
// searches share a job when they need the same hotel and stay at the same
// time (coalescing), or when the queue worker merges their jobs for a
// batch vendor (cross-request batching).
type job struct {
	ctx      context.Context // ends when every member has left, or the engine stops
	cancel   context.CancelCauseFunc
	deadline time.Time // EDF order; only the queue worker changes it (from want)
	seq      uint64
	enqueued time.Time
	stay     hotelrates.Stay
	stayKey  string
	hotels   []string // no duplicates

	// Guarded by the vendor's fmu.
	members []*member
	active  int       // members that have not left
	done    bool      // answered, dropped or merged into another job
	want    time.Time // the earliest member's deadline; the queue worker moves deadline up to it
}

// member is one search's part in a job.
type member struct {
	searchID string
	hotels   []string
	results  *inbox
	shared   bool        // the search joined a job another search started
	stop     func() bool // stops the watch on the search's context

	// Guarded by the vendor's fmu.
	job  *job
	left bool
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

var errAllLeft = errors.New("every search waiting for this call has ended")

// newJob returns a job for hotels, registered as the flight for each of
// them, with one member. parent is the engine's context: a job's call
// relies on it to end when the engine closes. The caller holds fmu.
func (v *vendorRT) newJob(parent context.Context, stay hotelrates.Stay, hotels []string, m *member, deadline time.Time) *job {
	ctx, cancel := context.WithCancelCause(parent)
	j := &job{ctx: ctx, cancel: cancel, deadline: deadline, want: deadline, stay: stay, stayKey: stay.Key(), hotels: hotels, enqueued: time.Now()}
	j.members, j.active = []*member{m}, 1
	m.job = j
	for _, h := range hotels {
		v.flights[j.stayKey+"|"+h] = j
	}
	return j
}

// join adds a member to a job that is queued or in flight. The caller
// holds fmu.
func (j *job) join(m *member) {
	m.job = j
	j.members = append(j.members, m)
	j.active++
}

// leave is called when a member's search ends. The last member to leave a
// job that is not done cancels it: it is dropped from the queue or its
// call is abandoned.
func (v *vendorRT) leave(m *member) {
	v.fmu.Lock()
	defer v.fmu.Unlock()
	if m.left {
		return
	}
	m.left = true
	j := m.job
	j.active--
	if j.active == 0 && !j.done {
		v.forget(j)
		j.cancel(errAllLeft)
	}
}

// forget removes a job's flights. The caller holds fmu.
func (v *vendorRT) forget(j *job) {
	for _, h := range j.hotels {
		if k := j.stayKey + "|" + h; v.flights[k] == j {
			delete(v.flights, k)
		}
	}
}

// finish marks a job done and returns its members that still wait.
func (v *vendorRT) finish(j *job) []*member {
	v.fmu.Lock()
	defer v.fmu.Unlock()
	j.done = true
	v.forget(j)
	var out []*member
	for _, m := range j.members {
		if !m.left {
			out = append(out, m)
		}
	}
	return out
}

// deliver gives each waiting member of a finished job its share.
func (v *vendorRT) deliver(j *job, offers []hotelrates.HotelOffers, err error, calls, errs int) {
	members := v.finish(j)
	var byHotel map[string]hotelrates.HotelOffers
	if err == nil && len(members) > 1 {
		byHotel = make(map[string]hotelrates.HotelOffers, len(offers))
		for _, ho := range offers {
			byHotel[ho.HotelID] = ho
		}
	}
	for _, m := range members {
		r := jobResult{vendor: v.name, hotels: m.hotels, err: err, calls: calls, errors: errs, shared: m.shared}
		if err == nil {
			if byHotel == nil {
				r.offers = offers
			} else {
				for _, h := range m.hotels {
					if ho, ok := byHotel[h]; ok {
						r.offers = append(r.offers, ho)
					}
				}
			}
		}
		if m.stop != nil {
			m.stop()
		}
		m.results.put(r)
	}
}

// inbox collects one search's job results. Putting never blocks, and it
// holds only the results that arrived: its size follows the work, not a
// guess made in advance.
type inbox struct {
	mu     sync.Mutex
	items  []jobResult
	notify chan struct{} // buffered 1: something arrived
}

func newInbox() *inbox { return &inbox{notify: make(chan struct{}, 1)} }

func (b *inbox) put(r jobResult) {
	b.mu.Lock()
	b.items = append(b.items, r)
	b.mu.Unlock()
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

// take returns what arrived since the last take.
func (b *inbox) take() []jobResult {
	b.mu.Lock()
	defer b.mu.Unlock()
	items := b.items
	b.items = nil
	return items
}

// searchIDs returns the ids of a job's searches, comma-separated, for the
// archive.
func (v *vendorRT) searchIDs(j *job) string {
	v.fmu.Lock()
	defer v.fmu.Unlock()
	ids := make([]string, 0, len(j.members))
	for _, m := range j.members {
		if !slices.Contains(ids, m.searchID) {
			ids = append(ids, m.searchID)
		}
	}
	return strings.Join(ids, ",")
}

// edf is a min-heap of jobs by deadline, then arrival.
type edf []*job

func (q edf) Len() int { return len(q) }
func (q edf) Less(i, j int) bool {
	if !q[i].deadline.Equal(q[j].deadline) {
		return q[i].deadline.Before(q[j].deadline)
	}
	return q[i].seq < q[j].seq
}
func (q edf) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *edf) Push(x any)   { *q = append(*q, x.(*job)) }
func (q *edf) Pop() any {
	old := *q
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return j
}

// dispatch is the vendor's queue worker: it owns the job heap and the
// pool's size. It hands the earliest-deadline job to whichever loader is
// free, starts a loader (up to the maximum) when a job has to wait, lets a
// loader above the minimum retire after it idled, and drops jobs whose
// searches all ended before they reached the vendor. For a batch vendor it
// merges other searches' queued jobs for the same stay into the job it
// hands out, up to the batch limit, when they would otherwise wait for a
// loader, or during the collection window.
func (v *vendorRT) dispatch(ctx context.Context) {
	var q edf
	var seq uint64
	workers := 0
	sweep := time.NewTicker(time.Second)
	defer sweep.Stop()
	hold := time.NewTimer(time.Hour)
	hold.Stop()
	defer hold.Stop()
	setWorkers := func(n int) {
		workers = n
		v.workers.Store(int64(n))
		v.metrics.workers.WithLabelValues(v.name).Set(float64(n))
	}
	setQueued := func() {
		v.queued.Store(int64(len(q)))
		v.metrics.queued.WithLabelValues(v.name).Set(float64(len(q)))
	}
	for range v.cfg.MinWorkers {
		v.startLoader(ctx)
	}
	setWorkers(v.cfg.MinWorkers)
	for {
		// Jobs of searches that all ended never reach the vendor.
		if len(q) > 0 && q[0].ctx.Err() != nil {
			for len(q) > 0 && q[0].ctx.Err() != nil {
				v.drop(heap.Pop(&q).(*job))
			}
			setQueued()
		}
		var out chan *job
		var next *job
		if len(q) > 0 {
			next = q[0]
			if wait := v.holdFor(next); wait > 0 {
				hold.Reset(wait) // the collection window: let other searches' hotels join
			} else {
				if v.info.MaxBatch > 1 && !v.noSharing && v.merge(&q) {
					setQueued()
				}
				select {
				case v.work <- next:
					heap.Pop(&q)
					setQueued()
					continue
				default:
				}
				if workers < v.cfg.MaxWorkers {
					v.startLoader(ctx)
					setWorkers(workers + 1)
				}
				out = v.work
			}
		}
		select {
		case js := <-v.submit:
			for _, j := range js {
				if len(q) >= v.cfg.QueueLimit {
					v.deliver(j, nil, hotelrates.Errorf(hotelrates.CodeOverloaded, "", "vendor %s queue is full", v.name), 0, 0)
					continue
				}
				seq++
				j.seq = seq
				heap.Push(&q, j)
			}
			setQueued()
		case out <- next:
			heap.Pop(&q)
			setQueued()
		case <-hold.C:
		case <-v.reorder:
			// A search joined a queued job with an earlier deadline.
			v.fmu.Lock()
			for _, j := range q {
				j.deadline = j.want
			}
			v.fmu.Unlock()
			heap.Init(&q)
		case reply := <-v.retire:
			ok := workers > v.cfg.MinWorkers
			if ok {
				setWorkers(workers - 1)
			}
			reply <- ok
		case <-sweep.C:
			kept := q[:0]
			for _, j := range q {
				if j.ctx.Err() != nil {
					v.drop(j)
					continue
				}
				kept = append(kept, j)
			}
			clear(q[len(kept):])
			q = kept
			heap.Init(&q)
			setQueued()
		case <-ctx.Done():
			for _, j := range q {
				v.deliver(j, nil, errStopped, 0, 0)
			}
			return
		}
	}
}

// holdFor returns how long the head job should wait in the collection
// window for other searches' hotels: only for a batch vendor with a
// window, a job with room for more hotels, and never so long that the
// job could miss its deadline.
func (v *vendorRT) holdFor(j *job) time.Duration {
	if v.cfg.BatchWindow <= 0 || v.info.MaxBatch <= 1 || len(j.hotels) >= v.info.MaxBatch {
		return 0
	}
	wait := time.Until(j.enqueued.Add(v.cfg.BatchWindow))
	if slack := time.Until(j.deadline) - 2*v.gate.latency(); wait > slack {
		return 0
	}
	return wait
}

// merge folds other searches' queued jobs for the head job's stay into it,
// up to the batch limit, when they would otherwise wait for a loader (or
// a collection window is set). It reports whether it merged any.
func (v *vendorRT) merge(q *edf) bool {
	head := (*q)[0]
	limit, inflight, _ := v.gate.state()
	if v.cfg.BatchWindow <= 0 && len(*q) <= int(limit)-inflight {
		return false // every queued job can start now: merging would only slow the head
	}
	v.fmu.Lock()
	defer v.fmu.Unlock()
	if head.done || head.active == 0 || head.ctx.Err() != nil {
		return false // its searches all left since dispatch looked: it is dropped, not grown
	}
	mine := map[string]bool{}
	for _, m := range head.members {
		mine[m.searchID] = true
	}
	merged := false
	kept := (*q)[:1]
	for _, k := range (*q)[1:] {
		if k.stayKey != head.stayKey || k.done || k.ctx.Err() != nil || len(head.hotels) >= v.info.MaxBatch || sharesSearch(k, mine) {
			kept = append(kept, k)
			continue
		}
		var add []string
		for _, h := range k.hotels {
			if !slices.Contains(head.hotels, h) {
				add = append(add, h)
			}
		}
		if len(head.hotels)+len(add) > v.info.MaxBatch {
			kept = append(kept, k)
			continue
		}
		head.hotels = append(head.hotels, add...)
		for _, m := range k.members {
			m.job = head
			head.members = append(head.members, m)
			if !m.left {
				head.active++
			}
			mine[m.searchID] = true
		}
		for _, h := range k.hotels {
			v.flights[k.stayKey+"|"+h] = head
		}
		if k.want.Before(head.want) {
			head.want = k.want
		}
		head.deadline = head.want
		k.done = true
		k.cancel(errors.New("merged into another call"))
		v.metrics.merged.WithLabelValues(v.name).Inc()
		merged = true
	}
	if !merged {
		return false
	}
	clear((*q)[len(kept):])
	*q = kept
	heap.Init(q)
	return true
}

func sharesSearch(j *job, ids map[string]bool) bool {
	for _, m := range j.members {
		if ids[m.searchID] {
			return true
		}
	}
	return false
}

func (v *vendorRT) drop(j *job) {
	v.metrics.dropped.WithLabelValues(v.name).Inc()
	v.deliver(j, nil, context.Cause(j.ctx), 0, 0)
}

// enqueue hands a search's new jobs to the vendor's queue worker, or gives
// up when ctx ends.
func (v *vendorRT) enqueue(ctx context.Context, jobs []*job) error {
	if len(jobs) == 0 {
		return nil
	}
	select {
	case v.submit <- jobs:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-v.stopped:
		return errStopped
	}
}

// vendorPlan is how one search's hotels are answered by one vendor.
type vendorPlan struct {
	hits  []hit  // answered by the rate cache
	jobs  []*job // new calls, to be queued
	parts int    // results to wait for: new jobs and jobs joined
}

type hit struct {
	hotel string
	c     cached
}

// plan decides how the vendor answers a search's hotels: from the rate
// cache (unless fresh), by joining a call already queued or in flight for
// the same hotel and stay, or with new calls, planned into batches. It
// creates the search's members, each watching the search's context to
// leave when it ends. One hold of fmu covers deciding and joining, so two
// searches arriving together share calls instead of racing to start them.
func (v *vendorRT) plan(parent, search context.Context, searchID string, s hotelrates.Stay, hotels []string, fresh, share bool, deadline time.Time, results *inbox) *vendorPlan {
	p := &vendorPlan{}
	key := s.Key()
	var todo []string
	joined := map[*job][]string{}
	var order []*job
	newMember := func(hotels []string, shared bool) *member {
		m := &member{searchID: searchID, hotels: hotels, results: results, shared: shared}
		m.stop = context.AfterFunc(search, func() { v.leave(m) })
		return m
	}
	v.fmu.Lock()
	defer v.fmu.Unlock()
	for _, h := range hotels {
		if !fresh {
			if c, ok := v.lookup(key, h); ok {
				p.hits = append(p.hits, hit{h, c})
				continue
			}
		}
		if j := v.flights[key+"|"+h]; share && j != nil && !j.done && j.ctx.Err() == nil {
			if _, ok := joined[j]; !ok {
				order = append(order, j)
			}
			joined[j] = append(joined[j], h)
			continue
		}
		todo = append(todo, h)
	}
	for _, j := range order {
		if deadline.Before(j.want) {
			// A more urgent search: the queue worker moves the job up.
			j.want = deadline
			select {
			case v.reorder <- struct{}{}:
			default: // a reorder is already due
			}
		}
		j.join(newMember(joined[j], true))
		v.coalesced.Add(int64(len(joined[j])))
		v.metrics.coalesced.WithLabelValues(v.name).Add(float64(len(joined[j])))
	}
	for _, b := range plan(todo, v.info.MaxBatch, v.cfg.MaxWorkers, v.minBatch()) {
		p.jobs = append(p.jobs, v.newJob(parent, s, b, newMember(b, false), deadline))
	}
	p.parts = len(order) + len(p.jobs)
	return p
}

// rateLimitedMinBatch is the smallest batch the planner makes for a batch
// vendor with a requests-per-second limit.
const rateLimitedMinBatch = 25

func (v *vendorRT) minBatch() int {
	if v.cfg.RateLimit > 0 {
		return rateLimitedMinBatch
	}
	return 1
}
