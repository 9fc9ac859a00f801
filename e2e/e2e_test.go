// Package e2e runs the hotelrates binary as a separate process against the
// vendor sandbox and a real S3-compatible server (versitygw), and checks
// what only a whole deployment shows: every vendor exchange archived in S3
// exactly once, through an S3 outage and through a SIGKILL.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hotelrates"
	"hotelrates/archive"
	"hotelrates/internal/offertest"
	"hotelrates/internal/s3test"
	"hotelrates/sandbox"
	"hotelrates/vendorsim"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hotelrates-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "hotelrates")
	out, err := exec.Command("go", "build", "-o", binary, "hotelrates/cmd/hotelrates").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building hotelrates: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// deployment is a sandbox (in the test process, so its statistics outlive
// the service), versitygw and a hotelrates process.
type deployment struct {
	t       *testing.T
	sim     *vendorsim.Sim
	s3      *s3test.Server
	dir     string
	config  string
	proc    *exec.Cmd
	waited  chan error
	url     string
	logPath string
}

const bucket = "hotelrates-archive"

// fastSandbox is the sandbox with short latencies and no rate limit.
func fastSandbox(cfg *sandbox.Config) {
	cfg.Vendors.Solo.Latency.Base = 5 * time.Millisecond
	cfg.Vendors.Bulk.Latency.Base = 10 * time.Millisecond
	cfg.Vendors.Bulk.RPS, cfg.Vendors.Bulk.Burst = 1000, 1000
	cfg.Vendors.Session.Latency.Base = 10 * time.Millisecond
	cfg.Vendors.Solo.TokenTTL = 3 * time.Second // refreshes during the run
}

func deploy(t *testing.T) *deployment { return deployWith(t, fastSandbox, "", "") }

// deployWith starts a deployment whose sandbox mutate changes; search and
// bulk are extra YAML for the service's search section and bulk vendor.
func deployWith(t *testing.T, mutate func(*sandbox.Config), search, bulk string) *deployment {
	t.Helper()
	cfg := sandbox.DefaultConfig()
	mutate(&cfg)
	sim, err := vendorsim.Start(cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	d := &deployment{t: t, sim: sim, s3: s3test.Start(t), dir: t.TempDir()}
	d.s3.CreateBucket(t, bucket)
	d.config = filepath.Join(d.dir, "hotelrates.yaml")
	v := cfg.Vendors
	yaml := fmt.Sprintf(`data_dir: %s
log_level: debug
shutdown_grace: 30s
search: {max_in_flight: 1000%s}
archive:
  url: s3://%s/raw
  path_style: true
  segment_bytes: 32768
  segment_age: 1s
  upload_timeout: 2s
sandbox: {enabled: false}
vendors:
  - {name: solo, protocol: solo, base_url: %s/solo, client_id: %s, client_secret: "${SOLO_SECRET}", concurrency: 16}
  - {name: bulk, protocol: bulk, base_url: %s/bulk, api_key: %s, secret: "${BULK_SECRET}", max_batch: 250, concurrency: 4%s}
  - {name: session, protocol: session, base_url: %s/session, user: %s, password: "${SESSION_PASSWORD}", max_batch: 20, concurrency: 4}
`, d.dir, search, bucket, sim.URL(), v.Solo.Credentials.ClientID, sim.URL(), v.Bulk.Credentials.APIKey, bulk, sim.URL(), v.Session.Credentials.User)
	if err := os.WriteFile(d.config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.kill)
	return d
}

// start runs the service and waits until it is ready.
func (d *deployment) start() {
	t := d.t
	t.Helper()
	v := d.sim.Config().Vendors
	d.logPath = filepath.Join(d.dir, fmt.Sprintf("service-%d.log", time.Now().UnixNano()))
	logf, err := os.Create(d.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	outPath := d.logPath + ".out"
	outf, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer outf.Close()
	cmd := exec.Command(binary, "serve", "--config", d.config, "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), d.s3.Env()...)
	cmd.Env = append(cmd.Env, "SOLO_SECRET="+v.Solo.Credentials.ClientSecret, "BULK_SECRET="+v.Bulk.Credentials.Secret,
		"SESSION_PASSWORD="+v.Session.Credentials.Password)
	cmd.Stdout, cmd.Stderr = outf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.proc, d.waited = cmd, make(chan error, 1)
	go func() { d.waited <- cmd.Wait() }()
	re := regexp.MustCompile(`serving on (\S+)\. `)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(outPath)
		if m := re.FindSubmatch(b); m != nil {
			d.url = string(m[1])
			return
		}
		select {
		case err := <-d.waited:
			d.waited <- err
			log, _ := os.ReadFile(d.logPath)
			t.Fatalf("service exited: %v\n%s", err, log)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatal("service not ready in 30s")
}

// stop sends SIGTERM and waits for a graceful exit.
func (d *deployment) stop() {
	d.t.Helper()
	d.proc.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.waited:
		if err != nil {
			log, _ := os.ReadFile(d.logPath)
			d.t.Fatalf("service exited with %v\n%s", err, tail(log))
		}
	case <-time.After(60 * time.Second):
		d.t.Fatal("service did not stop in 60s")
	}
	d.proc = nil
}

// kill sends SIGKILL and waits.
func (d *deployment) kill() {
	if d.proc == nil {
		return
	}
	d.proc.Process.Kill()
	<-d.waited
	d.proc = nil
}

func tail(b []byte) []byte {
	if len(b) > 8000 {
		return b[len(b)-8000:]
	}
	return b
}

// load runs searches from 4 clients until stop is closed and returns how
// many were answered.
func (d *deployment) load(stop <-chan struct{}) int {
	var mu sync.Mutex
	n := 0
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 20 * time.Second}
	defer client.CloseIdleConnections()
	first := offertest.FutureDate(30)
	for c := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				from := 1 + (c*1000+i*37)%19000
				ids, _ := json.Marshal(sandbox.HotelIDs(from, from+29))
				in := first.AddDays(i % 9)
				body := fmt.Sprintf(`{"hotel_ids":%s,"check_in":"%s","check_out":"%s","currency":"EUR"}`, ids, in, in.AddDays(9))
				resp, err := client.Post(d.url+"/v1/search", "application/json", strings.NewReader(body))
				if err != nil {
					return // the service was killed
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					n++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return n
}

func (d *deployment) loadFor(dur time.Duration) int {
	stop := make(chan struct{})
	time.AfterFunc(dur, func() { close(stop) })
	return d.load(stop)
}

// objects reads every archived record from S3, and every object's raw
// and decompressed bytes.
func (d *deployment) objects() (recs []hotelrates.Exchange, keys []string, blobs [][]byte) {
	d.t.Helper()
	sink := archive.NewS3SinkFromClient(d.s3.Client(d.t), bucket)
	objs, err := sink.List(context.Background(), "raw/")
	if err != nil {
		d.t.Fatal(err)
	}
	for _, o := range objs {
		rc, err := sink.Get(context.Background(), o.Key)
		if err != nil {
			d.t.Fatal(err)
		}
		raw, _ := io.ReadAll(rc)
		rc.Close()
		exs, err := archive.ReadSegment(bytes.NewReader(raw))
		if err != nil {
			d.t.Errorf("%s: %v", o.Key, err)
		}
		var plain bytes.Buffer
		for _, ex := range exs {
			b, _ := json.Marshal(ex)
			plain.Write(b)
		}
		recs = append(recs, exs...)
		keys = append(keys, o.Key)
		blobs = append(blobs, raw, plain.Bytes())
	}
	return recs, keys, blobs
}

var keyRe = regexp.MustCompile(`^raw/vendor=(solo|bulk|session)/date=\d{4}-\d{2}-\d{2}/hour=\d{2}/[A-Za-z0-9._-]+-\d{20}\.ndjson\.gz$`)

// reconcile checks the archive against what the sandbox saw: per vendor,
// records and requests, and records by status and answers by status.
// missing allows that many requests per vendor without a record (calls in
// flight when a process was killed).
func (d *deployment) reconcile(recs []hotelrates.Exchange, missing int64) {
	t := d.t
	t.Helper()
	stats := d.sim.Stats()
	byVendor := map[string]int64{}
	byStatus := map[string]map[string]int64{}
	ids := map[string]int{}
	for _, ex := range recs {
		byVendor[ex.Vendor]++
		if byStatus[ex.Vendor] == nil {
			byStatus[ex.Vendor] = map[string]int64{}
		}
		byStatus[ex.Vendor][fmt.Sprint(ex.Status)]++
		b, _ := json.Marshal(ex)
		ids[string(b)]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("record archived %d times: %.200s", n, id)
		}
	}
	for _, name := range sandbox.VendorNames {
		got, want := byVendor[name], stats[name].Requests
		if got > want || got < want-missing {
			t.Errorf("%s: %d records archived, the vendor saw %d requests (allowed missing %d)", name, got, want, missing)
		}
		if missing == 0 {
			for code, n := range stats[name].Status {
				if byStatus[name][code] != n {
					t.Errorf("%s: %d records with status %s, the vendor answered %d", name, byStatus[name][code], code, n)
				}
			}
		}
		t.Logf("%s: %d records, %d requests", name, got, want)
	}
}

// noSecrets checks that no credential, token, signature or session id
// appears in any object's bytes.
func (d *deployment) noSecrets(blobs [][]byte) {
	d.t.Helper()
	v := d.sim.Config().Vendors
	secrets := []string{v.Solo.Credentials.ClientSecret, v.Bulk.Credentials.Secret, v.Bulk.Credentials.APIKey, v.Session.Credentials.Password, "Signature=", "Bearer ey"}
	hex := regexp.MustCompile(`[0-9a-fA-F]{32,}`)
	for _, b := range blobs {
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				d.t.Errorf("an archived object holds %q", s)
			}
		}
		if m := hex.Find(b); m != nil {
			d.t.Errorf("an archived object holds a token, session id or signature: %s", m)
		}
	}
}

func TestEveryExchangeInS3ExactlyOnce(t *testing.T) {
	d := deploy(t)
	d.start()
	if n := d.loadFor(3 * time.Second); n < 10 {
		t.Fatalf("only %d searches answered", n)
	}
	d.stop()
	recs, keys, blobs := d.objects()
	for _, k := range keys {
		if !keyRe.MatchString(k) {
			t.Errorf("key %q does not follow the layout", k)
		}
	}
	kinds := map[hotelrates.CallKind]int{}
	for _, ex := range recs {
		kinds[ex.Kind]++
	}
	if kinds[hotelrates.CallAuth] < 2 || kinds[hotelrates.CallRates] < 100 || kinds[hotelrates.CallLogout] < 1 {
		t.Errorf("kinds %v", kinds)
	}
	d.reconcile(recs, 0)
	d.noSecrets(blobs)

	// The operator's view: hotelrates archive lists the segments and prints
	// one search's records from S3.
	id, want := "", 0
	for _, ex := range recs {
		if id == "" && ex.SearchID != "" && !strings.Contains(ex.SearchID, ",") {
			id = ex.SearchID
		}
	}
	for _, ex := range recs {
		if slices.Contains(strings.Split(ex.SearchID, ","), id) {
			want++
		}
	}
	out := d.run("archive", "show", "--config", d.config, "--search-id", id)
	if got := strings.Count(out, `"search_id":"`); got != want {
		t.Errorf("archive show printed %d records of %s, S3 holds %d", got, id, want)
	}
	list := d.run("archive", "list", "--config", d.config)
	for _, k := range keys {
		if !strings.Contains(list, k) {
			t.Errorf("archive list lacks %s", k)
		}
	}
}

// run runs a hotelrates command with the deployment's environment.
func (d *deployment) run(args ...string) string {
	d.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), d.s3.Env()...)
	cmd.Env = append(cmd.Env, "SOLO_SECRET=x", "BULK_SECRET=x", "SESSION_PASSWORD=x")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		d.t.Fatalf("hotelrates %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

func TestS3OutageLosesNothing(t *testing.T) {
	d := deploy(t)
	d.start()
	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- d.load(stop) }()
	time.Sleep(1500 * time.Millisecond)
	d.s3.Stop()
	time.Sleep(3 * time.Second) // segments pile up in the spool; searches go on
	segs, _ := archive.ListSpool(filepath.Join(d.dir, "spool"))
	resp, err := http.Get(d.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d.s3.Restart(t)
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	if n := <-done; n < 10 {
		t.Fatalf("only %d searches answered", n)
	}
	if len(segs) < 2 {
		t.Errorf("%d segments in the spool during the outage", len(segs))
	}
	if !regexp.MustCompile(`hotelrates_archive_upload_errors_total [1-9]`).Match(metrics) {
		t.Errorf("no upload errors in /metrics during the outage")
	}
	d.stop()
	recs, _, blobs := d.objects()
	d.reconcile(recs, 0)
	d.noSecrets(blobs)
}

func TestSIGKILLLosesNothing(t *testing.T) {
	d := deploy(t)
	d.start()
	stop := make(chan struct{})
	done := make(chan int)
	go func() { done <- d.load(stop) }()
	time.Sleep(2 * time.Second)
	d.kill()
	close(stop)
	<-done
	// What the killed process left: records in the spool and in S3.
	onDisk := 0
	segs, err := archive.ListSpool(filepath.Join(d.dir, "spool"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range segs {
		exs, _ := archive.ReadSpoolSegment(s) // an open segment may end in a torn record
		onDisk += len(exs)
	}
	before, _, _ := d.objects()
	if onDisk == 0 {
		t.Log("the spool was empty at the kill")
	}
	d.start()
	if n := d.loadFor(time.Second); n < 1 {
		t.Fatal("no search answered after the restart")
	}
	d.stop()
	recs, _, blobs := d.objects()
	// Every record written before the kill, in the spool or already in S3,
	// is in S3 now, once; and the restarted run's records are there too.
	if len(recs) < len(before)+onDisk {
		t.Errorf("%d records in S3, but %d were in S3 and %d in the spool at the kill", len(recs), len(before), onDisk)
	}
	// Every request a vendor saw has its record: the exchanges the kill cut
	// off (in flight, or in the archiver's queue) were journaled before
	// their requests went out and are archived as interrupted.
	interrupted := d.reconcileAfterCrash(recs)
	d.noSecrets(blobs)
	log, _ := os.ReadFile(d.logPath)
	if !bytes.Contains(log, []byte("found in the spool")) && onDisk > 0 {
		t.Errorf("the restart did not report recovering the spool:\n%s", tail(log))
	}
	if interrupted > 0 && !bytes.Contains(log, []byte("archived as interrupted")) {
		t.Errorf("the restart did not report the interrupted exchanges:\n%s", tail(log))
	}
}

// reconcileAfterCrash checks that after a SIGKILL and a restart no vendor
// request lacks a record: per vendor, the records (whole and interrupted)
// are at least the requests the vendor saw, the whole ones at most that,
// and no exchange is archived twice. It returns the interrupted records.
func (d *deployment) reconcileAfterCrash(recs []hotelrates.Exchange) (interrupted int) {
	t := d.t
	t.Helper()
	stats := d.sim.Stats()
	total, cut := map[string]int64{}, map[string]int64{}
	ids := map[string]int{}
	for _, ex := range recs {
		total[ex.Vendor]++
		if ex.Interrupted {
			cut[ex.Vendor]++
			interrupted++
			if ex.Status != 0 || ex.ResponseBody != "" || ex.RequestBody == "" && ex.Method == "POST" {
				t.Errorf("interrupted record holds an answer or lacks its request: %+v", ex)
			}
		}
		if ex.ID == "" {
			t.Errorf("record without an id: %+v", ex)
		}
		ids[ex.ID]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("exchange %s archived %d times", id, n)
		}
	}
	for _, name := range sandbox.VendorNames {
		want := stats[name].Requests
		if total[name] < want || total[name]-cut[name] > want {
			t.Errorf("%s: %d records (%d interrupted), the vendor saw %d requests", name, total[name], cut[name], want)
		}
		t.Logf("%s: %d records (%d interrupted), %d requests", name, total[name], cut[name], want)
	}
	return interrupted
}
