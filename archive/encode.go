package archive

import (
	"slices"
	"strconv"
	"time"

	"hotelrates"
	"hotelrates/internal/jsonw"
)

// appendRecord appends ex as one JSON object, exactly as encoding/json
// marshals journalLine{Done: done, Exchange: ex} (or ex alone when done
// is ""), without reflection: it is the archive's per-call encoding, run
// thousands of times a second. FuzzAppendRecord holds it to
// encoding/json's bytes.
func appendRecord(b []byte, done string, ex *hotelrates.Exchange) []byte {
	b, _ = encodeRecord(b, done, ex, nil)
	return b
}

// encodedRequest is an exchange's request as an earlier encodeRecord
// encoded it (a journal begin line): the values of the fields that Begin
// and Record get alike, and where their encodings are in enc. A record of
// the same exchange copies those bytes instead of encoding the fields a
// second time. It is never modified once made, so it is read without a
// lock.
type encodedRequest struct {
	enc   []byte
	spans requestSpans
	// The values the spans were encoded from; RequestHeader is not kept
	// (a map can change after the encoding), so it is always encoded.
	id, vendor, searchID string
	kind                 hotelrates.CallKind
	start                time.Time
	method, url, body    string
}

// requestSpans locate, in a record's encoding, what encodeRecord can copy
// from an earlier one: each is a [start, end) range of bytes.
type requestSpans struct {
	head [2]int // "id" (when set) through "start"'s value
	call [2]int // ,"method":...,"url":...
	body [2]int // ,"request_body":... (empty when there is none)
}

func (r *encodedRequest) span(s [2]int) []byte { return r.enc[s[0]:s[1]] }

// sameHead reports whether ex's fields in the head span are those r's
// were encoded from. Start is compared with ==, not Equal: its encoding
// depends on its location too, and equal representations encode alike.
func (r *encodedRequest) sameHead(ex *hotelrates.Exchange) bool {
	return ex.ID == r.id && ex.Vendor == r.vendor && ex.SearchID == r.searchID && ex.Kind == r.kind && ex.Start == r.start
}

// newEncodedRequest returns what a record of ex can copy from enc,
// ex's encoding by encodeRecord with the spans it returned.
func newEncodedRequest(enc []byte, spans requestSpans, ex *hotelrates.Exchange) *encodedRequest {
	return &encodedRequest{enc: enc, spans: spans, id: ex.ID, vendor: ex.Vendor, searchID: ex.SearchID, kind: ex.Kind,
		start: ex.Start, method: ex.Method, url: ex.URL, body: ex.RequestBody}
}

// encodeRecord appends ex as appendRecord does, and returns where its
// request spans are in b. from, when not nil, is an earlier encoding of
// the exchange's request: each span whose fields have the values it was
// encoded from is copied from it rather than encoded, which yields the
// same bytes, since the encoding of those fields depends on their values
// alone (TestEncodeRecordFrom and FuzzEncodeRecordFrom check it).
func encodeRecord(b []byte, done string, ex *hotelrates.Exchange, from *encodedRequest) ([]byte, requestSpans) {
	var sp requestSpans
	b = append(b, '{')
	if done != "" {
		b = append(b, `"done":`...)
		b = jsonw.AppendString(b, done)
		b = append(b, ',')
	}
	sp.head[0] = len(b)
	if from != nil && from.sameHead(ex) {
		b = append(b, from.span(from.spans.head)...)
	} else {
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
		b = appendTime(b, ex.Start)
	}
	sp.head[1] = len(b)
	b = append(b, `,"duration_ms":`...)
	b = jsonw.AppendFloat(b, ex.DurationMS)
	sp.call[0] = len(b)
	if from != nil && ex.Method == from.method && ex.URL == from.url {
		b = append(b, from.span(from.spans.call)...)
	} else {
		b = append(b, `,"method":`...)
		b = jsonw.AppendString(b, ex.Method)
		b = append(b, `,"url":`...)
		b = jsonw.AppendString(b, ex.URL)
	}
	sp.call[1] = len(b)
	if len(ex.RequestHeader) > 0 {
		b = append(b, `,"request_header":`...)
		b = appendHeader(b, ex.RequestHeader)
	}
	sp.body[0] = len(b)
	if ex.RequestBody != "" {
		if from != nil && ex.RequestBody == from.body {
			b = append(b, from.span(from.spans.body)...)
		} else {
			b = append(b, `,"request_body":`...)
			b = jsonw.AppendString(b, ex.RequestBody)
		}
	}
	sp.body[1] = len(b)
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
	return append(b, '}'), sp
}

// appendTime appends t as encoding/json does (Time.MarshalJSON), without
// MarshalJSON's allocation: AppendText formats it the same way, with the
// same checks. A year outside 0-9999 (where encoding/json fails) becomes
// null.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	if tb, err := t.AppendText(b); err == nil {
		return append(tb, '"')
	}
	return append(b[:len(b)-1], `null`...)
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
