package amadeus

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

// tokenStore holds the sandbox's access tokens: bounded, purged as new
// ones are issued.
type tokenStore struct {
	now       func() time.Time
	ttl       time.Duration
	maxTokens int // MaxTokens; smaller in tests

	mu     sync.Mutex
	tokens map[string]*tokenState
	order  []string // tokens in issue order (= expiry order), for purging
	head   int      // order[:head] are purged
}

type tokenState struct {
	expires time.Time
	revoked bool
}

func newTokenStore(now func() time.Time, ttl time.Duration) *tokenStore {
	return &tokenStore{now: now, ttl: ttl, maxTokens: MaxTokens, tokens: map[string]*tokenState{}}
}

// tokenAlphabet is what Amadeus access tokens are made of.
const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// tokenLen is the length of an access token (Amadeus issues 28).
const tokenLen = 28

// issue creates, stores and returns a new token, first purging expired
// tokens (and the oldest past maxTokens) so the store stays bounded.
func (s *tokenStore) issue() string {
	var raw [tokenLen]byte
	rand.Read(raw[:]) // never fails (crypto/rand panics instead)
	for i, b := range raw {
		raw[i] = tokenAlphabet[int(b)%len(tokenAlphabet)]
	}
	tok := string(raw[:])
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purgeLocked(now, s.maxTokens-1)
	s.tokens[tok] = &tokenState{expires: now.Add(s.ttl)}
	s.order = append(s.order, tok)
	return tok
}

// purgeLocked drops tokens from the front of the issue order while they
// are expired (or gone) or more than keep tokens are stored.
func (s *tokenStore) purgeLocked(now time.Time, keep int) {
	for s.head < len(s.order) {
		tok := s.order[s.head]
		st, ok := s.tokens[tok]
		if ok && now.Before(st.expires) && len(s.tokens) <= keep {
			break
		}
		delete(s.tokens, tok)
		s.order[s.head] = ""
		s.head++
	}
	if s.head > 64 && s.head*2 > len(s.order) {
		n := copy(s.order, s.order[s.head:])
		clear(s.order[n:])
		s.order = s.order[:n]
		s.head = 0
	}
}

// valid reports whether tok is a live token: issued, not revoked, not
// expired.
func (s *tokenStore) valid(tok string) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.tokens[tok]
	return ok && !st.revoked && now.Before(st.expires)
}

// revoke marks tok revoked; it stays stored until it expires.
func (s *tokenStore) revoke(tok string) {
	s.mu.Lock()
	if st, ok := s.tokens[tok]; ok {
		st.revoked = true
	}
	s.mu.Unlock()
}

// The token endpoint's answers to what it cannot take.
const (
	descMissingGrant     = "Mandatory grant_type form parameter missing"
	descUnsupportedGrant = "Only client_credentials value is allowed for the body parameter grant_type"
	descInvalidClient    = "Client credentials are invalid"
)

// token serves POST /v1/security/oauth2/token: the client credentials
// grant with client_id and client_secret in the form.
func (s *server) token(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		writeTokenError(w, http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxTokenForm)
	if err := r.ParseForm(); err != nil {
		desc := "The body is not a valid form"
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			desc = fmt.Sprintf("The body is larger than %d bytes", MaxTokenForm)
		}
		writeTokenError(w, http.StatusBadRequest, "invalid_request", desc)
		return
	}
	form := r.PostForm
	for k, v := range form {
		if len(v) > 1 {
			writeTokenError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("Form parameter %s is repeated", clip(k, 40)))
			return
		}
	}
	switch form.Get("grant_type") {
	case "client_credentials":
	case "":
		writeTokenError(w, http.StatusBadRequest, "invalid_request", descMissingGrant)
		return
	default:
		writeTokenError(w, http.StatusBadRequest, "unsupported_grant_type", descUnsupportedGrant)
		return
	}
	if !s.authenticClient(form.Get("client_id"), form.Get("client_secret")) {
		writeTokenError(w, http.StatusUnauthorized, "invalid_client", descInvalidClient)
		return
	}
	tok := s.tokens.issue()
	s.b.AuthGrant()
	body, _ := json.Marshal(tokenResponse{
		Type:            "amadeusOAuth2Token",
		Username:        "sandbox@hotelrates.invalid",
		ApplicationName: "hotelrates sandbox",
		ClientID:        s.clientID,
		TokenType:       "Bearer",
		AccessToken:     tok,
		ExpiresIn:       int64(s.tokens.ttl / time.Second),
		State:           "approved",
		Scope:           "",
	})
	h := w.Header()
	h.Set("Content-Type", TokenContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// authenticClient reports whether id and secret are the configured
// client's, in constant time. An empty configured id matches nothing.
func (s *server) authenticClient(id, secret string) bool {
	if s.clientID == "" {
		return false
	}
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.clientID))
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(s.clientSecret))
	return idOK&secretOK == 1
}

// writeTokenError writes the token endpoint's error format; every error
// there is code 38187 "Invalid parameters".
func writeTokenError(w http.ResponseWriter, status int, code, desc string) {
	body, _ := json.Marshal(tokenError{
		Error:            code,
		ErrorDescription: strings.ToValidUTF8(desc, "?"),
		Code:             CodeInvalidClient,
		Title:            titles[CodeInvalidClient],
	})
	h := w.Header()
	h.Set("Content-Type", TokenContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	w.Write(body)
}
