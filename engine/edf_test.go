package engine

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestEDFOrder holds the queue's edf to a sorted list of the same jobs
// under random pushes (runs of one deadline, as searches plan them, and
// single jobs, as retries come back), removals, deadlines moved earlier and
// takes from the top.
func TestEDFOrder(t *testing.T) {
	for _, tt := range []struct {
		name      string
		deadlines int // distinct deadlines to draw from (ties)
		ops       int
	}{
		{"few deadlines, many ties", 3, 5000},
		{"many deadlines", 1000, 5000},
		{"one deadline", 1, 2000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tt.deadlines)))
			var q edf
			var ref []*job // the jobs queued
			seq := uint64(0)
			newJob := func(dl int64) *job {
				seq++
				return &job{dl: dl, seq: seq}
			}
			byOrder := func(a, b *job) int {
				if c := cmp.Compare(a.dl, b.dl); c != 0 {
					return c
				}
				return cmp.Compare(a.seq, b.seq)
			}
			check := func(op string) {
				t.Helper()
				if q.len() != len(ref) {
					t.Fatalf("after %s: len %d, want %d", op, q.len(), len(ref))
				}
				if len(ref) == 0 {
					if q.top() != nil {
						t.Fatalf("after %s: top of an empty queue", op)
					}
					return
				}
				if got, want := q.top(), slices.MinFunc(ref, byOrder); got != want {
					t.Fatalf("after %s: top (dl %d, seq %d), want (dl %d, seq %d)", op, got.dl, got.seq, want.dl, want.seq)
				}
			}
			for i := range tt.ops {
				switch op := rng.IntN(10); {
				case op < 3: // a search's calls: a run of one deadline
					dl := int64(rng.IntN(tt.deadlines))
					for range 1 + rng.IntN(20) {
						j := newJob(dl)
						q.push(j)
						ref = append(ref, j)
					}
					check("push run")
				case op < 4 && len(ref) > 0: // a retry back in the queue: an old seq
					k := rng.IntN(len(ref))
					j := ref[k]
					q.remove(j)
					q.push(j)
					check("push again")
				case op < 6 && len(ref) > 0:
					k := rng.IntN(len(ref))
					q.remove(ref[k])
					q.remove(ref[k]) // a second remove is a no-op
					ref = slices.Delete(ref, k, k+1)
					check("remove")
				case op < 7 && len(ref) > 0: // a more urgent search joins
					j := ref[rng.IntN(len(ref))]
					j.dl -= int64(rng.IntN(tt.deadlines) + 1)
					q.moved(j)
					check("moved")
				case op < 9 && len(ref) > 0:
					j := q.top()
					q.remove(j)
					ref = slices.DeleteFunc(ref, func(k *job) bool { return k == j })
					check("take top")
				default:
					dl := int64(rng.IntN(tt.deadlines))
					want := 0
					for _, j := range ref {
						if j.dl <= dl {
							want++
						}
					}
					if got := q.due(dl); got != want {
						t.Fatalf("op %d: due(%d) = %d, want %d", i, dl, got, want)
					}
					all := q.all()
					if len(all) != len(ref) {
						t.Fatalf("op %d: all has %d jobs, want %d", i, len(all), len(ref))
					}
					n := 0
					q.each(func(*job) bool { n++; return true })
					if n != len(ref) {
						t.Fatalf("op %d: each saw %d jobs, want %d", i, n, len(ref))
					}
				}
			}
			// Drained from the top, the jobs come in (deadline, seq) order.
			slices.SortFunc(ref, byOrder)
			for i, want := range ref {
				j := q.top()
				if j != want {
					t.Fatalf("drain %d: (dl %d, seq %d), want (dl %d, seq %d)", i, j.dl, j.seq, want.dl, want.seq)
				}
				q.remove(j)
			}
			if q.len() != 0 || q.top() != nil || len(q.runs) != 0 {
				t.Fatalf("drained: len %d, %d runs", q.len(), len(q.runs))
			}
		})
	}
}

// TestEDFRunDoesNotGrowWithoutBound: jobs that share one deadline for long
// (searches started while the engine drains) while the queue takes them
// do not pile up removed slots in one run.
func TestEDFRunDoesNotGrowWithoutBound(t *testing.T) {
	var q edf
	for seq := uint64(1); seq <= 100_000; seq++ {
		q.push(&job{dl: 42, seq: seq})
		if q.len() > 1 {
			q.remove(q.top())
		}
	}
	if r := q.runs[0]; len(q.runs) != 1 || cap(r.jobs) > 1024 {
		t.Errorf("%d runs; the run holds %d slots (cap %d) for %d jobs queued", len(q.runs), len(r.jobs), cap(r.jobs), q.len())
	}
}
