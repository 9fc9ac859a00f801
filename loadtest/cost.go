package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"hotelrates"
	"hotelrates/httpapi"
	"hotelrates/sandbox"
	"hotelrates/vendors/solo"
)

// CostOptions configure Cost: the same single-hotel vendor calls made by
// a minimal hand-written client and by `hotelrates serve`, against one
// standalone `hotelrates vendorsim`.
type CostOptions struct {
	// Command runs hotelrates: its vendorsim and serve subcommands are
	// started as processes of their own (default: this executable).
	Command string
	// Calls is how many one-hotel calls each client makes (default 8000),
	// in Searches searches for the service (default one per 500 calls, at
	// least 16).
	Calls, Searches int
	// Concurrency is the hand-written client's goroutines and the
	// service's solo concurrency, fixed (default 32); SimConcurrency the
	// sandbox's (default 64), at Latency per call (default 2 ms).
	Concurrency, SimConcurrency int
	Latency                     time.Duration
	// Rounds is how many times each client makes its calls (default 3),
	// alternating: hand-written, service, hand-written, ... A machine
	// shared with other work makes one round's figures noisy; the ratios
	// reported are the medians of the rounds'.
	Rounds int
	// ProfilePath, when set, is where a CPU profile of the service during
	// its calls is written (taken from its admin listener's pprof), and
	// ProfilePath.allocs its allocation profile.
	ProfilePath string `json:"-"`
}

// CostSide is one client's figures.
type CostSide struct {
	Name string `json:"name"`
	// Calls the sandbox received, CPU the client's process spent (user and
	// system), and the wall time from the first call to the last answer.
	Calls      int64   `json:"calls"`
	CPUMS      float64 `json:"cpu_ms"`
	CPUPerCall float64 `json:"cpu_us_per_call"`
	WallMS     float64 `json:"wall_ms"`
	// SandboxCPUMS is what the sandbox's process spent answering the
	// side's calls. On a machine whose cores the clients share with the
	// sandbox, the wall time follows the two CPUs together.
	SandboxCPUMS float64 `json:"sandbox_cpu_ms"`
}

// CostRound is one round: each client's calls, one after the other.
type CostRound struct {
	Hand      CostSide `json:"hand_written"`
	Service   CostSide `json:"hotelrates"`
	CPURatio  float64  `json:"cpu_ratio"`  // service / hand-written, per call
	WallRatio float64  `json:"wall_ratio"` // service / hand-written
}

// CostResult is the side-by-side.
type CostResult struct {
	Options CostOptions `json:"options"`
	FloorMS float64     `json:"floor_ms"` // ceil(calls / concurrency) x latency
	Rounds  []CostRound `json:"rounds"`
	// Hand and Service are the rounds together (all their calls and CPU;
	// wall the median round's); CPURatio and WallRatio the medians of the
	// rounds' ratios.
	Hand      CostSide `json:"hand_written"`
	Service   CostSide `json:"hotelrates"`
	CPURatio  float64  `json:"cpu_ratio"`
	WallRatio float64  `json:"wall_ratio"`
}

func (o CostOptions) withDefaults() (CostOptions, error) {
	if o.Command == "" {
		exe, err := os.Executable()
		if err != nil {
			return o, err
		}
		o.Command = exe
	}
	if o.Calls <= 0 {
		o.Calls = 8000
	}
	if o.Searches <= 0 {
		o.Searches = max(16, o.Calls/500)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.SimConcurrency <= 0 {
		o.SimConcurrency = 64
	}
	if o.Latency <= 0 {
		o.Latency = 2 * time.Millisecond
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	return o, nil
}

// Cost runs the side-by-side: the sandbox and the service each in a
// process of their own, so each client's CPU is its process's alone (the
// hand-written client's is this process's, measured with getrusage; the
// service's is read from /proc). Both make the same calls: Calls
// one-hotel availability calls on the solo vendor.
func Cost(ctx context.Context, opts CostOptions) (CostResult, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return CostResult{}, err
	}
	res := CostResult{Options: opts}
	ctl := &http.Client{Transport: &http.Transport{}} // stats and readiness
	defer ctl.CloseIdleConnections()
	res.FloorMS = ms(time.Duration((opts.Calls+opts.Concurrency-1)/opts.Concurrency) * opts.Latency)
	dir, err := os.MkdirTemp("", "hotelrates-cost-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)

	simCfg := sandbox.DefaultConfig()
	sc := simCfg.Vendors.Solo
	simYAML := fmt.Sprintf("vendors:\n  solo:\n    concurrency: %d\n    queue_limit: %d\n    latency: {base: %s, jitter: none}\n", opts.SimConcurrency, max(1024, 2*opts.Concurrency), opts.Latency)
	simFile := filepath.Join(dir, "sandbox.yaml")
	if err := os.WriteFile(simFile, []byte(simYAML), 0o600); err != nil {
		return res, err
	}
	simAddr, err := freeAddr()
	if err != nil {
		return res, err
	}
	sim, err := startProcess(ctx, opts.Command, "vendorsim", "--addr", simAddr, "--config", simFile)
	if err != nil {
		return res, err
	}
	defer sim.stop()
	simURL := "http://" + simAddr
	if err := waitHTTP(ctx, ctl, simURL+"/_sandbox/stats"); err != nil {
		return res, fmt.Errorf("vendorsim: %w", err)
	}

	// The hand-written client: one token, a pool of goroutines, one call
	// per hotel.
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: opts.Concurrency, MaxConnsPerHost: opts.Concurrency}}
	defer hc.CloseIdleConnections()
	client := solo.New(solo.Config{Name: sandbox.Solo, BaseURL: simURL + "/solo", ClientID: sc.Credentials.ClientID, ClientSecret: sc.Credentials.ClientSecret})
	cred, err := client.Authenticate(ctx, hc)
	if err != nil {
		return res, err
	}
	in := firstCheckIn(time.Now())
	stay := hotelrates.Stay{CheckIn: in, CheckOut: in.AddDays(2), Adults: 2, Rooms: 1, Currency: "USD"}
	hotels := sandbox.HotelIDs(sandbox.FirstHotel, sandbox.FirstHotel+opts.Calls-1)
	hand := func() (CostSide, error) {
		side := CostSide{Name: "hand-written pool"}
		before, err := simCalls(ctx, ctl, simURL)
		if err != nil {
			return side, err
		}
		sim0, err := procCPU(sim.cmd.Process.Pid)
		if err != nil {
			return side, err
		}
		cpu0 := selfCPU()
		start := time.Now()
		work := make(chan string)
		var wg sync.WaitGroup
		var failed sync.Once
		var callErr error
		for range opts.Concurrency {
			wg.Go(func() {
				for h := range work {
					if _, err := client.Fetch(ctx, hc, cred, hotelrates.Query{Stay: stay, HotelIDs: []string{h}}); err != nil {
						failed.Do(func() { callErr = err })
					}
				}
			})
		}
		for _, h := range hotels {
			work <- h
		}
		close(work)
		wg.Wait()
		side.WallMS, side.CPUMS = ms(time.Since(start)), ms(selfCPU()-cpu0)
		sim1, err := procCPU(sim.cmd.Process.Pid)
		if err != nil {
			return side, err
		}
		side.SandboxCPUMS = ms(sim1 - sim0)
		if callErr != nil {
			return side, fmt.Errorf("hand-written client: %w", callErr)
		}
		after, err := simCalls(ctx, ctl, simURL)
		side.Calls = after - before
		return side, err
	}

	// The service, in its own process, with its archive.
	apiAddr, err := freeAddr()
	if err != nil {
		return res, err
	}
	admin, adminAddr := "", ""
	if opts.ProfilePath != "" {
		if adminAddr, err = freeAddr(); err != nil {
			return res, err
		}
		admin = "admin: {listen: " + adminAddr + "}\n"
	}
	svcYAML := admin + fmt.Sprintf(`listen: %s
data_dir: %s
log_level: warn
sandbox: {enabled: false}
search: {default_timeout: 60s, max_timeout: 60s}
archive: {url: "file://%s"}
vendors:
  - {name: solo, protocol: solo, base_url: "%s/solo", client_id: %s, client_secret: %s, concurrency: %d, min_concurrency: %d, max_workers: %d}
`, apiAddr, dir, filepath.Join(dir, "archive"), simURL, sc.Credentials.ClientID, sc.Credentials.ClientSecret, opts.Concurrency, opts.Concurrency, opts.Concurrency)
	svcFile := filepath.Join(dir, "hotelrates.yaml")
	if err := os.WriteFile(svcFile, []byte(svcYAML), 0o600); err != nil {
		return res, err
	}
	svc, err := startProcess(ctx, opts.Command, "serve", "--config", svcFile)
	if err != nil {
		return res, err
	}
	defer svc.stop()
	apiURL := "http://" + apiAddr
	if err := waitHTTP(ctx, ctl, apiURL+"/healthz"); err != nil {
		return res, fmt.Errorf("serve: %w", err)
	}
	apiHC := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: opts.Searches}}
	defer apiHC.CloseIdleConnections()
	api := &httpapi.Client{BaseURL: apiURL, HTTP: apiHC}
	// Warm up: the token and connections, on hotels the measured rounds do
	// not ask for.
	if err := costSearch(ctx, api, sandbox.HotelIDs(sandbox.FirstHotel+opts.Calls, sandbox.FirstHotel+opts.Calls+opts.Concurrency-1), stay); err != nil {
		return res, err
	}
	service := func(profile bool, handWall float64) (CostSide, error) {
		side := CostSide{Name: "hotelrates serve"}
		before, err := simCalls(ctx, ctl, simURL)
		if err != nil {
			return side, err
		}
		cpu0, err := procCPU(svc.cmd.Process.Pid)
		if err != nil {
			return side, err
		}
		sim0, err := procCPU(sim.cmd.Process.Pid)
		if err != nil {
			return side, err
		}
		var profiled chan error
		if profile {
			// The profile covers the hand-written client's wall time (the
			// service takes at least as long).
			secs := max(1, int(handWall/1000))
			url := "http://" + adminAddr + "/debug/pprof/profile?seconds=" + strconv.Itoa(secs)
			profiled = make(chan error, 1)
			go func() { profiled <- fetchTo(ctx, ctl, url, opts.ProfilePath) }()
		}
		start := time.Now()
		per := (opts.Calls + opts.Searches - 1) / opts.Searches
		errs := make(chan error, opts.Searches)
		var wg sync.WaitGroup
		for i := 0; i < opts.Calls; i += per {
			ids := hotels[i:min(i+per, len(hotels))]
			wg.Go(func() { errs <- costSearch(ctx, api, ids, stay) })
		}
		wg.Wait()
		side.WallMS = ms(time.Since(start))
		// Both processes' CPU for the calls only, not the profile's wait.
		cpu1, err := procCPU(svc.cmd.Process.Pid)
		if err != nil {
			return side, err
		}
		side.CPUMS = ms(cpu1 - cpu0)
		sim1, err := procCPU(sim.cmd.Process.Pid)
		if err != nil {
			return side, err
		}
		side.SandboxCPUMS = ms(sim1 - sim0)
		if profiled != nil {
			if err := <-profiled; err != nil {
				return side, fmt.Errorf("profile: %w", err)
			}
			// The allocations since the start, beside the CPU profile.
			if err := fetchTo(ctx, ctl, "http://"+adminAddr+"/debug/pprof/allocs", opts.ProfilePath+".allocs"); err != nil {
				return side, fmt.Errorf("profile: %w", err)
			}
		}
		close(errs)
		for err := range errs {
			if err != nil {
				return side, fmt.Errorf("hotelrates: %w", err)
			}
		}
		after, err := simCalls(ctx, ctl, simURL)
		side.Calls = after - before
		return side, err
	}

	for i := range opts.Rounds {
		var r CostRound
		if r.Hand, err = hand(); err != nil {
			return res, err
		}
		if r.Service, err = service(i == 0 && opts.ProfilePath != "", r.Hand.WallMS); err != nil {
			return res, err
		}
		r.Hand.perCall()
		r.Service.perCall()
		r.CPURatio, r.WallRatio = ratio(r.Service.CPUPerCall, r.Hand.CPUPerCall), ratio(r.Service.WallMS, r.Hand.WallMS)
		res.Rounds = append(res.Rounds, r)
	}
	res.summarize()
	return res, nil
}

// perCall sets CPUPerCall from the side's CPU and calls.
func (s *CostSide) perCall() { s.CPUPerCall = perCall(s.CPUMS, s.Calls) }

// perCall returns cpuMS over calls, in µs (0 without calls).
func perCall(cpuMS float64, calls int64) float64 {
	if calls <= 0 {
		return 0
	}
	return cpuMS * 1000 / float64(calls)
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// summarize sets the result's totals and median ratios from its rounds.
func (r *CostResult) summarize() {
	if len(r.Rounds) == 0 {
		return
	}
	var cpu, wall []float64
	r.Hand, r.Service = CostSide{Name: r.Rounds[0].Hand.Name}, CostSide{Name: r.Rounds[0].Service.Name}
	for _, rd := range r.Rounds {
		for _, p := range []struct{ sum, side *CostSide }{{&r.Hand, &rd.Hand}, {&r.Service, &rd.Service}} {
			p.sum.Calls += p.side.Calls
			p.sum.CPUMS += p.side.CPUMS
			p.sum.SandboxCPUMS += p.side.SandboxCPUMS
		}
		cpu, wall = append(cpu, rd.CPURatio), append(wall, rd.WallRatio)
	}
	r.Hand.perCall()
	r.Service.perCall()
	r.CPURatio, r.WallRatio = median(cpu), median(wall)
	// The wall time of the round whose wall ratio is the median.
	for _, rd := range r.Rounds {
		if rd.WallRatio == r.WallRatio {
			r.Hand.WallMS, r.Service.WallMS = rd.Hand.WallMS, rd.Service.WallMS
			break
		}
	}
}

// median returns the middle value (the lower middle of an even count).
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// costSearch is one fresh search through the API that must complete.
func costSearch(ctx context.Context, api *httpapi.Client, ids []string, st hotelrates.Stay) error {
	timeout := int64(60_000)
	adults, rooms := st.Adults, st.Rooms
	sum, err := api.Stream(ctx, httpapi.SearchRequest{HotelIDs: ids, CheckIn: st.CheckIn.String(), CheckOut: st.CheckOut.String(),
		Adults: &adults, Rooms: &rooms, Currency: st.Currency, TimeoutMS: &timeout, Fresh: true}, nil)
	if err != nil {
		return err
	}
	if !sum.Complete {
		return incompleteError(sum.Vendors)
	}
	return nil
}

// WriteCost writes the side-by-side as a Markdown table: one row per
// round and client, then the median ratios.
func WriteCost(w io.Writer, r CostResult) error {
	o := r.Options
	var b strings.Builder
	fmt.Fprintf(&b, `# Per-call cost: hotelrates against a hand-written client

%d one-hotel calls on solo (sandbox C=%d, %s fixed, a process of its own) by each client, in %d rounds
(hand-written, then hotelrates, alternating); the hand-written client is a pool of %d goroutines (one
token, POST, decode); hotelrates is `+"`hotelrates serve`"+` in a process of its own (solo concurrency %d
fixed, file archive), asked %d fresh searches a round. CPU is each client's process (user + system);
sandbox CPU is the sandbox's process while it answered that client's calls. The clients share the
machine's %d cores with the sandbox, so where the two together keep the cores busy the wall time
follows their CPU. Floor: %.0f ms a round.

| round | client | calls | CPU per call | CPU | sandbox CPU | wall | CPU ratio | wall ratio |
|---:|---|---:|---:|---:|---:|---:|---:|---:|
`, o.Calls, o.SimConcurrency, o.Latency, len(r.Rounds), o.Concurrency, o.Concurrency, o.Searches, runtime.NumCPU(), r.FloorMS)
	for i, rd := range r.Rounds {
		fmt.Fprintf(&b, "| %d | %s | %d | %.1f µs | %.0f ms | %.0f ms | %.0f ms | | |\n", i+1, rd.Hand.Name, rd.Hand.Calls, rd.Hand.CPUPerCall, rd.Hand.CPUMS, rd.Hand.SandboxCPUMS, rd.Hand.WallMS)
		fmt.Fprintf(&b, "| %d | %s | %d | %.1f µs | %.0f ms | %.0f ms | %.0f ms | %.2f x | %.2f x |\n", i+1, rd.Service.Name, rd.Service.Calls, rd.Service.CPUPerCall, rd.Service.CPUMS, rd.Service.SandboxCPUMS, rd.Service.WallMS, rd.CPURatio, rd.WallRatio)
	}
	fmt.Fprintf(&b, "\nAll rounds: hand-written %.1f µs per call, hotelrates %.1f µs (the sandbox %.1f and %.1f µs per call answering them). Medians of the rounds, hotelrates / hand-written: **CPU per call %.2f x, wall %.2f x**.\n",
		r.Hand.CPUPerCall, r.Service.CPUPerCall, perCall(r.Hand.SandboxCPUMS, r.Hand.Calls), perCall(r.Service.SandboxCPUMS, r.Service.Calls), r.CPURatio, r.WallRatio)
	_, err := io.WriteString(w, b.String())
	return err
}

// fetchTo writes the body of a GET of url to the file path.
func fetchTo(ctx context.Context, hc *http.Client, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// process is a child hotelrates process, stopped with SIGTERM.
type process struct {
	cmd    *exec.Cmd
	waited chan error
}

func startProcess(ctx context.Context, command string, args ...string) (*process, error) {
	cmd := exec.Command(command, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, waited: make(chan error, 1)}
	go func() { p.waited <- cmd.Wait() }()
	return p, nil
}

func (p *process) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.waited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.waited
	}
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitHTTP waits (up to 30 s) until url answers 200.
func waitHTTP(ctx context.Context, hc *http.Client, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := hc.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.Join(errors.New("not answering"), err, ctx.Err())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// simCalls returns the rate calls solo received so far.
func simCalls(ctx context.Context, hc *http.Client, simURL string) (int64, error) {
	st, err := (remoteStats{base: simURL, hc: hc}).Stats(ctx)
	if err != nil {
		return 0, err
	}
	return st[sandbox.Solo].RateCalls, nil
}

// selfCPU returns this process's CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var clockTicks = 100 // USER_HZ on Linux

// procCPU returns process pid's CPU time so far (Linux /proc).
func procCPU(pid int) (time.Duration, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading process %d's CPU time needs Linux /proc: %w", pid, err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return 0, err
	}
	// Fields after the command name (which may hold spaces, in parens).
	rest := line[strings.LastIndexByte(line, ')')+2:]
	fields := strings.Fields(rest)
	if len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc stat %q", line)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / time.Duration(clockTicks), nil
}
