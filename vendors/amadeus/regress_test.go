package amadeus

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The token answer's body is cut by a reset: oauth2 flattens the read
// error with %v, so describe() falls back to err.Error(), which names
// the peer's IP:port. With a host name in BaseURL the IP is not redacted.
func TestTokenBodyCutShortNamesNoAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				r := bufio.NewReader(c)
				req, err := http.ReadRequest(r)
				if err == nil {
					buf := make([]byte, req.ContentLength)
					r.Read(buf)
				}
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"access_token\":\"x"))
				time.Sleep(50 * time.Millisecond)
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}(c)
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	cl := New(Config{BaseURL: "http://localhost:" + itoa(port), ClientID: "id-1234", ClientSecret: "sec-5678"})
	_, err = cl.Authenticate(context.Background(), &http.Client{})
	if err == nil {
		t.Fatal("no error")
	}
	t.Logf("error: %v", err)
	if strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("error text names the vendor's address: %q", err)
	}
}

func itoa(n int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + func() string { return fmtInt(n) }())
}
func fmtInt(n int) string {
	s := ""
	for n > 0 {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}

func TestTokenWithoutLifetimeOrTypeRefused(t *testing.T) {
	for _, body := range []string{
		`{"token_type":"Bearer","access_token":"abcdefghijklmnopqrstuvwxyzAB","expires_in":0}`,
		`{"token_type":"Bearer","access_token":"abcdefghijklmnopqrstuvwxyzAB"}`,
		`{"access_token":"abcdefghijklmnopqrstuvwxyzAB","expires_in":1799}`,
	} {
		srv := httptestServer(body)
		cl := New(Config{BaseURL: srv.URL, ClientID: "id-1234", ClientSecret: "sec-5678"})
		cred, err := cl.Authenticate(context.Background(), srv.Client())
		t.Logf("%s -> cred expires %v, err %v", body, cred.Expires, err)
		if err == nil {
			t.Errorf("accepted a token the doc says is ErrBadResponse: %s", body)
		}
		srv.Close()
	}
}

func httptestServer(body string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}))
}
