package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client calls a hotelrates server's API.
type Client struct {
	// BaseURL is the server's root, such as http://127.0.0.1:8080.
	BaseURL string
	// HTTP defaults to http.DefaultClient.
	HTTP *http.Client
	// APIKey, if set, is sent as "Authorization: Bearer APIKey".
	APIKey string
}

// APIError is an error answer from the server.
type APIError struct {
	// Status is the answer's HTTP status code.
	Status int
	// ErrorDetail is the answer's error, or code "http" and the body as message.
	ErrorDetail
}

// Error implements error.
func (e *APIError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("HTTP %d %s: %s (field %s)", e.Status, e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// Bounds on what the client reads of an answer.
const (
	// maxErrorBody bounds how much of an error answer is read.
	maxErrorBody = 1 << 20
	// maxStreamLine bounds one line of an NDJSON stream; a longer line is
	// an error (bufio.ErrTooLong).
	maxStreamLine = 16 << 20
)

// Stream runs a search as an NDJSON stream, calling onHotel for each hotel
// as it arrives, and returns the summary line. A nil onHotel skips the
// hotel lines without decoding them.
func (c *Client) Stream(ctx context.Context, req SearchRequest, onHotel func(Hotel)) (Summary, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Summary{}, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.BaseURL, "/")+"/v1/search", bytes.NewReader(body))
	if err != nil {
		return Summary{}, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", ndjson)
	if c.APIKey != "" {
		hr.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return Summary{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Summary{}, decodeError(resp.StatusCode, resp.Body)
	}
	return decodeStream(resp.Body, maxStreamLine, onHotel)
}

// decodeError turns an error answer with the given status into an
// *APIError, never nil and always with a Code: the body's error object, or
// code "http" with the body (at most maxErrorBody bytes of it, trimmed) as
// the message when the body is not a JSON error with a code.
func decodeError(status int, r io.Reader) *APIError {
	var eb ErrorBody
	b, _ := io.ReadAll(io.LimitReader(r, maxErrorBody))
	if json.Unmarshal(b, &eb) != nil || eb.Error.Code == "" {
		return &APIError{Status: status, ErrorDetail: ErrorDetail{Code: "http", Message: strings.TrimSpace(string(b))}}
	}
	return &APIError{Status: status, ErrorDetail: eb.Error}
}

// decodeStream reads an NDJSON search stream from r, calling onHotel for
// each "hotel" line in order, and returns the first "summary" line without
// reading further. Lines of another type are skipped; a line that is not
// a JSON object with a string "type" (an empty line included), a hotel or
// summary line that does not decode, a line of maxLine bytes or more, and
// a stream that ends before a summary are errors, returned with a zero
// Summary (onHotel may have been called for the hotels before).
func decodeStream(r io.Reader, maxLine int, onHotel func(Hotel)) (Summary, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, min(64<<10, maxLine)), maxLine)
	for sc.Scan() {
		if onHotel == nil && bytes.HasPrefix(sc.Bytes(), hotelLinePrefix) {
			continue // the caller wants the summary only: skip decoding hotels
		}
		var probe struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &probe); err != nil {
			return Summary{}, fmt.Errorf("bad stream line: %w", err)
		}
		switch probe.Type {
		case "hotel":
			var h Hotel
			if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
				return Summary{}, fmt.Errorf("bad hotel line: %w", err)
			}
			onHotel(h)
		case "summary":
			var s Summary
			if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
				return Summary{}, fmt.Errorf("bad summary line: %w", err)
			}
			return s, nil
		}
	}
	if err := sc.Err(); err != nil {
		return Summary{}, err
	}
	return Summary{}, errNoSummary
}

// hotelLinePrefix starts every hotel line the server writes.
var hotelLinePrefix = []byte(`{"type":"hotel"`)

// errNoSummary is decodeStream's error for a stream that ends cleanly
// before its summary line.
var errNoSummary = errors.New("stream ended without a summary")
