package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"hotelrates/sandbox"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func msd(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[99-i] = time.Duration(i+1) * time.Millisecond // 100 ms .. 1 ms, unsorted
	}
	for _, tt := range []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample", msd(7), 99, 7 * time.Millisecond},
		{"median of odd count", msd(3, 1, 2), 50, 2 * time.Millisecond},
		{"median of even count is the lower middle", msd(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p100 is the max", msd(5, 9, 1), 100, 9 * time.Millisecond},
		{"tiny p is the min", msd(5, 9, 1), 0.1, 1 * time.Millisecond},
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p95 of 1..100", hundred, 95, 95 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p99 of 10 samples is the max", msd(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"p90 of 10 samples", msd(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 90, 9 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]time.Duration(nil), tt.samples...)
			if got := Percentile(tt.samples, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.samples, tt.p, got, tt.want)
			}
			for i := range before {
				if before[i] != tt.samples[i] {
					t.Fatal("Percentile reordered its input")
				}
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize(msd(10, 20, 30, 40))
	want := Summary{N: 4, P50: 20 * time.Millisecond, P95: 40 * time.Millisecond, P99: 40 * time.Millisecond, Mean: 25 * time.Millisecond, Max: 40 * time.Millisecond}
	if s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
	if (Summarize(nil) != Summary{}) {
		t.Error("empty summary not zero")
	}
}

// TestGenerateSchedule checks, in a synctest bubble (exact virtual time),
// that arrivals come at the fixed rate whatever the requests do, and that
// the outstanding bound drops arrivals instead of delaying them.
func TestGenerateSchedule(t *testing.T) {
	for _, tt := range []struct {
		name        string
		sched       Schedule
		work        time.Duration // how long each request takes
		wantSent    int
		wantDropped int
		wantPeak    int
		wantElapsed time.Duration
	}{
		{"fast requests: every arrival on time", Schedule{Rate: 100, Count: 20, MaxOutstanding: 50}, 5 * time.Millisecond, 20, 0, 1, 195 * time.Millisecond},
		{"slow requests overlap; arrivals keep the rate", Schedule{Rate: 100, Count: 20, MaxOutstanding: 50}, 35 * time.Millisecond, 20, 0, 4, 225 * time.Millisecond},
		{"bound reached: arrivals dropped, not delayed", Schedule{Rate: 1000, Count: 50, MaxOutstanding: 5}, time.Second, 5, 45, 5, time.Second + 4*time.Millisecond},
		{"burst: all at once", Schedule{Count: 10, MaxOutstanding: 10}, 50 * time.Millisecond, 10, 0, 10, 50 * time.Millisecond},
		{"burst over the bound", Schedule{Count: 10, MaxOutstanding: 3}, 50 * time.Millisecond, 3, 7, 3, 50 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				starts := map[int]time.Duration{}
				dues := map[int]time.Duration{}
				t0 := time.Now()
				st := Generate(context.Background(), tt.sched, func(ctx context.Context, i int, due time.Time) {
					mu.Lock()
					starts[i] = time.Since(t0)
					dues[i] = due.Sub(t0)
					mu.Unlock()
					time.Sleep(tt.work)
				})
				if st.Sent != tt.wantSent || st.Dropped != tt.wantDropped || st.PeakOutstanding != tt.wantPeak {
					t.Errorf("sent %d dropped %d peak %d, want %d %d %d", st.Sent, st.Dropped, st.PeakOutstanding, tt.wantSent, tt.wantDropped, tt.wantPeak)
				}
				if st.Elapsed != tt.wantElapsed {
					t.Errorf("elapsed %v, want %v", st.Elapsed, tt.wantElapsed)
				}
				for i, s := range starts {
					want := tt.sched.At(t0, i).Sub(t0)
					if s != want || dues[i] != want {
						t.Errorf("arrival %d started at %v (due %v), want %v", i, s, dues[i], want)
					}
				}
			})
		})
	}
}

func TestGenerateStopsWhenCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 95*time.Millisecond)
		defer cancel()
		st := Generate(ctx, Schedule{Rate: 100, Count: 1000, MaxOutstanding: 10}, func(ctx context.Context, i int, due time.Time) {
			<-ctx.Done() // requests end with their context
		})
		if st.Sent != 10 || st.Dropped != 0 {
			t.Errorf("sent %d dropped %d, want 10 and 0 (arrivals at 0..90 ms)", st.Sent, st.Dropped)
		}
	})
}

func TestResultsJSONShape(t *testing.T) {
	var buf bytes.Buffer
	r := Result{
		Scenario: Scaling, Strategy: Workers, Hotels: 100, Vendors: []string{"solo"}, Searches: 3,
		P50MS: 281.2, P95MS: 283, P99MS: 283, FloorMS: 280,
		VendorCalls: map[string]int64{"solo": 300}, Vendor429: map[string]int64{"solo": 0}, PeakVendorInflight: map[string]int64{"solo": 16},
		PeakGoroutines: 80, PeakRSSMB: 40.5, LatenessP99MS: 1.5, LatenessMaxMS: 2.5, ConcurrentSearches: 1,
		GoroutineBound: 120, Bounded: new(true),
	}
	if err := WriteResults(&buf, []Result{r}); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("results.json is not an array of objects: %v\n%s", err, buf.String())
	}
	if len(got) != 1 {
		t.Fatalf("%d objects", len(got))
	}
	for _, tt := range []struct {
		key  string
		kind string
	}{
		{"scenario", "string"}, {"strategy", "string"}, {"hotels", "number"}, {"searches", "number"},
		{"p50_ms", "number"}, {"p95_ms", "number"}, {"p99_ms", "number"}, {"floor_ms", "number"},
		{"vendor_calls", "object"}, {"vendor_429", "object"}, {"peak_vendor_inflight", "object"},
		{"peak_goroutines", "number"}, {"peak_rss_mb", "number"}, {"errors", "number"},
		{"shed", "number"}, {"accepted_p99_ms", "number"}, {"partial", "number"},
		{"lateness_p99_ms", "number"}, {"lateness_max_ms", "number"}, {"concurrent_searches", "number"},
		{"goroutine_bound", "number"}, {"bounded", "bool"},
	} {
		v, ok := got[0][tt.key]
		if !ok {
			t.Errorf("missing %q", tt.key)
			continue
		}
		var kind string
		switch v.(type) {
		case string:
			kind = "string"
		case float64:
			kind = "number"
		case map[string]any:
			kind = "object"
		case bool:
			kind = "bool"
		}
		if kind != tt.kind {
			t.Errorf("%q is %T, want a %s", tt.key, v, tt.kind)
		}
	}
	if got[0]["vendor_calls"].(map[string]any)["solo"] != float64(300) {
		t.Errorf("vendor_calls %v", got[0]["vendor_calls"])
	}
	buf.Reset()
	if err := WriteResults(&buf, nil); err != nil || strings.TrimSpace(buf.String()) != "[]" {
		t.Errorf("no results: %q, %v", buf.String(), err)
	}
}

func TestParseProcessMetrics(t *testing.T) {
	in := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 123
go_threads 9
process_resident_memory_bytes 4.194304e+07
hotelrates_x{vendor="solo"} 3
`
	g, r := parseProcessMetrics(strings.NewReader(in))
	if g != 123 || r != 41943040 {
		t.Errorf("got %v %v", g, r)
	}
}

func TestFloorAndCapacity(t *testing.T) {
	cfg := sandbox.DefaultConfig()
	for _, tt := range []struct {
		n    int
		want time.Duration
	}{{10, 40 * time.Millisecond}, {100, 200 * time.Millisecond}, {1000, 1880 * time.Millisecond}} {
		if got := sandbox.SearchFloor(cfg, tt.n, sandbox.Solo); got != tt.want {
			t.Errorf("floor(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
	// Solo carries 3 hotels in 4 (at least 750 of 1,000 consecutive
	// ones, the floors above), and makes 16 calls per 40 ms = 400 calls/s:
	// 2,000 hotels are 1,500 calls, 94 rounds, 3.76 s; 100 searches of 20
	// in 3.76 s are 26.6 per second.
	if c := Capacity(cfg, 20, sandbox.Solo); c < 26.5 || c > 26.7 {
		t.Errorf("capacity %v, want 26.6", c)
	}
	if c := Capacity(compress(cfg, 4), 20, sandbox.Solo); c < 106.3 || c > 106.5 {
		t.Errorf("compressed capacity %v, want 106.4", c)
	}
}

// tiny is a sandbox whose vendors answer in a few milliseconds.
func tiny() sandbox.Config {
	c := fixed(sandbox.DefaultConfig())
	c.Vendors.Solo.Latency.Base = 2 * time.Millisecond
	c.Vendors.Bulk.Latency.Base = 3 * time.Millisecond
	c.Vendors.Bulk.Latency.PerHotel = 10 * time.Microsecond
	c.Vendors.Bulk.RPS, c.Vendors.Bulk.Burst = 2000, 200
	c.Vendors.Session.Latency.Base = 3 * time.Millisecond
	c.Vendors.Session.Latency.PerHotel = 20 * time.Microsecond
	return c
}

// TestEndToEnd runs two tiny scenarios with every strategy against the
// in-process service and checks both files.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	cfg := tiny()
	scenarios := []Scenario{
		{
			Name: Scaling, Title: "tiny scaling", Sandbox: cfg, Vendors: []string{sandbox.Solo}, Timeout: 10 * time.Second,
			Steps: []Step{{Hotels: 5, Searches: 2}, {Hotels: 40, Searches: 2}},
		},
		{
			Name: Mixed, Title: "tiny mixed", Sandbox: cfg, Vendors: sandbox.VendorNames, Timeout: 10 * time.Second,
			Steps: []Step{{Hotels: 30, Searches: 2}, {Hotels: 20, Users: 3}},
		},
		{
			Name: Overload, Title: "tiny overload", Sandbox: cfg, Vendors: []string{sandbox.Solo}, Timeout: 2 * time.Second,
			Steps: []Step{{Hotels: 10, Rate: 20, Load: 0.5, Searches: 6}},
		},
	}
	log := slog.New(slog.DiscardHandler)
	rep, err := Run(context.Background(), Options{Scenarios: scenarios, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	want := 3 * (2 + 2 + 1)
	if len(rep.Results) != want {
		t.Fatalf("%d results, want %d", len(rep.Results), want)
	}
	for _, r := range rep.Results {
		if r.Errors != 0 || r.Shed != 0 || r.Complete != r.Searches {
			t.Errorf("%s %s %d: %d complete of %d, %d errors, %d shed: %v", r.Scenario, r.Strategy, r.Hotels, r.Complete, r.Searches, r.Errors, r.Shed, r.ErrorSamples)
		}
		if r.P50MS <= 0 || r.P50MS > r.P99MS || r.FloorMS <= 0 {
			t.Errorf("%s %s %d: p50 %v p99 %v floor %v", r.Scenario, r.Strategy, r.Hotels, r.P50MS, r.P99MS, r.FloorMS)
		}
		if r.P50MS < r.FloorMS*0.95 {
			t.Errorf("%s %s %d: p50 %v below the floor %v", r.Scenario, r.Strategy, r.Hotels, r.P50MS, r.FloorMS)
		}
		if r.VendorCalls[sandbox.Solo] == 0 || r.PeakGoroutines == 0 {
			t.Errorf("%s %s: no vendor calls or goroutines seen: %+v", r.Scenario, r.Strategy, r)
		}
		if r.PeakVendorInflight[sandbox.Session] > int64(cfg.Vendors.Session.Concurrency) {
			t.Errorf("%s %s: %d session calls at once", r.Scenario, r.Strategy, r.PeakVendorInflight[sandbox.Session])
		}
		// Single-hotel vendor: one call per hotel it carries per search,
		// whatever the strategy.
		lo, hi := int64(sandbox.CarriedAtLeast(sandbox.Solo, r.Hotels)*r.Searches), int64(r.Hotels*r.Searches)
		if got := r.VendorCalls[sandbox.Solo]; got < lo || got > hi {
			t.Errorf("%s %s %d: %d solo calls, want %d to %d", r.Scenario, r.Strategy, r.Hotels, got, lo, hi)
		}
	}

	dir := t.TempDir()
	if err := WriteFiles(dir, rep); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back []Result
	if err := json.Unmarshal(b, &back); err != nil || len(back) != want {
		t.Fatalf("results.json: %d results, %v", len(back), err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"## scaling", "## mixed", "## overload", "| strategy | hotels |", "p50/floor", "](scaling.png)", "](overload.png)", "goroutine-per-hotel", "Machine:"} {
		if !strings.Contains(string(md), s) {
			t.Errorf("report.md lacks %q", s)
		}
	}
	for _, p := range []string{PlotScaling, PlotMixed, PlotOverload} {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s: not a PNG (%v)", p, err)
		}
	}
}

// TestDeadlineScenario runs the deadline scenario scaled down (3 searches
// of 200 hotels on solo with C=4 and 20 ms, so one search alone needs 1 s,
// under a 100 ms deadline) and checks that partial answers are not errors
// and that lateness and the goroutine bound are reported. Timing bounds
// are generous: they only catch an answer that never came.
func TestDeadlineScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	const users, hotels, timeout = 3, 200, 100 * time.Millisecond
	sc := deadlineScenario(users, hotels, 4, 20*time.Millisecond, timeout)
	rep, err := Run(context.Background(), Options{Scenarios: []Scenario{sc}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Result{}
	for _, r := range rep.Results {
		got[r.Strategy] = r
	}
	if len(rep.Results) != 2 || got[Workers].Strategy == "" || got[GoroutinePerHotel].Strategy == "" {
		t.Fatalf("want one workers and one goroutine-per-hotel result (no sequential), got %+v", rep.Results)
	}
	for _, r := range rep.Results {
		if r.Searches != users || r.ConcurrentSearches < 1 || r.ConcurrentSearches > users {
			t.Errorf("%s: %d searches, %d at once", r.Strategy, r.Searches, r.ConcurrentSearches)
		}
		// The engine may shed the searches that find the first one's
		// work queued; every other one ends at its deadline.
		if r.Complete != 0 || r.Errors != 0 || r.Partial < 1 || r.Partial+r.Shed != r.Searches {
			t.Errorf("%s: %d complete, %d partial, %d shed, %d errors of %d: %v", r.Strategy, r.Complete, r.Partial, r.Shed, r.Errors, r.Searches, r.ErrorSamples)
		}
		if r.LatenessMaxMS < 0 || r.LatenessP99MS < 0 || r.LatenessP99MS > r.LatenessMaxMS || r.LatenessMaxMS > 20_000 {
			t.Errorf("%s: lateness p99 %v ms, max %v ms", r.Strategy, r.LatenessP99MS, r.LatenessMaxMS)
		}
		// The engine stops collecting a twentieth of the deadline early, so
		// that its answer is written by it.
		if early := timeout - timeout/20; r.MaxMS < ms(early) {
			t.Errorf("%s: slowest answer %v ms, before %v (the %v deadline less the answer margin)", r.Strategy, r.MaxMS, early, timeout)
		}
		if r.PeakGoroutines == 0 {
			t.Errorf("%s: no goroutines seen", r.Strategy)
		}
	}
	w := got[Workers]
	// The bound counts, beyond what was there before, the engine's own
	// bound: at least a loader and a connection per vendor.
	if w.GoroutineBound <= w.IdleGoroutines+len(sandbox.VendorNames) || w.Bounded == nil || *w.Bounded != (w.PeakGoroutines <= w.GoroutineBound) {
		t.Errorf("workers: bound %d, bounded %v, peak %d, idle %d", w.GoroutineBound, w.Bounded, w.PeakGoroutines, w.IdleGoroutines)
	}
	if b := got[GoroutinePerHotel]; b.GoroutineBound != 0 || b.Bounded != nil {
		t.Errorf("a baseline has a bound: %d %v", b.GoroutineBound, b.Bounded)
	}

	dir := t.TempDir()
	if err := WriteFiles(dir, rep); err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err == nil {
		err = json.Unmarshal(b, &back)
	}
	if err != nil || len(back) != 2 {
		t.Fatalf("results.json: %d results, %v", len(back), err)
	}
	for _, key := range []string{"lateness_p99_ms", "lateness_max_ms", "goroutine_bound", "bounded", "partial", "concurrent_searches"} {
		if _, ok := back[0][key]; !ok {
			t.Errorf("results.json: workers lacks %q", key)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"## deadline", "| partial |", "| lateness p99 ms | lateness max ms |", "| goroutine bound | bounded |",
		"- deadline, workers:", "deadline lateness p99", "Goroutine bound = goroutines before the step"} {
		if !strings.Contains(string(md), s) {
			t.Errorf("report.md lacks %q", s)
		}
	}
}

func TestDefaultScenariosHaveDeadline(t *testing.T) {
	for _, quick := range []bool{true, false} {
		var names []string
		for _, sc := range DefaultScenarios(quick) {
			names = append(names, sc.Name)
			if sc.Name != Deadline {
				continue
			}
			solo := sc.Sandbox.Vendors.Solo
			if solo.Concurrency != 8 || solo.Latency.Base != 50*time.Millisecond || solo.Latency.Jitter != "none" || sc.Timeout != 300*time.Millisecond || !sc.PartialExpected {
				t.Errorf("quick %v: deadline scenario %+v", quick, sc)
			}
			for _, st := range sc.Steps {
				if st.Users != 10 || st.Hotels != 1000 || st.Strategy == Sequential || st.Strategy == "" {
					t.Errorf("quick %v: deadline step %+v", quick, st)
				}
			}
		}
		if strings.Join(names, ",") != strings.Join(ScenarioNames, ",") {
			t.Errorf("quick %v: scenarios %v, want %v", quick, names, ScenarioNames)
		}
	}
}

func TestNarrowVendors(t *testing.T) {
	three := []string{sandbox.Solo, sandbox.Bulk, sandbox.Session}
	tests := []struct {
		name    string
		vendors []string
		want    map[string][]string // scenario: its vendors after narrowing (absent: skipped)
	}{
		{"none: unchanged", nil, map[string][]string{Mixed: sandbox.AllVendorNames(), Scaling: {sandbox.Solo}, Crowd: sandbox.VendorNames}},
		{"the three sandbox vendors", three, map[string][]string{Mixed: three, Scaling: {sandbox.Solo}, Crowd: three}},
		{"bulk only: solo's scenarios skipped", []string{sandbox.Bulk}, map[string][]string{Mixed: {sandbox.Bulk}, Crowd: {sandbox.Bulk}, Scaling: nil, Overload: nil, Deadline: nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scenarios := DefaultScenarios(true)
			got, err := narrowVendors(scenarios, tt.vendors)
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string][]string{}
			for _, sc := range got {
				byName[sc.Name] = sc.Vendors
				if len(sc.Vendors) < len(sandbox.AllVendorNames()) && sc.Name == Mixed && !slices.ContainsFunc(sc.Notes, func(n string) bool { return strings.HasPrefix(n, "Narrowed to") }) {
					t.Errorf("narrowed mixed has no note saying so: %q", sc.Notes)
				}
			}
			for name, want := range tt.want {
				if got, ok := byName[name]; want == nil && ok {
					t.Errorf("%s kept with %v, want it skipped", name, got)
				} else if want != nil && !slices.Equal(got, want) {
					t.Errorf("%s: vendors %v, want %v", name, got, want)
				}
			}
			for _, sc := range scenarios {
				if sc.Name == Mixed && !slices.Equal(sc.Vendors, sandbox.AllVendorNames()) {
					t.Errorf("narrowing changed the caller's scenarios: mixed has %v", sc.Vendors)
				}
			}
		})
	}
}

func TestRunRejectsUnknownNames(t *testing.T) {
	for _, opts := range []Options{
		{Strategies: []string{"threads"}},
		{Only: []string{"nope"}},
		{Vendors: []string{"nope"}},
		{Only: []string{Scaling}, Vendors: []string{sandbox.Bulk}},
		{ServerURL: "http://127.0.0.1:1"},
	} {
		if _, err := Run(context.Background(), opts); err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
}
