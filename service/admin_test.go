package service_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"hotelrates/config"
)

// The admin listener serves pprof and /metrics; while it is set, the
// API's listener no longer serves /metrics. Without it, the API's does.
func TestAdminListener(t *testing.T) {
	status := func(t *testing.T, url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tt := range []struct {
		name  string
		admin bool
	}{{"no admin listener", false}, {"admin listener", true}} {
		t.Run(tt.name, func(t *testing.T) {
			var adminLn net.Listener
			if tt.admin {
				var err error
				if adminLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
					t.Fatal(err)
				}
			}
			addr := startServiceAdmin(t, func(c *config.Config) {
				if adminLn != nil {
					c.Admin.Listen = adminLn.Addr().String()
				}
			}, adminLn)
			api := "http://" + addr
			code, body := status(t, api+"/metrics")
			if tt.admin {
				if code != http.StatusNotFound {
					t.Errorf("API /metrics: %d with an admin listener, want 404", code)
				}
				admin := "http://" + adminLn.Addr().String()
				if code, body := status(t, admin+"/metrics"); code != 200 || !strings.Contains(body, "hotelrates_searches_total") {
					t.Errorf("admin /metrics: %d %.80q", code, body)
				}
				if code, body := status(t, admin+"/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
					t.Errorf("admin pprof index: %d %.80q", code, body)
				}
				if code, _ := status(t, admin+"/debug/pprof/goroutine?debug=1"); code != 200 {
					t.Errorf("admin goroutine profile: %d", code)
				}
				if code, _ := status(t, admin+"/v1/vendors"); code != http.StatusNotFound {
					t.Errorf("admin serves the API: %d", code)
				}
			} else if code != 200 || !strings.Contains(body, "hotelrates_searches_total") {
				t.Errorf("API /metrics: %d %.80q", code, body)
			}
		})
	}
}
