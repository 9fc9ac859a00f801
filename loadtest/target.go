package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"hotelrates"
	"hotelrates/config"
	"hotelrates/engine"
	"hotelrates/httpapi"
	"hotelrates/sandbox"
	"hotelrates/service"
	"hotelrates/vendorsim"
)

// request is one search as every strategy sees it.
type request struct {
	hotels  []string
	vendors []string
	stay    hotelrates.Stay
	timeout time.Duration
}

// answer is how one search ended.
type answer struct {
	complete bool  // every vendor answered for every hotel
	partial  bool  // an answer without every hotel, cut off by the deadline only
	shed     bool  // the service refused it (overloaded or unavailable)
	calls    int   // vendor calls (baselines)
	failed   int   // failed vendor calls (baselines)
	err      error // a failure, if any
}

// searcher runs one search with one strategy.
type searcher interface {
	search(ctx context.Context, req request) answer
}

type searchFunc func(ctx context.Context, req request) answer

func (f searchFunc) search(ctx context.Context, req request) answer { return f(ctx, req) }

// baseline returns the searcher of a baseline strategy over n; each search
// runs under its own deadline, as the engine's do.
func baseline(strategy string, n *naive) (searcher, error) {
	var f func(context.Context, request) answer
	switch strategy {
	case Sequential:
		f = n.sequentialSearch
	case GoroutinePerHotel:
		f = n.goroutinePerHotelSearch
	default:
		return nil, fmt.Errorf("%w %q", errUnknownStrategy, strategy)
	}
	return searchFunc(func(ctx context.Context, req request) answer {
		ctx, cancel := context.WithTimeout(ctx, req.timeout)
		defer cancel()
		return f(ctx, req)
	}), nil
}

// shedCode reports whether an error code means the service refused the
// search for load (counted as shed, not as an error).
func shedCode(code string) bool {
	return code == string(hotelrates.CodeOverloaded) || code == string(hotelrates.CodeUnavailable)
}

// httpWorkers searches through the service's API (NDJSON stream), as a
// user would.
type httpWorkers struct {
	c  *httpapi.Client
	tr *http.Transport
}

func newHTTPWorkers(baseURL string) *httpWorkers {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
	}
	return &httpWorkers{tr: tr, c: &httpapi.Client{BaseURL: baseURL, HTTP: &http.Client{Transport: tr}}}
}

func (w *httpWorkers) search(ctx context.Context, req request) answer {
	// The service enforces the search deadline; the slack is for the
	// answer to arrive.
	ctx, cancel := context.WithTimeout(ctx, req.timeout+10*time.Second)
	defer cancel()
	in, out := req.stay.CheckIn.String(), req.stay.CheckOut.String()
	timeout := req.timeout.Milliseconds()
	adults, rooms := req.stay.Adults, req.stay.Rooms
	sum, err := w.c.Stream(ctx, httpapi.SearchRequest{
		HotelIDs: req.hotels, CheckIn: in, CheckOut: out, Adults: &adults, Rooms: &rooms,
		Currency: req.stay.Currency, Vendors: req.vendors, TimeoutMS: &timeout,
	}, nil) // the summary is all the load test needs: no CPU spent decoding hotels
	var ae *httpapi.APIError
	switch {
	case errors.As(err, &ae) && shedCode(ae.Code):
		return answer{shed: true, err: err}
	case err != nil:
		return answer{err: err}
	}
	a := answer{complete: sum.Complete, partial: !sum.Complete && cutShort(sum.Vendors)}
	if !sum.Complete {
		a.err = incompleteError(sum.Vendors)
	}
	return a
}

// cutShort reports whether an incomplete answer is partial only, not
// failed: no vendor has status failed (every vendor not ok is partial or
// timeout, the statuses of a search the deadline cut short).
func cutShort(vs []httpapi.VendorStatus) bool {
	for _, v := range vs {
		if v.Status == string(hotelrates.StatusFailed) {
			return false
		}
	}
	return true
}

func incompleteError(vs []httpapi.VendorStatus) error {
	for _, v := range vs {
		if v.Status != string(hotelrates.StatusOK) {
			return fmt.Errorf("incomplete: vendor %s %s: %s", v.Vendor, v.Status, v.Error)
		}
	}
	return errors.New("incomplete")
}

// directWorkers calls the engine in-process, without the HTTP front door.
type directWorkers struct{ e *engine.Engine }

func (w directWorkers) search(ctx context.Context, req request) answer {
	res, err := w.e.Search(ctx, hotelrates.Search{HotelIDs: req.hotels, Stay: req.stay, Vendors: req.vendors, Timeout: req.timeout})
	if err != nil {
		return answer{shed: shedCode(string(hotelrates.ErrorCode(err))), err: err}
	}
	vs := httpapi.VendorsFromResult(res.Vendors)
	a := answer{complete: res.Complete, partial: !res.Complete && cutShort(vs)}
	if !res.Complete {
		a.err = incompleteError(vs)
	}
	return a
}

// statsSource is the sandbox's statistics, in-process or over HTTP.
type statsSource interface {
	Reset(ctx context.Context) error
	Stats(ctx context.Context) (map[string]sandbox.VendorStats, error)
}

type localStats struct{ sim *vendorsim.Sim }

func (l localStats) Reset(context.Context) error { l.sim.Reset(); return nil }
func (l localStats) Stats(context.Context) (map[string]sandbox.VendorStats, error) {
	return l.sim.Stats(), nil
}

// remoteStats reads GET /_sandbox/stats and posts /_sandbox/reset.
type remoteStats struct {
	base string
	hc   *http.Client
}

func (r remoteStats) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/_sandbox/reset", nil)
	if err != nil {
		return err
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sandbox reset: HTTP %d", resp.StatusCode)
	}
	return nil
}

func (r remoteStats) Stats(ctx context.Context) (map[string]sandbox.VendorStats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/_sandbox/stats", nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("sandbox stats: HTTP %d", resp.StatusCode)
	}
	var out map[string]sandbox.VendorStats
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("sandbox stats: %w", err)
	}
	return out, nil
}

// procSampler samples goroutines and memory of the process under test.
type procSampler interface {
	stop() (goroutines int, rssMB float64)
}

// remoteSampler polls a hotelrates server's /metrics for go_goroutines and
// process_resident_memory_bytes. Its goroutine is stopped by stop.
type remoteSampler struct {
	url   string
	hc    *http.Client
	stopc chan struct{}
	done  chan struct{}

	mu    sync.Mutex
	peakG int
	peakR float64
}

func startRemoteSampler(url string, hc *http.Client, interval time.Duration) *remoteSampler {
	s := &remoteSampler{url: url, hc: hc, stopc: make(chan struct{}), done: make(chan struct{})}
	s.sample()
	go every(interval, s.sample, s.stopc, s.done)
	return s
}

func (s *remoteSampler) sample() {
	g, r, err := scrapeProcess(s.hc, s.url)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.peakG = max(s.peakG, g)
	s.peakR = max(s.peakR, r)
	s.mu.Unlock()
}

func (s *remoteSampler) stop() (int, float64) {
	s.sample()
	close(s.stopc)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakG, math.Round(s.peakR/(1<<20)*10) / 10
}

// scrapeProcess reads go_goroutines and process_resident_memory_bytes
// (bytes) from a Prometheus text exposition.
func scrapeProcess(hc *http.Client, url string) (goroutines int, rss float64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("metrics: HTTP %d", resp.StatusCode)
	}
	g, r := parseProcessMetrics(io.LimitReader(resp.Body, 8<<20))
	return int(g), r, nil
}

func parseProcessMetrics(r io.Reader) (goroutines, rss float64) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		switch name {
		case "go_goroutines":
			goroutines = f
		case "process_resident_memory_bytes":
			rss = f
		}
	}
	return goroutines, rss
}

// env is what one scenario runs against: the workers (the service), the
// vendors' client adapters for the baselines, the sandbox's statistics and
// how to sample the process under test.
type env struct {
	workers     searcher
	eng         *engine.Engine // the embedded engine; nil for a remote service
	direct      bool           // workers call eng directly, without HTTP
	adapters    []hotelrates.Vendor
	stats       statsSource
	sampleLocal bool   // the service runs in this process
	metricsURL  string // else: the server's /metrics
	hc          *http.Client
	cleanup     []func()
	remote      bool
}

func (e *env) close() {
	for i := len(e.cleanup) - 1; i >= 0; i-- {
		e.cleanup[i]()
	}
}

// startSampler samples the process the strategy's work runs in: this one
// for the baselines and the embedded service, the server for a remote
// service's workers.
func (e *env) startSampler(strategy string, every time.Duration) (procSampler, int) {
	if strategy == Workers && !e.sampleLocal {
		s := startRemoteSampler(e.metricsURL, e.hc, 200*time.Millisecond)
		g, _, _ := scrapeProcess(e.hc, e.metricsURL)
		return s, g
	}
	return startSampler(every), 0
}

// Goroutines the harness adds to an in-process run, for goroutineBound.
const (
	// harnessPerSearch: the load generator's goroutine that runs the
	// search (and, calling the engine directly, is the engine's caller).
	harnessPerSearch = 1
	// harnessPerRequest, through the HTTP front door, per request in
	// progress: the load generator's HTTP client connection (read and
	// write loops, 2) and the service's HTTP server connection (its serve
	// loop and the background reader while the handler runs, 2).
	harnessPerRequest = 4
	// sandboxPerConn: the in-process sandbox's HTTP server, per
	// connection the engine opens to it: its serve loop and the background
	// reader while a call is in service.
	sandboxPerConn = 2
	// harnessFixed: the goroutine sampler started after the goroutines
	// before the step were counted.
	harnessFixed = 1
)

// boundFormula says how goroutineBound is computed, for the report.
const boundFormula = "goroutine bound = goroutines before the step + the engine's own bound `(*engine.Engine).GoroutineBound(S)` for S concurrent searches + what the harness adds: 1 per concurrent search (the load generator's goroutine), through the HTTP front door 4 per concurrent request (the load generator's HTTP client connection: read and write loops; the service's HTTP server connection: serve loop and background reader, i.e. 2 per request for each HTTP end), per vendor of the engine 2 x (Concurrency + 2) for the in-process sandbox's server (serve loop and background reader per connection; the engine's own transport opens at most Concurrency + 2 connections per vendor), and 1 for the sampler. S is the most searches the load generator had in progress at once. Idle keep-alive connections are in the goroutines before the step. In-process workers only: the baselines and remote runs have no bound."

// goroutineBound is the most goroutines this process should run while
// searches searches of the in-process workers are in progress, given
// before goroutines when the step began (see boundFormula):
//
//	before + eng.GoroutineBound(searches)
//	       + harnessPerSearch x searches
//	       + harnessPerRequest x searches           (HTTP front door only)
//	       + sum over the engine's vendors of sandboxPerConn x (Concurrency + 2)
//	       + harnessFixed
//
// It returns 0 (no bound) for a remote service, whose goroutines this
// process does not see.
func (e *env) goroutineBound(before, searches int) int {
	if e.eng == nil {
		return 0
	}
	n := before + e.eng.GoroutineBound(searches) + harnessPerSearch*searches + harnessFixed
	if !e.direct {
		n += harnessPerRequest * searches
	}
	for _, v := range e.eng.Vendors() {
		n += sandboxPerConn * (v.Concurrency + 2)
	}
	return n
}

// serviceYAML is the embedded service's configuration for a scenario: the
// six sandbox vendors, with the engine's rate limit set to each vendor's
// published requests-per-second limit, as an operator would configure it
// from the vendor's contract, and the engine's burst at half the vendor's.
// With the vendor's whole burst, the engine's bucket and the vendor's run
// empty together and the few milliseconds between a call leaving and
// arriving make the odd call arrive early (a 429: two in the quick crowd);
// with a burst of one, a search's parallel batch calls are spaced out
// (a 10-hotel mixed search took 65 ms instead of 27). Half the vendor's
// burst absorbs any jitter under burst/(2·rps) (125 ms here).
func serviceYAML(dataDir string, sb sandbox.Config, defaultTimeout time.Duration, plain bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir: %q\nsandbox:\n  enabled: true\n  addr: \"127.0.0.1:0\"\n", dataDir)
	fmt.Fprintf(&b, "search:\n  default_timeout: %s\n  max_timeout: %s\n  share_calls: %v\n", defaultTimeout, max(2*time.Minute, defaultTimeout), !plain)
	b.WriteString("vendors:\n")
	for _, name := range sandbox.AllVendorNames() {
		fmt.Fprintf(&b, "  - name: %s\n    protocol: %s\n", name, name)
		if plain {
			b.WriteString("    cache_ttl: 0s\n")
		}
		if v := sb.Vendors.Get(name); v.RPS > 0 {
			rps := v.RPS
			if v.Burst <= 1 {
				rps *= 0.8 // no burst to absorb jitter (Amadeus: one call per 100 ms): well under the contract
			}
			fmt.Fprintf(&b, "    rate_limit: %g\n    burst: %d\n", rps, max(1, v.Burst/2))
		}
	}
	return []byte(b.String())
}

// startEmbedded starts the service in-process (sandbox included) for one
// scenario and, unless direct, serves its API on a loopback port.
func startEmbedded(sb sandbox.Config, timeout time.Duration, direct, plain bool, log *slog.Logger) (*env, error) {
	dir, err := os.MkdirTemp("", "hotelrates-loadtest-")
	if err != nil {
		return nil, err
	}
	e := &env{sampleLocal: true, hc: &http.Client{Timeout: 10 * time.Second}}
	e.cleanup = append(e.cleanup, func() { os.RemoveAll(dir) })
	cfg, err := config.Parse(serviceYAML(dir, sb, timeout, plain), os.Getenv)
	if err != nil {
		e.close()
		return nil, fmt.Errorf("service config: %w", err)
	}
	svc, err := service.New(cfg, service.Options{Logger: log, Sandbox: &sb})
	if err != nil {
		e.close()
		return nil, err
	}
	e.cleanup = append(e.cleanup, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		svc.Close(ctx)
	})
	e.stats = localStats{svc.Sim}
	e.adapters = append(vendorsim.Clients(svc.Sim.URL(), sb), vendorsim.SupplierClients(svc.Sim.URL(), sb)...)
	e.eng, e.direct = svc.Engine, direct
	if direct {
		e.workers = directWorkers{svc.Engine}
		return e, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.close()
		return nil, err
	}
	srv := &http.Server{Handler: svc.Handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	w := newHTTPWorkers("http://" + ln.Addr().String())
	e.workers = w
	e.cleanup = append(e.cleanup, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-served
		w.tr.CloseIdleConnections()
	})
	return e, nil
}

// startRemote targets a running service and sandbox; sb must be the
// sandbox's settings (credentials for the baselines, floors).
func startRemote(serverURL, sandboxURL string, sb sandbox.Config) *env {
	serverURL = strings.TrimSuffix(serverURL, "/")
	sandboxURL = strings.TrimSuffix(sandboxURL, "/")
	hc := &http.Client{Timeout: 10 * time.Second}
	w := newHTTPWorkers(serverURL)
	return &env{
		workers:    w,
		adapters:   append(vendorsim.Clients(sandboxURL, sb), vendorsim.SupplierClients(sandboxURL, sb)...),
		stats:      remoteStats{base: sandboxURL, hc: hc},
		metricsURL: serverURL + "/metrics",
		hc:         hc,
		remote:     true,
		cleanup:    []func(){w.tr.CloseIdleConnections, hc.CloseIdleConnections},
	}
}
