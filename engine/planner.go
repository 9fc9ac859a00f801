package engine

// planner splits one search's hotels into the calls one vendor gets, by
// the vendor's strategy. The vendor queue runs it while it plans a search
// (queue.go), so it needs no goroutine of its own.
type planner struct {
	maxBatch    int // the most hotels per call; 1: one hotel per call
	concurrency int // calls the vendor takes at once
	minBatch    int // the smallest batch worth a call (rate-limited batch vendors)
}

// rateLimitedMinBatch is the smallest batch the planner makes for a batch
// vendor with a requests-per-second limit.
const rateLimitedMinBatch = 25

func newPlanner(maxBatch, concurrency int, rateLimited bool) planner {
	p := planner{maxBatch: max(1, maxBatch), concurrency: max(1, concurrency), minBatch: 1}
	if rateLimited {
		p.minBatch = rateLimitedMinBatch
	}
	return p
}

// split returns the calls for hotels. A vendor that answers one hotel per
// call gets one call per hotel. A batch vendor gets batches of at most
// maxBatch, as many as fill whole rounds of its concurrency and no more,
// of nearly equal size, so the search finishes soonest when the call
// latency grows with the batch: 200 hotels with maxBatch 250 and
// concurrency 4 become four calls of 50. minBatch, when above 1, stops the
// split short of batches smaller than it: a vendor with a
// requests-per-second limit should not spend its budget on tiny calls that
// save little time (10 hotels become one call, not four).
func (p planner) split(hotels []string) [][]string {
	return plan(hotels, p.maxBatch, p.concurrency, p.minBatch)
}

// plan is split's arithmetic.
func plan(hotels []string, maxBatch, concurrency, minBatch int) [][]string {
	n := len(hotels)
	if n == 0 {
		return nil
	}
	maxBatch = max(1, maxBatch)
	concurrency = max(1, concurrency)
	k := n
	if maxBatch > 1 {
		calls := ceilDiv(n, maxBatch)
		rounds := ceilDiv(calls, concurrency)
		k = min(n, rounds*concurrency)
		if minBatch > 1 {
			k = max(calls, min(k, ceilDiv(n, minBatch)))
		}
	}
	out := make([][]string, 0, k)
	size, extra := n/k, n%k
	for i, start := 0, 0; i < k; i++ {
		end := start + size
		if i < extra {
			end++
		}
		out = append(out, hotels[start:end:end])
		start = end
	}
	return out
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
