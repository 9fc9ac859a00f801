package archive

import (
	"bytes"
	"encoding/json"
	"math"
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
	})
}
