package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// A Problem is one thing wrong with a config: its message names the key
// and says what is expected.
type Problem struct {
	// Line is the line of the file the problem is on; 0 when the key is
	// not in the file (a default, or a key that is missing).
	Line int
	// Key is the setting, as a path such as vendors[1].base_url; empty
	// when the problem is not one setting's.
	Key string
	// Msg says what is wrong, naming the key.
	Msg string
}

func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
	}
	return p.Msg
}

// Problems is every problem found in a config, in the file's order. It is
// the error Parse, Load and Validate return for a bad config.
type Problems []Problem

func (ps Problems) Error() string {
	if len(ps) == 1 {
		return ps[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(ps))
	for _, p := range ps {
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Err returns ps as an error, or nil when there is no problem.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// sortByLine orders problems by line, those without one last, keeping the
// order of problems on the same line.
func (ps Problems) sortByLine() {
	sort.SliceStable(ps, func(i, j int) bool {
		li, lj := ps[i].Line, ps[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0
		}
		return li < lj
	})
}

// locate gives each problem without a line the line of its key, or of the
// nearest enclosing key the file has (vendors[0] for a missing
// vendors[0].base_url).
func (ps Problems) locate(lines map[string]int) {
	for i := range ps {
		if ps[i].Line > 0 {
			continue
		}
		for key := ps[i].Key; key != ""; key = parentKey(key) {
			if l, ok := lines[key]; ok {
				ps[i].Line = l
				break
			}
		}
	}
}

// parentKey is the key enclosing key: vendors[0] for vendors[0].name,
// vendors for vendors[0], "" for a top-level key.
func parentKey(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i < 0 {
		return ""
	}
	return key[:i]
}

func joinKey(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// expand replaces ${NAME} in scalar values by the environment variable
// NAME, reporting every unset variable. It remembers the original text of
// each node it changed, so messages quote the reference, never a value
// from the environment (a secret).
func expand(n *yaml.Node, path string, getenv func(string) string, orig map[*yaml.Node]string, ps *Problems) {
	switch n.Kind {
	case yaml.ScalarNode:
		if !envRef.MatchString(n.Value) {
			return
		}
		var missing []string
		text := n.Value
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v := getenv(name)
			if v == "" {
				missing = append(missing, name)
			}
			return v
		})
		for _, name := range missing {
			msg := "environment variable " + name + " is not set"
			if path != "" {
				msg += " (" + path + ")"
			}
			*ps = append(*ps, Problem{Line: n.Line, Key: path, Msg: msg})
		}
		orig[n] = text
		if n.Style == 0 {
			n.Tag = "" // a plain scalar is typed by what it now says: 3 is a number, true a boolean
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			expand(n.Content[i], path, getenv, orig, ps)
			expand(n.Content[i+1], joinKey(path, n.Content[i].Value), getenv, orig, ps)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			expand(c, fmt.Sprintf("%s[%d]", path, i), getenv, orig, ps)
		}
	default:
		for _, c := range n.Content {
			expand(c, path, getenv, orig, ps)
		}
	}
}

// checker walks a YAML tree against the type it decodes into, reporting
// every unknown key, repeated key and value of the wrong form, with its
// line, and recording the line of every key it meets.
type checker struct {
	ps      Problems
	lines   map[string]int
	orig    map[*yaml.Node]string // the text before ${ENV} expansion
	aliased map[*yaml.Node]bool   // anchors already checked
	bad     []*yaml.Node          // values of the wrong form
	dropped map[*yaml.Node]bool   // keys to remove: unknown or repeated
}

func newChecker(orig map[*yaml.Node]string) *checker {
	return &checker{lines: map[string]int{}, orig: orig, aliased: map[*yaml.Node]bool{}, dropped: map[*yaml.Node]bool{}}
}

// mend makes the checked tree decodable, so the rest of the config can
// still be validated: it unsets every value of the wrong form and removes
// unknown and repeated keys.
func (k *checker) mend(n *yaml.Node) {
	for _, b := range k.bad {
		*b = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: b.Line, Column: b.Column}
	}
	k.bad = nil
	k.prune(n, map[*yaml.Node]bool{})
}

func (k *checker) prune(n *yaml.Node, seen map[*yaml.Node]bool) {
	if n == nil || seen[n] {
		return
	}
	seen[n] = true
	if n.Kind == yaml.AliasNode {
		k.prune(n.Alias, seen)
		return
	}
	if n.Kind == yaml.MappingNode {
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !k.dropped[n.Content[i]] {
				kept = append(kept, n.Content[i], n.Content[i+1])
			}
		}
		n.Content = kept
	}
	for _, c := range n.Content {
		k.prune(c, seen)
	}
}

// covered reports whether key is, is inside or encloses a key in keys.
func covered(key string, keys []string) bool {
	for _, k := range keys {
		if key == k || strings.HasPrefix(key, k+".") || strings.HasPrefix(key, k+"[") ||
			strings.HasPrefix(k, key+".") || strings.HasPrefix(k, key+"[") {
			return true
		}
	}
	return false
}

var (
	durationType    = reflect.TypeFor[time.Duration]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
)

func (k *checker) add(n *yaml.Node, key, format string, args ...any) {
	k.ps = append(k.ps, Problem{Line: n.Line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// wrong reports the value n of key as of the wrong form, and unsets it
// for mend.
func (k *checker) wrong(n *yaml.Node, key, format string, args ...any) {
	k.add(n, key, format, args...)
	k.bad = append(k.bad, n)
}

// check checks n, the value of key path, against t.
func (k *checker) check(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || k.aliased[n.Alias] {
			return
		}
		k.aliased[n.Alias] = true
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // null leaves the setting unset
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			k.wrong(n, path, "%s: %s", keyName(path), strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		k.check(n, t.Elem(), path)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			k.wrong(n, path, "%s must be a mapping of keys, not %s", keyName(path), k.shown(n))
			return
		}
		k.mapping(n, fieldsOf(t), path, map[string]int{})
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			k.wrong(n, path, "%s must be a list, not %s", keyName(path), k.shown(n))
			return
		}
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			k.lines[p] = item.Line
			k.check(item, t.Elem(), p)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			k.wrong(n, path, "%s must be a mapping, not %s", keyName(path), k.shown(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := joinKey(path, n.Content[i].Value)
			k.lines[p] = n.Content[i].Line
			k.check(n.Content[i+1], t.Elem(), p)
		}
	default:
		if n.Kind != yaml.ScalarNode {
			k.wrong(n, path, "%s must be %s, not %s", keyName(path), want(t), k.shown(n))
			return
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			k.wrong(n, path, "%s must be %s, not %s", keyName(path), want(t), k.shown(n))
		}
	}
}

// mapping checks the keys of the mapping n against a struct's fields;
// seen holds the keys met so far (merged mappings share it).
func (k *checker) mapping(n *yaml.Node, fields []field, path string, seen map[string]int) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind == yaml.ScalarNode && kn.ShortTag() == "!!merge" {
			k.merge(vn, fields, path, seen)
			continue
		}
		name := kn.Value
		p := joinKey(path, name)
		f, ok := fieldNamed(fields, name)
		if !ok {
			shown := truncate(name, 60)
			if q := strconv.Quote(shown); q != `"`+shown+`"` {
				shown = q
			}
			msg := fmt.Sprintf("field %s not found %s", shown, where(path))
			if s := closest(name, fields); s != "" {
				msg += "; did you mean " + s + "?"
			}
			k.add(kn, p, "%s", msg)
			k.dropped[kn] = true
			continue
		}
		if line, dup := seen[name]; dup {
			k.add(kn, p, "%s is given twice (also on line %d)", p, line)
			k.dropped[kn] = true
			continue
		}
		seen[name] = kn.Line
		k.lines[p] = kn.Line
		k.check(vn, f.t, p)
	}
}

// merge checks a merge key's value (<<: *anchor, or a list of them).
func (k *checker) merge(n *yaml.Node, fields []field, path string, seen map[string]int) {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || k.aliased[n.Alias] {
			return
		}
		k.aliased[n.Alias] = true
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		k.mapping(n, fields, path, seen)
	case yaml.SequenceNode:
		for _, c := range n.Content {
			k.merge(c, fields, path, seen)
		}
	default:
		k.wrong(n, path, "%s: a merge (<<) takes a mapping or a list of them, not %s", keyName(path), k.shown(n))
	}
}

// shown describes a node's value for a message: a scalar quoted (or, if
// it came from the environment, as the reference it was written as), else
// its kind.
func (k *checker) shown(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if text, ok := k.orig[n]; ok {
			return "the value of " + truncate(text, 60)
		}
		return strconv.Quote(truncate(n.Value, 60))
	}
	return "that"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// keyName is how messages name the key path.
func keyName(path string) string {
	if path == "" {
		return "the config"
	}
	return path
}

// where says where a key is, for an unknown key's message.
func where(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "in " + path
}

// want describes the form a value of type t is written in.
func want(t reflect.Type) string {
	if t == durationType {
		return "a duration such as 5s, 250ms or 1m30s"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, not negative"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	}
	return "a " + t.Kind().String()
}

// A field is a YAML key of a struct and the type of its value.
type field struct {
	name string
	t    reflect.Type
}

// fieldsOf lists the YAML keys of struct type t as go.yaml.in/yaml/v3
// names them, inline structs flattened.
func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				fs = append(fs, fieldsOf(ft)...)
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		fs = append(fs, field{name, sf.Type})
	}
	return fs
}

func fieldNamed(fs []field, name string) (field, bool) {
	for _, f := range fs {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

// closest is the known key most like name (at most two edits away, or
// one containing the other), or "".
func closest(name string, fs []field) string {
	best, bestD := "", 3
	for _, f := range fs {
		d := editDistance(strings.ToLower(name), f.name)
		if d < bestD {
			best, bestD = f.name, d
		}
	}
	if best == "" && len(name) >= 4 {
		for _, f := range fs {
			if strings.Contains(f.name, strings.ToLower(name)) || strings.Contains(strings.ToLower(name), f.name) {
				return f.name
			}
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, in bytes, for
// short keys (longer ones are far from everything).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
