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
var exactNames = map[string]bool{"sid": true, "key": true, "sig": true}

// notSensitive are normalized names that contain a sensitive word but name
// no secret: the OAuth2 token_type ("Bearer") must stay readable, and
// removing "Bearer" literally everywhere would mangle other headers.
var notSensitive = map[string]bool{"tokentype": true}

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
	n := normalize(name)
	if n == "" || notSensitive[n] {
		return false
	}
	if exactNames[n] {
		return true
	}
	for _, w := range sensitiveWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// normalize lowercases name and drops '-', '_' and '.'.
func normalize(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.':
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
