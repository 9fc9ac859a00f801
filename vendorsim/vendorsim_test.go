package vendorsim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hotelrates"
	"hotelrates/sandbox"
	"hotelrates/vendorsim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func getStats(t *testing.T, url string) map[string]sandbox.VendorStats {
	t.Helper()
	resp, err := http.Get(url + "/_sandbox/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]sandbox.VendorStats
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStatsResetAndRouting(t *testing.T) {
	cfg := sandbox.DefaultConfig()
	cfg.Vendors.Bulk.Latency.Base = time.Millisecond
	sim, err := vendorsim.Start(cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	bulk := vendorsim.Clients(sim.URL(), cfg)[1]
	st := hotelrates.Stay{CheckIn: hotelrates.MustDate("2027-01-05"), CheckOut: hotelrates.MustDate("2027-01-06"), Adults: 1, Rooms: 1, Currency: "USD"}
	if _, err := bulk.Fetch(context.Background(), http.DefaultClient, hotelrates.Credential{}, hotelrates.Query{Stay: st, HotelIDs: sandbox.HotelIDs(1, 30)}); err != nil {
		t.Fatal(err)
	}
	s := getStats(t, sim.URL())
	if len(s) != 6 || s["bulk"].Requests != 1 || s["bulk"].RateCalls != 1 || s["bulk"].Hotels != 30 || s["bulk"].Status["200"] != 1 || s["solo"].Requests != 0 {
		t.Errorf("stats %+v", s)
	}
	for _, tt := range []struct {
		method, path string
		status       int
	}{{"GET", "/nothing", 404}, {"GET", "/solo/nothing", 404}, {"GET", "/", 200}, {"POST", "/_sandbox/reset", 200}} {
		req, _ := http.NewRequest(tt.method, sim.URL()+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if s := getStats(t, sim.URL()); s["bulk"].Requests != 0 || s["solo"].Requests != 0 {
		t.Errorf("after reset %+v", s)
	}
}

func TestCloseEndsHungCalls(t *testing.T) {
	cfg := sandbox.DefaultConfig()
	cfg.Vendors.Bulk.Faults.Hang = 1
	sim, err := vendorsim.Start(cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bulk := vendorsim.Clients(sim.URL(), cfg)[1]
	errc := make(chan error, 1)
	go func() {
		st := hotelrates.Stay{CheckIn: hotelrates.MustDate("2027-01-05"), CheckOut: hotelrates.MustDate("2027-01-06"), Adults: 1, Rooms: 1, Currency: "USD"}
		_, err := bulk.Fetch(context.Background(), &http.Client{}, hotelrates.Credential{}, hotelrates.Query{Stay: st, HotelIDs: []string{"H00001"}})
		errc <- err
	}()
	for sim.Stats()["bulk"].InService == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if err := sim.Close(); err != nil {
		t.Error(err)
	}
	if err := <-errc; err == nil {
		t.Error("hung call answered")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("close took %v", d)
	}
	http.DefaultClient.CloseIdleConnections()
}
