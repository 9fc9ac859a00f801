package vendorhttp

import (
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"hotelrates"
)

// readBodyCase is one case of TestReadBody.
type readBodyCase struct {
	name      string
	body      string
	announced int64 // resp.ContentLength (-1: unknown)
	want      string
	wantErr   bool
	readLimit int64 // 0: the test's limit
}

func TestReadBody(t *testing.T) {
	const limit = 64
	long := strings.Repeat("x", limit+1)
	tests := []readBodyCase{
		{"known length", `{"ok":true}`, 11, `{"ok":true}`, false, 0},
		{"unknown length", `{"ok":true}`, -1, `{"ok":true}`, false, 0},
		{"empty", "", 0, "", false, 0},
		{"announced shorter than sent", "abcdef", 2, "abcdef", false, 0},
		{"announced longer than sent", "ab", 50, "ab", false, 0},
		{"announced far past the limit", "ab", 1 << 40, "ab", false, 0},
		{"at the limit", long[:limit], limit, long[:limit], false, 0},
		{"past the limit", long, int64(len(long)), "", true, 0},
		{"past the limit, unknown length", long, -1, "", true, 0},
		{"a limit below zero", "ab", 2, "", true, -5},
		{"no limit", long, int64(len(long)), long, false, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &closeCounter{Reader: strings.NewReader(tt.body)}
			resp := &http.Response{StatusCode: 200, Body: body, ContentLength: tt.announced}
			got, err := ReadBody("solo", resp, tt.limit(limit))
			if body.closed != 1 {
				t.Errorf("body closed %d times, want 1", body.closed)
			}
			if tt.wantErr {
				var ve *hotelrates.VendorError
				if !errors.As(err, &ve) || ve.Kind != hotelrates.ErrBadResponse {
					t.Fatalf("err = %v, want an ErrBadResponse", err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("ReadBody = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func (tt readBodyCase) limit(def int64) int64 {
	if tt.readLimit != 0 {
		return tt.readLimit
	}
	return def
}

func TestReadBodyOfKnownLengthAllocatesOnce(t *testing.T) {
	const answer = `{"hotel_id":"H00007","currency":"USD","offers":[{"room":"Deluxe King","board":"RO","price":"695.59","refundable":false},{"room":"Family Room","board":"AI","price":"1058.49","refundable":true}]}`
	r := strings.NewReader(answer)
	resp := &http.Response{StatusCode: 200, Body: io.NopCloser(r), ContentLength: int64(len(answer))}
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(answer)
		if b, err := ReadBody("solo", resp, MaxBody); err != nil || len(b) != len(answer) {
			t.Fatalf("ReadBody: %d bytes, %v", len(b), err)
		}
	})
	if allocs > 1 {
		t.Errorf("ReadBody allocates %v times per body of known length, want 1", allocs)
	}
}

type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error {
	c.closed++
	return nil
}

// FuzzReadBody holds ReadBody to io.ReadAll over a limit reader, the
// simple reading it replaces, whatever length the vendor announces.
func FuzzReadBody(f *testing.F) {
	f.Add([]byte(`{"ok":true}`), int64(11), int64(64))
	f.Add([]byte("ab"), int64(-1), int64(1))
	f.Add([]byte(""), int64(1<<40), int64(0))
	f.Fuzz(func(t *testing.T, body []byte, announced, limit int64) {
		limit = max(limit%(1<<12), 0)
		resp := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(string(body))), ContentLength: announced}
		got, err := ReadBody("v", resp, limit)
		want, _ := io.ReadAll(io.LimitReader(strings.NewReader(string(body)), limit+1))
		if over := int64(len(want)) > limit; over != (err != nil) {
			t.Fatalf("err = %v for a body of %d bytes and a limit of %d", err, len(body), limit)
		} else if !over && string(got) != string(want) {
			t.Fatalf("ReadBody = %q, want %q", got, want)
		}
	})
}
