package engine

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"hotelrates"
)

// discardRecorder is a WriteAheadRecorder that keeps nothing.
type discardRecorder struct{}

func (discardRecorder) Begin(hotelrates.Exchange)                        {}
func (discardRecorder) Record(context.Context, hotelrates.Exchange) bool { return true }

// memTransport answers every request at once with body, as a vendor would
// over HTTP/1.1 (Content-Length known).
type memTransport struct{ body string }

func (m memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	h := http.Header{"Content-Type": {"application/json"}, "Date": {"Wed, 02 Dec 2026 12:00:00 GMT"}, "Content-Length": {strconv.Itoa(len(m.body))}}
	return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(strings.NewReader(m.body)), ContentLength: int64(len(m.body)), Request: req}, nil
}

// BenchmarkRecordingTransport is what recording one vendor exchange costs
// the call: a POST with a bearer token and a small JSON body, and a 2 KB
// JSON answer, redacted and handed to a recorder that keeps nothing (the
// archive's own cost is measured in package archive).
func BenchmarkRecordingTransport(b *testing.B) {
	answer := `{"hotel_id":"H000123","offers":[` + strings.Repeat(`{"offer_id":"solo-H000123-2027-04-01-2027-04-03-2-1-std","room":"Standard double","board":"room only","refundable":true,"total":{"amount":"312.40","currency":"USD"}},`, 12) + `{"offer_id":"x"}]}`
	t := newRecordingTransport(memTransport{body: answer}, "solo", discardRecorder{}, []string{"client-secret-value"})
	hc := &http.Client{Transport: t}
	body := `{"hotel_id":"H000123","check_in":"2027-04-01","check_out":"2027-04-03","adults":2,"rooms":1,"currency":"USD"}`
	ctx := hotelrates.ContextWithCall(context.Background(), hotelrates.Call{SearchID: "s1", Kind: hotelrates.CallRates})
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://vendor.invalid/solo/availability", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.tokenpayload.signature")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
