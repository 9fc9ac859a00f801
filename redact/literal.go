package redact

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// collector gathers the values the structural phase removed, so the
// literal phase can remove them wherever else they occur.
type collector struct {
	seen []string // distinct; an exchange yields a handful at most
}

func newCollector() *collector { return &collector{} }

// add records v (and its trimmed form) if it is long enough to be removed
// literally without erasing unrelated text.
func (c *collector) add(v string) {
	for _, s := range []string{v, strings.TrimSpace(v)} {
		if len(s) >= minRemovedLen && !strings.Contains(s, Marker) && !strings.Contains(Marker, s) && !slices.Contains(c.seen, s) {
			c.seen = append(c.seen, s)
		}
	}
}

// addCredential records a credential header value: the whole value and
// each of its parts, so that the token of "Bearer <token>", the signature
// of "APIKey=k,Signature=s,timestamp=t" and the password of a Basic
// credential are removed wherever they are echoed.
func (c *collector) addCredential(v string) {
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
			continue // the scheme: Bearer, Basic, EAN, ...
		}
		c.add(f)
		if i == 1 && strings.EqualFold(fields[0], "basic") {
			if dec, err := base64.StdEncoding.DecodeString(f); err == nil {
				if _, pass, ok := strings.Cut(string(dec), ":"); ok {
					c.add(pass) // the user (an OAuth2 client id) is no secret
				}
			}
		}
	}
}

func (c *collector) values() []string {
	return slices.Clone(c.seen)
}

// literal removes known secrets, in their raw and escaped forms, from text.
type literal struct {
	r    *strings.Replacer
	pats []string // longest first
}

// newLiteral returns the remover of secrets (at least minSecretLen long)
// and removed values (already filtered by the collector), or nil if there
// is nothing to remove. Strings that are part of Marker are ignored: they
// cannot be removed from text that contains the marker.
func newLiteral(secrets, removed []string) *literal {
	if len(secrets) == 0 && len(removed) == 0 {
		return nil
	}
	// The same secrets and removed values come back call after call (a
	// vendor's configured secrets, its current token): the remover built
	// for them is kept.
	slices.Sort(removed)
	var buf [512]byte
	key := buf[:0] // looked up without allocating; a string only when stored
	for _, s := range secrets {
		key = append(append(key, s...), 0)
	}
	key = append(key, 1)
	for _, s := range removed {
		key = append(append(key, s...), 0)
	}
	if l, ok := literals.get(key); ok {
		return l
	}
	l := buildLiteral(secrets, removed)
	literals.put(string(key), l)
	return l
}

// literalCache keeps the removers of recent secret sets: a small private
// map behind a mutex, emptied when full.
type literalCache struct {
	mu sync.Mutex
	m  map[string]*literal
}

// maxCachedLiterals bounds the cache; past it, it starts again empty.
const maxCachedLiterals = 256

var literals = &literalCache{m: map[string]*literal{}}

func (c *literalCache) get(key []byte) (*literal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.m[string(key)]
	return l, ok
}

func (c *literalCache) put(key string, l *literal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedLiterals {
		clear(c.m)
	}
	c.m[key] = l
}

func buildLiteral(secrets, removed []string) *literal {
	seen := map[string]bool{}
	var pats []string
	addVariants := func(s string) {
		for _, v := range variants(s) {
			if v == "" || seen[v] || strings.Contains(Marker, v) {
				continue
			}
			seen[v] = true
			pats = append(pats, v)
		}
	}
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			addVariants(s)
		}
	}
	for _, s := range removed {
		addVariants(s)
	}
	if len(pats) == 0 {
		return nil
	}
	// A strings.Replacer tries the patterns in argument order at each
	// position: the longest first removes the most.
	slices.SortFunc(pats, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	args := make([]string, 0, 2*len(pats))
	for _, p := range pats {
		args = append(args, p, Marker)
	}
	return &literal{r: strings.NewReplacer(args...), pats: pats}
}

// variants returns s as it may appear in a URL, a form, a JSON string or
// XML text.
func variants(s string) []string {
	out := []string{s, url.QueryEscape(s), url.PathEscape(s)}
	if b, err := json.Marshal(s); err == nil {
		out = append(out, string(b[1:len(b)-1]))
	}
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if enc.Encode(s) == nil {
		j := strings.TrimSuffix(sb.String(), "\n")
		out = append(out, j[1:len(j)-1])
	}
	sb.Reset()
	if xml.EscapeText(&sb, []byte(s)) == nil {
		out = append(out, sb.String())
	}
	return out
}

// has reports whether s contains any pattern.
func (l *literal) has(s string) bool {
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

// apply removes every pattern from s. It repeats, a few times at most, in
// case a replacement formed a new occurrence (only possible for secrets
// that contain '[' or ']').
func (l *literal) apply(s string) string {
	if l == nil {
		return s
	}
	for range 3 {
		if !l.has(s) {
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
