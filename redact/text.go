package redact

import (
	"encoding/json"
	"regexp"
	"strings"
)

// A textRule finds candidate name/value pairs in free text. The value is
// replaced when the name is sensitive (or always, when name is 0).
type textRule struct {
	re *regexp.Regexp
	// name is the index of the name's capture group; 0 means every match
	// is a credential.
	name int
	// values are the indices of the capture groups that may hold the value;
	// the first that matched is replaced.
	values []int
	// resumeAfterName: after a match with a name that is not sensitive,
	// search again right after the name rather than after the whole match
	// (so "ns:Password=x" is not hidden by the non-sensitive "ns:...").
	resumeAfterName bool
}

var textRules = []textRule{
	// Header-like lines: "Authorization: Bearer abc", "Cookie: a=b; c=d".
	// The whole rest of the line is the value.
	{
		re:     regexp.MustCompile(`(?m)^[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*:[ \t]*([^\r\n]*[^\s])`),
		name:   1,
		values: []int{2},
	},
	// Credentials after an HTTP authentication scheme, anywhere.
	{
		re:     regexp.MustCompile(`(?i)\b(?:bearer|basic)[ \t]+([A-Za-z0-9._~+/-]{10,}=*)`),
		values: []int{1},
	},
	// XML elements, also truncated ones: <Password>value</Password>,
	// <ns:SessionID attr="x">value (up to the next '<' or the end).
	{
		re:     regexp.MustCompile(`<([A-Za-z_][\w.:-]*)(?:\s[^<>]*)?>([^<]*)`),
		name:   1,
		values: []int{2},
	},
	// name=value, name: value, "name":"value", name='value', Name="value"
	// (XML attributes), also truncated: a quoted value may lack its
	// closing quote at the end of the text. An unquoted value stops at
	// '=' and ':' so that a pair inside another pair's value
	// ("url=https://x?token=abc") is found, and so that rescanning after
	// a non-sensitive name stays linear.
	{
		re:              regexp.MustCompile(`\b([A-Za-z_][\w.-]*)"?\s*[:=]\s*(?:"((?:[^"\\\r\n]|\\.)*)"?|'([^'\r\n]*)'?|((?:(?i:bearer|basic|digest|ean)[ \t]+)?[^\s"'&,;:=<>{}\[\]()]+))`),
		name:            1,
		values:          []int{2, 3, 4},
		resumeAfterName: true,
	},
}

// scrubText applies every text rule to s, collecting what it removes.
func scrubText(s string, col *collector) string {
	for _, r := range textRules {
		s = r.apply(s, col)
	}
	return s
}

// scrubPairs applies only the name=value rule: for header values that are
// not credentials themselves but may carry one (Location, Link).
func scrubPairs(s string, col *collector) string {
	return textRules[len(textRules)-1].apply(s, col)
}

func (r textRule) apply(s string, col *collector) string {
	var b strings.Builder
	last, pos := 0, 0
	for pos < len(s) {
		m := r.re.FindStringSubmatchIndex(s[pos:])
		if m == nil {
			break
		}
		vs, ve := -1, -1
		for _, g := range r.values {
			if m[2*g] >= 0 {
				vs, ve = pos+m[2*g], pos+m[2*g+1]
				break
			}
		}
		end := pos + m[1]
		sensitive := true
		if r.name > 0 {
			sensitive = Sensitive(s[pos+m[2*r.name] : pos+m[2*r.name+1]])
			if !sensitive && r.resumeAfterName {
				end = pos + m[2*r.name+1]
			}
		}
		if sensitive && vs >= 0 {
			v := s[vs:ve]
			if strings.TrimSpace(v) != "" && v != Marker {
				col.add(v)
				if strings.Contains(v, `\`) {
					var u string
					if json.Unmarshal([]byte(`"`+v+`"`), &u) == nil {
						col.add(u)
					}
				}
				b.WriteString(s[last:vs])
				b.WriteString(Marker)
				last = ve
			}
		}
		if end <= pos { // an empty match: step over one byte
			end = pos + 1
		}
		pos = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
