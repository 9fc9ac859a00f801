package archive

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"hotelrates"
)

func encodeCases() []hotelrates.Exchange {
	start := time.Date(2027, 3, 10, 12, 30, 45, 123456789, time.UTC)
	return []hotelrates.Exchange{
		{},
		{ID: "i-1", Vendor: "solo", SearchID: "s-1", Kind: hotelrates.CallRates, Start: start, DurationMS: 2.5, Method: "POST",
			URL: "http://127.0.0.1:9090/solo/v1/availability", RequestHeader: map[string][]string{"Content-Type": {"application/json"}, "Authorization": {"[REDACTED]"}, "X-Empty": {}, "X-Nil": nil},
			RequestBody: `{"hotel_id":"H00001"}`, Status: 200, ResponseHeader: map[string][]string{"Date": {"Wed, 02 Dec 2026 06:55:43 GMT"}},
			ResponseBody: "<xml a=\"1\">&amp;\u2028\u2029\x00\x1f\b\f\n\r\t\\\"é\xff\xfe</xml>", Error: "boom", Interrupted: true},
		{Vendor: "v", Start: start.In(time.FixedZone("x", 3600)), DurationMS: 1e-7},
		{Vendor: "v", DurationMS: 1e21},
		{Vendor: "v", DurationMS: 123456.789},
		{Vendor: "v", DurationMS: -0.000001},
	}
}

func TestAppendRecordMatchesEncodingJSON(t *testing.T) {
	for i, ex := range encodeCases() {
		for _, done := range []string{"", "d-1"} {
			want, err := json.Marshal(journalLine{Done: done, Exchange: ex})
			if err != nil {
				t.Fatal(err)
			}
			if got := appendRecord(nil, done, &ex); !bytes.Equal(got, want) {
				t.Errorf("case %d done %q:\n got %s\nwant %s", i, done, got, want)
			}
		}
	}
}

func FuzzAppendRecord(f *testing.F) {
	for _, ex := range encodeCases() {
		f.Add(ex.ID, ex.Vendor, ex.URL, ex.RequestBody, ex.ResponseBody, "Hdr", "val", ex.DurationMS, int64(1_800_000_000_000_000_000), 200, "")
	}
	f.Fuzz(func(t *testing.T, id, vendor, url, reqBody, respBody, hk, hv string, dur float64, startNS int64, status int, done string) {
		if math.IsNaN(dur) || math.IsInf(dur, 0) {
			return // encoding/json refuses them; appendRecord writes 0
		}
		ex := hotelrates.Exchange{ID: id, Vendor: vendor, Kind: hotelrates.CallAuth, Start: time.Unix(0, startNS).UTC(), DurationMS: dur,
			URL: url, RequestBody: reqBody, ResponseBody: respBody, Status: status,
			RequestHeader: map[string][]string{hk: {hv, hk}, "B": {hv}}}
		want, err := json.Marshal(journalLine{Done: done, Exchange: ex})
		if err != nil {
			return
		}
		if got := appendRecord(nil, done, &ex); !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
		if done == "" {
			return
		}
		want, err = json.Marshal(journalLine{Done: done})
		if err != nil {
			return
		}
		if got := appendDone(nil, done); string(got) != string(want)+"\n" {
			t.Fatalf("done line\n got %s\nwant %s", got, want)
		}
	})
}

// begunFrom is what the journal keeps of a begin line of ex.
func begunFrom(ex hotelrates.Exchange) *encodedRequest {
	enc, spans := encodeRecord(nil, "", &ex, nil)
	return newEncodedRequest(append(enc, '\n'), spans, &ex)
}

// A record that copies its request's encoding from the begin line is the
// record encoded from scratch (and encoding/json's), whether or not the
// record's request fields are those the line was encoded from.
func TestEncodeRecordFrom(t *testing.T) {
	changes := map[string]func(ex *hotelrates.Exchange){
		"same":                func(ex *hotelrates.Exchange) {},
		"id":                  func(ex *hotelrates.Exchange) { ex.ID += "2" },
		"no id":               func(ex *hotelrates.Exchange) { ex.ID = "" },
		"vendor":              func(ex *hotelrates.Exchange) { ex.Vendor = "bulk" },
		"search id":           func(ex *hotelrates.Exchange) { ex.SearchID = "s-2" },
		"no search id":        func(ex *hotelrates.Exchange) { ex.SearchID = "" },
		"kind":                func(ex *hotelrates.Exchange) { ex.Kind = hotelrates.CallAuth },
		"start, same instant": func(ex *hotelrates.Exchange) { ex.Start = ex.Start.In(time.FixedZone("y", -7200)) },
		"start":               func(ex *hotelrates.Exchange) { ex.Start = ex.Start.Add(time.Nanosecond) },
		"method":              func(ex *hotelrates.Exchange) { ex.Method = "GET" },
		"url":                 func(ex *hotelrates.Exchange) { ex.URL += "&x=<1>" },
		"body":                func(ex *hotelrates.Exchange) { ex.RequestBody = `{"hotel_id":"H2"}` },
		"no body":             func(ex *hotelrates.Exchange) { ex.RequestBody = "" },
		"new body":            func(ex *hotelrates.Exchange) { ex.RequestBody += "x" },
		"header":              func(ex *hotelrates.Exchange) { ex.RequestHeader = map[string][]string{"A": {"b"}} },
		"header changed in place": func(ex *hotelrates.Exchange) {
			for k := range ex.RequestHeader {
				ex.RequestHeader[k] = []string{"changed after Begin"}
			}
			if ex.RequestHeader != nil {
				ex.RequestHeader["Added-After-Begin"] = []string{"1"}
			}
		},
	}
	for i, base := range append(encodeCases(), exchange("solo", 3, t0), benchExchanges(1)[0]) {
		if base.ID == "" {
			base.ID = "id-1"
		}
		for name, change := range changes {
			b := begun(base)
			if name == "new body" {
				b.RequestBody = ""
			}
			if b.RequestHeader != nil { // a map of its own, for "changed in place"
				h := map[string][]string{}
				for k, v := range b.RequestHeader {
					h[k] = v
				}
				b.RequestHeader = h
			}
			from := begunFrom(b)
			rec := b
			rec.DurationMS, rec.Status, rec.ResponseHeader, rec.ResponseBody = base.DurationMS, base.Status, base.ResponseHeader, base.ResponseBody
			change(&rec)
			got, gotSpans := encodeRecord(nil, "", &rec, from)
			want, wantSpans := encodeRecord(nil, "", &rec, nil)
			if !bytes.Equal(got, want) || gotSpans != wantSpans {
				t.Errorf("case %d, %s:\n got %s %v\nwant %s %v", i, name, got, gotSpans, want, wantSpans)
			}
			if js, err := json.Marshal(rec); err == nil && !bytes.Equal(want, js) {
				t.Errorf("case %d, %s: not encoding/json's:\n got %s\nwant %s", i, name, want, js)
			}
		}
	}
}

// The spans are copied, not encoded again, when their fields match: a
// begin line whose spans are marked shows where the record's bytes came
// from.
func TestEncodeRecordFromCopies(t *testing.T) {
	ex := benchExchanges(1)[0]
	from := begunFrom(begun(ex))
	enc := bytes.Clone(from.enc)
	for _, sp := range [][2]int{from.spans.head, from.spans.call, from.spans.body} {
		if sp[1]-sp[0] < 4 {
			t.Fatalf("span %v too short: %s", sp, from.enc)
		}
		copy(enc[sp[0]:], "@@@@")
	}
	marked := *from
	marked.enc = enc
	got, _ := encodeRecord(nil, "", &ex, &marked)
	if n := bytes.Count(got, []byte("@@@@")); n != 3 {
		t.Errorf("%d spans copied, want 3: %s", n, got)
	}
	ex.URL += "?x"
	ex.Start = ex.Start.Add(time.Second)
	got, _ = encodeRecord(nil, "", &ex, &marked)
	if n := bytes.Count(got, []byte("@@@@")); n != 1 {
		t.Errorf("%d spans copied, want 1 (the body): %s", n, got)
	}
	// The spans hold what their names say.
	line := string(from.enc)
	for _, c := range []struct {
		sp           [2]int
		start, ended string
	}{
		{from.spans.head, `"id":`, `Z"`},
		{from.spans.call, `,"method":`, `/availability"`},
		{from.spans.body, `,"request_body":`, `}"`},
	} {
		s := line[c.sp[0]:c.sp[1]]
		if !strings.HasPrefix(s, c.start) || !strings.HasSuffix(s, c.ended) {
			t.Errorf("span %q", s)
		}
	}
}

func FuzzEncodeRecordFrom(f *testing.F) {
	f.Add("i-1", "solo", "s-1", "http://h/x?a=1", `{"h":"H1"}`, "resp", "Hdr", "val", int64(1_800_000_000_000_000_000), 3600, 2.5, 200, uint16(0), "alt")
	f.Add("", "v", "", "", "", "", "", "", int64(0), 0, 0.0, 0, uint16(0xffff), "")
	f.Add("i\u2028", "<v>", "s&", "\xff", "\x00", "é", "K", "\"", int64(-1), -1, 1e21, 404, uint16(0x5555), "\\")
	f.Fuzz(func(t *testing.T, id, vendor, searchID, url, reqBody, respBody, hk, hv string, startNS int64, zone int, dur float64, status int, diff uint16, alt string) {
		if math.IsNaN(dur) || math.IsInf(dur, 0) {
			return
		}
		b := hotelrates.Exchange{ID: id, Vendor: vendor, SearchID: searchID, Kind: hotelrates.CallRates,
			Start: time.Unix(0, startNS).In(time.FixedZone("z", zone%(26*3600))), Method: "POST", URL: url,
			RequestHeader: map[string][]string{hk: {hv}, "B": {hv, hk}}, RequestBody: reqBody}
		from := begunFrom(b)
		rec := b
		rec.DurationMS, rec.Status, rec.ResponseBody = dur, status, respBody
		rec.ResponseHeader = map[string][]string{"Content-Type": {"application/json"}}
		// Each bit of diff changes one field of the record from the begun.
		for bit, change := range []func(){
			func() { rec.ID = alt }, func() { rec.Vendor = alt }, func() { rec.SearchID = alt },
			func() { rec.Kind = hotelrates.CallKind(alt) }, func() { rec.Start = rec.Start.UTC() },
			func() { rec.Start = rec.Start.Add(time.Duration(len(alt))) }, func() { rec.Method = alt },
			func() { rec.URL = alt }, func() { rec.RequestBody = alt },
			func() { rec.RequestHeader[hk] = []string{alt} }, func() { rec.RequestHeader = nil },
			func() { rec.Interrupted, rec.Error = true, alt },
		} {
			if diff&(1<<bit) != 0 {
				change()
			}
		}
		got, gotSpans := encodeRecord(nil, "", &rec, from)
		want, wantSpans := encodeRecord(nil, "", &rec, nil)
		if !bytes.Equal(got, want) || gotSpans != wantSpans {
			t.Fatalf("\n got %s %v\nwant %s %v", got, gotSpans, want, wantSpans)
		}
		if js, err := json.Marshal(rec); err == nil && !bytes.Equal(want, js) {
			t.Fatalf("not encoding/json's:\n got %s\nwant %s", want, js)
		}
	})
}

// A done line is appendRecord of the ID and an empty exchange: what
// encoding/json writes for journalLine{Done: id}.
func TestAppendDone(t *testing.T) {
	for _, id := range []string{"d", "0123abcdef-1z", `a"b\c<>&`, "\u2028\u2029\x00\xff", strings.Repeat("é", 100)} {
		want, err := json.Marshal(journalLine{Done: id})
		if err != nil {
			t.Fatal(err)
		}
		if got := appendDone(nil, id); string(got) != string(want)+"\n" {
			t.Errorf("%q:\n got %s\nwant %s", id, got, want)
		}
	}
}

// appendTime writes what Time.MarshalJSON does, and null where it fails.
func TestAppendTime(t *testing.T) {
	for _, tm := range []time.Time{
		{}, t0, t0.In(time.FixedZone("x", 5*3600+1800)), t0.Add(123456789), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), t0.In(time.FixedZone("far", 24*3600)),
	} {
		want, err := tm.MarshalJSON()
		if err != nil {
			want = []byte("null")
		}
		if got := appendTime([]byte("x"), tm); string(got) != "x"+string(want) {
			t.Errorf("%v: got %s, want x%s", tm, got, want)
		}
	}
}
