package engine

import "sync"

// inbox carries job results from the vendor queues to one search's
// aggregator: a mailbox that never blocks the queue that puts into it and
// holds only the results that arrived, so its size follows the work, not a
// guess made in advance. notify says something arrived; take empties it.
type inbox struct {
	mu     sync.Mutex
	items  []jobResult
	spare  []jobResult   // the slice take handed out last time, reused
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
