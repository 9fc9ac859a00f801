package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"hotelrates"
)

// fuzzMaxLine is the line bound FuzzDecodeStream decodes with: small, so
// that the fuzzer reaches it.
const fuzzMaxLine = 512

// streamSeed is a valid stream as the server writes it: two hotels and a
// summary.
func streamSeed(t testing.TB) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	deadline := time.Date(2027, 3, 8, 12, 0, 0, 0, time.UTC)
	for _, h := range []Hotel{
		{Type: "hotel", HotelID: "H00001", Complete: true, Offers: []Offer{
			{Vendor: "solo", Room: "Double", Board: "RO", Total: hotelrates.Money{Minor: 12345, Currency: "USD"}, Refundable: true, CancelDeadline: deadline},
		}, Sources: []Source{{Vendor: "solo", Cached: true, AgeMS: 1200}}},
		{Type: "hotel", HotelID: "H00002", Offers: []Offer{}},
	} {
		if err := enc.Encode(h); err != nil {
			t.Fatal(err)
		}
	}
	sum := Summary{Type: "summary", SearchID: "s-1", Complete: false, ElapsedMS: 87, Hotels: 2, Vendors: []VendorStatus{
		{Vendor: "solo", Status: "ok", HotelsRequested: 2, HotelsAnswered: 2, Calls: 2, ElapsedMS: 80},
		{Vendor: "bulk", Status: "timeout", HotelsRequested: 2, Calls: 1, Errors: 1, ElapsedMS: 87, Error: "deadline exceeded"},
	}}
	if err := enc.Encode(sum); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const errorBodySeed = `{"error":{"code":"invalid_argument","message":"check_in is required (YYYY-MM-DD)","field":"check_in"}}` + "\n"

// decoded is one run of decodeStream.
type decoded struct {
	hotels []Hotel
	sum    Summary
	err    error
}

func decodeAll(r io.Reader, maxLine int) decoded {
	var d decoded
	d.sum, d.err = decodeStream(r, maxLine, func(h Hotel) { d.hotels = append(d.hotels, h) })
	return d
}

func sameDecoded(a, b decoded) bool {
	if (a.err == nil) != (b.err == nil) || a.err != nil && a.err.Error() != b.err.Error() {
		return false
	}
	return reflect.DeepEqual(a.hotels, b.hotels) && reflect.DeepEqual(a.sum, b.sum)
}

// FuzzDecodeStream checks what decodeStream promises: no panic; a hotel
// delivered only for a "hotel" line; a zero Summary with every error; a
// "summary" line on success, after which nothing is read; an over-long
// line only as bufio.ErrTooLong; the same answer however the input is cut
// into reads; and read errors passed on, not taken for the end of the
// stream.
func FuzzDecodeStream(f *testing.F) {
	valid := streamSeed(f)
	lines := bytes.SplitAfter(valid, []byte("\n"))
	summaryLine := lines[2]
	long := `{"type":"hotel","hotel_id":"H00003","offers":[],"pad":"` + strings.Repeat("x", fuzzMaxLine) + `"}` + "\n"
	for _, s := range [][]byte{
		valid,
		[]byte(errorBodySeed),
		{},
		valid[:len(lines[0])+len(lines[1])/2], // truncated in the second hotel
		valid[:len(valid)-8],                  // truncated in the summary
		[]byte(long + string(summaryLine)),    // a line over the bound
		append(append([]byte{}, lines[0]...), lines[1]...),            // no summary
		[]byte(`{"type":"promo","x":1}` + "\n" + string(summaryLine)), // unknown type, skipped
		[]byte(`{"type":"hotel","hotel_id":7}` + "\n"),                // wrong JSON types
		[]byte(`{"type":"summary","hotels":"2","vendors":{}}` + "\n"),
		[]byte(`{"type":5}` + "\n"),
		[]byte(`{"type":"hotel","offers":[{"total":{"amount":"1.234","currency":"USD"}}]}` + "\n"),
		[]byte("null\n[]\n\"hotel\"\n"),
		[]byte("\n" + string(summaryLine)), // an empty line
		bytes.ReplaceAll(valid, []byte("\n"), []byte("\r\n")),
		append(append([]byte{}, valid...), "{garbage after the summary"...),
	} {
		f.Add(s)
	}
	errBoom := errors.New("boom")
	f.Fuzz(func(t *testing.T, b []byte) {
		d := decodeAll(bytes.NewReader(b), fuzzMaxLine)
		if len(d.hotels) > bytes.Count(b, []byte("\n"))+1 {
			t.Fatalf("%d hotels from %d lines", len(d.hotels), bytes.Count(b, []byte("\n"))+1)
		}
		for i, h := range d.hotels {
			if h.Type != "hotel" {
				t.Fatalf("hotel %d has type %q", i, h.Type)
			}
		}
		if d.err != nil {
			if !reflect.DeepEqual(d.sum, Summary{}) {
				t.Fatalf("error %v with summary %+v", d.err, d.sum)
			}
			if errors.Is(d.err, bufio.ErrTooLong) && !hasLineOver(b, fuzzMaxLine-1) {
				t.Fatalf("ErrTooLong without a line of %d bytes", fuzzMaxLine)
			}
		} else if d.sum.Type != "summary" {
			t.Fatalf("summary of type %q", d.sum.Type)
		}

		// However the input is cut into reads, the answer is the same.
		if one := decodeAll(iotest.OneByteReader(bytes.NewReader(b)), fuzzMaxLine); !sameDecoded(d, one) {
			t.Fatalf("one byte at a time: %+v\nat once: %+v", one, d)
		}

		// A read error after the input: a stream that had a summary still
		// does; one that ended without reports the read error.
		broken := decodeAll(iotest.DataErrReader(&failAfter{b: b, err: errBoom}), fuzzMaxLine)
		switch {
		case d.err == nil || !errors.Is(d.err, errNoSummary):
			if !sameDecoded(d, broken) {
				t.Fatalf("with a read error after: %+v\nwithout: %+v", broken, d)
			}
		case !errors.Is(broken.err, errBoom):
			t.Fatalf("read error lost: %v", broken.err)
		}

		if d.err != nil {
			return
		}
		// Nothing after the summary is read.
		more := append(append([]byte{}, b...), "\n{not json"...)
		if m := decodeAll(bytes.NewReader(more), fuzzMaxLine); !sameDecoded(d, m) {
			t.Fatalf("data after the summary changed the answer: %+v\nwas %+v", m, d)
		}
		// A larger bound changes no successful answer.
		if m := decodeAll(bytes.NewReader(b), maxStreamLine); !sameDecoded(d, m) {
			t.Fatalf("with the real bound: %+v\nwith %d: %+v", m, fuzzMaxLine, d)
		}
	})
}

// hasLineOver reports whether b holds a line (its \n not counted) of more
// than n bytes.
func hasLineOver(b []byte, n int) bool {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if len(line) > n {
			return true
		}
	}
	return false
}

// failAfter reads b, then fails with err instead of io.EOF.
type failAfter struct {
	b   []byte
	err error
}

func (r *failAfter) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, r.err
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// FuzzDecodeError checks decodeError: no panic, always an *APIError with
// the status and a code, the body's error object when it has one with a
// code, and the trimmed body as an "http" error otherwise.
func FuzzDecodeError(f *testing.F) {
	for _, s := range []string{
		errorBodySeed,
		`{"error":{"code":"overloaded","message":"too many searches"}}`,
		"",
		errorBodySeed[:40],
		`{"error":{}}`,
		`{"error":{"code":5,"message":["x"]}}`,
		`{"error":"bad"}`,
		"<html><body>502 Bad Gateway</body></html>\n",
		"  upstream connect error  \n",
		`{"error":{"code":"x"}} trailing`,
		"\xff\xfe",
	} {
		f.Add(503, []byte(s))
	}
	f.Add(-1, []byte(`{"error":{"code":"x","field":"f"}}`))
	f.Fuzz(func(t *testing.T, status int, b []byte) {
		e := decodeError(status, bytes.NewReader(b))
		if e == nil {
			t.Fatal("nil error")
		}
		if e.Status != status || e.Code == "" {
			t.Fatalf("status %d code %q from status %d", e.Status, e.Code, status)
		}
		var eb ErrorBody
		if json.Unmarshal(b, &eb) == nil && eb.Error.Code != "" {
			if e.ErrorDetail != eb.Error {
				t.Fatalf("got %+v; the body says %+v", e.ErrorDetail, eb.Error)
			}
		} else if e.Code != "http" || e.Field != "" || e.Message != strings.TrimSpace(string(b)) {
			t.Fatalf("got %+v for a body that is not a JSON error: %q", e.ErrorDetail, b)
		}
		msg := e.Error()
		if !strings.Contains(msg, e.Code) || e.Field != "" && !strings.Contains(msg, e.Field) {
			t.Fatalf("Error() = %q for %+v", msg, e.ErrorDetail)
		}
	})
}

// The real bounds: a stream line of maxStreamLine bytes or more is an
// error, a shorter one is not; an error answer is read up to maxErrorBody.
func TestDecodeBounds(t *testing.T) {
	summary := `{"type":"summary","hotels":0}`
	pad := func(n int) string { // an unknown-type line of n bytes
		const head, tail = `{"type":"pad","x":"`, `"}`
		return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
	}
	if _, err := decodeStream(strings.NewReader(pad(maxStreamLine-1)+"\n"+summary), maxStreamLine, nil); err != nil {
		t.Errorf("line of %d bytes: %v", maxStreamLine-1, err)
	}
	if _, err := decodeStream(strings.NewReader(pad(maxStreamLine)+"\n"+summary), maxStreamLine, nil); !errors.Is(err, bufio.ErrTooLong) {
		t.Errorf("line of %d bytes: %v, want bufio.ErrTooLong", maxStreamLine, err)
	}
	e := decodeError(502, strings.NewReader(strings.Repeat("y", 2*maxErrorBody)))
	if e.Code != "http" || len(e.Message) != maxErrorBody {
		t.Errorf("error answer over the bound: code %q, %d-byte message", e.Code, len(e.Message))
	}
}
