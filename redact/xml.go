package redact

import (
	"encoding/xml"
	"io"
	"strings"
)

// splice replaces body[start:end] with Marker.
type splice struct{ start, end int }

// redactXML replaces the text inside sensitive elements (at any depth
// below them) and the values of sensitive attributes. It edits the
// original bytes in place, so everything else, formatting included, is
// kept. If the document is malformed or truncated, what was parsed is
// redacted structurally and the whole result then goes through the text
// rules, which handle <Name ...>value</Name> and Name="value" forms, also
// cut short.
func redactXML(body string, col *collector) string {
	dec := xml.NewDecoder(strings.NewReader(body))
	dec.Entity = xml.HTMLEntity
	var (
		splices   []splice
		stack     []bool // whether each open element is sensitive
		sensDepth int    // how many open elements are sensitive
		prev      int
		broken    bool
	)
	for {
		tok, err := dec.RawToken()
		if err != nil {
			broken = err != io.EOF
			break
		}
		cur := int(dec.InputOffset())
		if cur < prev || cur > len(body) {
			broken = true
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			s := Sensitive(t.Name.Local)
			stack = append(stack, s)
			if s {
				sensDepth++
			}
			attrSensitive := false
			for _, a := range t.Attr {
				if a.Value != "" && Sensitive(a.Name.Local) {
					col.add(a.Value)
					attrSensitive = true
				}
			}
			if attrSensitive {
				splices = append(splices, sensitiveAttrs(body, prev, cur)...)
			}
		case xml.EndElement:
			if n := len(stack); n > 0 {
				if stack[n-1] {
					sensDepth--
				}
				stack = stack[:n-1]
			}
		case xml.CharData:
			if sensDepth > 0 && strings.TrimSpace(string(t)) != "" && cur > prev {
				col.add(string(t))
				splices = append(splices, splice{prev, cur})
			}
		}
		prev = cur
	}
	out := applySplices(body, splices)
	if broken || len(stack) > 0 {
		out = scrubText(out, col)
	}
	return out
}

// sensitiveAttrs returns the splices of the non-empty values of sensitive
// attributes in the start tag body[start:end] ("<Name a='v' b="w">").
func sensitiveAttrs(body string, start, end int) []splice {
	var out []splice
	i := start
	for i < end && body[i] != '<' {
		i++
	}
	i++
	for i < end && !isXMLSpace(body[i]) && body[i] != '>' && body[i] != '/' {
		i++ // the element name
	}
	for i < end {
		for i < end && isXMLSpace(body[i]) {
			i++
		}
		if i >= end || body[i] == '>' || body[i] == '/' {
			break
		}
		ns := i
		for i < end && body[i] != '=' && !isXMLSpace(body[i]) && body[i] != '>' {
			i++
		}
		name := body[ns:i]
		for i < end && isXMLSpace(body[i]) {
			i++
		}
		if i >= end || body[i] != '=' {
			break
		}
		i++
		for i < end && isXMLSpace(body[i]) {
			i++
		}
		if i >= end || (body[i] != '"' && body[i] != '\'') {
			break
		}
		q := body[i]
		vs := i + 1
		ve := strings.IndexByte(body[vs:end], q)
		if ve < 0 {
			break
		}
		ve += vs
		if ve > vs && Sensitive(name) {
			out = append(out, splice{vs, ve})
		}
		i = ve + 1
	}
	return out
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// applySplices replaces each splice of body, in order and not
// overlapping, with Marker.
func applySplices(body string, splices []splice) string {
	if len(splices) == 0 {
		return body
	}
	var b strings.Builder
	b.Grow(len(body))
	last := 0
	for _, s := range splices {
		if s.start < last || s.end < s.start {
			continue
		}
		b.WriteString(body[last:s.start])
		b.WriteString(Marker)
		last = s.end
	}
	b.WriteString(body[last:])
	return b.String()
}
