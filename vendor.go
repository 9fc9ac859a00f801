package hotelrates

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// AuthScheme says how a vendor authenticates, and so how the engine's token
// manager treats the vendor's credentials.
type AuthScheme int

const (
	// AuthNone: no credential state; the adapter signs each request itself
	// (or the vendor needs nothing). Authenticate is never called.
	AuthNone AuthScheme = iota
	// AuthToken: one bearer token shared by all calls, refreshed before it
	// expires and after the vendor rejects it.
	AuthToken
	// AuthSession: login sessions, each serving one call at a time, at most
	// VendorInfo.MaxSessions open at once.
	AuthSession
)

// String returns "none", "token" or "session".
func (a AuthScheme) String() string {
	switch a {
	case AuthToken:
		return "token"
	case AuthSession:
		return "session"
	default:
		return "none"
	}
}

// VendorInfo describes a vendor to the engine.
type VendorInfo struct {
	// Name identifies the vendor in searches, results and metrics.
	Name string
	// MaxBatch is the most hotels one call may ask for; 1 for vendors that
	// answer one hotel per call.
	MaxBatch int
	// Auth is how the vendor authenticates.
	Auth AuthScheme
	// MaxSessions is how many sessions may be open at once (AuthSession).
	MaxSessions int
	// Children reports whether the vendor prices children (Stay.Children).
	// A search with children is not sent to a vendor that does not.
	Children bool
}

// Credential is a token or session the engine's token manager obtained from
// a vendor and hands to one call. Its String and LogValue never reveal it.
type Credential struct {
	// Secret is the bearer token or session id.
	Secret string
	// Expires is when the vendor stops accepting it; zero when unknown.
	Expires time.Time
	// IdleTimeout, for sessions, is how long the vendor keeps a session
	// that is not used; zero when unknown.
	IdleTimeout time.Duration
}

// String implements fmt.Stringer without revealing the secret.
func (c Credential) String() string { return "[credential redacted]" }

// GoString implements fmt.GoStringer (%#v) without revealing the secret.
func (c Credential) GoString() string {
	return fmt.Sprintf("hotelrates.Credential{Secret:%q, Expires:%s, IdleTimeout:%s}", "[redacted]", c.Expires.Format(time.RFC3339), c.IdleTimeout)
}

// MarshalJSON implements json.Marshaler without revealing the secret.
func (c Credential) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Secret      string        `json:"secret"`
		Expires     time.Time     `json:"expires,omitzero"`
		IdleTimeout time.Duration `json:"idle_timeout,omitzero"`
	}{"[redacted]", c.Expires, c.IdleTimeout})
}

// LogValue implements slog.LogValuer without revealing the secret.
func (c Credential) LogValue() slog.Value { return slog.StringValue("[credential redacted]") }

// Query is one vendor call's worth of work: a stay and up to MaxBatch hotels.
type Query struct {
	Stay     Stay
	HotelIDs []string
}

// Vendor is a hotel supplier the engine can ask for offers. Implement it to
// plug in a vendor of your own. All methods must be safe for concurrent use;
// the engine bounds how many calls are in flight.
//
// The engine passes the *http.Client to use on every call: it carries the
// vendor's own connection pool and records each exchange for the archive.
type Vendor interface {
	// Info describes the vendor. It is called once when the engine starts.
	Info() VendorInfo
	// Authenticate obtains a new credential (AuthToken, AuthSession).
	Authenticate(ctx context.Context, hc *http.Client) (Credential, error)
	// Fetch asks the vendor for the offers of q. A nil error means every
	// hotel of q is answered: hotels missing from the returned slice have no
	// offers (sold out or not carried). Each Offer's Vendor is the vendor's
	// name. Errors should be *VendorError so the engine can react.
	Fetch(ctx context.Context, hc *http.Client, cred Credential, q Query) ([]HotelOffers, error)
}

// SessionCloser is implemented by session vendors that can end a session
// (logout). The engine calls it when it drops a session or stops.
type SessionCloser interface {
	CloseSession(ctx context.Context, hc *http.Client, cred Credential) error
}

// StayChecker is implemented by vendors that cannot price every stay the
// engine accepts (more rooms or nights than their API takes, adults that
// do not spread evenly over rooms). The engine asks before a search: a
// vendor whose CanPrice returns an error is not asked, and its status is
// skipped, with the error as the reason.
type StayChecker interface {
	CanPrice(Stay) error
}

// SecretHolder is implemented by vendors whose configuration holds secrets
// (client secrets, API keys, passwords). The archive removes every
// occurrence of them from the records it writes.
type SecretHolder interface {
	Secrets() []string
}

// ErrorKind classifies a vendor call's failure so the engine can react.
type ErrorKind int

// The kinds of vendor failure.
const (
	ErrUnavailable  ErrorKind = iota // connection failure, 5xx, hung: retryable
	ErrUnauthorized                  // credential rejected (401): refresh once and retry
	ErrThrottled                     // 429: slow down, retry after RetryAfter
	ErrBadResponse                   // malformed or truncated body: retryable
	ErrBusy                          // session busy: retry with another session
	ErrRejected                      // the vendor refused the request (4xx): not retryable
	ErrInternal                      // the adapter itself failed (it panicked): not retryable
	ErrQuota                         // the account's quota is used up: the vendor is paused until RetryAfter
)

var kindNames = [...]string{"unavailable", "unauthorized", "throttled", "bad_response", "busy", "rejected", "internal", "quota_exhausted"}

// String returns the kind's name.
func (k ErrorKind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// VendorError is the error a vendor adapter returns for a failed call.
type VendorError struct {
	Vendor     string
	Kind       ErrorKind
	Status     int           // HTTP status, 0 when none
	RetryAfter time.Duration // from Retry-After, for ErrThrottled
	Err        error
}

// Error implements error.
func (e *VendorError) Error() string {
	msg := fmt.Sprintf("vendor %s: %s", e.Vendor, e.Kind)
	if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *VendorError) Unwrap() error { return e.Err }

// Retryable reports whether the same call may succeed if made again.
func (e *VendorError) Retryable() bool {
	return e.Kind != ErrRejected && e.Kind != ErrInternal && e.Kind != ErrQuota
}

// KindOf returns the ErrorKind of the first *VendorError in err's chain, and
// false if there is none.
func KindOf(err error) (ErrorKind, bool) {
	if err == nil {
		return 0, false
	}
	if ve, ok := errors.AsType[*VendorError](err); ok {
		return ve.Kind, true
	}
	return 0, false
}
