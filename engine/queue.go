package engine

import (
	"container/heap"
	"context"
	"time"

	"hotelrates"
)

// job is one vendor call's worth of one search's work.
type job struct {
	ctx      context.Context // the search's: its deadline and cancellation
	searchID string
	deadline time.Time // for earliest-deadline-first
	seq      uint64    // arrival order, for ties
	query    hotelrates.Query
	results  chan<- jobResult // buffered for every job of the search: sends never block
}

// jobResult is what a loader reports for one job.
type jobResult struct {
	vendor string
	hotels []string
	offers []hotelrates.HotelOffers
	err    error
	calls  int // vendor calls made, retries included
	errors int // vendor calls that failed
	called bool
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
// search ended before they reached the vendor.
func (v *vendorRT) dispatch(ctx context.Context) {
	var q edf
	var seq uint64
	workers := 0
	sweep := time.NewTicker(time.Second)
	defer sweep.Stop()
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
		// Jobs of searches that already ended never reach the vendor.
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
		select {
		case js := <-v.submit:
			for _, j := range js {
				if len(q) >= v.cfg.QueueLimit {
					j.results <- jobResult{vendor: v.name, hotels: j.query.HotelIDs,
						err: hotelrates.Errorf(hotelrates.CodeOverloaded, "", "vendor %s queue is full", v.name)}
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
				j.results <- jobResult{vendor: v.name, hotels: j.query.HotelIDs, err: errStopped}
			}
			return
		}
	}
}

func (v *vendorRT) drop(j *job) {
	v.metrics.dropped.WithLabelValues(v.name).Inc()
	j.results <- jobResult{vendor: v.name, hotels: j.query.HotelIDs, err: context.Cause(j.ctx)}
}

// enqueue hands a search's jobs to the vendor's queue worker, or gives up
// when ctx ends.
func (v *vendorRT) enqueue(ctx context.Context, jobs []*job) error {
	select {
	case v.submit <- jobs:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-v.stopped:
		return errStopped
	}
}
