package hotelbeds

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultSignatureSkew is how far from the gateway's clock a signature's
// time may be when the sandbox configuration does not say.
const DefaultSignatureSkew = 300 * time.Second

// gateway is the sandbox's imitation of the API's Mashery gateway: it
// checks the key and signature, counts the daily quota and the calls of
// the current second, and writes its tiny XML answers.
type gateway struct {
	now    func() time.Time
	apiKey string
	secret string
	skew   int64 // seconds
	quota  int   // calls per UTC day; 0: none
	rps    float64

	mu    sync.Mutex
	day   int64 // the UTC day (unix days) used counts
	used  int
	sec   int64 // the second inSec counts
	inSec int
}

// A gatewayError is one of the gateway's answers.
type gatewayError struct {
	code   string // X-Mashery-Error-Code
	text   string // the body's <h1> text
	detail string // X-Error-Detail-Header
}

var (
	errInactive      = gatewayError{MasheryDeveloperInactive, "Developer Inactive", "Developer Inactive"}
	errNotAuthorized = gatewayError{MasheryNotAuthorized, "Not Authorized", "Not Authorized"}
	errOverQPS       = gatewayError{MasheryOverQPS, "Developer Over Qps", "Account Over Queries Per Second Limit"}
	errOverRate      = gatewayError{MasheryOverRate, "Developer Over Rate", "Account Over Rate Limit"}
)

// authenticate checks the Api-key and X-Signature headers. The signature
// carries no time of its own: it must be the one of some second within
// skew of the gateway's clock, so each is tried, nearest first. Keys and
// signatures are compared in constant time.
func (g *gateway) authenticate(h http.Header) (gatewayError, bool) {
	key := h.Get(APIKeyHeader)
	if g.apiKey == "" || subtle.ConstantTimeCompare([]byte(key), []byte(g.apiKey)) != 1 {
		return errInactive, false
	}
	sig, err := hex.DecodeString(strings.TrimSpace(h.Get(SignatureHeader)))
	if err != nil || len(sig) != sha256.Size {
		return errNotAuthorized, false
	}
	now := g.now().Unix()
	prefix := g.apiKey + g.secret
	buf := make([]byte, 0, len(prefix)+20)
	for d := int64(0); d <= g.skew; d++ {
		for _, ts := range [2]int64{now - d, now + d} {
			buf = strconv.AppendInt(append(buf[:0], prefix...), ts, 10)
			want := sha256.Sum256(buf)
			if subtle.ConstantTimeCompare(sig, want[:]) == 1 {
				return gatewayError{}, true
			}
		}
	}
	return errNotAuthorized, false
}

// tick counts an authenticated call in the current second and returns the
// count (X-Plan-QPS-Current).
func (g *gateway) tick() int {
	sec := g.now().Unix()
	g.mu.Lock()
	defer g.mu.Unlock()
	if sec != g.sec {
		g.sec, g.inSec = sec, 0
	}
	g.inSec++
	return g.inSec
}

// reserve takes one call of today's quota. Past the quota it returns false
// and how long until the next UTC day renews it.
func (g *gateway) reserve() (bool, time.Duration) {
	if g.quota <= 0 {
		return true, 0
	}
	now := g.now()
	day := unixDay(now)
	g.mu.Lock()
	defer g.mu.Unlock()
	if day != g.day {
		g.day, g.used = day, 0
	}
	if g.used >= g.quota {
		return false, untilUTCMidnight(now)
	}
	g.used++
	return true, 0
}

// refund gives back a call reserve took, for a call the gateway then
// throttled.
func (g *gateway) refund() {
	if g.quota <= 0 {
		return
	}
	day := unixDay(g.now())
	g.mu.Lock()
	if day == g.day && g.used > 0 {
		g.used--
	}
	g.mu.Unlock()
}

func unixDay(t time.Time) int64 {
	s := t.Unix()
	d := s / 86400
	if s < 0 && s%86400 != 0 {
		d--
	}
	return d
}

// write writes one of the gateway's answers: 403, Content-Type text/xml,
// the body "<h1>TEXT</h1>", X-Mashery-Error-Code and X-Error-Detail-Header;
// Retry-After when retry is positive (whole seconds, at least 1).
func (e gatewayError) write(w http.ResponseWriter, retry time.Duration) {
	body := "<h1>" + e.text + "</h1>"
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set(MasheryErrorCodeHeader, e.code)
	h.Set(ErrorDetailHeader, e.detail)
	h.Set("X-Mashery-Responder", "sandbox-gateway")
	if retry > 0 {
		h.Set("Retry-After", strconv.FormatInt(max(1, int64((retry+time.Second-1)/time.Second)), 10))
	}
	w.WriteHeader(http.StatusForbidden)
	w.Write([]byte(body))
}
