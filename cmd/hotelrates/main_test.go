package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hotelrates"
	"hotelrates/archive"
	"hotelrates/httpapi"
	"hotelrates/internal/offertest"
	"hotelrates/internal/testlog"
	"hotelrates/sandbox"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitFor polls buf until re matches, and returns the first group.
func waitFor(t *testing.T, buf *testlog.Buffer, re *regexp.Regexp, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(buf.String()); m != nil {
			return m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s within %v in:\n%s", re, within, buf.String())
	return ""
}

func noenv(string) string { return "" }

type runner struct {
	cancel context.CancelFunc
	done   chan error
	out    *testlog.Buffer
	errs   *testlog.Buffer
}

func start(t *testing.T, args ...string) *runner {
	t.Helper()
	return startEnv(t, noenv, args...)
}

func startEnv(t *testing.T, getenv func(string) string, args ...string) *runner {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{cancel: cancel, done: make(chan error, 1), out: &testlog.Buffer{}, errs: &testlog.Buffer{}}
	go func() { r.done <- run(ctx, args, getenv, r.out, r.errs) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *runner) stop(t *testing.T) error {
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop")
		return nil
	}
}

func TestVendorsimReadyFastAndLogsURLsAndCredentials(t *testing.T) {
	begin := time.Now()
	r := start(t, "vendorsim", "--addr", "127.0.0.1:0")
	url := waitFor(t, r.errs, regexp.MustCompile(`"vendor sandbox ready" url=(\S+)`), 5*time.Second)
	ready := time.Since(begin)
	resp, err := http.Get(url + "/_sandbox/stats")
	if err != nil {
		t.Fatal(err)
	}
	var stats map[string]sandbox.VendorStats
	json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	if len(stats) != 6 {
		t.Errorf("stats %v", stats)
	}
	logs := r.errs.String()
	for _, want := range []string{url + "/solo", url + "/bulk", url + "/session", url + "/amadeus", url + "/rapid", url + "/hotelbeds", sandbox.DemoSoloClientID, sandbox.DemoAmadeusClientID, sandbox.DemoSoloClientSecret, sandbox.DemoBulkAPIKey, sandbox.DemoSessionUser} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if err := r.stop(t); err != nil {
		t.Error(err)
	}
	// A secret from the sandbox's config file is never logged.
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sandbox.yaml")
	os.WriteFile(cfgPath, []byte("vendors:\n  bulk:\n    credentials: {api_key: my-key, secret: my-private-secret}\n"), 0o600)
	r2 := start(t, "vendorsim", "--addr", "127.0.0.1:0", "--config", cfgPath)
	waitFor(t, r2.errs, regexp.MustCompile(`name=(hotelbeds)`), 5*time.Second)
	if err := r2.stop(t); err != nil {
		t.Error(err)
	}
	if logs := r2.errs.String(); strings.Contains(logs, "my-private-secret") || !strings.Contains(logs, "my-key") {
		t.Errorf("a configured secret reached the log, or the key did not:\n%s", logs)
	}
	// Generous bound for a slow shared machine; the target is under a second.
	if ready > 5*time.Second {
		t.Errorf("ready after %v", ready)
	}
	t.Logf("vendorsim ready in %v", ready)
}

func TestServeEmbeddedDefaultSearchAndGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hotelrates.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\nsandbox: {enabled: true}\nvendors: [{protocol: solo}, {protocol: bulk}, {protocol: session}]\n", dir)), 0o644)
	r := start(t, "serve", "--config", cfg, "--addr", "127.0.0.1:0", "--sandbox-addr", "127.0.0.1:0")
	url := waitFor(t, r.out, regexp.MustCompile(`serving on (\S+)\.`), 10*time.Second)
	if !strings.Contains(r.out.String(), "curl -s "+url+"/v1/search") {
		t.Errorf("no curl example:\n%s", r.out.String())
	}
	sandboxURL := waitFor(t, r.errs, regexp.MustCompile(`sandbox=(\S+)`), time.Second)

	// Searches in flight when the shutdown starts still finish.
	var wg sync.WaitGroup
	results := make(chan int, 4)
	ids := make(chan string, 4)
	in := offertest.FutureDate(30)
	for i := range 4 {
		wg.Go(func() {
			body := fmt.Sprintf(`{"hotel_ids":["H%05d","H%05d","H%05d"],"check_in":"%s","check_out":"%s"}`, i*3+1, i*3+2, i*3+3, in, in.AddDays(2))
			resp, err := http.Post(url+"/v1/search", "application/json", strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var out httpapi.SearchResponse
			json.NewDecoder(resp.Body).Decode(&out)
			if resp.StatusCode != 200 || !out.Complete {
				t.Errorf("status %d, %+v", resp.StatusCode, out)
			}
			results <- resp.StatusCode
			ids <- out.SearchID
		})
	}
	time.Sleep(20 * time.Millisecond)
	resp, err := http.Get(sandboxURL + "/_sandbox/stats")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := r.stop(t); err != nil {
		t.Fatalf("serve: %v", err)
	}
	wg.Wait()
	close(results)
	n := 0
	for code := range results {
		if code == 200 {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d of 4 in-flight searches answered", n)
	}
	close(ids)
	searchID := <-ids
	// The archive was flushed: segments hold the vendor exchanges, and the
	// archive command finds them.
	var list, listErr testlog.Buffer
	if err := run(context.Background(), []string{"archive", "list", "--config", cfg}, noenv, &list, &listErr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list.String(), "vendor=solo/date=") || strings.Contains(list.String(), "spool (") {
		t.Errorf("archive list:\n%s", list.String())
	}
	var show, showErr testlog.Buffer
	if err := run(context.Background(), []string{"archive", "show", "--config", cfg, "--search-id", searchID}, noenv, &show, &showErr); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(show.String(), searchID); n < 3 || !strings.Contains(showErr.String(), fmt.Sprintf("%d records of search", n)) {
		t.Errorf("archive show found %d records:\n%s\n%s", n, show.String(), showErr.String())
	}
	sink, err := archive.NewDirSink(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := sink.List(context.Background(), "")
	if err != nil || len(objs) == 0 {
		t.Fatalf("no archive segments: %v", err)
	}
	records := 0
	for _, o := range objs {
		rc, _ := sink.Get(context.Background(), o.Key)
		b, _ := io.ReadAll(rc)
		rc.Close()
		exs, err := archive.ReadSegment(bytes.NewReader(b))
		if err != nil {
			t.Errorf("%s: %v", o.Key, err)
		}
		records += len(exs)
	}
	// 12 solo calls + token, 4 bulk calls, 4 session calls + logins + logouts.
	if records < 12+1+4+4+2 {
		t.Errorf("%d records archived", records)
	}
}

func TestSearchInProcessPrintsTable(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hotelrates.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\nsandbox: {enabled: true}\nvendors: [{protocol: solo}, {protocol: bulk}, {protocol: session}]\n", dir)), 0o644)
	// A running serve holds the configured spool, with a record in an open
	// segment: the in-process search must leave it alone.
	held, err := archive.New(archive.Options{SpoolDir: filepath.Join(dir, "spool"), Sink: must(archive.NewDirSink(filepath.Join(dir, "held"))),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	held.Record(context.Background(), hotelrates.Exchange{ID: "serve-1", Vendor: "solo", SearchID: "s", Start: time.Now()})
	var out, errs testlog.Buffer
	err = run(context.Background(), []string{"search", "--config", cfg, "--hotels", "H00001-H00012,H00100", "--check-in", offertest.FutureDate(30).String(), "--nights", "2"}, noenv, &out, &errs)
	if err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	if segs, err := archive.ListSpool(filepath.Join(dir, "spool")); err != nil || len(segs) != 1 || segs[0].Ready {
		t.Errorf("the serve's spool was touched: %+v, %v", segs, err)
	}
	if err := held.Close(context.Background()); err != nil || held.Stats().UploadedRecords != 1 {
		t.Errorf("the serve's archive lost its record: %v, %+v", err, held.Stats())
	}
	// The search's own exchanges reached the configured archive.
	objs, err := must(archive.NewDirSink(filepath.Join(dir, "archive"))).List(context.Background(), "")
	if err != nil || len(objs) < 3 {
		t.Errorf("search archived %d segments (%v), want one per vendor at least", len(objs), err)
	}
	s := out.String()
	for _, want := range []string{"HOTEL", "BEST OFFER", "H00001", "H00012", "H00100", "complete=true, 13 hotels", "VENDOR", "solo", "bulk", "session", "9/9"} { // solo carries 9 of the 13
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if !strings.Contains(errs.String(), "13/13 hotels") {
		t.Errorf("no progress: %s", errs.String())
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"nope"},
		{"search", "--hotels", "H00009-H00001"},
		{"search", "--check-in", "tomorrow"},
		{"serve", "--config", "/does/not/exist.yaml"},
		{"vendorsim", "--config", "/does/not/exist.yaml"},
	} {
		var out, errs testlog.Buffer
		if err := run(context.Background(), args, noenv, &out, &errs); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The config's log_level sets the level, and HOTELRATES_LOG_LEVEL wins
// over it.
func TestLogLevel(t *testing.T) {
	tests := []struct {
		name, config, env string
		wantInfo          bool
	}{
		{"default info", "", "", true},
		{"config warn", "log_level: warn\n", "", false},
		{"env wins over config", "log_level: warn\n", "info", true},
		{"env alone", "", "error", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "hotelrates.yaml")
			os.WriteFile(cfg, []byte(fmt.Sprintf("%sdata_dir: %s\nsandbox: {enabled: true}\nvendors: [{protocol: solo}]\n", tt.config, dir)), 0o644)
			env := func(k string) string {
				if k == "HOTELRATES_LOG_LEVEL" {
					return tt.env
				}
				return ""
			}
			r := startEnv(t, env, "serve", "--config", cfg, "--addr", "127.0.0.1:0")
			waitFor(t, r.out, regexp.MustCompile(`serving on (\S+)\.`), 10*time.Second)
			if err := r.stop(t); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(r.errs.String(), "level=INFO"); got != tt.wantInfo {
				t.Errorf("info logged: %v, want %v:\n%s", got, tt.wantInfo, r.errs.String())
			}
		})
	}
	t.Run("bad env is an error", func(t *testing.T) {
		env := func(k string) string {
			if k == "HOTELRATES_LOG_LEVEL" {
				return "verbose"
			}
			return ""
		}
		err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"}, env, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "HOTELRATES_LOG_LEVEL") || !strings.Contains(err.Error(), "verbose") {
			t.Errorf("err %v", err)
		}
	})
}
