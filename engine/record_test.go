package engine

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"hotelrates"
)

// seen keeps what a WriteAheadRecorder is given.
type seen struct {
	mu         sync.Mutex
	begun, exs []hotelrates.Exchange
}

func (r *seen) Begin(ex hotelrates.Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.begun = append(r.begun, ex)
}

func (r *seen) Record(_ context.Context, ex hotelrates.Exchange) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exs = append(r.exs, ex)
	return true
}

// The vendor gets every byte of a request body, whatever its size; the
// archive record keeps the first maxBody bytes, and so does the
// response side.
func TestRecordingTransportSendsWholeBodies(t *testing.T) {
	const recordCap = 4 << 10
	tests := []struct {
		name string
		size int
	}{
		{"small", 100},
		{"at the record cap", recordCap},
		{"past the record cap", 3*recordCap + 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A JSON string of tt.size bytes in all.
			body := append(append([]byte(`{"d":"`), bytes.Repeat([]byte("x"), tt.size-8)...), `"}`...)
			var got int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got = len(b)
				w.Header().Set("Content-Type", "application/json")
				w.Write(b)
			}))
			defer srv.Close()
			rec := &seen{}
			rt := newRecordingTransport(srv.Client().Transport, "v", rec, nil)
			rt.maxBody = recordCap // maxRecordedBody, smaller: redacting a MiB is slow under -race
			c := &http.Client{Transport: rt}
			resp, err := c.Post(srv.URL, "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			echoed, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got != tt.size || len(echoed) != tt.size {
				t.Fatalf("vendor got %d bytes, client read %d, of %d", got, len(echoed), tt.size)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			exs := rec.exs
			if len(exs) != 1 || len(rec.begun) != 1 {
				t.Fatalf("%d records, %d begun", len(exs), len(rec.begun))
			}
			want := min(tt.size, recordCap)
			ex := exs[0]
			if len(ex.RequestBody) != want || len(ex.ResponseBody) != want || len(rec.begun[0].RequestBody) != want {
				t.Errorf("recorded request %d, response %d, begun %d bytes; want %d", len(ex.RequestBody), len(ex.ResponseBody), len(rec.begun[0].RequestBody), want)
			}
			if !strings.HasPrefix(ex.RequestBody, `{"d":"xxxx`) {
				t.Error("recorded body is not the request's")
			}
		})
	}
}

// A gzip answer to a client that asked for gzip itself is archived
// decompressed, so its secrets are redacted by name like any JSON; a
// truncated gzip stream keeps what decompressed.
func TestRecordingTransportDecompressesGzipBodies(t *testing.T) {
	answer := `{"session_token":"tok-abcdef123456","hotels":[{"code":1126}]}`
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(answer))
	zw.Close()
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"whole", zipped.Bytes(), `{"session_token":"[REDACTED]","hotels":[{"code":1126}]}`},
		{"truncated", zipped.Bytes()[:zipped.Len()-12], ""}, // what decompressed, without the secret's value
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(tt.body)
			}))
			defer srv.Close()
			rec := &seen{}
			c := &http.Client{Transport: newRecordingTransport(srv.Client().Transport, "v", rec, nil)}
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.ReadAll(resp.Body)
			resp.Body.Close()
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.exs) != 1 {
				t.Fatalf("%d records", len(rec.exs))
			}
			got := rec.exs[0].ResponseBody
			if tt.want != "" && got != tt.want {
				t.Errorf("archived %q, want %q", got, tt.want)
			}
			if strings.Contains(got, "tok-abcdef123456") || strings.ContainsRune(got, 0x1f) {
				t.Errorf("archived %q: a secret or compressed bytes", got)
			}
		})
	}
}

// keepRecorder keeps every record (a Recorder without a journal).
type keepRecorder struct{ ex []hotelrates.Exchange }

func (k *keepRecorder) Record(_ context.Context, e hotelrates.Exchange) bool {
	k.ex = append(k.ex, e)
	return true
}

// A record keeps at most maxRecordedBody bytes of a request body, and
// not, through a substring, the whole body that was sent.
func TestRecordDoesNotRetainTheWholeRequestBody(t *testing.T) {
	rec := &keepRecorder{}
	hc := &http.Client{Transport: newRecordingTransport(memTransport{body: `{}`}, "v", rec, nil)}
	body := strings.Repeat("x", 8<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 8 {
		req, _ := http.NewRequest(http.MethodPost, "http://vendor.invalid/", strings.NewReader(body))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if kept := int64(after.HeapAlloc) - int64(before.HeapAlloc); kept > 16*maxRecordedBody {
		t.Errorf("8 records keep %d MiB, want about 8 MiB", kept>>20)
	}
	if n := len(rec.ex[0].RequestBody); n != maxRecordedBody {
		t.Errorf("a record keeps %d bytes of the body, want %d", n, maxRecordedBody)
	}
	runtime.KeepAlive(rec)
}

// writeCounter counts the writes made to the connections it dials.
type writeCounter struct {
	mu     sync.Mutex
	writes int
}

type countedConn struct {
	net.Conn
	c *writeCounter
}

func (c countedConn) Write(p []byte) (int, error) {
	c.c.mu.Lock()
	c.c.writes++
	c.c.mu.Unlock()
	return c.Conn.Write(p)
}

// A recorded request with a small body goes to the vendor in one write,
// headers and body together, as the bare transport sends it: a body
// net/http does not know to be in memory makes it flush the headers
// first (two syscalls and two packets per vendor call).
func TestRecordingTransportSendsARequestInOneWrite(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	for _, tt := range []struct {
		name   string
		record bool
	}{{"bare transport", false}, {"recording transport", true}} {
		t.Run(tt.name, func(t *testing.T) {
			wc := &writeCounter{}
			base := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return countedConn{conn, wc}, nil
			}}
			defer base.CloseIdleConnections()
			var rt http.RoundTripper = base
			if tt.record {
				rt = newRecordingTransport(base, "v", &seen{}, nil)
			}
			c := &http.Client{Transport: rt}
			for i := range 3 {
				wc.mu.Lock()
				wc.writes = 0
				wc.mu.Unlock()
				resp, err := c.Post(srv.URL, "application/json", strings.NewReader(`{"hotels":["h1"],"n":`+strconv.Itoa(i)+`}`))
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				wc.mu.Lock()
				n := wc.writes
				wc.mu.Unlock()
				if n != 1 {
					t.Fatalf("call %d: the request took %d writes, want 1", i, n)
				}
			}
		})
	}
}
