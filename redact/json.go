package redact

import (
	"encoding/json"
	"strings"
)

// markerJSON is Marker as a JSON string.
const markerJSON = `"` + Marker + `"`

// edit replaces b[start:end] with repl.
type edit struct {
	start, end int
	repl       string
}

// jsonWalker walks a JSON text already checked by json.Valid and records
// edits to its bytes, so everything it does not edit (formatting, key
// order, number literals) is kept. With col set (the structural phase) it
// replaces the values of sensitive keys and collects what they held; with
// lit set (the literal phase) it removes known secrets from every key,
// string and number.
type jsonWalker struct {
	b   string
	i   int
	col *collector // &colv or nil
	// colv is the caller's collector, copied in and back out: escape
	// analysis cannot follow the recursive walk and lets whatever w
	// points to escape, so pointing at the caller's collector would move
	// every caller's collector to the heap, on every call, for the sake
	// of this rarer path.
	colv  collector
	lit   *literal
	edits []edit
	// sensitive caches Sensitive by raw key, for keys with escapes, whose
	// decoding is dear: an answer repeats a few keys thousands of times.
	sensitive map[string]bool
}

// rewriteJSON applies the walker to the valid JSON text body. It returns
// body itself when nothing needs replacing.
func rewriteJSON(body string, col *collector, lit *literal) string {
	w := &jsonWalker{b: body, lit: lit}
	if col != nil {
		w.colv = *col
		w.col = &w.colv
	}
	w.value(false)
	if col != nil {
		*col = w.colv
	}
	if len(w.edits) == 0 {
		return body
	}
	var sb strings.Builder
	sb.Grow(len(body))
	last := 0
	for _, e := range w.edits {
		sb.WriteString(body[last:e.start])
		sb.WriteString(e.repl)
		last = e.end
	}
	sb.WriteString(body[last:])
	return sb.String()
}

func (w *jsonWalker) ws() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\r', '\n':
			w.i++
		default:
			return
		}
	}
}

// value walks one value. In collect mode (inside the value of a sensitive
// key) its strings and numbers, but not its keys, are collected.
func (w *jsonWalker) value(collect bool) {
	w.ws()
	if w.i >= len(w.b) {
		return
	}
	switch c := w.b[w.i]; c {
	case '{', '[':
		w.i++
		for {
			w.ws()
			if w.i >= len(w.b) {
				return
			}
			if w.b[w.i] == '}' || w.b[w.i] == ']' {
				w.i++
				return
			}
			start := w.i
			if c == '{' {
				ks, ke := w.str()
				w.literalString(ks, ke)
				w.ws()
				if w.i < len(w.b) && w.b[w.i] == ':' {
					w.i++
				}
				w.ws()
				if !collect && w.col != nil && w.isSensitive(w.b[ks:ke]) {
					vs := w.i
					w.value(true)
					if raw := w.b[vs:w.i]; replaceable(raw) {
						w.edits = append(w.edits, edit{vs, w.i, markerJSON})
					}
				} else {
					w.value(collect)
				}
			} else {
				w.value(collect)
			}
			w.ws()
			if w.i < len(w.b) && w.b[w.i] == ',' {
				w.i++
			}
			if w.i == start { // not valid JSON after all: stop
				w.i = len(w.b)
				return
			}
		}
	case '"':
		s, e := w.str()
		if collect {
			w.col.add(decodeJSONString(w.b[s:e]))
		}
		w.literalString(s, e)
	default: // number, true, false, null
		s := w.i
		for w.i < len(w.b) && !strings.ContainsRune(",]} \t\r\n", rune(w.b[w.i])) {
			w.i++
		}
		if w.i == s {
			w.i++ // not valid JSON after all: step over
			return
		}
		tok := w.b[s:w.i]
		if c == '-' || ('0' <= c && c <= '9') {
			if collect {
				w.col.add(tok)
			}
			if w.lit.has(tok) {
				w.edits = append(w.edits, edit{s, w.i, markerJSON})
			}
		}
	}
}

// isSensitive reports whether the key raw (a JSON string literal) names
// a credential.
func (w *jsonWalker) isSensitive(raw string) bool {
	if len(raw) >= 2 && strings.IndexByte(raw, '\\') < 0 {
		// A plain key: Sensitive reads it faster than the map finds it.
		return Sensitive(raw[1 : len(raw)-1])
	}
	s, ok := w.sensitive[raw]
	if !ok {
		if w.sensitive == nil {
			w.sensitive = map[string]bool{}
		}
		s = Sensitive(decodeJSONString(raw))
		w.sensitive[raw] = s
	}
	return s
}

// str steps over the string at w.i and returns its span, quotes included.
func (w *jsonWalker) str() (start, end int) {
	start = w.i
	j := w.i + 1
	for j < len(w.b) {
		switch w.b[j] {
		case '\\':
			j += 2
			continue
		case '"':
			w.i = j + 1
			return start, w.i
		}
		j++
	}
	w.i = len(w.b)
	return start, w.i
}

// literalString removes known secrets from the string b[s:e] (quotes
// included), in its decoded form; if even its encoded form spells a secret
// (an escape such as \u0001 spelling "u0001"), the whole string goes.
func (w *jsonWalker) literalString(s, e int) {
	if w.lit == nil || e-s < 2 {
		return
	}
	raw := w.b[s:e]
	content := raw[1 : len(raw)-1]
	escaped := strings.IndexByte(content, '\\') >= 0
	if !w.lit.has(content) && !escaped {
		return
	}
	dec := decodeJSONString(raw)
	if !w.lit.has(content) && !w.lit.has(dec) {
		return
	}
	enc := encodeJSONString(w.lit.apply(dec))
	if w.lit.has(enc) {
		enc = markerJSON
	}
	w.edits = append(w.edits, edit{s, e, enc})
}

// replaceable reports whether the value raw is worth replacing: not an
// empty string, a boolean or null, which reveal nothing.
func replaceable(raw string) bool {
	if raw == "" || raw == `""` {
		return false
	}
	switch raw[0] {
	case 't', 'f', 'n':
		return false
	}
	return true
}

// decodeJSONString returns the value of the JSON string literal raw.
func decodeJSONString(raw string) string {
	if len(raw) < 2 {
		return ""
	}
	if strings.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	var s string
	if json.Unmarshal([]byte(raw), &s) != nil {
		return raw[1 : len(raw)-1]
	}
	return s
}

// encodeJSONString returns s as a JSON string literal, without escaping
// HTML characters.
func encodeJSONString(s string) string {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(sb.String(), "\n")
}
