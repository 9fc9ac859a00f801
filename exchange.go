package hotelrates

import (
	"context"
	"time"
)

// CallKind says what a vendor exchange was for.
type CallKind string

// The kinds of vendor exchange.
const (
	CallAuth   CallKind = "auth"   // obtaining a token or session
	CallRates  CallKind = "rates"  // an availability call
	CallLogout CallKind = "logout" // ending a session
)

// Exchange is the record of one HTTP exchange with a vendor, as archived.
// Credentials, tokens, signatures and session ids are redacted before a
// record leaves the process.
type Exchange struct {
	// ID identifies the exchange; unique across runs of the engine.
	ID             string              `json:"id,omitempty"`
	Vendor         string              `json:"vendor"`
	SearchID       string              `json:"search_id,omitempty"`
	Kind           CallKind            `json:"kind"`
	Start          time.Time           `json:"start"`
	DurationMS     float64             `json:"duration_ms"`
	Method         string              `json:"method"`
	URL            string              `json:"url"`
	RequestHeader  map[string][]string `json:"request_header,omitempty"`
	RequestBody    string              `json:"request_body,omitempty"`
	Status         int                 `json:"status,omitempty"`
	ResponseHeader map[string][]string `json:"response_header,omitempty"`
	ResponseBody   string              `json:"response_body,omitempty"`
	Error          string              `json:"error,omitempty"`
	// Interrupted marks the record of an exchange whose request was sent
	// but whose outcome was never archived, because the process stopped
	// (a crash, SIGKILL) first: it holds the request, not the answer.
	Interrupted bool `json:"interrupted,omitempty"`
}

type callKey struct{}

// Call identifies, in a context, the search and purpose of a vendor call,
// so the exchange recorder can label what it archives.
type Call struct {
	SearchID string
	Kind     CallKind
	// Report, when not nil, receives what the vendor's answer said about
	// the account's limits (ReportRateLimit); the engine reads it after the
	// call.
	Report *CallReport
}

// CallReport is what a vendor adapter learnt from one answer about the
// vendor account's limits, for the engine to act on before the vendor
// answers 429.
type CallReport struct {
	// RateLimit is the vendor's published request budget (such as
	// Rate-Limit-Minute-Remaining); zero when the answer said nothing.
	RateLimit RateLimit
}

// RateLimit is a vendor's word on how many more requests the account may
// make, and when that budget is renewed.
type RateLimit struct {
	// Remaining is how many requests may still be made before Reset.
	Remaining int
	// Reset is how long until the budget is renewed.
	Reset time.Duration
	// Known is true when the vendor said anything.
	Known bool
}

// ReportRateLimit tells the engine, from inside Vendor.Fetch, what the
// vendor's rate-limit headers said: Remaining requests until Reset. The
// engine spreads the remaining requests over the time left, so the vendor
// is not driven into 429. Without a Report in ctx it does nothing.
func ReportRateLimit(ctx context.Context, remaining int, reset time.Duration) {
	if r := CallFromContext(ctx).Report; r != nil {
		r.RateLimit = RateLimit{Remaining: max(0, remaining), Reset: max(0, reset), Known: true}
	}
}

// ContextWithCall returns ctx carrying c. It costs one allocation (a
// context.WithValue costs two: the context and c boxed in an interface).
func ContextWithCall(ctx context.Context, c Call) context.Context {
	return &callContext{Context: ctx, call: c}
}

// callContext is ctx with a Call: Value answers the Call's key and
// delegates every other key to the parent, so the context package still
// finds the parent's cancellation (no goroutine to propagate it).
type callContext struct {
	context.Context
	call Call
}

func (c *callContext) Value(key any) any {
	if _, ok := key.(callKey); ok {
		return &c.call // a pointer: an interface holds it without an allocation
	}
	return c.Context.Value(key)
}

// CallFromContext returns the Call in ctx, or a zero Call.
func CallFromContext(ctx context.Context) Call {
	if c, ok := ctx.Value(callKey{}).(*Call); ok {
		return *c
	}
	return Call{}
}
