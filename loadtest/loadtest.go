// Package loadtest measures hotelrates against the physical floor of its
// vendors and against the simpler designs it replaces. It runs scenarios
// (scaling, mixed, crowd, overload, deadline, overlap) with an open-model
// load generator (a fixed arrival rate, so overload shows in the tail
// instead of slowing the arrivals), for three strategies on the same
// sandbox settings:
//
//   - sequential: one vendor call after another;
//   - goroutine-per-hotel: one goroutine per hotel and vendor, unbounded;
//   - workers: the engine, through the service's API.
//
// Each scenario x strategy x size gives a Result: latency percentiles, the
// floor from the sandbox's settings (sandbox.SearchFloor), what the vendors
// saw (calls, 429s, peak calls in service), how late answers came past
// their deadline, peak goroutines against the stated bound (in-process
// workers), memory, and errors. WriteResults and WriteFiles turn them
// into results.json and report.md with plots. The command is `hotelrates
// loadtest`.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// The strategies compared.
const (
	Sequential        = "sequential"
	GoroutinePerHotel = "goroutine-per-hotel"
	Workers           = "workers"
)

// Strategies lists the strategies in the order they run in a scenario:
// the engine first, so the baselines' session logins (which evict the
// oldest session of the shared sandbox account) never disturb it.
var Strategies = []string{Workers, Sequential, GoroutinePerHotel}

// The scenarios.
const (
	Scaling  = "scaling"
	Mixed    = "mixed"
	Crowd    = "crowd"
	Overload = "overload"
	// Deadline starts searches that cannot finish in time, so each ends
	// at its deadline with a partial answer: how late the answers come,
	// and the goroutines at the moment the searches end.
	Deadline = "deadline"
	// Overlap is a crowd whose users search overlapping hotels for the
	// same stay, with the engine's rate cache, coalescing and cross-search
	// batching on; OverlapPlain is the same with them off.
	Overlap      = "overlap"
	OverlapPlain = "overlap-plain"
)

// ScenarioNames lists the scenarios in the order they run.
var ScenarioNames = []string{Scaling, Mixed, Crowd, Overload, Deadline, Overlap, OverlapPlain}

// Scenario is one load shape on one sandbox setting.
type Scenario struct {
	// Name is one of ScenarioNames (or any name for a custom scenario).
	Name string
	// Title says what it measures, for the report.
	Title string
	// Sandbox is the vendors' behaviour: fixed latencies (no jitter), so
	// the floor is exact.
	Sandbox sandbox.Config
	// Vendors searched.
	Vendors []string
	// Timeout is every search's deadline.
	Timeout time.Duration
	// Steps are the runs, in order.
	Steps []Step
	// Notes go into the report under the scenario.
	Notes []string
	// Popular, when set, draws every search's hotels from the first
	// Popular catalog hotels, all for one stay, so searches overlap.
	Popular int
	// Plain runs the engine without its rate cache, coalescing and
	// cross-search batching.
	Plain bool
	// PartialExpected says searches are meant to end at their deadline
	// with a partial answer: such answers count as partial, not as
	// errors.
	PartialExpected bool
	// SampleEvery is how often goroutines and memory are sampled during a
	// step (default 10 ms).
	SampleEvery time.Duration
}

// pick returns the stay and hotels of search i of a step.
func (sc Scenario) pick(keys *keyspace, i, n int) (hotelrates.Stay, []string) {
	if sc.Popular == 0 {
		return keys.next(n)
	}
	in := keys.start.AddDays(28) // the one stay of all the scenario's searches
	st := hotelrates.Stay{CheckIn: in, CheckOut: in.AddDays(2), Adults: 2, Rooms: 1, Currency: "USD"}
	from := sandbox.FirstHotel + (i*37)%max(1, sc.Popular-n+1)
	return st, sandbox.HotelIDs(from, from+n-1)
}

// Step is one run of a scenario: searches of Hotels hotels, arriving one
// after another (Rate 0 and Users 0), all at once (Users), or at a fixed
// Rate.
type Step struct {
	// Strategy restricts the step to one strategy; empty means all.
	Strategy string
	// Hotels per search.
	Hotels int
	// Searches is how many searches are made (with Users: Users).
	Searches int
	// Users, when set, starts that many searches at once.
	Users int
	// Rate, when set, is the arrival rate in searches per second;
	// Load is that rate as a fraction of the capacity, for the report.
	Rate float64
	Load float64
}

// Options configure Run.
type Options struct {
	// Quick selects the quick variants (all together in under two minutes
	// on two cores) when Scenarios is empty.
	Quick bool
	// Scenarios to run; default DefaultScenarios(Quick) filtered by Only.
	Scenarios []Scenario
	// Only names the scenarios to run (default all).
	Only []string
	// Vendors, when set, narrows every scenario to those of its vendors
	// named here (its floor too); a scenario left with none is skipped.
	Vendors []string
	// Strategies to compare (default all, in the order of Strategies).
	Strategies []string
	// ServerURL and SandboxURL, when set, target a running service and its
	// sandbox instead of starting them in-process; SandboxConfig must then
	// be that sandbox's settings (credentials, and the floor's inputs): the
	// scenarios' own sandbox settings cannot be applied to it.
	ServerURL, SandboxURL string
	SandboxConfig         *sandbox.Config
	// Direct calls the embedded engine in-process instead of through the
	// service's HTTP API.
	Direct bool
	// Logger reports progress (default slog.Default()); ServiceLogger is
	// the embedded service's (default: Logger, warnings and up only).
	Logger        *slog.Logger
	ServiceLogger *slog.Logger
}

// narrowVendors returns scenarios with each one's vendors narrowed to
// those in vendors (all of them when vendors is empty), without the
// scenarios left with none; a name that is no sandbox vendor is an error.
func narrowVendors(scenarios []Scenario, vendors []string) ([]Scenario, error) {
	if len(vendors) == 0 {
		return scenarios, nil
	}
	for _, v := range vendors {
		if !slices.Contains(sandbox.AllVendorNames(), v) {
			return nil, fmt.Errorf("unknown vendor %q (have %s)", v, strings.Join(sandbox.AllVendorNames(), ", "))
		}
	}
	var out []Scenario
	for _, sc := range scenarios {
		kept := slices.DeleteFunc(slices.Clone(sc.Vendors), func(v string) bool { return !slices.Contains(vendors, v) })
		if len(kept) == 0 {
			continue
		}
		if len(kept) < len(sc.Vendors) {
			sc.Notes = append(slices.Clip(sc.Notes), fmt.Sprintf("Narrowed to %s (of %s) by the run's vendor selection.", strings.Join(kept, ", "), strings.Join(sc.Vendors, ", ")))
		}
		sc.Vendors = kept
		out = append(out, sc)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no scenario searches any of %s", strings.Join(vendors, ", "))
	}
	return out, nil
}

// Result is one scenario x strategy x step. Latencies are in milliseconds.
// It is one object of results.json.
type Result struct {
	Scenario string   `json:"scenario"`
	Strategy string   `json:"strategy"`
	Hotels   int      `json:"hotels"`
	Vendors  []string `json:"vendors"`
	// Searches sent; Users started at once (crowd); OfferedRPS the arrival
	// rate and OfferedLoad its fraction of CapacityRPS (overload).
	Searches    int     `json:"searches"`
	Users       int     `json:"users,omitempty"`
	OfferedRPS  float64 `json:"offered_rps,omitempty"`
	OfferedLoad float64 `json:"offered_load,omitempty"`
	CapacityRPS float64 `json:"capacity_rps,omitempty"`
	// Latency of every answered search (shed ones included), from its
	// scheduled arrival to its answer.
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
	MeanMS float64 `json:"mean_ms"`
	MaxMS  float64 `json:"max_ms"`
	// FloorMS is the physical floor of one search (sandbox.SearchFloor);
	// MakespanFloorMS that of all the step's searches together, when they
	// overlap (crowd).
	FloorMS         float64 `json:"floor_ms"`
	MakespanFloorMS float64 `json:"makespan_floor_ms,omitempty"`
	WallMS          float64 `json:"wall_ms"`
	// Complete searches had every hotel from every vendor; Partial (only
	// where the scenario expects partial answers, deadline) were answered
	// at their deadline without every hotel but with no vendor failed (the
	// engine: no vendor status failed; a baseline: every call it lost
	// ended with the search's deadline); Errors are the others that were not shed (incomplete
	// or failed); Shed were refused by the service (code overloaded or
	// unavailable); NotSent arrivals the generator dropped because too many
	// searches were outstanding.
	Complete      int     `json:"complete"`
	Partial       int     `json:"partial"`
	Errors        int     `json:"errors"`
	Shed          int     `json:"shed"`
	NotSent       int     `json:"not_sent"`
	AcceptedP50MS float64 `json:"accepted_p50_ms"`
	AcceptedP99MS float64 `json:"accepted_p99_ms"`
	// Lateness of every search (shed ones included): how long after its
	// deadline (the time it was sent plus its timeout) its answer was
	// fully received, 0 for an answer before the deadline.
	LatenessP99MS float64 `json:"lateness_p99_ms"`
	LatenessMaxMS float64 `json:"lateness_max_ms"`
	// Per vendor, from the sandbox's statistics (reset before the step):
	// availability calls, 429s sent, and the most calls in service at once.
	VendorCalls        map[string]int64 `json:"vendor_calls"`
	Vendor429          map[string]int64 `json:"vendor_429"`
	PeakVendorInflight map[string]int64 `json:"peak_vendor_inflight"`
	// PeakGoroutines and PeakRSSMB of the process doing the work (this one
	// in-process; the server's for a remote service's workers);
	// IdleGoroutines were there before the step began.
	PeakGoroutines int     `json:"peak_goroutines"`
	IdleGoroutines int     `json:"idle_goroutines"`
	PeakRSSMB      float64 `json:"peak_rss_mb"`
	// ConcurrentSearches is the most searches the load generator had in
	// progress at once (1 for searches one after another).
	ConcurrentSearches int `json:"concurrent_searches"`
	// GoroutineBound is the stated bound on PeakGoroutines for in-process
	// workers (see goroutineBound), and Bounded whether the peak stayed
	// within it; both are absent for the baselines and remote runs.
	GoroutineBound int   `json:"goroutine_bound,omitempty"`
	Bounded        *bool `json:"bounded,omitempty"`
	// ErrorSamples are up to three distinct error messages.
	ErrorSamples []string `json:"error_samples,omitempty"`
}

// Run runs the scenarios and returns the report's content.
func Run(ctx context.Context, opts Options) (*Report, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	svcLog := opts.ServiceLogger
	if svcLog == nil {
		svcLog = slog.New(minLevel{slog.LevelWarn, log.Handler()})
	}
	strategies := opts.Strategies
	if len(strategies) == 0 {
		strategies = Strategies
	}
	for _, s := range strategies {
		if !slices.Contains(Strategies, s) {
			return nil, fmt.Errorf("%w %q (have %s)", errUnknownStrategy, s, strings.Join(Strategies, ", "))
		}
	}
	// Run them in the canonical order whatever order they were named in.
	strategies = slices.DeleteFunc(slices.Clone(Strategies), func(s string) bool { return !slices.Contains(strategies, s) })
	var err error
	scenarios := opts.Scenarios
	if len(scenarios) == 0 {
		scenarios = DefaultScenarios(opts.Quick)
	}
	if len(opts.Only) > 0 {
		for _, name := range opts.Only {
			if !slices.ContainsFunc(scenarios, func(s Scenario) bool { return s.Name == name }) {
				return nil, fmt.Errorf("unknown scenario %q", name)
			}
		}
		scenarios = slices.DeleteFunc(slices.Clone(scenarios), func(s Scenario) bool { return !slices.Contains(opts.Only, s.Name) })
	}
	if scenarios, err = narrowVendors(scenarios, opts.Vendors); err != nil {
		return nil, err
	}
	remote := opts.ServerURL != ""
	if remote && opts.SandboxURL == "" {
		return nil, errors.New("a server URL needs the sandbox URL too (for its statistics and the baselines)")
	}
	rep := &Report{Started: time.Now(), Quick: opts.Quick, Machine: ThisMachine(), Strategies: strategies}
	rep.Mode = "embedded: service and sandbox in this process, searches through the service's HTTP API on loopback"
	if opts.Direct {
		rep.Mode = "embedded: service and sandbox in this process, searches calling the engine directly"
	}
	if remote {
		rep.Mode = fmt.Sprintf("remote: service at %s, sandbox at %s", opts.ServerURL, opts.SandboxURL)
	}
	keys := newKeyspace(rep.Started)
	for _, sc := range scenarios {
		if remote {
			sb := sandbox.DefaultConfig()
			if opts.SandboxConfig != nil {
				sb = *opts.SandboxConfig
			}
			sc.Sandbox = sb
			sc.Notes = append(sc.Notes, "Remote run: the running sandbox's settings apply, not the scenario's.")
		}
		rep.Scenarios = append(rep.Scenarios, sc)
		start := time.Now()
		var e *env
		var err error
		if remote {
			e = startRemote(opts.ServerURL, opts.SandboxURL, sc.Sandbox)
		} else if e, err = startEmbedded(sc.Sandbox, sc.Timeout, opts.Direct, sc.Plain, svcLog); err != nil {
			return rep, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		results, err := runScenario(ctx, e, sc, strategies, keys, log)
		e.close()
		rep.Results = append(rep.Results, results...)
		log.Info("scenario done", "scenario", sc.Name, "took", time.Since(start).Round(time.Millisecond))
		if err != nil {
			return rep, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
	}
	rep.Wall = time.Since(rep.Started)
	return rep, nil
}

// minLevel drops records below a level.
type minLevel struct {
	level slog.Level
	slog.Handler
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.level && m.Handler.Enabled(ctx, l)
}

func (m minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{m.level, m.Handler.WithAttrs(as)}
}

func (m minLevel) WithGroup(name string) slog.Handler {
	return minLevel{m.level, m.Handler.WithGroup(name)}
}

// firstCheckIn is the earliest check-in of the stays a load test started
// at now asks for: four weeks after now's date in UTC. The service refuses
// a check-in in the past, so the stays are counted from the clock, not
// from a fixed date. A run takes it once, when it starts (Report.Started),
// and every stay of the run follows from it: the keyspace's, spread over
// the 720 days from it, and the overlap scenarios' popular stay, four
// weeks after it. Cost's stay begins on it too.
func firstCheckIn(now time.Time) hotelrates.Date {
	return hotelrates.DateOf(now.UTC()).AddDays(28)
}

// keyspace hands every search of a run its own stay and hotels, so no
// search asks a (vendor, hotel, stay) another search asked: the engine's
// rate cache, coalescing and cross-search batching cannot answer for the
// vendors, and every strategy does the same vendor work.
type keyspace struct {
	start hotelrates.Date // firstCheckIn of the run
	n     atomic.Int64
}

// newKeyspace returns the keyspace of a run begun at now.
func newKeyspace(now time.Time) *keyspace { return &keyspace{start: firstCheckIn(now)} }

// next returns the stay and the n hotels of the next search: check-ins
// spread over 720 days from the run's first.
func (k *keyspace) next(n int) (hotelrates.Stay, []string) {
	i := int(k.n.Add(1))
	in := k.start.AddDays(i % 720)
	st := hotelrates.Stay{CheckIn: in, CheckOut: in.AddDays(2), Adults: 2, Rooms: 1, Currency: "USD"}
	return st, hotelsFor(i, n)
}

// hotelsFor returns the hotels of search i: n consecutive catalog ids,
// shifted per search.
func hotelsFor(i, n int) []string {
	span := sandbox.LastHotel - sandbox.FirstHotel + 1 - n
	from := sandbox.FirstHotel
	if span > 0 {
		from += (i * n) % span
	}
	return sandbox.HotelIDs(from, from+n-1)
}

func runScenario(ctx context.Context, e *env, sc Scenario, strategies []string, keys *keyspace, log *slog.Logger) ([]Result, error) {
	var out []Result
	for _, strategy := range strategies {
		if !slices.ContainsFunc(sc.Steps, func(st Step) bool { return st.Strategy == "" || st.Strategy == strategy }) {
			continue // nothing to measure: no warm-up either
		}
		var s searcher
		var nv *naive
		if strategy == Workers {
			s = e.workers
		} else {
			nv = newNaive(e.adapters)
			var err error
			if s, err = baseline(strategy, nv); err != nil {
				return out, err
			}
		}
		// Warm up: token, sessions, connections, pool sizes.
		warm := 32
		if strategy == Sequential {
			warm = 2
		}
		st, hotels := keys.next(warm)
		s.search(ctx, request{hotels: hotels, vendors: sc.Vendors, stay: st, timeout: sc.Timeout})
		for _, st := range sc.Steps {
			if st.Strategy != "" && st.Strategy != strategy {
				continue
			}
			if ctx.Err() != nil {
				break
			}
			r, err := runStep(ctx, e, sc, strategy, s, st, keys)
			if err != nil {
				if nv != nil {
					nv.close()
				}
				return out, err
			}
			log.Info("step", "scenario", sc.Name, "strategy", strategy, "hotels", r.Hotels, "searches", r.Searches,
				"users", r.Users, "rps", r.OfferedRPS, "p50_ms", r.P50MS, "p99_ms", r.P99MS, "floor_ms", r.FloorMS,
				"errors", r.Errors, "shed", r.Shed, "vendor_429", sum(r.Vendor429), "peak_goroutines", r.PeakGoroutines)
			out = append(out, r)
		}
		// Idle keep-alive connections (and their goroutines) would count
		// as the next strategy's idle goroutines.
		if nv != nil {
			nv.close()
		}
		if hw, ok := s.(*httpWorkers); ok {
			hw.tr.CloseIdleConnections()
		}
	}
	return out, ctx.Err()
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// Capacity returns the most searches of n hotels per second the vendors
// can answer: 100 searches' worth of hotels divided by their floor.
func Capacity(cfg sandbox.Config, n int, vendors ...string) float64 {
	const k = 100
	f := sandbox.SearchFloor(cfg, k*n, vendors...)
	if f <= 0 {
		return math.Inf(1)
	}
	return k / f.Seconds()
}

type record struct {
	latency time.Duration // from the scheduled arrival to the answer
	late    time.Duration // past the deadline (sent + timeout), or 0
	a       answer
}

func runStep(ctx context.Context, e *env, sc Scenario, strategy string, s searcher, st Step, keys *keyspace) (Result, error) {
	r := Result{
		Scenario: sc.Name, Strategy: strategy, Hotels: st.Hotels, Vendors: sc.Vendors,
		FloorMS: ms(sandbox.SearchFloor(sc.Sandbox, st.Hotels, sc.Vendors...)),
	}
	if err := e.stats.Reset(ctx); err != nil {
		return r, err
	}
	runtime.GC()
	debug.FreeOSMemory()
	idle := runtime.NumGoroutine()
	every := sc.SampleEvery
	if every <= 0 {
		every = 10 * time.Millisecond
	}
	smp, remoteIdle := e.startSampler(strategy, every)
	if remoteIdle > 0 {
		idle = remoteIdle
	}

	var (
		mu   sync.Mutex
		recs []record
	)
	do := func(ctx context.Context, i int, due time.Time) {
		stay, hotels := sc.pick(keys, i, st.Hotels)
		sent := time.Now()
		a := s.search(ctx, request{hotels: hotels, vendors: sc.Vendors, stay: stay, timeout: sc.Timeout})
		end := time.Now()
		rec := record{latency: end.Sub(due), late: max(0, end.Sub(sent.Add(sc.Timeout))), a: a}
		mu.Lock()
		recs = append(recs, rec)
		mu.Unlock()
	}
	start := time.Now()
	switch {
	case st.Users > 0:
		r.Users = st.Users
		g := Generate(ctx, Schedule{Count: st.Users, MaxOutstanding: st.Users}, do)
		r.NotSent = g.Dropped
		r.ConcurrentSearches = g.PeakOutstanding
		r.MakespanFloorMS = ms(sandbox.SearchFloor(sc.Sandbox, st.Users*st.Hotels, sc.Vendors...))
	case st.Rate > 0:
		r.OfferedRPS = math.Round(st.Rate*100) / 100
		r.OfferedLoad = st.Load
		r.CapacityRPS = math.Round(Capacity(sc.Sandbox, st.Hotels, sc.Vendors...)*100) / 100
		n := st.Searches
		// Every search ends by its deadline, so about Rate x Timeout are
		// outstanding at most; the bound keeps a runaway in check.
		bound := int(math.Ceil(st.Rate*sc.Timeout.Seconds()*1.5)) + 64
		g := Generate(ctx, Schedule{Rate: st.Rate, Count: n, MaxOutstanding: bound}, do)
		r.NotSent = g.Dropped
		r.ConcurrentSearches = g.PeakOutstanding
	default:
		r.ConcurrentSearches = 1
		for i := range st.Searches {
			if ctx.Err() != nil {
				break
			}
			do(ctx, i, time.Now())
		}
	}
	r.WallMS = ms(time.Since(start))
	r.PeakGoroutines, r.PeakRSSMB = smp.stop()
	r.IdleGoroutines = idle
	if strategy == Workers {
		if b := e.goroutineBound(idle, r.ConcurrentSearches); b > 0 {
			ok := r.PeakGoroutines <= b
			r.GoroutineBound, r.Bounded = b, &ok
		}
	}

	stats, err := e.stats.Stats(ctx)
	if err != nil {
		return r, err
	}
	r.VendorCalls, r.Vendor429, r.PeakVendorInflight = map[string]int64{}, map[string]int64{}, map[string]int64{}
	for _, v := range sc.Vendors {
		vs := stats[v]
		r.VendorCalls[v] = vs.RateCalls
		r.Vendor429[v] = vs.Throttled
		r.PeakVendorInflight[v] = vs.PeakInService
	}

	var all, accepted, late []time.Duration
	seen := map[string]bool{}
	for _, rec := range recs {
		r.Searches++
		all = append(all, rec.latency)
		late = append(late, rec.late)
		partial := false
		switch {
		case rec.a.shed:
			r.Shed++
		case rec.a.complete:
			r.Complete++
			accepted = append(accepted, rec.latency)
		case sc.PartialExpected && rec.a.partial:
			r.Partial++
			partial = true
			accepted = append(accepted, rec.latency)
		default:
			r.Errors++
			accepted = append(accepted, rec.latency)
		}
		if rec.a.err != nil && !partial && len(r.ErrorSamples) < 3 {
			msg := rec.a.err.Error()
			if len(msg) > 200 {
				msg = msg[:200] + "..."
			}
			if !seen[msg] {
				seen[msg] = true
				r.ErrorSamples = append(r.ErrorSamples, msg)
			}
		}
	}
	sm := Summarize(all)
	r.P50MS, r.P95MS, r.P99MS, r.MeanMS, r.MaxMS = ms(sm.P50), ms(sm.P95), ms(sm.P99), ms(sm.Mean), ms(sm.Max)
	r.AcceptedP50MS, r.AcceptedP99MS = ms(Percentile(accepted, 50)), ms(Percentile(accepted, 99))
	lsm := Summarize(late)
	r.LatenessP99MS, r.LatenessMaxMS = ms(lsm.P99), ms(lsm.Max)
	return r, nil
}

// compress returns cfg with every latency divided by f and every
// requests-per-second limit multiplied by f: the same vendors with time
// running f times faster, for quick runs.
func compress(cfg sandbox.Config, f int) sandbox.Config {
	for _, name := range sandbox.AllVendorNames() {
		v := cfg.Vendors.Get(name)
		v.Latency.Base /= time.Duration(f)
		v.Latency.PerHotel /= time.Duration(f)
		v.RPS *= float64(f)
	}
	return cfg
}

// fixed returns cfg without jitter or faults, so the floor is exact.
func fixed(cfg sandbox.Config) sandbox.Config {
	for _, name := range sandbox.AllVendorNames() {
		v := cfg.Vendors.Get(name)
		v.Latency.Jitter = "none"
		delay := v.Faults.SlowBodyDelay
		v.Faults = sandbox.Faults{SlowBodyDelay: delay}
	}
	return cfg
}

// DefaultScenarios returns the scenarios of ScenarioNames, quick or full.
//
// Quick (under two minutes on two cores, baselines included): scaling keeps
// the default solo vendor (C=16, 40 ms) because its acceptance is stated
// for it; the other scenarios run the default vendors four times faster
// (latencies / 4, rps x 4); sequential is capped at 100 hotels per search,
// since it takes N x 40 ms. The deadline scenario is the same in both: it
// lasts about a second.
func DefaultScenarios(quick bool) []Scenario {
	def := fixed(sandbox.DefaultConfig())
	fast := def
	if quick {
		fast = compress(def, 4)
	}
	pick := func(q, f int) int {
		if quick {
			return q
		}
		return f
	}
	seqCap := 1000
	if quick {
		seqCap = 100
	}
	perStrategy := func(sizes []int, workers, gph int) []Step {
		var steps []Step
		for _, s := range []struct {
			name string
			n    int
		}{{Workers, workers}, {Sequential, 1}, {GoroutinePerHotel, gph}} {
			for _, n := range sizes {
				if s.name == Sequential && n > seqCap {
					continue
				}
				steps = append(steps, Step{Strategy: s.name, Hotels: n, Searches: s.n})
			}
		}
		return steps
	}
	capNote := "Sequential runs up to 100 hotels per search in quick mode (at N x L it would take 40 s for 1000); the full run goes to 1000."

	scaling := Scenario{
		Name:    Scaling,
		Title:   "one search at a time of N hotels on the single-hotel vendor (solo: C=16, L=40 ms fixed)",
		Sandbox: def, Vendors: []string{sandbox.Solo}, Timeout: 60 * time.Second,
		Steps: perStrategy([]int{10, 50, 100, 200, 500, 1000}, pick(3, 10), pick(1, 5)),
		Notes: []string{"Acceptance: workers p50 <= 1.10 x floor = ceil(N/16) x 40 ms up to 1000 hotels."},
	}
	mixedSizes := []int{10, 50, 100, 200, 500, 1000}
	if quick {
		mixedSizes = []int{10, 100, 1000}
	}
	mixed := Scenario{
		Name:    Mixed,
		Title:   "one search at a time of N hotels across the vendors below (each asked for the hotels it carries)",
		Sandbox: fast, Vendors: sandbox.AllVendorNames(), Timeout: 60 * time.Second,
		Steps: perStrategy(mixedSizes, pick(3, 5), pick(1, 3)),
	}
	crowd := Scenario{
		Name:    Crowd,
		Title:   "100 users start a search of 100 hotels across the vendors below at the same moment",
		Sandbox: fast, Vendors: sandbox.VendorNames, Timeout: time.Duration(pick(20, 60)) * time.Second,
		Steps: []Step{{Hotels: 100, Users: 100}},
		Notes: []string{"The makespan floor is the least time the vendors need for all 100 x 100 hotels; with 100 searches sharing solo's 16 slots, no strategy can give each search its single-search floor."},
	}
	const overloadHotels = 20
	ovCfg := fast
	capacity := Capacity(ovCfg, overloadHotels, sandbox.Solo)
	loads := []float64{0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3}
	dur := 10 * time.Second
	if quick {
		loads = []float64{0.5, 1, 2}
		dur = 1500 * time.Millisecond
	}
	var ovSteps []Step
	for _, l := range loads {
		rate := l * capacity
		ovSteps = append(ovSteps, Step{Hotels: overloadHotels, Rate: rate, Load: l, Searches: int(math.Round(rate * dur.Seconds()))})
	}
	overload := Scenario{
		Name:    Overload,
		Title:   fmt.Sprintf("searches of %d hotels on solo arriving at a fixed rate, from below to above capacity (%.0f searches/s), %s per level", overloadHotels, capacity, dur),
		Sandbox: ovCfg, Vendors: []string{sandbox.Solo}, Timeout: time.Duration(pick(2, 5)) * time.Second,
		Steps: ovSteps,
		Notes: []string{"Shed: answers with code overloaded or unavailable (HTTP 429/503). accepted_p99_ms is the p99 of the searches that were not shed."},
	}
	deadline := deadlineScenario(deadlineUsers, deadlineHotels, deadlineConcurrency, deadlineLatency, deadlineTimeout)
	if quick {
		scaling.Notes = append(scaling.Notes, capNote)
		mixed.Notes = append(mixed.Notes, capNote, "Quick mode: vendors four times faster than the defaults (latencies / 4, rps x 4).")
		crowd.Notes = append(crowd.Notes, "Quick mode: vendors four times faster than the defaults (latencies / 4, rps x 4).")
		overload.Notes = append(overload.Notes, "Quick mode: vendors four times faster than the defaults (latencies / 4, rps x 4).")
	}
	overlapNote := "Every user searches 100 of the same 300 popular hotels for the same stay. With the features on, the rate cache, coalescing of identical calls in flight and cross-search batching answer much of the crowd without vendor work; overlap-plain turns them off (cache_ttl 0, share_calls false). Compare vendor calls, p50 and p99 side by side."
	overlap := Scenario{
		Name:    Overlap,
		Title:   "100 users search overlapping hotels for the same stay at once: rate cache, coalescing and batching on",
		Sandbox: fast, Vendors: sandbox.VendorNames, Timeout: time.Duration(pick(20, 60)) * time.Second,
		Steps: []Step{{Strategy: Workers, Hotels: 100, Users: 100}}, Popular: 300,
		Notes: []string{overlapNote},
	}
	plain := overlap
	plain.Name, plain.Plain = OverlapPlain, true
	plain.Title = "the same crowd with the rate cache, coalescing and batching off"
	return []Scenario{scaling, mixed, crowd, overload, deadline, overlap, plain}
}

// The deadline scenario's shape: deadlineUsers searches of
// deadlineHotels hotels each, all at once, on solo with
// deadlineConcurrency slots of deadlineLatency, under deadlineTimeout. One
// search alone needs ceil(1000/8) x 50 ms = 6.25 s, so every search ends at
// its deadline.
const (
	deadlineUsers       = 10
	deadlineHotels      = 1000
	deadlineConcurrency = 8
	deadlineLatency     = 50 * time.Millisecond
	deadlineTimeout     = 300 * time.Millisecond
)

// deadlineScenario: users searches of hotels hotels at once on solo with
// concurrency slots of latency each, under timeout, so that (with
// ceil(hotels/concurrency) x latency well past timeout) each search ends at
// its deadline with a partial answer. Workers, and goroutine-per-hotel for
// comparison; sequential would only make timeout/latency calls per search.
// Goroutines are sampled every millisecond, since what matters is the
// moment the searches end.
func deadlineScenario(users, hotels, concurrency int, latency, timeout time.Duration) Scenario {
	cfg := fixed(sandbox.DefaultConfig())
	cfg.Vendors.Solo.Latency.Base = latency
	cfg.Vendors.Solo.Latency.PerHotel = 0
	cfg.Vendors.Solo.Concurrency = concurrency
	floor := sandbox.SearchFloor(cfg, hotels, sandbox.Solo)
	return Scenario{
		Name: Deadline,
		Title: fmt.Sprintf("%d users start a search of %d hotels on solo (C=%d, L=%s fixed) at the same moment, each with a %s deadline",
			users, hotels, concurrency, latency, timeout),
		Sandbox: cfg, Vendors: []string{sandbox.Solo}, Timeout: timeout,
		Steps: []Step{
			{Strategy: Workers, Hotels: hotels, Users: users},
			{Strategy: GoroutinePerHotel, Hotels: hotels, Users: users},
		},
		PartialExpected: true,
		SampleEvery:     time.Millisecond,
		Notes: []string{
			fmt.Sprintf("One search alone needs %s (its floor), far past the %s deadline: every search accepted is meant to end at its deadline with a partial answer, counted as partial, not as an error. Searches the service refuses for load are counted as shed. A baseline search counts as partial only if every call it lost ended with the search's deadline (a 429 or another failure makes it an error).", floor, timeout),
			"Lateness is how long after its deadline (sent + timeout) each answer was fully received. Goroutines are sampled every millisecond here, to catch the moment the searches end.",
			"Sequential does not run: it would make a handful of calls per search before the deadline.",
		},
	}
}
