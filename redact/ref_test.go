package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"hotelrates"
)

// This file keeps the package's earlier, plainer implementations of the
// parts that now take fast paths, as the references the fuzz tests in
// fastpath_test.go hold them to: whatever the fast paths skip, share or
// reuse, the redacted exchange must be the one these build.

// refExchange is Exchange as it was: new header maps and slices for every
// header, the literal pass written into them, every pattern searched for,
// every text searched again by apply, a remover built afresh for the
// response.
func refExchange(ex *hotelrates.Exchange, secrets []string) {
	values, isJSON := refRequest(ex, secrets)
	refResponse(ex, secrets, values, isJSON)
}

func refRequest(ex *hotelrates.Exchange, secrets []string) ([]string, bool) {
	col := newCollector()
	ctype := refContentType(ex.RequestHeader)
	ex.URL = refRedactURL(ex.URL, col)
	ex.RequestHeader = refRedactHeaders(ex.RequestHeader, col)
	var isJSON bool
	ex.RequestBody, isJSON = redactBody(ex.RequestBody, ctype, col)
	values := slices.Clone(col.seen)
	if lit := refLiteral(secrets, values); lit != nil {
		ex.URL = refApply(lit, ex.URL)
		refLiteralHeaders(ex.RequestHeader, lit)
		ex.RequestBody = refLiteralBody(ex.RequestBody, isJSON, lit)
	}
	return values, isJSON
}

func refResponse(ex *hotelrates.Exchange, secrets, values []string, reqJSON bool) {
	col := newCollector()
	col.seen = append(col.seen, values...)
	before := len(col.seen)
	ctype := refContentType(ex.ResponseHeader)
	ex.ResponseHeader = refRedactHeaders(ex.ResponseHeader, col)
	var respJSON bool
	ex.ResponseBody, respJSON = redactBody(ex.ResponseBody, ctype, col)
	if mayHoldCredential(ex.Error) {
		ex.Error = scrubText(ex.Error, col)
	}
	lit := refLiteral(secrets, slices.Clone(col.seen))
	if lit == nil {
		return
	}
	if len(col.seen) > before {
		ex.URL = refApply(lit, ex.URL)
		refLiteralHeaders(ex.RequestHeader, lit)
		ex.RequestBody = refLiteralBody(ex.RequestBody, reqJSON, lit)
	}
	refLiteralHeaders(ex.ResponseHeader, lit)
	ex.ResponseBody = refLiteralBody(ex.ResponseBody, respJSON, lit)
	ex.Error = refApply(lit, ex.Error)
}

// refLiteral builds the remover afresh, uncached, searching for every
// pattern rather than the probe ones.
func refLiteral(secrets, removed []string) *literal {
	if len(secrets) == 0 && len(removed) == 0 {
		return nil
	}
	slices.Sort(removed)
	l := buildLiteral(secrets, removed)
	if l != nil {
		l.probe = l.pats
	}
	return l
}

func refHas(l *literal, s string) bool {
	if l == nil {
		return false
	}
	for _, p := range l.pats {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func refApply(l *literal, s string) string {
	if l == nil {
		return s
	}
	for range 3 {
		if !refHas(l, s) {
			break
		}
		out := l.r.Replace(s)
		if out == s {
			break
		}
		s = out
	}
	return s
}

func refContentType(h map[string][]string) string {
	for k, v := range h {
		if strings.EqualFold(k, "Content-Type") && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func refRedactHeaders(h map[string][]string, col *collector) map[string][]string {
	if h == nil {
		return nil
	}
	out := make(map[string][]string, len(h))
	n := 0
	for _, vals := range h {
		n += len(vals)
	}
	all := make([]string, n)
	for name, vals := range h {
		cp := all[:len(vals):len(vals)]
		all = all[len(vals):]
		sensitive := refSensitive(name)
		for i, v := range vals {
			switch {
			case v == "":
			case sensitive:
				refAddCredential(col, v)
				v = Marker
			case strings.ContainsAny(v, "=:") && mayHoldCredential(v):
				v = scrubPairs(v, col)
			}
			cp[i] = v
		}
		out[name] = cp
	}
	return out
}

func refLiteralHeaders(h map[string][]string, lit *literal) {
	if lit == nil {
		return
	}
	for _, vals := range h {
		for i, v := range vals {
			vals[i] = refApply(lit, v)
		}
	}
}

func refLiteralBody(body string, isJSON bool, lit *literal) string {
	if isJSON && (refHas(lit, body) || strings.IndexByte(body, '\\') >= 0) && json.Valid([]byte(body)) {
		body = rewriteJSON(body, nil, lit)
	}
	return refApply(lit, body)
}

func refRedactURL(raw string, col *collector) string {
	if raw == "" {
		return raw
	}
	rest, frag, hasFrag := strings.Cut(raw, "#")
	base, query, hasQuery := strings.Cut(rest, "?")
	if i := strings.Index(base, "://"); i >= 0 {
		auth := base[i+3:]
		if j := strings.IndexByte(auth, '/'); j >= 0 {
			auth = auth[:j]
		}
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			user, pass, _ := strings.Cut(auth[:at], ":")
			for _, v := range []string{user, pass} {
				col.add(v)
				if dv, err := url.PathUnescape(v); err == nil {
					col.add(dv)
				}
			}
			base = base[:i+3] + base[i+3+at+1:]
		}
	}
	if mayHoldCredential(base) {
		base = scrubPairs(base, col)
	}
	if !hasQuery && !hasFrag {
		return base
	}
	var b strings.Builder
	b.WriteString(base)
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(redactForm(query, col))
	}
	if hasFrag {
		b.WriteByte('#')
		b.WriteString(redactForm(frag, col))
	}
	return b.String()
}

func refAddCredential(c *collector, v string) {
	c.add(v)
	fields := strings.FieldsFunc(v, func(r rune) bool {
		return r == ' ' || r == '\t' || r == ',' || r == ';'
	})
	for i, f := range fields {
		if _, val, ok := strings.Cut(f, "="); ok {
			c.add(strings.Trim(val, `"'`))
			continue
		}
		if i == 0 && len(fields) > 1 {
			continue
		}
		c.add(f)
		if i == 1 && strings.EqualFold(fields[0], "basic") {
			if dec, err := base64.StdEncoding.DecodeString(f); err == nil {
				if _, pass, ok := strings.Cut(string(dec), ":"); ok {
					c.add(pass)
				}
			}
		}
	}
}

var (
	refExactNames   = map[string]bool{"sid": true, "key": true, "sig": true}
	refNotSensitive = map[string]bool{"tokentype": true}
)

func refSensitive(name string) bool {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	n := string(appendNormalized(nil, name))
	if len(n) == 0 || refNotSensitive[n] {
		return false
	}
	if refExactNames[n] {
		return true
	}
	for _, w := range sensitiveWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
