package engine

import "container/heap"

// edf holds a vendor's queued jobs earliest deadline first, then in
// arrival order (seq). A search's calls arrive together, with one
// deadline and consecutive seqs, so the jobs are kept in runs: a run is
// jobs of one deadline in arrival order, and a heap orders the runs by
// their first job. The heap holds about one run per search waiting, not
// one entry per job: taking the most urgent job, or dropping one, costs
// O(log searches) at most, and counting the work due before a deadline
// is one step per run. Its owner is the vendor's queue worker.
type edf struct {
	runs runHeap
	tail *jobRun // the run made last: a job due with it, arriving after it, joins it
	n    int     // jobs queued
}

// jobRun is jobs of one deadline, in arrival order; removed jobs leave a
// nil behind, and head is the first job still queued.
type jobRun struct {
	dl    int64  // the jobs' deadline (job.dl)
	last  uint64 // the seq of the job pushed last
	jobs  []*job
	head  int
	live  int // jobs still queued
	index int // position in the heap
}

// len returns the jobs queued.
func (q *edf) len() int { return q.n }

// push queues j (j.dl set, not queued already).
func (q *edf) push(j *job) {
	if r := q.tail; r != nil && r.index >= 0 && r.dl == j.dl && r.last < j.seq && 2*r.live >= len(r.jobs) {
		// Last in its run: the run's first job, its place in the heap,
		// stays as it was. (A run mostly of removed jobs takes no more:
		// jobs that share one deadline, arriving for long, as while the
		// engine drains, make new runs, and the old one is let go once
		// empty, so a run is never mostly holes.)
		j.run, j.pos = r, len(r.jobs)
		r.jobs = append(r.jobs, j)
		r.last = j.seq
		r.live++
		q.n++
		return
	}
	r := &jobRun{dl: j.dl, last: j.seq, jobs: []*job{j}, live: 1}
	j.run, j.pos = r, 0
	heap.Push(&q.runs, r)
	q.tail = r
	q.n++
}

// top returns the most urgent job queued, nil when none is.
func (q *edf) top() *job {
	if len(q.runs) == 0 {
		return nil
	}
	r := q.runs[0]
	return r.jobs[r.head]
}

// remove takes j out of the queue; a job not queued is left alone.
func (q *edf) remove(j *job) {
	r := j.run
	if r == nil {
		return
	}
	j.run = nil
	r.jobs[j.pos] = nil
	r.live--
	q.n--
	switch {
	case r.live == 0:
		heap.Remove(&q.runs, r.index) // sets r.index to -1: push makes a new run
		r.jobs = nil
		if q.tail == r {
			q.tail = nil
		}
	case j.pos == r.head:
		for r.jobs[r.head] == nil {
			r.head++
		}
		heap.Fix(&q.runs, r.index)
	}
}

// moved re-places a queued job whose deadline came earlier (setDeadline).
func (q *edf) moved(j *job) {
	if j.run == nil {
		return
	}
	q.remove(j)
	q.push(j)
}

// due counts the jobs queued due by dl.
func (q *edf) due(dl int64) int {
	n := 0
	for _, r := range q.runs {
		if r.dl <= dl {
			n += r.live
		}
	}
	return n
}

// all returns the jobs queued, in no particular order, as a new slice:
// the caller may remove them as it goes.
func (q *edf) all() []*job {
	out := make([]*job, 0, q.n)
	for _, r := range q.runs {
		for _, j := range r.jobs[r.head:] {
			if j != nil {
				out = append(out, j)
			}
		}
	}
	return out
}

// each calls f for every job queued, in no particular order, until f
// returns false; f must not change the queue.
func (q *edf) each(f func(*job) bool) {
	for _, r := range q.runs {
		for _, j := range r.jobs[r.head:] {
			if j != nil && !f(j) {
				return
			}
		}
	}
}

// runHeap is a min-heap of runs by their first job's deadline, then seq.
type runHeap []*jobRun

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.dl != b.dl {
		return a.dl < b.dl
	}
	return a.jobs[a.head].seq < b.jobs[b.head].seq
}
func (h runHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *runHeap) Push(x any) {
	r := x.(*jobRun)
	r.index = len(*h)
	*h = append(*h, r)
}
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	r.index = -1
	*h = old[:len(old)-1]
	return r
}
