package redact

import (
	"net/url"
	"strings"
)

// redactForm replaces the values of sensitive keys of the
// application/x-www-form-urlencoded text s (a body or a URL query),
// keeping every other byte, order included.
func redactForm(s string, col *collector) string {
	if !strings.Contains(s, "=") {
		return s
	}
	parts := strings.Split(s, "&")
	changed := false
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok || v == "" || v == Marker {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if !Sensitive(name) {
			continue
		}
		col.add(v)
		if dv, err := url.QueryUnescape(v); err == nil {
			col.add(dv)
		}
		parts[i] = k + "=" + Marker
		changed = true
	}
	if !changed {
		return s
	}
	return strings.Join(parts, "&")
}

// looksLikeForm reports whether s (trimmed) is plausibly a form body:
// one or more name=value pairs joined by '&', without white space.
func looksLikeForm(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n<>{}\"") {
		return false
	}
	for _, p := range strings.Split(s, "&") {
		k, _, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return false
		}
	}
	return true
}

// redactURL removes the userinfo of raw and the values of sensitive query
// and fragment parameters (and name=value pairs in the path, such as
// ";jsessionid=..."), leaving the rest of raw as it was. It returns raw
// itself, without building a new string, when nothing changes: most URLs
// have no userinfo, and their path, query and fragment hold no clue (see
// mayHoldCredential), which the clue scan tells in one pass over each.
func redactURL(raw string, col *collector) string {
	if raw == "" {
		return raw
	}
	rest, frag, hasFrag := strings.Cut(raw, "#")
	base, query, hasQuery := strings.Cut(rest, "?")
	origBase := base

	// Userinfo: scheme://user:pass@host/...
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

	// Matrix parameters such as ";jsessionid=...".
	if mayHoldCredential(base) {
		base = scrubPairs(base, col)
	}
	if !hasQuery && !hasFrag {
		return base
	}

	// redactForm leaves a text without clues as it is (FuzzClueScan).
	q, f := query, frag
	if hasQuery && mayHoldCredential(query) {
		q = redactForm(query, col)
	}
	if hasFrag && mayHoldCredential(frag) {
		f = redactForm(frag, col)
	}
	if base == origBase && q == query && f == frag {
		return raw // what the builder would join again
	}

	var b strings.Builder
	b.Grow(len(base) + 1 + len(q) + 1 + len(f))
	b.WriteString(base)
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(q)
	}
	if hasFrag {
		b.WriteByte('#')
		b.WriteString(f)
	}
	return b.String()
}
