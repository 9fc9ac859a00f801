package redact

import (
	"encoding/json"
	"maps"
	"slices"
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
// map shared with a live http.Request is left alone. A copy is a new map,
// but a header none of whose values changed keeps the original's slice
// (clipped to its length, so appending to it copies): neither the record
// nor the original may then be written into in place, h[k][i] = v, which
// http.Header's methods never do (they replace, append to or delete a
// header's slice). Vendor, SearchID, Kind, Method, timings and Status are
// not touched.
func Exchange(ex *hotelrates.Exchange, secrets []string) {
	if ex == nil {
		return
	}
	Response(ex, secrets, Request(ex, secrets))
}

// Seen is what redacting an exchange's request learnt: the values it
// removed, so the rest of the exchange is scrubbed of them too.
type Seen struct {
	values []string // sorted
	json   bool     // the request body is JSON
	// lit is the remover Request built (nil if none): Response uses it
	// again when the answer brought no new value and the secrets are the
	// same, instead of looking it up a second time.
	lit *literal
}

// Request redacts ex's request (URL, headers, body) as Exchange does, and
// returns what it removed. A recorder that keeps the request before the
// answer arrives (a write-ahead journal) redacts it once this way, then
// finishes the same exchange with Response, instead of redacting the
// request twice.
func Request(ex *hotelrates.Exchange, secrets []string) Seen {
	var col collector
	var ctype string
	ex.URL = redactURL(ex.URL, &col)
	ex.RequestHeader, ctype = redactHeaders(ex.RequestHeader, &col)
	var seen Seen
	ex.RequestBody, seen.json = redactBody(ex.RequestBody, ctype, &col)
	seen.values = col.values()
	if lit := newLiteral(secrets, seen.values); lit != nil {
		seen.lit = lit
		ex.URL = lit.apply(ex.URL)
		ex.RequestHeader = literalHeaders(ex.RequestHeader, lit)
		ex.RequestBody = literalBody(ex.RequestBody, seen.json, lit)
	}
	return seen
}

// Response redacts the rest of ex (response headers and body, error),
// whose request Request already redacted with seen as its result: every
// value removed anywhere in the exchange is then removed everywhere.
func Response(ex *hotelrates.Exchange, secrets []string, seen Seen) {
	// The collector starts from the request's values without copying
	// them: clipped, its first append copies, so seen's array is never
	// written (a Seen may be shared).
	col := collector{seen: slices.Clip(seen.values)}
	before := len(col.seen)
	var ctype string
	ex.ResponseHeader, ctype = redactHeaders(ex.ResponseHeader, &col)
	var respJSON bool
	ex.ResponseBody, respJSON = redactBody(ex.ResponseBody, ctype, &col)
	if mayHoldCredential(ex.Error) {
		ex.Error = scrubText(ex.Error, &col)
	}
	var lit *literal
	if len(col.seen) == before && seen.lit.fits(secrets) {
		lit = seen.lit // the same secrets and values: the same remover
	} else {
		lit = newLiteral(secrets, col.values())
	}
	if lit == nil {
		return
	}
	if len(col.seen) > before {
		// The answer held values the request's pass did not know of.
		ex.URL = lit.apply(ex.URL)
		ex.RequestHeader = literalHeaders(ex.RequestHeader, lit)
		ex.RequestBody = literalBody(ex.RequestBody, seen.json, lit)
	}
	ex.ResponseHeader = literalHeaders(ex.ResponseHeader, lit)
	ex.ResponseBody = literalBody(ex.ResponseBody, respJSON, lit)
	ex.Error = lit.apply(ex.Error)
}

// Headers returns a redacted copy of h, as Exchange redacts an exchange's
// headers: sensitive headers lose their values, name=value pairs in the
// others are scrubbed, and then every value so removed is removed
// wherever else it occurs in h. h itself is not modified; as with
// Exchange, the copy shares the slices of the headers it left as they
// were.
func Headers(h map[string][]string) map[string][]string {
	var col collector
	out, _ := redactHeaders(h, &col)
	return literalHeaders(out, newLiteral(nil, col.values()))
}

// String redacts free text, such as an error message about to be logged:
// name=value pairs, "Name: value" lines, Bearer and Basic credentials and
// XML elements with sensitive names lose their values, and then every
// value so removed (at least 6 bytes) and every secret (at least 4 bytes)
// is removed wherever else it occurs in s.
func String(s string, secrets []string) string {
	var col collector
	s = scrubText(s, &col)
	return newLiteral(secrets, col.values()).apply(s)
}

// redactHeaders returns a copy of h with the values of sensitive headers
// replaced, and name=value pairs inside the others scrubbed, and h's
// Content-Type (its first value, as it came), found on the same pass.
//
// The map is always new: h may be a live http.Header, which its owner may
// still change, even while the record is being archived. A header whose
// values all stay as they are keeps h's slice of them, clipped to its
// length (appending to it copies): net/http and the engine replace,
// append to or delete a header's slice, never write into it, and
// neither does this package (literalHeaders copies too). Only a header
// with a value to change gets a slice of its own.
func redactHeaders(h map[string][]string, col *collector) (out map[string][]string, ctype string) {
	if h == nil {
		return nil, ""
	}
	out = make(map[string][]string, len(h))
	found := false
	for name, vals := range h {
		if !found && len(vals) > 0 && strings.EqualFold(name, "Content-Type") {
			ctype, found = vals[0], true
		}
		out[name] = redactValues(name, vals, col)
	}
	return out, ctype
}

// redactValues returns the values of the header name, redacted: vals
// itself (clipped) when none changes, otherwise a copy.
func redactValues(name string, vals []string, col *collector) []string {
	if vals == nil {
		return []string{} // not nil: a nil slice would be archived as null
	}
	sensitive := Sensitive(name)
	var cp []string
	for i, v := range vals {
		r := v
		switch {
		case v == "":
		case sensitive:
			col.addCredential(v)
			r = Marker
		case (strings.IndexByte(v, '=') >= 0 || strings.IndexByte(v, ':') >= 0) && mayHoldCredential(v):
			r = scrubPairs(v, col) // a pair needs '=' or ':'
		}
		if r != v {
			if cp == nil {
				cp = slices.Clone(vals)
			}
			cp[i] = r
		}
	}
	if cp == nil {
		return slices.Clip(vals)
	}
	return cp
}

// literalHeaders removes lit's patterns from every value of h. It never
// writes into h or its slices, which may be shared (see redactHeaders):
// it returns h itself when nothing changes, which is almost always, and
// otherwise a copy of h with new slices for the headers that changed.
func literalHeaders(h map[string][]string, lit *literal) map[string][]string {
	if lit == nil {
		return h
	}
	var out map[string][]string
	for name, vals := range h {
		var cp []string
		for i, v := range vals {
			if !lit.has(v) {
				continue
			}
			if cp == nil {
				cp = slices.Clone(vals)
			}
			cp[i] = lit.replace(v)
		}
		if cp != nil {
			if out == nil {
				out = maps.Clone(h)
			}
			out[name] = cp
		}
	}
	if out == nil {
		return h
	}
	return out
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
// punctuation), the text is scrubbed regardless of validity. body is
// searched for the patterns once, not once more by apply.
func literalBody(body string, isJSON bool, lit *literal) string {
	found := lit.has(body)
	if isJSON && (found || strings.IndexByte(body, '\\') >= 0) && json.Valid([]byte(body)) {
		if out := rewriteJSON(body, nil, lit); out != body {
			body, found = out, lit.has(out)
		}
	}
	if !found {
		return body
	}
	return lit.replace(body)
}
