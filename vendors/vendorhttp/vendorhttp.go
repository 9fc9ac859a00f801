// Package vendorhttp holds the HTTP plumbing the vendor client adapters
// share: reading bounded bodies, classifying failed answers into
// *hotelrates.VendorError, and parsing Retry-After.
package vendorhttp

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"hotelrates"
)

// MaxBody is the largest vendor answer a client reads (8 MiB).
const MaxBody = 8 << 20

// ReadBody reads and closes resp.Body, failing past limit bytes. A body cut
// short (connection dropped) is an ErrBadResponse.
func ReadBody(vendor string, resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	// Sized from the announced length (up to presizeMax: the announcement
	// is the vendor's word), one byte more so that the read that sees the
	// end does not grow it: one allocation instead of io.ReadAll's
	// doubling from 512 bytes. An unannounced length starts at 512 bytes,
	// as io.ReadAll does.
	limit = max(limit, 0)
	size := int64(512)
	if n := resp.ContentLength; n >= 0 {
		size = min(n, limit, presizeMax) + 1
	}
	over := limit // a byte past the limit, read to tell a body over it
	if over < math.MaxInt64 {
		over++
	}
	b, err := readAll(&io.LimitedReader{R: resp.Body, N: over}, make([]byte, 0, size))
	if err != nil {
		return nil, &hotelrates.VendorError{Vendor: vendor, Kind: hotelrates.ErrBadResponse, Status: resp.StatusCode, Err: fmt.Errorf("reading body: %w", err)}
	}
	if int64(len(b)) > limit {
		return nil, &hotelrates.VendorError{Vendor: vendor, Kind: hotelrates.ErrBadResponse, Status: resp.StatusCode, Err: fmt.Errorf("body over %d bytes", limit)}
	}
	return b, nil
}

// presizeMax bounds the buffer ReadBody sizes from a body's announced
// length.
const presizeMax = 1 << 20

// readAll is io.ReadAll into b (grown as needed). r is concrete so that
// it stays on the caller's stack.
func readAll(r *io.LimitedReader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
	}
}

// ParseRetryAfter parses a Retry-After value, in seconds or as an HTTP
// date, and returns 0 when it is absent or unreadable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 && s < 86400 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// StatusError classifies a non-2xx answer: 401/403 unauthorized, 429
// throttled (with Retry-After), 5xx and 408 unavailable, other 4xx rejected.
// msg is the vendor's own error message, if the caller could read one.
func StatusError(vendor string, resp *http.Response, msg string) *hotelrates.VendorError {
	e := &hotelrates.VendorError{Vendor: vendor, Status: resp.StatusCode}
	if msg != "" {
		e.Err = errors.New(msg)
	}
	switch c := resp.StatusCode; {
	case c == http.StatusUnauthorized || c == http.StatusForbidden:
		e.Kind = hotelrates.ErrUnauthorized
	case c == http.StatusTooManyRequests:
		e.Kind = hotelrates.ErrThrottled
		e.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case c >= 500 || c == http.StatusRequestTimeout:
		e.Kind = hotelrates.ErrUnavailable
		e.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	default:
		e.Kind = hotelrates.ErrRejected
	}
	return e
}

// TransportError wraps a failure to get an answer at all (connection
// refused, reset, timeout) as ErrUnavailable.
func TransportError(vendor string, err error) *hotelrates.VendorError {
	return &hotelrates.VendorError{Vendor: vendor, Kind: hotelrates.ErrUnavailable, Err: err}
}

// DecodeError wraps a body that does not parse as ErrBadResponse.
func DecodeError(vendor string, status int, err error) *hotelrates.VendorError {
	return &hotelrates.VendorError{Vendor: vendor, Kind: hotelrates.ErrBadResponse, Status: status, Err: fmt.Errorf("decoding answer: %w", err)}
}
