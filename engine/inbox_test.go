package engine

import (
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
)

// TestInboxWakesForTheResultsAwaited: a search that waits for the next
// result, or only for the last one due, is never left waiting for a
// result that arrived (a lost wakeup would leave the bubble deadlocked),
// whether the results come before or after it says how many are due.
func TestInboxWakesForTheResultsAwaited(t *testing.T) {
	for _, tt := range []struct {
		name  string
		next  bool // the search waits for each result
		early int  // results put before expect
	}{
		{"each result", true, 0},
		{"the last result only", false, 0},
		{"the last result only, some before expect", false, 300},
		{"all before expect", false, 1000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const n, putters = 1000, 4
				b := newInbox()
				for range tt.early {
					b.put(jobResult{})
				}
				var wg sync.WaitGroup
				for range putters {
					wg.Go(func() {
						for range (n - tt.early) / putters {
							b.put(jobResult{})
							runtime.Gosched()
						}
					})
				}
				got, wakes := 0, 0
				if b.expect(n) {
					got += len(b.take())
				}
				for got < n {
					if b.wait(tt.next) {
						got += len(b.take())
						continue
					}
					<-b.notify
					wakes++
					got += len(b.take())
				}
				wg.Wait()
				if got != n {
					t.Fatalf("took %d results, want %d", got, n)
				}
				if !tt.next && wakes > 1 {
					t.Errorf("woken %d times waiting only for the last result", wakes)
				}
			})
		})
	}
}

// TestInboxWaitSeesWhatCameBefore: a result put while the search was not
// waiting for it sent no notify; wait reports it, so it is not missed.
func TestInboxWaitSeesWhatCameBefore(t *testing.T) {
	b := newInbox()
	b.expect(2)
	b.put(jobResult{}) // one of two due, nobody waiting for the next: no notify
	select {
	case <-b.notify:
		t.Fatal("notified though the search waited for neither this result nor the last")
	default:
	}
	if !b.wait(true) {
		t.Fatal("wait missed a result that arrived before it")
	}
	if n := len(b.take()); n != 1 {
		t.Fatalf("took %d, want 1", n)
	}
	if b.wait(true) {
		t.Fatal("wait saw a result in an empty inbox")
	}
	b.put(jobResult{}) // the last due, and awaited
	select {
	case <-b.notify:
	default:
		t.Fatal("the last result sent no notify")
	}
}
