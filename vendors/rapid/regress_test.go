package rapid

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hotelrates"
)

// A 200 whose body is cut by a TCP reset: vendorhttp.ReadBody's error
// ("reading body: read tcp A->B: ...") is returned as is, unscrubbed.
func TestBodyCutShortNamesNoAddress(t *testing.T) {
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
				http.ReadRequest(bufio.NewReader(c))
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n[{\"property_id\":"))
				time.Sleep(50 * time.Millisecond)
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}(c)
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	cl := New(Config{BaseURL: fmt.Sprintf("http://localhost:%d/rapid", port), APIKey: "key-1234", Secret: "sec-5678"})
	_, err = cl.Fetch(context.Background(), &http.Client{}, hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"2000014"}})
	t.Logf("error: %v", err)
	if err == nil || strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("error text names the vendor's address: %v", err)
	}
}

// The vendor's nested error message is clipped to 120 bytes BEFORE the
// signature is redacted, so a message that echoes the signature leaks
// most of it.
func TestEchoedSignatureIsRedactedBeforeClipping(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get("Authorization")
		_, sig, _ := strings.Cut(a, "signature=")
		sig, _, _ = strings.Cut(sig, ",")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"type":"request_unauthenticated","message":"bad","errors":[{"type":"signature.mismatch","message":"Signature %s does not match"}]}`, sig)
	}))
	defer srv.Close()
	now := time.Unix(1780000000, 0)
	cl := New(Config{BaseURL: srv.URL, APIKey: "key-1234", Secret: "sec-5678", Now: func() time.Time { return now }})
	_, err := cl.Fetch(context.Background(), srv.Client(), hotelrates.Credential{}, hotelrates.Query{Stay: testStay, HotelIDs: []string{"2000014"}})
	sig := Signature("key-1234", "sec-5678", now.Unix())
	t.Logf("error: %v", err)
	if strings.Contains(err.Error(), sig[:64]) {
		t.Errorf("error text holds the first half of the signature")
	}
}

func TestMalformedCodeIsNotSent(t *testing.T) {
	e := newEnv(t, testConfig())
	good := withOffers(testStay)
	_, err := e.fetch([]string{good, "RAPID-1"}, testStay)
	t.Logf("err: %v", err)
	if err != nil {
		t.Errorf("one malformed code fails the whole batch: %v", err)
	}
}
