package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/goleak"

	"hotelrates"
	"hotelrates/engine"
	"hotelrates/httpapi"
	"hotelrates/sandbox"
	"hotelrates/vendorsim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type env struct {
	sim *vendorsim.Sim
	eng *engine.Engine
	srv *httptest.Server
}

func setup(t *testing.T, mutate func(*sandbox.Config)) *env {
	t.Helper()
	cfg := sandbox.DefaultConfig()
	cfg.Vendors.Solo.Latency.Base = 2 * time.Millisecond
	cfg.Vendors.Bulk.Latency.Base = 3 * time.Millisecond
	cfg.Vendors.Session.Latency.Base = 3 * time.Millisecond
	if mutate != nil {
		mutate(&cfg)
	}
	sim, err := vendorsim.Start(cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var vcs []engine.VendorConfig
	for _, v := range vendorsim.Clients(sim.URL(), cfg) {
		vcs = append(vcs, engine.VendorConfig{Vendor: v, Concurrency: cfg.Vendors.Get(v.Info().Name).Concurrency})
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector())
	eng, err := engine.New(engine.Options{Vendors: vcs, Metrics: engine.NewMetrics(reg), DefaultTimeout: 10 * time.Second, MaxTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{Engine: eng, Gatherer: reg, MaxBodyBytes: 64 << 10, Now: fixedNow}))
	t.Cleanup(func() {
		srv.Close()
		eng.Close(context.Background())
		sim.Close()
	})
	return &env{sim: sim, eng: eng, srv: srv}
}

func post(t *testing.T, url, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

const okBody = `{"hotel_ids":["H00001","H00002","H00003","H00004","H00005"],"check_in":"2027-03-10","check_out":"2027-03-13","adults":2,"rooms":1,"currency":"GBP"}`

func TestSearchJSONEqualsGroundTruth(t *testing.T) {
	e := setup(t, nil)
	resp := post(t, e.srv.URL+"/v1/search", okBody, nil)
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var out httpapi.SearchResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if !out.Complete || len(out.Hotels) != 5 || len(out.Vendors) != 3 || out.SearchID == "" {
		t.Fatalf("answer %+v", out)
	}
	stay := hotelrates.Stay{CheckIn: hotelrates.MustDate("2027-03-10"), CheckOut: hotelrates.MustDate("2027-03-13"), Adults: 2, Rooms: 1, Currency: "GBP"}
	for _, h := range out.Hotels {
		n := 0
		for _, v := range sandbox.VendorNames {
			n += len(sandbox.Offers(v, h.HotelID, stay))
		}
		if len(h.Offers) != n || h.Offers == nil {
			t.Errorf("%s: %d offers, want %d", h.HotelID, len(h.Offers), n)
		}
		for _, o := range h.Offers {
			found := false
			for _, w := range sandbox.Offers(o.Vendor, h.HotelID, stay) {
				found = found || (w.Room == o.Room && w.Board == o.Board && w.Total == o.Total && w.Refundable == o.Refundable && w.CancelDeadline.Equal(o.CancelDeadline))
			}
			if !found {
				t.Errorf("%s: offer %+v not in ground truth", h.HotelID, o)
			}
		}
	}
	for _, v := range out.Vendors {
		if v.Status != "ok" || v.HotelsRequested != 5 || v.HotelsAnswered != 5 {
			t.Errorf("vendor %+v", v)
		}
	}
}

func TestSearchStreamsNDJSON(t *testing.T) {
	e := setup(t, nil)
	body := `{"hotel_ids":` + idsJSON(1, 60) + `,"check_in":"2027-03-10","check_out":"2027-03-11"}`
	resp := post(t, e.srv.URL+"/v1/search", body, map[string]string{"Accept": "application/x-ndjson"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	hotels := map[string]bool{}
	var last map[string]any
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		if last != nil && last["type"] == "summary" {
			t.Fatal("a line after the summary")
		}
		last = line
		if line["type"] == "hotel" {
			id := line["hotel_id"].(string)
			if hotels[id] {
				t.Errorf("%s twice", id)
			}
			hotels[id] = true
		}
	}
	if len(hotels) != 60 || last["type"] != "summary" || last["complete"] != true || last["hotels"] != float64(60) {
		t.Errorf("%d hotels, last line %v", len(hotels), last)
	}
}

func idsJSON(from, to int) string {
	b, _ := json.Marshal(sandbox.HotelIDs(from, to))
	return string(b)
}

func TestBadInput(t *testing.T) {
	e := setup(t, nil)
	big := `{"hotel_ids":` + idsJSON(1, 5001) + `,"check_in":"2027-03-10","check_out":"2027-03-11"}`
	huge := `{"hotel_ids":["` + strings.Repeat("H", 70<<10) + `"],"check_in":"2027-03-10","check_out":"2027-03-11"}`
	tests := []struct {
		name, method, path, body, ctype string
		status                          int
		code, field                     string
	}{
		{"malformed", "POST", "/v1/search", `{"hotel_ids":[`, "", 400, "invalid_argument", ""},
		{"not an object", "POST", "/v1/search", `[1,2]`, "", 400, "invalid_argument", ""},
		{"empty body", "POST", "/v1/search", ``, "", 400, "invalid_argument", ""},
		{"trailing data", "POST", "/v1/search", okBody + `{}`, "", 400, "invalid_argument", ""},
		{"unknown field", "POST", "/v1/search", `{"hotel_ids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11","nights":2}`, "", 400, "invalid_argument", "nights"},
		{"wrong type", "POST", "/v1/search", `{"hotel_ids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11","adults":"two"}`, "", 400, "invalid_argument", "adults"},
		{"child too old", "POST", "/v1/search", `{"hotel_ids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11","children":[9,18]}`, "", 400, "invalid_argument", "children[1]"},
		{"children not ages", "POST", "/v1/search", `{"hotel_ids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11","children":["nine"]}`, "", 400, "invalid_argument", "children"},
		{"too many children", "POST", "/v1/search", `{"hotel_ids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11","children":[1,2,3,4,5,6,7]}`, "", 400, "invalid_argument", "children"},
		{"no hotels", "POST", "/v1/search", `{"hotel_ids":[],"check_in":"2027-03-10","check_out":"2027-03-11"}`, "", 400, "invalid_argument", "hotel_ids"},
		{"too many hotels", "POST", "/v1/search", big, "", 400, "invalid_argument", "hotel_ids"},
		{"bad date", "POST", "/v1/search", `{"hotel_ids":["H00001"],"check_in":"2027-02-30","check_out":"2027-03-11"}`, "", 400, "invalid_argument", "check_in"},
		{"missing check_out", "POST", "/v1/search", `{"hotel_ids":["H00001"],"check_in":"2027-03-10"}`, "", 400, "invalid_argument", "check_out"},
		{"reversed dates", "POST", "/v1/search", `{"hotel_ids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-09"}`, "", 400, "invalid_argument", "check_out"},
		{"31 nights", "POST", "/v1/search", `{"hotel_ids":["H00001"],"check_in":"2027-03-01","check_out":"2027-04-01"}`, "", 400, "invalid_argument", "check_out"},
		{"unknown vendor", "POST", "/v1/search", `{"hotel_ids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11","vendors":["nope"]}`, "", 400, "invalid_argument", "vendors[0]"},
		{"currency", "POST", "/v1/search", `{"hotel_ids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11","currency":"JPY"}`, "", 400, "invalid_argument", "currency"},
		{"timeout", "POST", "/v1/search", `{"hotel_ids":["H00001"],"check_in":"2027-03-10","check_out":"2027-03-11","timeout_ms":-5}`, "", 400, "invalid_argument", "timeout_ms"},
		{"too large", "POST", "/v1/search", huge, "", 413, "too_large", ""},
		{"content type", "POST", "/v1/search", okBody, "text/plain", 415, "unsupported_media", ""},
		{"charset", "POST", "/v1/search", okBody, "application/json; charset=latin1", 415, "unsupported_media", ""},
		{"charset utf-8", "POST", "/v1/search", `{}`, "application/json; charset=UTF-8", 400, "invalid_argument", "check_in"},
		{"wrong method", "GET", "/v1/search", "", "", 405, "method_not_allowed", ""},
		{"wrong method vendors", "DELETE", "/v1/vendors", "", "", 405, "method_not_allowed", ""},
		{"unknown path", "GET", "/v2/nothing", "", "", 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, e.srv.URL+tt.path, strings.NewReader(tt.body))
			ct := tt.ctype
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out httpapi.ErrorBody
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				t.Fatalf("error body is not JSON: %v", err)
			}
			if resp.StatusCode != tt.status || out.Error.Code != tt.code || out.Error.Field != tt.field || out.Error.Message == "" {
				t.Errorf("status %d body %+v, want %d %s field %q", resp.StatusCode, out, tt.status, tt.code, tt.field)
			}
			if tt.status == 405 && resp.Header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
}

// A compressed body is refused as such, not misread as malformed JSON.
func TestContentEncodingRefused(t *testing.T) {
	e := setup(t, nil)
	for _, tt := range []struct {
		encoding string
		status   int
	}{
		{"gzip", 415},
		{"br", 415},
		{"identity", 200},
	} {
		req, _ := http.NewRequest("POST", e.srv.URL+"/v1/search", strings.NewReader(okBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", tt.encoding)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out httpapi.ErrorBody
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != tt.status || (tt.status != 200 && out.Error.Code != "unsupported_media") {
			t.Errorf("Content-Encoding %s: %d %+v, want %d", tt.encoding, resp.StatusCode, out, tt.status)
		}
	}
}

// A body that cannot be read to its end (a stalled client, a broken
// chunked encoding) is a 400 saying so, without the connection's details;
// the largest limit works.
func TestDecodeSearchReadErrorsAndLimits(t *testing.T) {
	broken := io.MultiReader(strings.NewReader(`{"hotel_ids":["H0`), iotest.ErrReader(errors.New("read tcp 10.1.2.3:8080->10.9.9.9:5555: i/o timeout")))
	_, err := httpapi.DecodeSearch(broken, 1<<20)
	var he *hotelrates.Error
	if !errors.As(err, &he) || he.Code != hotelrates.CodeInvalidArgument || !strings.Contains(he.Message, "could not be read") || strings.Contains(he.Message, "10.") {
		t.Errorf("read error: %v", err)
	}
	for _, limit := range []int64{math.MaxInt64, math.MaxInt64 - 1, 1 << 40} {
		if _, err := httpapi.DecodeSearch(strings.NewReader(okBody), limit); err != nil {
			t.Errorf("limit %d: %v", limit, err)
		}
	}
}

func TestOperatorEndpoints(t *testing.T) {
	e := setup(t, nil)
	post(t, e.srv.URL+"/v1/search", okBody, nil)
	for _, tt := range []struct{ path, want string }{
		{"/healthz", `"ok"`},
		{"/readyz", `"ready"`},
		{"/v1/vendors", `"strategy":"single"`},
		{"/metrics", "hotelrates_vendor_calls_total"},
		{"/metrics", "go_goroutines"},
		{"/metrics", "hotelrates_pool_workers"},
		{"/metrics", "hotelrates_token_refreshes_total"},
	} {
		resp, err := http.Get(e.srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(b, []byte(tt.want)) {
			t.Errorf("%s: %d, body lacks %s:\n%.400s", tt.path, resp.StatusCode, tt.want, b)
		}
	}
}

func TestClientDisconnectCancelsVendorWork(t *testing.T) {
	e := setup(t, func(c *sandbox.Config) { c.Vendors.Solo.Latency.Base = 20 * time.Millisecond })
	body := `{"hotel_ids":` + idsJSON(1, 2000) + `,"check_in":"2027-03-10","check_out":"2027-03-11","vendors":["solo"]}`
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/v1/search", strings.NewReader(body))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("search answered before the client gave up")
	}
	time.Sleep(300 * time.Millisecond)
	n := e.sim.Stats()["solo"].RateCalls
	time.Sleep(300 * time.Millisecond)
	// 2000 calls at 16 x 20 ms would take 2.5 s; work stops with the client.
	if m := e.sim.Stats()["solo"].RateCalls; m != n || n > 400 {
		t.Errorf("vendor calls went on after the client left: %d then %d", n, m)
	}
}

func FuzzDecodeSearch(f *testing.F) {
	for _, s := range []string{okBody, `{}`, `[]`, `{"hotel_ids":[1]}`, `{"check_in":"x"}`, `{"timeout_ms":1e99}`, "\x00", `{"adults":-1,"rooms":99}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := httpapi.DecodeSearch(bytes.NewReader(b), 4096)
		if err != nil {
			var he *hotelrates.Error
			code := hotelrates.ErrorCode(err)
			if code != hotelrates.CodeInvalidArgument && code != hotelrates.CodeTooLarge {
				t.Fatalf("decode error with code %s: %v (%T %v)", code, err, err, he)
			}
			return
		}
		_ = s.Validate(hotelrates.Limits{})
		_ = fmt.Sprint(s)
	})
}

func TestOverloadedIs429WithRetryAfterAndReadiness(t *testing.T) {
	cfg := sandbox.DefaultConfig()
	cfg.Vendors.Solo.Latency.Base = 300 * time.Millisecond
	sim, err := vendorsim.Start(cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	eng, err := engine.New(engine.Options{MaxSearches: 1, Vendors: []engine.VendorConfig{{Vendor: vendorsim.Clients(sim.URL(), cfg)[0]}}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close(context.Background())
	var ready error
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{Engine: eng, Ready: func() error { return ready }, Now: fixedNow}))
	defer srv.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.Post(srv.URL+"/v1/search", "application/json", strings.NewReader(okBody))
		if err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(100 * time.Millisecond) // the first search is in progress
	resp := post(t, srv.URL+"/v1/search", okBody, nil)
	var out httpapi.ErrorBody
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 429 || out.Error.Code != "overloaded" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("status %d, %+v, Retry-After %q", resp.StatusCode, out, resp.Header.Get("Retry-After"))
	}
	<-done
	ready = fmt.Errorf("archive spool is full")
	r, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 503 || !bytes.Contains(b, []byte("spool is full")) {
		t.Errorf("readyz %d %s", r.StatusCode, b)
	}
}

// DecodeSearch's errors say what is wrong, where, and repeat at most a
// short piece of the input.
func TestDecodeSearchErrors(t *testing.T) {
	const limit = 512
	long := strings.Repeat("z", 10_000)
	tests := []struct {
		name, body  string
		code, field string
		msg         string // the message contains it
	}{
		{"fractional adults", `{"adults":1.5}`, "invalid_argument", "adults", "adults must be a whole number, not 1.5"},
		{"adults as text", `{"adults":"2"}`, "invalid_argument", "adults", "adults must be a whole number, not a string"},
		{"hotel id not a string", `{"hotel_ids":["H00001",7]}`, "invalid_argument", "hotel_ids", "hotel_ids must hold only strings, not a number"},
		{"hotel_ids not an array", `{"hotel_ids":"H00001"}`, "invalid_argument", "hotel_ids", "hotel_ids must be an array, not a string"},
		{"fresh not a bool", `{"fresh":1}`, "invalid_argument", "fresh", "fresh must be true or false, not a number"},
		{"huge number", `{"rooms":1` + strings.Repeat("0", 300) + `}`, "invalid_argument", "rooms", "..."},
		{"long unknown field", `{"` + long[:400] + `":1}`, "invalid_argument", long[:64] + "...", "unknown field"},
		{"long date", `{"check_in":"` + long[:400] + `","check_out":"2027-01-02"}`, "invalid_argument", "check_in", "is not YYYY-MM-DD"},
		{"trailing white space past the limit", `{}` + strings.Repeat(" ", limit), "too_large", "", "over 512 bytes"},
		{"trailing data", `{} {}`, "invalid_argument", "", "nothing after it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := httpapi.DecodeSearch(strings.NewReader(tt.body), limit)
			var he *hotelrates.Error
			if !errors.As(err, &he) {
				t.Fatalf("error %v is not a *hotelrates.Error", err)
			}
			if string(he.Code) != tt.code || he.Field != tt.field || !strings.Contains(he.Message, tt.msg) {
				t.Errorf("got %s field %q %q; want %s field %q containing %q", he.Code, he.Field, he.Message, tt.code, tt.field, tt.msg)
			}
			if len(he.Message) > 200 || len(he.Field) > 80 {
				t.Errorf("error repeats too much input: %d-byte message, %d-byte field", len(he.Message), len(he.Field))
			}
		})
	}
}
