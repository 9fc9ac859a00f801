package archive

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"hotelrates"
)

// appendRecord appends ex as one JSON object, exactly as encoding/json
// marshals journalLine{Done: done, Exchange: ex} (or ex alone when done
// is ""), without reflection: it is the archive's per-call encoding, run
// thousands of times a second. FuzzAppendRecord holds it to
// encoding/json's bytes.
func appendRecord(b []byte, done string, ex *hotelrates.Exchange) []byte {
	b = append(b, '{')
	if done != "" {
		b = append(b, `"done":`...)
		b = appendString(b, done)
		b = append(b, ',')
	}
	if ex.ID != "" {
		b = append(b, `"id":`...)
		b = appendString(b, ex.ID)
		b = append(b, ',')
	}
	b = append(b, `"vendor":`...)
	b = appendString(b, ex.Vendor)
	if ex.SearchID != "" {
		b = append(b, `,"search_id":`...)
		b = appendString(b, ex.SearchID)
	}
	b = append(b, `,"kind":`...)
	b = appendString(b, string(ex.Kind))
	b = append(b, `,"start":`...)
	if t, err := ex.Start.MarshalJSON(); err == nil {
		b = append(b, t...)
	} else {
		b = append(b, `null`...) // a year outside 0-9999; encoding/json fails there
	}
	b = append(b, `,"duration_ms":`...)
	b = appendFloat(b, ex.DurationMS)
	b = append(b, `,"method":`...)
	b = appendString(b, ex.Method)
	b = append(b, `,"url":`...)
	b = appendString(b, ex.URL)
	if len(ex.RequestHeader) > 0 {
		b = append(b, `,"request_header":`...)
		b = appendHeader(b, ex.RequestHeader)
	}
	if ex.RequestBody != "" {
		b = append(b, `,"request_body":`...)
		b = appendString(b, ex.RequestBody)
	}
	if ex.Status != 0 {
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(ex.Status), 10)
	}
	if len(ex.ResponseHeader) > 0 {
		b = append(b, `,"response_header":`...)
		b = appendHeader(b, ex.ResponseHeader)
	}
	if ex.ResponseBody != "" {
		b = append(b, `,"response_body":`...)
		b = appendString(b, ex.ResponseBody)
	}
	if ex.Error != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, ex.Error)
	}
	if ex.Interrupted {
		b = append(b, `,"interrupted":true`...)
	}
	return append(b, '}')
}

// appendHeader appends h with its keys sorted, as encoding/json does.
func appendHeader(b []byte, h map[string][]string) []byte {
	var small [16]string
	keys := small[:0]
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		vs := h[k]
		if vs == nil {
			b = append(b, `null`...)
			continue
		}
		b = append(b, '[')
		for j, v := range vs {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendFloat appends f as encoding/json formats a float64; NaN and the
// infinities, which it refuses, become 0.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string escaped as encoding/json
// escapes it by default: HTML's <, > and & too, invalid UTF-8 as U+FFFD,
// and U+2028 and U+2029.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
