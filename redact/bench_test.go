package redact

import (
	"fmt"
	"strings"
	"testing"

	"hotelrates"
)

// BenchmarkExchange measures redaction of a typical 100-hotel JSON answer
// and of adversarial text bodies (which must stay linear).
func BenchmarkExchange(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"results":[`)
	for i := range 100 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"hotel_id":"H%d","offers":[`, i)
		for j := range 5 {
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"room":"Double %d","board":"BB","price":"%d.50","currency":"EUR","refundable":true,"cancel_before":"2025-11-30T12:00:00Z"}`, j, 100+j)
		}
		sb.WriteString(`]}`)
	}
	sb.WriteString(`],"session_token":"tok-1234567890"}`)
	bodies := map[string]string{
		"json-100-hotels": sb.String(),
		"text-pairs-1MB":  strings.Repeat("a=", 1<<19),
		"text-long-value": "a=" + strings.Repeat("b", 1<<20),
		"text-colons-1MB": strings.Repeat("a:", 1<<19),
		"text-quotes-1MB": strings.Repeat(`a="`, 1<<18),
		"xml-broken-1MB":  strings.Repeat("<a b=", 1<<18),
		"form-like-1MB":   strings.Repeat("k=v&", 1<<18),
	}
	for name, body := range bodies {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				ex := hotelrates.Exchange{
					URL:           "https://x.example/v1/a?hotel_id=H1",
					RequestHeader: map[string][]string{"Authorization": {"Bearer tok-1234567890"}},
					ResponseBody:  body,
				}
				Exchange(&ex, []string{"client-secret-1"})
			}
		})
	}
}

// BenchmarkRatesCall measures redaction of one ordinary vendor call, as
// the engine records thousands a second: a bearer token in the request, a
// small JSON request and answer, everyday response headers.
func BenchmarkRatesCall(b *testing.B) {
	reqBody := `{"hotel_id":"H00042","check_in":"2027-04-01","check_out":"2027-04-03","adults":2,"rooms":1,"currency":"USD"}`
	respBody := `{"hotel_id":"H00042","currency":"USD","offers":[{"room":"Deluxe King","board":"BB","total":"512.40","refundable":true,"cancel_deadline":"2027-03-29T18:00:00Z"},{"room":"Standard Double","board":"RO","total":"380.10","refundable":false}]}`
	for b.Loop() {
		ex := hotelrates.Exchange{
			Method: "POST",
			URL:    "http://127.0.0.1:9090/solo/v1/availability",
			RequestHeader: map[string][]string{
				"Authorization": {"Bearer 4f1c2d9e8b7a6f5e4d3c2b1a09f8e7d6"},
				"Content-Type":  {"application/json"},
				"User-Agent":    {"hotelrates"},
			},
			RequestBody: reqBody,
			Status:      200,
			ResponseHeader: map[string][]string{
				"Content-Type":   {"application/json"},
				"Date":           {"Wed, 02 Dec 2026 06:55:43 GMT"},
				"Content-Length": {"231"},
			},
			ResponseBody: respBody,
		}
		Exchange(&ex, []string{"solo-demo-secret"})
	}
}

// BenchmarkClueScan measures the clue scan (mayHoldCredential) on the
// texts of an ordinary call: a header name and value, a URL, a request
// body, an answer, and a 100-hotel answer.
func BenchmarkClueScan(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"results":[`)
	for i := range 100 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"hotel_id":"H%d","offers":[{"room":"Double","board":"BB","price":"%d.50","currency":"EUR","refundable":true}]}`, i, 100+i)
	}
	sb.WriteString(`]}`)
	texts := []struct{ name, s string }{
		{"name", "Content-Length"},
		{"date", "Wed, 02 Dec 2026 06:55:43 GMT"},
		{"url", "http://127.0.0.1:9090/solo/v1/availability"},
		{"request", `{"hotel_id":"H00042","check_in":"2027-04-01","check_out":"2027-04-03","adults":2,"rooms":1,"currency":"USD"}`},
		{"answer", `{"hotel_id":"H00042","currency":"USD","offers":[{"room":"Deluxe King","board":"BB","total":"512.40","refundable":true,"cancel_deadline":"2027-03-29T18:00:00Z"},{"room":"Standard Double","board":"RO","total":"380.10","refundable":false}]}`},
		{"100-hotels", sb.String()},
	}
	for _, t := range texts {
		if mayHoldCredential(t.s) {
			b.Fatalf("%s holds a clue", t.name)
		}
		b.Run(t.name, func(b *testing.B) {
			b.SetBytes(int64(len(t.s)))
			for b.Loop() {
				mayHoldCredential(t.s)
			}
		})
	}
}
