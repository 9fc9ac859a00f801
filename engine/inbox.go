package engine

import (
	"sync"
	"sync/atomic"
)

// inbox carries job results from the vendor queues to one search's
// aggregator: a mailbox that never blocks the queue that puts into it and
// holds only the results that arrived, so its size follows the work, not a
// guess made in advance. take empties it.
//
// notify wakes the search only when it waits for a result: for the next
// one (want), or for the last one due (the search said how many with
// expect). A streaming search collecting a batch for the end of its
// interval is not woken by every answer in between: it takes them
// together at the interval's end.
type inbox struct {
	mu     sync.Mutex
	items  []jobResult
	spare  []jobResult   // the slice take handed out last time, reused
	notify chan struct{} // buffered 1: a result the search waits for arrived
	// due is the results still to come: expect adds the search's count,
	// put takes one each (it may run first: due goes below zero until
	// expect). want says the search waits for the next result.
	due  atomic.Int64
	want atomic.Bool
}

func newInbox() *inbox { return &inbox{notify: make(chan struct{}, 1)} }

func (b *inbox) put(r jobResult) {
	b.mu.Lock()
	b.items = append(b.items, r)
	b.mu.Unlock()
	if b.due.Add(-1) == 0 || b.want.CompareAndSwap(true, false) {
		select {
		case b.notify <- struct{}{}:
		default:
		}
	}
}

// expect says n results are due in all; it reports whether they have all
// arrived already.
func (b *inbox) expect(n int) bool { return b.due.Add(int64(n)) == 0 }

// wait says whether the search waits for the next result (true), or only
// for the last one due (false). It reports whether results are waiting
// already: then no notify may come for them, and the search takes them
// at once.
func (b *inbox) wait(next bool) bool {
	b.want.Store(next)
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.items) > 0
}

// take returns what arrived since the last take. The slice is valid until
// the next take.
func (b *inbox) take() []jobResult {
	b.mu.Lock()
	defer b.mu.Unlock()
	items := b.items
	clear(b.spare)
	b.items, b.spare = b.spare[:0], items
	return items
}
