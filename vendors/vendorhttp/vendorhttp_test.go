package vendorhttp

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"hotelrates"
)

func TestReadBody(t *testing.T) {
	const limit = 64
	long := strings.Repeat("x", limit+1)
	tests := []struct {
		name      string
		body      string
		announced int64 // resp.ContentLength (-1: unknown)
		want      string
		wantErr   bool
	}{
		{"known length", `{"ok":true}`, 11, `{"ok":true}`, false},
		{"unknown length", `{"ok":true}`, -1, `{"ok":true}`, false},
		{"empty", "", 0, "", false},
		{"announced shorter than sent", "abcdef", 2, "abcdef", false},
		{"announced longer than sent", "ab", 50, "ab", false},
		{"announced far past the limit", "ab", 1 << 40, "ab", false},
		{"at the limit", long[:limit], limit, long[:limit], false},
		{"past the limit", long, int64(len(long)), "", true},
		{"past the limit, unknown length", long, -1, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &closeCounter{Reader: strings.NewReader(tt.body)}
			resp := &http.Response{StatusCode: 200, Body: body, ContentLength: tt.announced}
			got, err := ReadBody("solo", resp, limit)
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
