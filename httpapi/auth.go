package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"hotelrates"
)

// openPaths answer without an API key: probes must reach them.
var openPaths = map[string]bool{"/healthz": true, "/readyz": true}

// keyring holds the API keys as SHA-256 digests, so that every
// comparison is of 32 bytes and takes the same time whatever the length
// of the key presented or the keys configured.
type keyring [][sha256.Size]byte

func newKeyring(keys []string) keyring {
	k := make(keyring, 0, len(keys))
	for _, key := range keys {
		k = append(k, sha256.Sum256([]byte(key)))
	}
	return k
}

// allows reports whether key is one of the keys, comparing it with each
// of them in constant time.
func (k keyring) allows(key string) bool {
	sum := sha256.Sum256([]byte(key))
	ok := 0
	for i := range k {
		ok |= subtle.ConstantTimeCompare(sum[:], k[i][:])
	}
	return ok == 1
}

// bearer returns the credential of an "Authorization: Bearer KEY" header
// (the scheme in any case, RFC 9110 11.1), and false without one.
func bearer(r *http.Request) (string, bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	cred = strings.TrimSpace(cred)
	if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return "", false
	}
	return cred, true
}

// authenticate answers 401 unauthenticated to a request without a valid
// API key, but on the open paths; with no keys it lets every request
// through. The key is never logged nor echoed.
func (s *server) authenticate(next http.Handler) http.Handler {
	if len(s.keys) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if openPaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		key, ok := bearer(r)
		if !ok || !s.keys.allows(key) {
			msg := "send an API key as Authorization: Bearer KEY"
			if ok {
				msg = "the API key is not valid"
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="hotelrates"`)
			writeError(w, hotelrates.Errorf(hotelrates.CodeUnauthenticated, "", "%s", msg))
			return
		}
		next.ServeHTTP(w, r)
	})
}
