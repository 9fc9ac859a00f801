package redact

import (
	"encoding/json"
	"strings"

	"hotelrates"
)

// Exchange removes credentials from ex in place, before it is archived or
// logged. secrets are strings known to be secret (a vendor's client
// secret, API key, password: see hotelrates.SecretHolder); those shorter
// than 4 bytes are ignored.
//
// First, by name (see Sensitive): the values of sensitive request and
// response headers (Authorization, Proxy-Authorization, Cookie,
// Set-Cookie, X-Api-Key, X-Signature, ...), the URL's userinfo and
// sensitive query parameters, and in both bodies the values of sensitive
// JSON keys (at any depth; the result stays valid JSON), form fields, XML
// elements and attributes (also in malformed or truncated XML) and
// name=value pairs of plain text (also truncated JSON) become [Marker].
// The body's kind is detected from its content and its Content-Type.
//
// Then every value so removed that is at least 6 bytes long, and every
// secret, is removed wherever it still occurs: in the URL, all header
// values, both bodies and Error, raw or URL-, JSON- or XML-escaped.
//
// The header maps are replaced by redacted copies, never modified, so a
// map shared with a live http.Request is left alone. Vendor, SearchID,
// Kind, Method, timings and Status are not touched.
func Exchange(ex *hotelrates.Exchange, secrets []string) {
	if ex == nil {
		return
	}
	Response(ex, secrets, Request(ex, secrets))
}

// Seen is what redacting an exchange's request learnt: the values it
// removed, so the rest of the exchange is scrubbed of them too.
type Seen struct {
	values []string
	json   bool // the request body is JSON
}

// Request redacts ex's request (URL, headers, body) as Exchange does, and
// returns what it removed. A recorder that keeps the request before the
// answer arrives (a write-ahead journal) redacts it once this way, then
// finishes the same exchange with Response, instead of redacting the
// request twice.
func Request(ex *hotelrates.Exchange, secrets []string) Seen {
	col := newCollector()
	ctype := contentType(ex.RequestHeader)
	ex.URL = redactURL(ex.URL, col)
	ex.RequestHeader = redactHeaders(ex.RequestHeader, col)
	var seen Seen
	ex.RequestBody, seen.json = redactBody(ex.RequestBody, ctype, col)
	seen.values = col.values()
	if lit := newLiteral(secrets, seen.values); lit != nil {
		ex.URL = lit.apply(ex.URL)
		literalHeaders(ex.RequestHeader, lit)
		ex.RequestBody = literalBody(ex.RequestBody, seen.json, lit)
	}
	return seen
}

// Response redacts the rest of ex (response headers and body, error),
// whose request Request already redacted with seen as its result: every
// value removed anywhere in the exchange is then removed everywhere.
func Response(ex *hotelrates.Exchange, secrets []string, seen Seen) {
	col := newCollector()
	col.seen = append(col.seen, seen.values...)
	before := len(col.seen)
	ctype := contentType(ex.ResponseHeader)
	ex.ResponseHeader = redactHeaders(ex.ResponseHeader, col)
	var respJSON bool
	ex.ResponseBody, respJSON = redactBody(ex.ResponseBody, ctype, col)
	if mayHoldCredential(ex.Error) {
		ex.Error = scrubText(ex.Error, col)
	}
	lit := newLiteral(secrets, col.values())
	if lit == nil {
		return
	}
	if len(col.seen) > before {
		// The answer held values the request's pass did not know of.
		ex.URL = lit.apply(ex.URL)
		literalHeaders(ex.RequestHeader, lit)
		ex.RequestBody = literalBody(ex.RequestBody, seen.json, lit)
	}
	literalHeaders(ex.ResponseHeader, lit)
	ex.ResponseBody = literalBody(ex.ResponseBody, respJSON, lit)
	ex.Error = lit.apply(ex.Error)
}

func Headers(h map[string][]string) map[string][]string {
	col := newCollector()
	out := redactHeaders(h, col)
	literalHeaders(out, newLiteral(nil, col.values()))
	return out
}

// String redacts free text, such as an error message about to be logged:
// name=value pairs, "Name: value" lines, Bearer and Basic credentials and
// XML elements with sensitive names lose their values, and then every
// value so removed (at least 6 bytes) and every secret (at least 4 bytes)
// is removed wherever else it occurs in s.
func String(s string, secrets []string) string {
	col := newCollector()
	s = scrubText(s, col)
	return newLiteral(secrets, col.values()).apply(s)
}

// contentType returns the Content-Type of h, whatever its key's case.
func contentType(h map[string][]string) string {
	for k, v := range h {
		if strings.EqualFold(k, "Content-Type") && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// redactHeaders returns a copy of h with the values of sensitive headers
// replaced, and name=value pairs inside the others scrubbed.
func redactHeaders(h map[string][]string, col *collector) map[string][]string {
	if h == nil {
		return nil
	}
	out := make(map[string][]string, len(h))
	n := 0
	for _, vals := range h {
		n += len(vals)
	}
	all := make([]string, n) // one backing array for every header's values
	for name, vals := range h {
		cp := all[:len(vals):len(vals)]
		all = all[len(vals):]
		sensitive := Sensitive(name)
		for i, v := range vals {
			switch {
			case v == "":
			case sensitive:
				col.addCredential(v)
				v = Marker
			case strings.ContainsAny(v, "=:") && mayHoldCredential(v):
				v = scrubPairs(v, col) // a pair needs '=' or ':'
			}
			cp[i] = v
		}
		out[name] = cp
	}
	return out
}

func literalHeaders(h map[string][]string, lit *literal) {
	if lit == nil {
		return
	}
	for _, vals := range h {
		for i, v := range vals {
			vals[i] = lit.apply(v)
		}
	}
}

// redactBody redacts a request or response body by kind (JSON, XML, form
// or text, from its content and ctype) and reports whether it may be JSON
// (it is, when it held anything to redact by name).
func redactBody(body, ctype string, col *collector) (string, bool) {
	t := strings.TrimSpace(body)
	if t == "" {
		return body, false
	}
	ct := strings.ToLower(ctype)
	looksJSON := t[0] == '{' || t[0] == '[' || strings.Contains(ct, "json")
	if !mayHoldCredential(body) {
		return body, looksJSON // literalBody checks it is JSON if it needs to know
	}
	if looksJSON && json.Valid([]byte(body)) {
		return rewriteJSON(body, col, nil), true
	}
	switch {
	case t[0] == '<' || strings.Contains(ct, "xml"):
		return redactXML(body, col), false
	case strings.Contains(ct, "x-www-form-urlencoded") || looksLikeForm(t):
		return redactForm(body, col), false
	default:
		return scrubText(body, col), false
	}
}

// literalBody removes the known secrets from body. A JSON body is
// rewritten value by value so that it stays valid JSON and escaped
// secrets are found too; should a secret still show (one spanning JSON
// punctuation), the text is scrubbed regardless of validity.
func literalBody(body string, isJSON bool, lit *literal) string {
	if isJSON && (lit.has(body) || strings.IndexByte(body, '\\') >= 0) && json.Valid([]byte(body)) {
		body = rewriteJSON(body, nil, lit)
	}
	return lit.apply(body)
}
