package e2e

import (
	"context"
	"strings"
	"testing"

	"hotelrates/loadtest"
)

// The per-call cost side by side runs end to end: the sandbox and the
// service in processes of their own, both clients making exactly the
// calls asked in each round, with CPU and wall time measured for each. (The figures
// themselves are for docs/performance.md, not asserted.)
func TestCostSideBySide(t *testing.T) {
	res, err := loadtest.Cost(context.Background(), loadtest.CostOptions{Command: binary, Calls: 400, Searches: 4, Concurrency: 8, Rounds: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rounds) != 2 {
		t.Fatalf("%d rounds, want 2", len(res.Rounds))
	}
	for _, rd := range res.Rounds {
		for _, s := range []loadtest.CostSide{rd.Hand, rd.Service} {
			if s.Calls != 400 || s.CPUMS <= 0 || s.WallMS <= 0 || s.CPUPerCall <= 0 {
				t.Errorf("a round's %s: %+v", s.Name, s)
			}
		}
	}
	for _, s := range []loadtest.CostSide{res.Hand, res.Service} {
		if s.Calls != 800 || s.CPUMS <= 0 || s.WallMS <= 0 || s.CPUPerCall <= 0 {
			t.Errorf("all rounds' %s: %+v", s.Name, s)
		}
	}
	if res.CPURatio <= 0 || res.WallRatio <= 0 || res.FloorMS != 100 {
		t.Errorf("ratios %.2f %.2f, floor %.0f ms", res.CPURatio, res.WallRatio, res.FloorMS)
	}
	var b strings.Builder
	if err := loadtest.WriteCost(&b, res); err != nil || !strings.Contains(b.String(), "CPU per call") {
		t.Errorf("report: %v\n%s", err, b.String())
	}
}
