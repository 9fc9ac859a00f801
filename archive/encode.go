package archive

import (
	"slices"
	"strconv"

	"hotelrates"
	"hotelrates/internal/jsonw"
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
		b = jsonw.AppendString(b, done)
		b = append(b, ',')
	}
	if ex.ID != "" {
		b = append(b, `"id":`...)
		b = jsonw.AppendString(b, ex.ID)
		b = append(b, ',')
	}
	b = append(b, `"vendor":`...)
	b = jsonw.AppendString(b, ex.Vendor)
	if ex.SearchID != "" {
		b = append(b, `,"search_id":`...)
		b = jsonw.AppendString(b, ex.SearchID)
	}
	b = append(b, `,"kind":`...)
	b = jsonw.AppendString(b, string(ex.Kind))
	b = append(b, `,"start":`...)
	if t, err := ex.Start.MarshalJSON(); err == nil {
		b = append(b, t...)
	} else {
		b = append(b, `null`...) // a year outside 0-9999; encoding/json fails there
	}
	b = append(b, `,"duration_ms":`...)
	b = jsonw.AppendFloat(b, ex.DurationMS)
	b = append(b, `,"method":`...)
	b = jsonw.AppendString(b, ex.Method)
	b = append(b, `,"url":`...)
	b = jsonw.AppendString(b, ex.URL)
	if len(ex.RequestHeader) > 0 {
		b = append(b, `,"request_header":`...)
		b = appendHeader(b, ex.RequestHeader)
	}
	if ex.RequestBody != "" {
		b = append(b, `,"request_body":`...)
		b = jsonw.AppendString(b, ex.RequestBody)
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
		b = jsonw.AppendString(b, ex.ResponseBody)
	}
	if ex.Error != "" {
		b = append(b, `,"error":`...)
		b = jsonw.AppendString(b, ex.Error)
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
		b = jsonw.AppendString(b, k)
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
			b = jsonw.AppendString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}
