package loadtest

import (
	"strings"
	"testing"
)

// The side-by-side reports the medians of its rounds' ratios (one noisy
// round does not move them) and the rounds' calls and CPU together.
func TestCostSummary(t *testing.T) {
	side := func(name string, calls int64, cpuMS, wallMS, simMS float64) CostSide {
		s := CostSide{Name: name, Calls: calls, CPUMS: cpuMS, WallMS: wallMS, SandboxCPUMS: simMS}
		s.perCall()
		return s
	}
	var r CostResult
	for _, f := range []struct{ handCPU, handWall, svcCPU, svcWall float64 }{
		{400, 1000, 800, 1200},  // 2.0 x, 1.2 x
		{400, 1000, 2000, 3000}, // a noisy round: 5.0 x, 3.0 x
		{500, 1000, 750, 1100},  // 1.5 x, 1.1 x
	} {
		rd := CostRound{Hand: side("hand-written pool", 8000, f.handCPU, f.handWall, 400), Service: side("hotelrates serve", 8000, f.svcCPU, f.svcWall, 600)}
		rd.CPURatio, rd.WallRatio = ratio(rd.Service.CPUPerCall, rd.Hand.CPUPerCall), ratio(rd.Service.WallMS, rd.Hand.WallMS)
		r.Rounds = append(r.Rounds, rd)
	}
	r.summarize()
	if r.CPURatio != 2.0 || r.WallRatio != 1.2 {
		t.Errorf("median ratios %.2f, %.2f; want 2.00, 1.20", r.CPURatio, r.WallRatio)
	}
	if r.Hand.Calls != 24000 || r.Service.CPUMS != 3550 || r.Service.WallMS != 1200 {
		t.Errorf("totals %+v %+v", r.Hand, r.Service)
	}
	var b strings.Builder
	if err := WriteCost(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "**CPU per call 2.00 x, wall 1.20 x**") || !strings.Contains(b.String(), "the sandbox 50.0 and 75.0 µs per call") ||
		!strings.Contains(b.String(), "| 400 ms | 400 ms | 1000 ms | | |") || !strings.Contains(b.String(), "| 800 ms | 600 ms | 1200 ms | 2.00 x | 1.20 x |") || strings.Count(b.String(), "| hotelrates serve |") != 3 {
		t.Errorf("report:\n%s", b.String())
	}
}
