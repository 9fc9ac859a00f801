package engine

import (
	"fmt"
	"testing"
)

func TestPlan(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprint(i)
		}
		return out
	}
	tests := []struct {
		name                   string
		n, batch, conc, minB   int
		wantCalls, wantLargest int
	}{
		{"one hotel per call", 20, 1, 16, 1, 20, 1},
		{"200 on max 250, C=4: four calls of 50", 200, 250, 4, 1, 4, 50},
		{"1000 on max 250, C=4: four of 250", 1000, 250, 4, 1, 4, 250},
		{"1100 on max 250, C=4: two rounds of four", 1100, 250, 4, 1, 8, 138},
		{"200 on max 20, C=4: three rounds", 200, 20, 4, 1, 12, 17},
		{"fewer hotels than C", 3, 250, 4, 1, 3, 1},
		{"rate-limited: 10 hotels in one call", 10, 250, 4, 25, 1, 10},
		{"rate-limited: 200 hotels still split", 200, 250, 4, 25, 4, 50},
		{"rate-limited: 60 hotels in three calls", 60, 250, 4, 25, 3, 20},
		{"none", 0, 250, 4, 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := plan(ids(tt.n), tt.batch, tt.conc, tt.minB)
			largest, total := 0, 0
			for _, b := range got {
				largest = max(largest, len(b))
				total += len(b)
				if len(b) > tt.batch || len(b) == 0 {
					t.Errorf("batch of %d", len(b))
				}
			}
			if len(got) != tt.wantCalls || largest != tt.wantLargest || total != tt.n {
				t.Errorf("%d calls, largest %d, %d hotels; want %d calls, largest %d", len(got), largest, total, tt.wantCalls, tt.wantLargest)
			}
		})
	}
}
