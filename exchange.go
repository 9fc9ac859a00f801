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
		return c.call
	}
	return c.Context.Value(key)
}

// CallFromContext returns the Call in ctx, or a zero Call.
func CallFromContext(ctx context.Context) Call {
	c, _ := ctx.Value(callKey{}).(Call)
	return c
}
