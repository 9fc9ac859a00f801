package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hotelrates"
	"hotelrates/archive"
	"hotelrates/config"
	"hotelrates/httpapi"
	"hotelrates/internal/offertest"
	"hotelrates/sandbox"
	"hotelrates/service"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fastSandbox is the default sandbox with short latencies.
func fastSandbox() *sandbox.Config {
	c := sandbox.DefaultConfig()
	c.Vendors.Solo.Latency.Base = 2 * time.Millisecond
	c.Vendors.Bulk.Latency.Base = 5 * time.Millisecond
	c.Vendors.Bulk.RPS, c.Vendors.Bulk.Burst = 1000, 1000
	c.Vendors.Session.Latency.Base = 3 * time.Millisecond
	for _, v := range []*sandbox.VendorConfig{&c.Vendors.Amadeus, &c.Vendors.Rapid, &c.Vendors.Hotelbeds} {
		v.Latency.Base, v.Latency.PerHotel, v.RPS, v.Burst = 3*time.Millisecond, 0, 1000, 1000
	}
	return &c
}

// checkGroundTruth checks that every hotel's offers are the sandbox's
// ground truth for st from the vendors named, those priced in another
// currency (Hotelbeds' contract currencies) converted at the sandbox's
// rates.
func checkGroundTruth(t *testing.T, got []httpapi.Hotel, st hotelrates.Stay, vendors []string) {
	t.Helper()
	rates := sandbox.ExchangeRates()
	for _, h := range got {
		var want []hotelrates.Offer
		for _, v := range vendors {
			for _, o := range sandbox.Offers(v, h.HotelID, st) {
				if o.Total.Currency != st.Currency {
					conv, err := rates.Convert(o.Total, st.Currency)
					if err != nil {
						t.Fatal(err)
					}
					o.Original, o.Total, o.Converted = o.Total, conv, true
				}
				want = append(want, o)
			}
		}
		if len(h.Offers) != len(want) {
			t.Errorf("%s: %d offers, ground truth %d", h.HotelID, len(h.Offers), len(want))
			continue
		}
		for _, o := range h.Offers {
			if !slices.ContainsFunc(want, func(w hotelrates.Offer) bool {
				return w.Vendor == o.Vendor && w.Room == o.Room && w.Board == o.Board && w.Total == o.Total && w.Refundable == o.Refundable &&
					w.Converted == o.Converted && w.Original == o.Original && w.CancelDeadline.Equal(o.CancelDeadline)
			}) {
				t.Errorf("%s: offer %+v is not the sandbox's", h.HotelID, o)
			}
		}
	}
}

// testConfig is the embedded default with its data in dir.
func testConfig(dir string) config.Config {
	cfg := config.Default()
	cfg.Archive.URL = "file://" + filepath.Join(dir, "archive")
	cfg.Archive.SpoolDir = filepath.Join(dir, "spool")
	cfg.ShutdownGrace = 5 * time.Second
	return cfg
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The embedded default end to end in one process: the API over a real
// listener answers with the sandbox's ground truth, reports ready, exposes
// the archive's metrics, and a graceful stop leaves every vendor exchange
// archived and the journal empty.
func TestEmbeddedDefault(t *testing.T) {
	dir := t.TempDir()
	s, err := service.New(testConfig(dir), service.Options{Logger: quiet(), Sandbox: fastSandbox()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}

	hotels := sandbox.HotelIDs(1, 60)
	in := offertest.FutureDate(30)
	st := hotelrates.Stay{CheckIn: in, CheckOut: in.AddDays(3), Adults: 2, Rooms: 1, Currency: "GBP"}
	c := &httpapi.Client{BaseURL: base}
	var got []httpapi.Hotel
	sum, err := c.Stream(context.Background(), httpapi.SearchRequest{HotelIDs: hotels, CheckIn: st.CheckIn.String(), CheckOut: st.CheckOut.String(), Currency: "GBP"}, func(h httpapi.Hotel) {
		got = append(got, h)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Complete || sum.Hotels != len(hotels) || len(got) != len(hotels) {
		t.Fatalf("summary %+v, %d hotels streamed", sum, len(got))
	}
	checkGroundTruth(t, got, st, sandbox.AllVendorNames())

	// With children: the suppliers price them, the sandbox's own vendors
	// cannot and are skipped, saying so.
	kids := st
	kids.Children = []int{9, 1}
	got = got[:0]
	sum, err = c.Stream(context.Background(), httpapi.SearchRequest{HotelIDs: hotels, CheckIn: kids.CheckIn.String(), CheckOut: kids.CheckOut.String(), Currency: "GBP", Children: kids.Children}, func(h httpapi.Hotel) {
		got = append(got, h)
	})
	if err != nil || !sum.Complete || len(got) != len(hotels) {
		t.Fatalf("children: %v, summary %+v, %d hotels", err, sum, len(got))
	}
	for _, v := range sum.Vendors {
		skipped := slices.Contains(sandbox.VendorNames, v.Vendor)
		if (v.Status == string(hotelrates.StatusSkipped)) != skipped {
			t.Errorf("children: vendor %s: %+v", v.Vendor, v)
		}
	}
	checkGroundTruth(t, got, kids, sandbox.SupplierNames)

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"hotelrates_archive_records_total", "hotelrates_archive_interrupted_records_total", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}

	stop()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	// Every exchange the vendors saw, logouts at shutdown included, is in
	// the archive once; nothing is left in the spool or the journal.
	sink, err := archive.NewDirSink(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := sink.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	byVendor := map[string]int64{}
	for _, o := range objs {
		rc, err := sink.Get(context.Background(), o.Key)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := archive.ReadSegment(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			byVendor[r.Vendor]++
			if r.Interrupted {
				t.Errorf("interrupted record after a clean stop: %+v", r)
			}
		}
	}
	stats := s.Sim.Stats()
	for _, v := range sandbox.VendorNames {
		if byVendor[v] != stats[v].Requests || byVendor[v] == 0 {
			t.Errorf("%s: %d records archived, the vendor saw %d requests", v, byVendor[v], stats[v].Requests)
		}
	}
	if segs, _ := archive.ListSpool(filepath.Join(dir, "spool")); len(segs) != 0 {
		t.Errorf("spool not empty after a clean stop: %+v", segs)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "spool", "journal")); len(left) != 0 {
		t.Errorf("journal left after a clean stop: %v", left)
	}
}

// A service that cannot be assembled fails with a clear error and leaves
// nothing running (goleak checks the sandbox and archiver were stopped).
func TestNewFailsCleanly(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*config.Config)
		want   string
	}{
		{"unknown protocol", func(c *config.Config) { c.Vendors[2].Protocol = "carrier-pigeon" }, "unknown protocol"},
		{"sandbox off, no base_url", func(c *config.Config) { c.Sandbox.Enabled = false }, "no base_url"},
		{"bad archive URL", func(c *config.Config) { c.Archive.URL = "ftp://archive" }, "ftp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			tt.mutate(&cfg)
			s, err := service.New(cfg, service.Options{Logger: quiet(), Sandbox: fastSandbox()})
			if err == nil {
				s.Close(context.Background())
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to mention %q", err, tt.want)
			}
		})
	}
}

// A search whose deadline lies beyond the shutdown grace period still gets
// an answer (what arrived, complete false, the hung vendor saying why)
// instead of a cut connection.
func TestShutdownAnswersSearchesLongerThanTheGrace(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.ShutdownGrace = 2 * time.Second
	sb := fastSandbox()
	sb.Vendors.Session.Faults.Hang = 1
	s, err := service.New(cfg, service.Options{Logger: quiet(), Sandbox: sb})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	type answer struct {
		code int
		body httpapi.SearchResponse
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		in := offertest.FutureDate(30)
		body := fmt.Sprintf(`{"hotel_ids":["H00001","H00002","H00003"],"check_in":"%s","check_out":"%s","timeout_ms":25000}`, in, in.AddDays(2))
		resp, err := http.Post(base+"/v1/search", "application/json", strings.NewReader(body))
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		var a answer
		a.code = resp.StatusCode
		a.err = json.NewDecoder(resp.Body).Decode(&a.body)
		got <- a
	}()
	time.Sleep(300 * time.Millisecond) // the search is waiting on the hung vendor
	start := time.Now()
	stop()
	a := <-got
	if a.err != nil || a.code != http.StatusOK {
		t.Fatalf("answer %d, %v", a.code, a.err)
	}
	if el := time.Since(start); el > cfg.ShutdownGrace+time.Second {
		t.Errorf("answered %v after the shutdown started, grace %v", el, cfg.ShutdownGrace)
	}
	if a.body.Complete || len(a.body.Hotels) != 3 {
		t.Errorf("complete %v, %d hotels", a.body.Complete, len(a.body.Hotels))
	}
	for _, v := range a.body.Vendors {
		if v.Vendor == sandbox.Session && !strings.Contains(v.Error, "shutting down") {
			t.Errorf("session: %+v", v)
		}
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
