package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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
}

// APIError is an error answer from the server.
type APIError struct {
	Status int
	ErrorDetail
}

func (e *APIError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("HTTP %d %s: %s (field %s)", e.Status, e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// Stream runs a search as an NDJSON stream, calling onHotel for each hotel
// as it arrives, and returns the summary line.
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
		var eb ErrorBody
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &eb) != nil || eb.Error.Code == "" {
			return Summary{}, &APIError{Status: resp.StatusCode, ErrorDetail: ErrorDetail{Code: "http", Message: strings.TrimSpace(string(b))}}
		}
		return Summary{}, &APIError{Status: resp.StatusCode, ErrorDetail: eb.Error}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
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
	return Summary{}, fmt.Errorf("stream ended without a summary")
}
