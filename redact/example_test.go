package redact_test

import (
	"fmt"
	"net/http"

	"hotelrates"
	"hotelrates/redact"
)

// Redact one exchange before it is archived: sensitive headers and JSON
// keys lose their values, and so does every copy of a known secret, here
// one a vendor echoed in its error message.
func ExampleExchange() {
	ex := hotelrates.Exchange{
		Vendor: "solo",
		Method: http.MethodPost,
		URL:    "https://api.example.com/oauth/token",
		RequestHeader: map[string][]string{
			"Content-Type":  {"application/json"},
			"Authorization": {"Basic ZGVtbzpzM2NyZXQ="},
		},
		RequestBody:  `{"client_id":"demo","client_secret":"s3cret-value","scope":"rates"}`,
		Status:       401,
		ResponseBody: `{"error":{"code":"invalid_client","message":"bad secret s3cret-value"}}`,
	}
	redact.Exchange(&ex, []string{"s3cret-value"})

	fmt.Println(ex.RequestHeader["Authorization"], ex.RequestHeader["Content-Type"])
	fmt.Println(ex.RequestBody)
	fmt.Println(ex.ResponseBody)
	// Output:
	// [[REDACTED]] [application/json]
	// {"client_id":"demo","client_secret":"[REDACTED]","scope":"rates"}
	// {"error":{"code":"invalid_client","message":"bad secret [REDACTED]"}}
}

// Redact free text, such as an error message about to be logged.
func ExampleString() {
	msg := `login failed: password=hunter2-xyz rejected, vendor said "unknown user for hunter2-xyz"`
	fmt.Println(redact.String(msg, nil))

	msg = `GET /v1/availability: 401 invalid token eyJhbGciOi.abc.def`
	fmt.Println(redact.String(msg, []string{"eyJhbGciOi.abc.def"}))
	// Output:
	// login failed: password=[REDACTED] rejected, vendor said "unknown user for [REDACTED]"
	// GET /v1/availability: 401 invalid token [REDACTED]
}

// Headers returns a redacted copy and leaves the original alone.
func ExampleHeaders() {
	h := http.Header{}
	h.Set("X-Api-Key", "demo-bulk-key")
	h.Set("Accept", "application/json")
	out := redact.Headers(h)
	fmt.Println(out["X-Api-Key"], out["Accept"])
	fmt.Println(h.Get("X-Api-Key"))
	fmt.Println(redact.Sensitive("X-Api-Key"), redact.Sensitive("token_type"))
	// Output:
	// [[REDACTED]] [application/json]
	// demo-bulk-key
	// true false
}
