package service_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"hotelrates/config"
	"hotelrates/service"
)

// startService serves cfg's service on a loopback port until the test
// ends.
func startService(t *testing.T, mutate func(*config.Config)) string {
	t.Helper()
	return startServiceAdmin(t, mutate, nil)
}

// startServiceAdmin is startService with an admin listener (nil: none).
func startServiceAdmin(t *testing.T, mutate func(*config.Config), admin net.Listener) string {
	t.Helper()
	cfg := testConfig(t.TempDir())
	mutate(&cfg)
	s, err := service.New(cfg, service.Options{Logger: quiet(), Sandbox: fastSandbox()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.ServeAdmin(ctx, ln, admin) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
	return ln.Addr().String()
}

// get sends GET path on conn and reads the answer, leaving conn open.
func get(t *testing.T, conn net.Conn, br *bufio.Reader, path string, header string) *http.Response {
	t.Helper()
	if _, err := conn.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: x\r\n" + header + "\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// A request header is at most 64 KiB (431 past it).
func TestMaxHeaderBytes(t *testing.T) {
	addr := startService(t, func(*config.Config) {})
	tests := []struct {
		size   int
		status int
	}{
		{1 << 10, 200},
		{32 << 10, 200},
		{80 << 10, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tt := range tests {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		resp := get(t, conn, bufio.NewReader(conn), "/healthz", "X-Pad: "+strings.Repeat("p", tt.size)+"\r\n")
		conn.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%d-byte header: %d, want %d", tt.size, resp.StatusCode, tt.status)
		}
	}
}

// With listen_max_conns 2 and two connections open, a third is served
// only once one of them closes.
func TestListenMaxConns(t *testing.T) {
	addr := startService(t, func(c *config.Config) { c.ListenMaxConns = 2 })
	var held []net.Conn
	for range 2 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if resp := get(t, conn, bufio.NewReader(conn), "/healthz", ""); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		held = append(held, conn) // idle, kept alive
	}
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	third := make(chan error, 1)
	go func() {
		resp, err := hc.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		third <- err
	}()
	select {
	case err := <-third:
		t.Fatalf("a third connection was served while two were open (%v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	held[0].Close()
	select {
	case err := <-third:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the third connection was not served after one closed")
	}
}

// With api_keys, the service's API wants a key, but on its probes.
func TestServiceAPIKeys(t *testing.T) {
	const key = "service-key-0123456789"
	addr := startService(t, func(c *config.Config) { c.APIKeys = []string{key} })
	tests := []struct {
		path, header string
		status       int
	}{
		{"/v1/vendors", "", 401},
		{"/metrics", "", 401},
		{"/v1/vendors", "Authorization: Bearer wrong-key-0123456789\r\n", 401},
		{"/v1/vendors", "Authorization: Bearer " + key + "\r\n", 200},
		{"/healthz", "", 200},
		{"/readyz", "", 200},
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for _, tt := range tests {
		if resp := get(t, conn, br, tt.path, tt.header); resp.StatusCode != tt.status {
			t.Errorf("%s %q: %d, want %d", tt.path, tt.header, resp.StatusCode, tt.status)
		}
	}
}
