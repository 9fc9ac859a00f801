// Package redact removes credentials (tokens, secrets, passwords,
// signatures, API keys, session ids, cookies) from a vendor exchange before
// it is archived or logged.
//
// Redaction works in two phases. The structural phase replaces, by name,
// the values of sensitive headers, URL query parameters, JSON keys,
// form fields, XML elements and attributes, and key=value pairs found in
// plain text, with [Marker]. The literal phase then removes every value
// the structural phase removed (at least 6 bytes long) and every
// caller-supplied secret (at least 4 bytes long) wherever it still occurs:
// in the URL, in every header value, in both bodies and in the error text,
// also in its URL-, JSON- and XML-escaped forms. A token echoed in an error
// message therefore cannot survive.
package redact

import "strings"

// Marker is what replaces a removed value.
const Marker = "[REDACTED]"

// Minimum lengths of the strings removed literally in the second phase;
// shorter ones would erase too much unrelated text.
const (
	minRemovedLen = 6 // values removed by name
	minSecretLen  = 4 // caller-supplied secrets
)

// sensitiveWords are the substrings that make a normalized name sensitive.
var sensitiveWords = []string{
	"token", "secret", "password", "passwd", "signature", "apikey",
	"sessionid", "authorization", "cookie", "credential", "privatekey",
}

// exactNames are normalized names that are sensitive only as a whole word.
var exactNames = []string{"sid", "key", "sig"}

// notSensitive are normalized names that contain a sensitive word but name
// no secret: the OAuth2 token_type ("Bearer") must stay readable, and
// removing "Bearer" literally everywhere would mangle other headers. No
// name is in both lists (TestNameLists).
var notSensitive = []string{"tokentype"}

// Sensitive reports whether a header, parameter, field, element or
// attribute called name holds a credential. Names are compared
// case-insensitively ignoring '-', '_' and '.', and without an XML
// namespace prefix: a name is sensitive if it contains token, secret,
// password, passwd, signature, apikey, sessionid, authorization, cookie,
// credential or privatekey, or is exactly sid, key or sig. token_type is
// the one exception: it names the kind of token, not the token.
func Sensitive(name string) bool {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	// Every header, JSON key and form field name of an exchange comes
	// through here: the names are compared in place, normalized on the
	// fly, rather than normalized into a buffer and looked up in maps.
	// As exactNames and notSensitive are disjoint, this is the rule
	// "not in notSensitive, and in exactNames or holding a word".
	if sensitiveMatcher.match(name) {
		return !normalizedIn(name, notSensitive)
	}
	return normalizedIn(name, exactNames)
}

// normalizedIn reports whether name, normalized as appendNormalized
// does, is one of words.
func normalizedIn(name string, words []string) bool {
	for _, w := range words {
		if normalizedIs(name, w) {
			return true
		}
	}
	return false
}

// normalizedIs reports whether name normalized is w (lowercase, without
// separators), without building the normalized form.
func normalizedIs(name, w string) bool {
	j := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if j == len(w) || w[j] != c {
			return false
		}
		j++
	}
	return j == len(w)
}

// appendNormalized appends s lowercased (ASCII) without '-', '_' and '.'.
func appendNormalized(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == '_' || c == '.':
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, c)
		}
	}
	return b
}

// clues matches what a text must contain for the structural phase to
// find anything in it: a sensitive word or exact name (a name is a
// substring of the text, and a substring of a name normalized is a
// substring of the text normalized), or the HTTP authentication schemes
// the text rules look for; and what could hide such a word from a plain
// scan: JSON \u escapes (in keys), URL escapes (in form and query names),
// XML character references, and the two non-ASCII letters that fold to
// ASCII ones under a case-insensitive regular expression (ſ to s, the
// Kelvin sign to k).
var clues = func() *matcher {
	words := append(append([]string{}, sensitiveWords...), "bearer", "basic", `\u`, "%", "&#", "\u017f", "\u212a")
	words = append(words, exactNames...)
	return newMatcher(words)
}()

// sensitiveMatcher matches the sensitive words in a name.
var sensitiveMatcher = newMatcher(sensitiveWords)

// mayHoldCredential reports whether the structural phase could find
// anything in s: false when s holds none of the clues (ignoring case and
// '-', '_', '.'). Almost every rates answer is such a text, and skipping
// its structural pass is what keeps redaction cheap; the literal phase
// still runs on it.
func mayHoldCredential(s string) bool { return clues.match(s) }
