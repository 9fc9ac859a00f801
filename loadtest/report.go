package loadtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"hotelrates/sandbox"
)

// Report is everything a run produced.
type Report struct {
	// Started and Wall are when the run began and how long it took.
	Started time.Time
	Wall    time.Duration
	// Quick says the quick variants ran; Mode says what was targeted.
	Quick bool
	Mode  string
	// Machine is where it ran.
	Machine Machine
	// Strategies and Scenarios are what ran, in order; Results one per
	// scenario x strategy x step.
	Strategies []string
	Scenarios  []Scenario
	Results    []Result
}

// Machine describes where the numbers came from.
type Machine struct {
	// CPU is the model name; Cores the logical CPUs; MemoryMB the total
	// memory.
	CPU      string
	Cores    int
	MemoryMB int64
	// GoVersion and OS (GOOS/GOARCH) of the binary.
	GoVersion string
	OS        string
}

// ThisMachine describes this machine (CPU model from /proc/cpuinfo where
// there is one).
func ThisMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, CPU: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemoryMB = kb / 1024
		}
	}
	return m
}

// WriteResults writes results as the JSON array of results.json.
func WriteResults(w io.Writer, results []Result) error {
	if results == nil {
		results = []Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}

// The plots WriteReport draws, by file name.
const (
	PlotScaling  = "scaling.png"
	PlotMixed    = "mixed.png"
	PlotOverload = "overload.png"
)

// WriteFiles writes results.json, report.md and the plots into dir.
func WriteFiles(dir string, rep *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteResults(&buf, rep.Results); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), buf.Bytes(), 0o644); err != nil {
		return err
	}
	plots, err := writePlots(dir, rep)
	if err != nil {
		return err
	}
	buf.Reset()
	writeMarkdown(&buf, rep, plots)
	return os.WriteFile(filepath.Join(dir, "report.md"), buf.Bytes(), 0o644)
}

// strategyColor gives each strategy one colour in every plot.
var strategyColor = map[string]color.Color{
	Workers:           color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	Sequential:        color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	GoroutinePerHotel: color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
}

func widthOf(strategy string) vg.Length {
	if w, ok := strategyWidth[strategy]; ok {
		return w
	}
	return vg.Points(2)
}

func colorOf(strategy string) color.Color {
	if c, ok := strategyColor[strategy]; ok {
		return c
	}
	return color.Gray{Y: 0x60}
}

// strategyWidth draws goroutine-per-hotel wide, so where its line lies
// under the workers' (a single search on one vendor) it shows as a halo.
var strategyWidth = map[string]vg.Length{GoroutinePerHotel: vg.Points(5)}

var strategyShape = map[string]draw.GlyphDrawer{
	Workers:           draw.CircleGlyph{},
	Sequential:        draw.SquareGlyph{},
	GoroutinePerHotel: draw.TriangleGlyph{},
}

// writePlots draws the plots the results allow and returns their file
// names.
func writePlots(dir string, rep *Report) ([]string, error) {
	var out []string
	for _, p := range []struct{ scenario, file string }{{Scaling, PlotScaling}, {Mixed, PlotMixed}} {
		rs := filter(rep.Results, func(r Result) bool { return r.Scenario == p.scenario && r.Users == 0 && r.OfferedRPS == 0 })
		if len(rs) == 0 {
			continue
		}
		title := "latency against hotels per search: " + p.scenario
		if sc, ok := findScenario(rep, p.scenario); ok {
			title += " (" + strings.Join(sc.Vendors, ", ") + ")"
		}
		if err := plotLatencyVsHotels(filepath.Join(dir, p.file), title, rep.Strategies, rs); err != nil {
			return out, err
		}
		out = append(out, p.file)
	}
	if rs := filter(rep.Results, func(r Result) bool { return r.Scenario == Overload && r.OfferedRPS > 0 }); len(rs) > 0 {
		if err := plotLatencyVsLoad(filepath.Join(dir, PlotOverload), rep.Strategies, rs); err != nil {
			return out, err
		}
		out = append(out, PlotOverload)
	}
	return out, nil
}

func findScenario(rep *Report, name string) (Scenario, bool) {
	for _, s := range rep.Scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

func filter(rs []Result, keep func(Result) bool) []Result {
	var out []Result
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.TextStyle.Font.Size = vg.Points(12)
	p.Y.Label.TextStyle.Font.Size = vg.Points(12)
	p.X.Tick.Label.Font.Size = vg.Points(10)
	p.Y.Tick.Label.Font.Size = vg.Points(10)
	p.Legend.TextStyle.Font.Size = vg.Points(11)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(58) // clear of the y axis
	p.Legend.YOffs = -vg.Points(6)
	p.Legend.Padding = vg.Points(4)
	p.Add(plotter.NewGrid())
	return p
}

// logTicks are ticks at 1, 2 and 5 times the powers of ten, labelled
// plainly.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < min*0.999 || v > max*1.001 {
				continue
			}
			ts = append(ts, plot.Tick{Value: v, Label: fmt.Sprintf("%g", v)})
		}
	}
	return ts
}

// addLine draws pts (with glyphs, if glyph is set) and returns what the
// legend shows for it.
func addLine(p *plot.Plot, pts plotter.XYs, c color.Color, width vg.Length, dashed bool, glyph draw.GlyphDrawer) ([]plot.Thumbnailer, error) {
	if len(pts) == 0 {
		return nil, nil
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	l.Color = c
	l.Width = width
	if dashed {
		l.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
	}
	p.Add(l)
	if glyph == nil {
		return []plot.Thumbnailer{l}, nil
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, err
	}
	sc.Color = c
	sc.Shape = glyph
	sc.Radius = vg.Points(3.5)
	p.Add(sc)
	return []plot.Thumbnailer{l, sc}, nil
}

// plotLatencyVsHotels: p50 latency against hotels per search, log-log,
// one line per strategy and the floor.
func plotLatencyVsHotels(path, title string, strategies []string, rs []Result) error {
	p := newPlot(title, "hotels per search", "p50 search latency (ms)")
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = logTicks{}, logTicks{}
	floor := map[int]float64{}
	legend := map[string][]plot.Thumbnailer{}
	// Workers last, so its line is drawn over the baselines it may touch.
	order := slices.Clone(strategies)
	if i := slices.Index(order, Workers); i >= 0 {
		order = append(slices.Delete(order, i, i+1), Workers)
	}
	for _, s := range order {
		var pts plotter.XYs
		for _, r := range rs {
			if r.Strategy == s && r.P50MS > 0 {
				pts = append(pts, plotter.XY{X: float64(r.Hotels), Y: r.P50MS})
			}
			if r.FloorMS > 0 {
				floor[r.Hotels] = r.FloorMS
			}
		}
		sortXY(pts)
		th, err := addLine(p, pts, colorOf(s), widthOf(s), false, strategyShape[s])
		if err != nil {
			return err
		}
		legend[s] = th
	}
	for _, s := range strategies {
		if len(legend[s]) == 0 {
			continue
		}
		label := s
		if incomplete(rs, s) {
			label += " (some searches incomplete)"
		}
		p.Legend.Add(label, legend[s]...)
	}
	var fp plotter.XYs
	for n, f := range floor {
		fp = append(fp, plotter.XY{X: float64(n), Y: f})
	}
	sortXY(fp)
	th, err := addLine(p, fp, color.Black, vg.Points(2), true, nil)
	if err != nil {
		return err
	}
	if th != nil {
		p.Legend.Add("physical floor (sandbox.SearchFloor)", th...)
	}
	padLog(p)
	return p.Save(8*vg.Inch, 5.5*vg.Inch, path)
}

// padLog widens a log-scaled y axis so the extreme points and their
// labels are not on the frame.
func padLog(p *plot.Plot) {
	if p.Y.Min > 0 && p.Y.Max > 0 {
		p.Y.Min /= 1.3
		p.Y.Max *= 1.6
	}
}

func incomplete(rs []Result, strategy string) bool {
	return slices.ContainsFunc(rs, func(r Result) bool { return r.Strategy == strategy && r.Errors > 0 })
}

// plotLatencyVsLoad: p50 (dashed) and p99 (solid) latency of the searches
// not shed against offered load, one colour per strategy (the shed ones
// answer at once and are counted in the table).
func plotLatencyVsLoad(path string, strategies []string, rs []Result) error {
	capacity := 0.0
	for _, r := range rs {
		capacity = max(capacity, r.CapacityRPS)
	}
	title := "latency percentiles against offered load: overload"
	if capacity > 0 {
		title += fmt.Sprintf(" (capacity %.0f searches/s)", capacity)
	}
	p := newPlot(title, "offered load (searches/s)", "latency of searches not shed (ms, log scale)")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	for _, s := range strategies {
		var p50, p99 plotter.XYs
		for _, r := range rs {
			if r.Strategy != s {
				continue
			}
			if r.AcceptedP50MS > 0 {
				p50 = append(p50, plotter.XY{X: r.OfferedRPS, Y: r.AcceptedP50MS})
			}
			if r.AcceptedP99MS > 0 {
				p99 = append(p99, plotter.XY{X: r.OfferedRPS, Y: r.AcceptedP99MS})
			}
		}
		sortXY(p50)
		sortXY(p99)
		th, err := addLine(p, p99, colorOf(s), vg.Points(2), false, strategyShape[s])
		if err != nil {
			return err
		}
		if th != nil {
			p.Legend.Add(s+" p99", th...)
		}
		if th, err = addLine(p, p50, colorOf(s), vg.Points(2), true, nil); err != nil {
			return err
		}
		if th != nil {
			p.Legend.Add(s+" p50", th...)
		}
	}
	floor := 0.0
	for _, r := range rs {
		floor = max(floor, r.FloorMS)
	}
	if floor > 0 {
		p.X.Min = 0
		th, err := addLine(p, plotter.XYs{{X: 0, Y: floor}, {X: p.X.Max, Y: floor}}, color.Black, vg.Points(2), true, nil)
		if err != nil {
			return err
		}
		p.Legend.Add("floor of one search", th...)
	}
	padLog(p)
	if capacity > 0 {
		lo, hi := p.Y.Min, p.Y.Max
		if lo > 0 && hi > lo {
			th, err := addLine(p, plotter.XYs{{X: capacity, Y: lo}, {X: capacity, Y: hi}}, color.Gray{Y: 0x80}, vg.Points(2), true, nil)
			if err != nil {
				return err
			}
			p.Legend.Add("capacity", th...)
		}
	}
	return p.Save(8*vg.Inch, 5.5*vg.Inch, path)
}

func sortXY(pts plotter.XYs) {
	slices.SortFunc(pts, func(a, b plotter.XY) int {
		switch {
		case a.X < b.X:
			return -1
		case a.X > b.X:
			return 1
		}
		return 0
	})
}

// writeMarkdown writes report.md.
func writeMarkdown(w io.Writer, rep *Report, plots []string) {
	mode := "full"
	if rep.Quick {
		mode = "quick"
	}
	fmt.Fprintf(w, "# hotelrates load test (%s)\n\n", mode)
	fmt.Fprintf(w, "Run %s, wall time %s. %s.\n\n", rep.Started.UTC().Format(time.RFC3339), rep.Wall.Round(100*time.Millisecond), rep.Mode)
	m := rep.Machine
	fmt.Fprintf(w, "Machine: %d cores (%s), %d MB memory, %s, %s. The load generator, the service and the sandbox share these cores.\n\n", m.Cores, m.CPU, m.MemoryMB, m.OS, m.GoVersion)
	fmt.Fprintln(w, "Strategies: `sequential` makes one vendor call after another (batches of the vendor's maximum); `goroutine-per-hotel` starts one goroutine per hotel and vendor (one hotel per call, unbounded); `workers` is the engine through the service's API. The baselines share one token per vendor, a pool of at most MaxSessions sessions, and make no retries (see package loadtest).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Latency runs from a search's scheduled arrival to its answer. The floor is `sandbox.SearchFloor`: the slowest vendor's `ceil(N/C)·L` for one hotel per call, or the best split into k batch calls, `ceil(k/C)·L(ceil(N/k))`, bounded by the vendor's requests-per-second limit past its burst. Errors are searches that ended incomplete or failed; shed are searches the service refused for load (code overloaded or unavailable); 429s, calls and peak in service come from the sandbox's own statistics, reset before each run.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every search asks a stay and hotels no other search of the run asks, so the engine's rate cache, coalescing and cross-search batching cannot stand in for vendor work: all strategies do the same vendor work, and the floor applies. Each strategy warms up (token, sessions, connections) with one unmeasured search before its runs.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Deadline lateness (lateness p99 and max, over every search of a run) is how long after its deadline, the time it was sent plus its timeout, a search's answer was fully received: 0 for an answer before the deadline.")
	fmt.Fprintln(w)
	if slices.ContainsFunc(rep.Results, func(r Result) bool { return r.GoroutineBound > 0 }) {
		fmt.Fprintln(w, capitalize(boundFormula)+" `bounded` says whether the peak goroutines stayed within it (sampled every 10 ms unless a scenario says otherwise).")
		fmt.Fprintln(w)
	}
	writeAcceptance(w, rep)
	for _, sc := range rep.Scenarios {
		rs := filter(rep.Results, func(r Result) bool { return r.Scenario == sc.Name })
		fmt.Fprintf(w, "## %s\n\n%s. Vendors: %s. Deadline %s per search.\n\n", sc.Name, capitalize(sc.Title), strings.Join(sc.Vendors, ", "), sc.Timeout)
		fmt.Fprintf(w, "Sandbox: %s.\n\n", describeSandbox(sc.Sandbox, sc.Vendors))
		for _, n := range sc.Notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
		if len(sc.Notes) > 0 {
			fmt.Fprintln(w)
		}
		writeTable(w, sc, rs)
		for _, p := range plots {
			if strings.TrimSuffix(p, ".png") == sc.Name {
				fmt.Fprintf(w, "![%s](%s)\n\n", sc.Name, p)
			}
		}
		var samples []string
		for _, r := range rs {
			for _, e := range r.ErrorSamples {
				samples = append(samples, fmt.Sprintf("%s, %d hotels: %s", r.Strategy, r.Hotels, e))
			}
		}
		if len(samples) > 0 {
			fmt.Fprintln(w, "<details><summary>error and shed samples</summary>")
			fmt.Fprintln(w)
			for _, s := range samples[:min(len(samples), 12)] {
				fmt.Fprintf(w, "- `%s`\n", strings.ReplaceAll(s, "`", "'"))
			}
			fmt.Fprintln(w)
			fmt.Fprintln(w, "</details>")
			fmt.Fprintln(w)
		}
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func describeSandbox(cfg sandbox.Config, vendors []string) string {
	var parts []string
	for _, name := range vendors {
		v := cfg.Vendors.Get(name)
		if v == nil {
			continue
		}
		s := fmt.Sprintf("%s C=%d, max batch %d, L(n)=%s", name, v.Concurrency, v.MaxBatch, v.Latency.Base)
		if v.Latency.PerHotel > 0 {
			s += fmt.Sprintf("+%s·n", v.Latency.PerHotel)
		}
		if v.RPS > 0 {
			s += fmt.Sprintf(", %g requests/s (burst %d)", v.RPS, v.Burst)
		}
		s += fmt.Sprintf(", queue limit %d", v.QueueLimit)
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ") + "; jitter " + jitterOf(cfg)
}

func jitterOf(cfg sandbox.Config) string {
	for _, name := range sandbox.VendorNames {
		if j := cfg.Vendors.Get(name).Latency.Jitter; j != "" && j != "none" {
			return j
		}
	}
	return "none"
}

func perVendor(m map[string]int64, vendors []string) string {
	if len(vendors) == 1 {
		return fmt.Sprint(m[vendors[0]])
	}
	var parts []string
	for _, v := range vendors {
		parts = append(parts, fmt.Sprint(m[v]))
	}
	return strings.Join(parts, " / ")
}

func writeTable(w io.Writer, sc Scenario, rs []Result) {
	if len(rs) == 0 {
		fmt.Fprintln(w, "No results.")
		fmt.Fprintln(w)
		return
	}
	vh := ""
	if len(sc.Vendors) > 1 {
		vh = " (" + strings.Join(sc.Vendors, " / ") + ")"
	}
	load := slices.ContainsFunc(rs, func(r Result) bool { return r.OfferedRPS > 0 })
	crowd := slices.ContainsFunc(rs, func(r Result) bool { return r.Users > 0 })
	cols := []string{"strategy", "hotels"}
	switch {
	case load:
		cols = append(cols, "offered/s", "load")
	case crowd:
		cols = append(cols, "users")
	}
	cols = append(cols, "searches", "p50 ms", "p95 ms", "p99 ms", "mean ms", "floor ms", "p50/floor")
	if crowd {
		cols = append(cols, "makespan floor ms", "wall ms")
	}
	cols = append(cols, "complete")
	if sc.PartialExpected {
		cols = append(cols, "partial")
	}
	cols = append(cols, "errors")
	if load {
		cols = append(cols, "shed", "not sent", "accepted p50 ms", "accepted p99 ms")
	}
	// Searches at once: deadline lateness, and goroutines against the
	// stated bound.
	concurrent := load || crowd
	if concurrent {
		cols = append(cols, "lateness p99 ms", "lateness max ms")
	}
	cols = append(cols, "vendor calls"+vh, "vendor 429"+vh, "peak in service"+vh, "peak goroutines (idle)")
	if concurrent {
		cols = append(cols, "goroutine bound", "bounded")
	}
	cols = append(cols, "peak RSS MB")
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
	for _, r := range rs {
		ratio := "-"
		if r.FloorMS > 0 {
			ratio = fmt.Sprintf("%.2f", r.P50MS/r.FloorMS)
		}
		row := []string{r.Strategy, fmt.Sprint(r.Hotels)}
		switch {
		case load:
			row = append(row, fmt.Sprintf("%.1f", r.OfferedRPS), fmt.Sprintf("%.2fx", r.OfferedLoad))
		case crowd:
			row = append(row, fmt.Sprint(r.Users))
		}
		row = append(row, fmt.Sprint(r.Searches), f1(r.P50MS), f1(r.P95MS), f1(r.P99MS), f1(r.MeanMS), f1(r.FloorMS), ratio)
		if crowd {
			row = append(row, f1(r.MakespanFloorMS), f1(r.WallMS))
		}
		row = append(row, fmt.Sprint(r.Complete))
		if sc.PartialExpected {
			row = append(row, fmt.Sprint(r.Partial))
		}
		row = append(row, fmt.Sprint(r.Errors))
		if load {
			row = append(row, fmt.Sprint(r.Shed), fmt.Sprint(r.NotSent), f1(r.AcceptedP50MS), f1(r.AcceptedP99MS))
		}
		if concurrent {
			row = append(row, f1(r.LatenessP99MS), f1(r.LatenessMaxMS))
		}
		row = append(row, perVendor(r.VendorCalls, sc.Vendors), perVendor(r.Vendor429, sc.Vendors), perVendor(r.PeakVendorInflight, sc.Vendors),
			fmt.Sprintf("%d (%d)", r.PeakGoroutines, r.IdleGoroutines))
		if concurrent {
			bound, ok := boundCells(r)
			row = append(row, bound, ok)
		}
		row = append(row, f1(r.PeakRSSMB))
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
	fmt.Fprintln(w)
}

func f1(v float64) string { return fmt.Sprintf("%.1f", v) }

// boundCells are a result's goroutine bound and whether the peak stayed
// within it, "-" where there is no bound (baselines, remote runs).
func boundCells(r Result) (bound, ok string) {
	if r.GoroutineBound == 0 || r.Bounded == nil {
		return "-", "-"
	}
	if *r.Bounded {
		return fmt.Sprint(r.GoroutineBound), "yes"
	}
	return fmt.Sprint(r.GoroutineBound), "no"
}

// boundText is the peak goroutines against the bound, for the key figures.
func boundText(r Result) string {
	bound, ok := boundCells(r)
	if bound == "-" {
		return fmt.Sprintf("peak goroutines %d (no bound: not in-process workers)", r.PeakGoroutines)
	}
	return fmt.Sprintf("peak goroutines %d against the bound %s (%d concurrent searches): %s", r.PeakGoroutines, bound, r.ConcurrentSearches, verdict(ok == "yes"))
}

func writeAcceptance(w io.Writer, rep *Report) {
	var lines []string
	for _, r := range rep.Results {
		if r.Scenario == Scaling && r.Strategy == Workers && r.FloorMS > 0 {
			ratio := r.P50MS / r.FloorMS
			lines = append(lines, fmt.Sprintf("- scaling, %d hotels: workers p50 %.1f ms = %.3f x floor %.1f ms: %s", r.Hotels, r.P50MS, ratio, r.FloorMS, verdict(ratio <= 1.10)))
		}
	}
	for _, r := range rep.Results {
		if r.Scenario != Crowd {
			continue
		}
		line := fmt.Sprintf("- crowd, %s: mean %.1f ms, p99 %.1f ms, vendor 429s %d, peak goroutines %d (idle %d), peak RSS %.1f MB, errors %d, deadline lateness p99 %.1f ms, max %.1f ms",
			r.Strategy, r.MeanMS, r.P99MS, sum(r.Vendor429), r.PeakGoroutines, r.IdleGoroutines, r.PeakRSSMB, r.Errors, r.LatenessP99MS, r.LatenessMaxMS)
		if r.Strategy == Workers {
			line += fmt.Sprintf("; zero 429s: %s; %s", verdict(sum(r.Vendor429) == 0), boundText(r))
		}
		lines = append(lines, line)
	}
	for _, r := range rep.Results {
		if r.Scenario != Deadline {
			continue
		}
		line := fmt.Sprintf("- deadline, %s: %d searches of %d hotels, %d complete, %d partial, %d errors, %d shed; deadline lateness p99 %.1f ms, max %.1f ms; vendor 429s %d",
			r.Strategy, r.Searches, r.Hotels, r.Complete, r.Partial, r.Errors, r.Shed, r.LatenessP99MS, r.LatenessMaxMS, sum(r.Vendor429))
		if r.Strategy == Workers {
			line += "; " + boundText(r)
		} else {
			line += fmt.Sprintf("; peak goroutines %d", r.PeakGoroutines)
		}
		lines = append(lines, line)
	}
	for _, r := range rep.Results {
		if r.Scenario == Overlap || r.Scenario == OverlapPlain {
			lines = append(lines, fmt.Sprintf("- %s, %s: vendor calls %d, p50 %.1f ms, p99 %.1f ms, mean %.1f ms, vendor 429s %d, errors %d",
				r.Scenario, r.Strategy, sum(r.VendorCalls), r.P50MS, r.P99MS, r.MeanMS, sum(r.Vendor429), r.Errors))
		}
	}
	for _, r := range rep.Results {
		if r.Scenario == Overload && r.OfferedLoad > 1 {
			line := fmt.Sprintf("- overload, %s at %.2fx capacity: %d searches, %d shed, %d not sent, %d errors, accepted p99 %.1f ms, vendor 429s %d, deadline lateness p99 %.1f ms, max %.1f ms",
				r.Strategy, r.OfferedLoad, r.Searches, r.Shed, r.NotSent, r.Errors, r.AcceptedP99MS, sum(r.Vendor429), r.LatenessP99MS, r.LatenessMaxMS)
			if r.Strategy == Workers {
				line += "; " + boundText(r)
			}
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "## Key figures")
	fmt.Fprintln(w)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
}

func verdict(ok bool) string {
	if ok {
		return "**pass**"
	}
	return "**FAIL**"
}
