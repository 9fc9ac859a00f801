package hotelbeds

import (
	"crypto/sha256"
	"sync"
	"time"
)

// RepeatWindow is how long the API refuses a request that failed (410
// Gone) when it is sent again unchanged.
const RepeatWindow = 15 * time.Minute

// MaxRemembered is how many failed requests the sandbox remembers at once;
// past it the oldest is forgotten early.
const MaxRemembered = 1 << 14

// failures remembers the requests the API refused (by the SHA-256 of their
// body) for RepeatWindow, in bounded memory: entries are kept in the order
// they were made, which is also the order they expire in.
type failures struct {
	max   int
	mu    sync.Mutex
	m     map[[sha256.Size]byte]failure
	order []failed // order[head:] are live or stale
	head  int
}

type failure struct {
	until time.Time
	msg   string // what the first answer said
}

type failed struct {
	key   [sha256.Size]byte
	until time.Time
}

func newFailures(max int) *failures {
	return &failures{max: max, m: map[[sha256.Size]byte]failure{}}
}

// repeated reports whether body failed less than RepeatWindow ago, and
// what the failure was.
func (f *failures) repeated(body []byte, now time.Time) (string, bool) {
	key := sha256.Sum256(body)
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.m[key]
	if !ok || !now.Before(e.until) {
		return "", false
	}
	return e.msg, true
}

// remember records that body failed at now, saying msg.
func (f *failures) remember(body []byte, now time.Time, msg string) {
	key := sha256.Sum256(body)
	until := now.Add(RepeatWindow)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.purgeLocked(now, f.max-1)
	f.m[key] = failure{until: until, msg: msg}
	f.order = append(f.order, failed{key: key, until: until})
}

// purgeLocked forgets failures from the oldest on while they are expired
// or more than keep are remembered. An order entry whose key was
// remembered again later is stale: dropping it leaves the newer one.
func (f *failures) purgeLocked(now time.Time, keep int) {
	for f.head < len(f.order) {
		o := f.order[f.head]
		e, ok := f.m[o.key]
		stale := !ok || !e.until.Equal(o.until)
		if !stale && now.Before(e.until) && len(f.m) <= keep {
			break
		}
		if !stale {
			delete(f.m, o.key)
		}
		f.order[f.head] = failed{}
		f.head++
	}
	if f.head > 64 && f.head*2 > len(f.order) {
		n := copy(f.order, f.order[f.head:])
		clear(f.order[n:])
		f.order = f.order[:n]
		f.head = 0
	}
}

// size returns how many failures are remembered (for tests).
func (f *failures) size() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.m)
}
