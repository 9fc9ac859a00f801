package redact

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// collector gathers the values the structural phase removed, so the
// literal phase can remove them wherever else they occur. Its zero value
// is ready to use, and lives on the caller's stack: nothing keeps a
// pointer to a collector past the call that made it (rewriteJSON works on
// a copy for that reason).
type collector struct {
	seen  []string            // distinct; an exchange yields a handful, mostly
	index map[string]struct{} // seen as a set, once it outgrows maxSeenScan
}

// maxSeenScan is the most values the collector checks for duplicates one
// by one.
const maxSeenScan = 32

// has reports whether v is collected already.
func (c *collector) has(v string) bool {
	if c.index != nil {
		_, ok := c.index[v]
		return ok
	}
	return slices.Contains(c.seen, v)
}

func newCollector() *collector { return &collector{} }

// add records v (and its trimmed form) if it is long enough to be removed
// literally without erasing unrelated text.
func (c *collector) add(v string) {
	c.addOne(v)
	if t := strings.TrimSpace(v); len(t) != len(v) {
		c.addOne(t)
	}
}

func (c *collector) addOne(s string) {
	if len(s) >= minRemovedLen && !strings.Contains(s, Marker) && !strings.Contains(Marker, s) && !c.has(s) {
		if c.index == nil && len(c.seen) >= maxSeenScan {
			// Past a handful, duplicates are found in a set: an answer
			// with thousands of sensitive values must not cost n².
			c.index = make(map[string]struct{}, 2*maxSeenScan)
			for _, v := range c.seen {
				c.index[v] = struct{}{}
			}
		}
		if c.index != nil {
			c.index[s] = struct{}{}
		}
		if c.seen == nil {
			// One allocation for the usual handful (a credential header
			// yields its whole value and its token) instead of one per
			// doubling.
			c.seen = make([]string, 0, 4)
		}
		c.seen = append(c.seen, s)
	}
}

// isCredentialSep reports whether b separates the parts of a credential
// header value: the bytes strings.FieldsFunc split on before, ' ', '\t',
// ',' and ';' (all ASCII, so splitting bytes equals splitting runes).
func isCredentialSep(b byte) bool { return b == ' ' || b == '\t' || b == ',' || b == ';' }

// credentialField returns the bounds of the first field of v at or after
// i; start is len(v) when there is none.
func credentialField(v string, i int) (start, end int) {
	for i < len(v) && isCredentialSep(v[i]) {
		i++
	}
	start = i
	for i < len(v) && !isCredentialSep(v[i]) {
		i++
	}
	return start, i
}

// moreFields reports whether a field of v follows i.
func moreFields(v string, i int) bool {
	for i < len(v) && isCredentialSep(v[i]) {
		i++
	}
	return i < len(v)
}

// addCredential records a credential header value: the whole value and
// each of its parts, so that the token of "Bearer <token>", the signature
// of "APIKey=k,Signature=s,timestamp=t" and the password of a Basic
// credential are removed wherever they are echoed. It walks the fields in
// place rather than splitting them into a slice: nearly every request
// carries such a header, and the slice was an allocation per call.
func (c *collector) addCredential(v string) {
	c.add(v)
	var scheme string // the first field
	for n, i := 0, 0; ; n++ {
		s, e := credentialField(v, i)
		if s == len(v) {
			return
		}
		f := v[s:e]
		i = e
		if n == 0 {
			scheme = f
		}
		if _, val, ok := strings.Cut(f, "="); ok {
			c.add(strings.Trim(val, `"'`))
			continue
		}
		if n == 0 && moreFields(v, e) {
			continue // the scheme: Bearer, Basic, EAN, ...
		}
		c.add(f)
		if n == 1 && strings.EqualFold(scheme, "basic") {
			if dec, err := base64.StdEncoding.DecodeString(f); err == nil {
				if _, pass, ok := strings.Cut(string(dec), ":"); ok {
					c.add(pass) // the user (an OAuth2 client id) is no secret
				}
			}
		}
	}
}

// values returns what c collected, sorted (newLiteral's cache key wants
// them in order). It is c's own slice, not a copy: the collector is done
// with once its values are taken. A slice already in order is not
// written to: Response's collector starts from a Seen's values, which it
// must not modify.
func (c *collector) values() []string {
	if !slices.IsSorted(c.seen) {
		slices.Sort(c.seen)
	}
	return c.seen
}

// literal removes known secrets, in their raw and escaped forms, from text.
type literal struct {
	r    *strings.Replacer
	pats []string // longest first
	// probe are the patterns that contain no other pattern: a text holds
	// some pattern exactly when it holds one of these (a pattern holding
	// another one brings it along). The variants of "Bearer <token>"
	// all hold the token, so a typical exchange's check is two searches
	// (the token, the vendor's secret), not five.
	probe []string
	// secrets is a copy of the secrets it was built for, so Response can
	// tell that the literal Request built still fits.
	secrets []string
}

// newLiteral returns the remover of secrets (at least minSecretLen long)
// and removed values (already filtered by the collector), or nil if there
// is nothing to remove. Strings that are part of Marker are ignored: they
// cannot be removed from text that contains the marker. It modifies
// neither slice.
func newLiteral(secrets, removed []string) *literal {
	if len(secrets) == 0 && len(removed) == 0 {
		return nil
	}
	// The same secrets and removed values come back call after call (a
	// vendor's configured secrets, its current token): the remover built
	// for them is kept. Its key wants removed in order; the collectors
	// hand them over sorted already, so this copies only for other callers.
	if !slices.IsSorted(removed) {
		removed = slices.Sorted(slices.Values(removed))
	}
	var buf [512]byte
	key := appendLiteralKey(buf[:0], secrets, removed) // looked up without allocating; a string only when stored
	if l, ok := literals.get(key); ok {
		return l
	}
	l := buildLiteral(secrets, removed)
	literals.put(string(key), l)
	return l
}

// appendLiteralKey appends the cache key of (secrets, removed): the
// number of secrets, then every string prefixed by its length. Unlike
// strings joined by separator bytes, no two different pairs of lists
// share a key, whatever bytes their strings hold (a removed value decoded
// from JSON may hold any): a shared key would hand one exchange the
// remover of another, which misses its values.
func appendLiteralKey(key []byte, secrets, removed []string) []byte {
	key = binary.AppendUvarint(key, uint64(len(secrets)))
	for _, list := range [][]string{secrets, removed} {
		for _, s := range list {
			key = binary.AppendUvarint(key, uint64(len(s)))
			key = append(key, s...)
		}
	}
	return key
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
	return &literal{r: strings.NewReplacer(args...), pats: pats, probe: probePatterns(pats), secrets: slices.Clone(secrets)}
}

// maxProbeReduce bounds the patterns probePatterns reduces (quadratic).
const maxProbeReduce = 64

// probePatterns returns the patterns of pats (longest first) that contain
// no other one, in the same order.
func probePatterns(pats []string) []string {
	if len(pats) > maxProbeReduce {
		// The reduction compares every pair: past a handful of patterns
		// (a hostile answer may bring thousands of removed values) it
		// costs more than it saves. Every pattern is a correct probe.
		return pats
	}
	var out []string
	for i, p := range pats {
		minimal := true
		// Only the patterns after p can be part of it: those before are
		// longer, or as long and different.
		for _, q := range pats[i+1:] {
			if strings.Contains(p, q) {
				minimal = false
				break
			}
		}
		if minimal {
			out = append(out, p)
		}
	}
	return out
}

// fits reports whether l, built for some removed values, is also what
// newLiteral would build for secrets and those same values: whether l was
// built for secrets, byte for byte. A caller's secrets are compared, not
// just its slice, in case it was modified in between.
func (l *literal) fits(secrets []string) bool {
	return l != nil && slices.Equal(l.secrets, secrets)
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
	if len(l.probe) > maxProbeScan {
		// One search per pattern costs patterns x len(s): an answer with
		// thousands of sensitive values (a token per offer) made that
		// seconds per exchange. The replacer finds every pattern in one
		// pass; a text it leaves unchanged holds none (no pattern holds
		// the Marker, see collector.addOne).
		return l.r.Replace(s) != s
	}
	for _, p := range l.probe {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// maxProbeScan is the most patterns has searches for one by one.
const maxProbeScan = 16

// apply removes every pattern from s. It repeats, a few times at most, in
// case a replacement formed a new occurrence (only possible for secrets
// that contain '[' or ']').
func (l *literal) apply(s string) string {
	if !l.has(s) {
		return s
	}
	return l.replace(s)
}

// replace is apply for an s known to contain a pattern: a caller that
// checked already saves searching s again.
func (l *literal) replace(s string) string {
	for i := range 3 {
		if i > 0 && !l.has(s) {
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
