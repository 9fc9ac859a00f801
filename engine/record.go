package engine

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hotelrates"
	"hotelrates/redact"
)

// maxRecordedBody is the most of one body kept in an archive record.
const maxRecordedBody = 1 << 20

// recordingTransport records every exchange with one vendor, redacted,
// and hands it to the Recorder when the response body is closed (or the
// round trip failed). A WriteAheadRecorder is told of the exchange before
// the request goes out.
type recordingTransport struct {
	base    http.RoundTripper
	vendor  string
	rec     Recorder
	ahead   WriteAheadRecorder // rec, when it is one
	secrets []string
	maxBody int    // the most of one body kept in a record: maxRecordedBody
	idBase  string // random per transport: IDs stay unique across runs
	seq     atomic.Uint64
}

func newRecordingTransport(base http.RoundTripper, vendor string, rec Recorder, secrets []string) *recordingTransport {
	var b [6]byte
	rand.Read(b[:])
	t := &recordingTransport{base: base, vendor: vendor, rec: rec, secrets: secrets, maxBody: maxRecordedBody, idBase: hex.EncodeToString(b[:]) + "-"}
	t.ahead, _ = rec.(WriteAheadRecorder)
	return t
}

// exchangeState is what recording one exchange needs, allocated once per
// round trip: the record, the request copy sent in the caller's place and
// its body's reader, the redaction state and the response body that
// records. (The body's io.NopCloser wrapper is one more, small, allocation:
// see RoundTrip.)
type exchangeState struct {
	ex   hotelrates.Exchange
	seen redact.Seen
	sb   strings.Builder // the request body, read once
	req  http.Request
	body strings.Reader
	rb   recordingBody
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	call := hotelrates.CallFromContext(req.Context())
	if call.Kind == "" {
		call.Kind = hotelrates.CallRates
	}
	st := &exchangeState{}
	ex := &st.ex
	*ex = hotelrates.Exchange{
		ID:     t.idBase + strconv.FormatUint(t.seq.Add(1), 36),
		Vendor: t.vendor, SearchID: call.SearchID, Kind: call.Kind, Start: time.Now().UTC(),
		Method: req.Method, URL: req.URL.String(), RequestHeader: req.Header,
	}
	if t.ahead == nil {
		// Redacted only once the answer is in: a copy of the headers as
		// they were sent. (With a journal they are redacted, into new
		// maps, before the request goes out.)
		ex.RequestHeader = req.Header.Clone()
	}
	if req.Body != nil && req.Body != http.NoBody {
		// The whole body goes to the vendor; the record keeps its first
		// t.maxBody bytes.
		// Read into a string once: the record keeps it and the copy of
		// the request sends it (no second copy).
		if n := req.ContentLength; n > 0 && n <= int64(t.maxBody) {
			st.sb.Grow(int(n))
		}
		_, err := io.Copy(&st.sb, req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		b := st.sb.String()
		ex.RequestBody = b
		if len(b) > t.maxBody {
			ex.RequestBody = strings.Clone(b[:t.maxBody]) // not the whole body kept alive by the record
		}
		// A shallow copy with a body of its own (a RoundTripper must not
		// modify the caller's request; nothing here modifies what the copy
		// shares with it).
		st.req = *req
		st.body.Reset(b)
		// io.NopCloser of a *strings.Reader, which net/http knows is in
		// memory: it writes the headers and the body in one write, not
		// headers flushed first and the body after (two syscalls and two
		// packets per call). One allocation of 16 bytes, against a
		// syscall.
		st.req.Body = io.NopCloser(&st.body)
		st.req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(b)), nil }
		req = &st.req
	}
	var seen *redact.Seen
	if t.ahead != nil {
		// The request is redacted once, for the journal and the record.
		intent := *ex // redact.Request builds new headers: ex's copy stays as it was
		st.seen = redact.Request(&intent, t.secrets)
		seen = &st.seen
		t.ahead.Begin(intent)
		ex.URL, ex.RequestHeader, ex.RequestBody = intent.URL, intent.RequestHeader, intent.RequestBody
	}
	ctx := context.WithoutCancel(req.Context())
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		ex.Error = err.Error()
		t.finish(ctx, ex, seen)
		return nil, err
	}
	ex.Status = resp.StatusCode
	// Redaction builds new header maps; the response's is only read.
	ex.ResponseHeader = resp.Header
	rb := &st.rb
	rb.rc, rb.ex, rb.t, rb.ctx, rb.seen = resp.Body, ex, t, ctx, seen
	if n := resp.ContentLength; n > 0 {
		rb.buf.Grow(int(min(n, int64(t.maxBody))))
	}
	resp.Body = rb
	return resp, nil
}

// finish redacts and records ex; seen, when set, says its request was
// redacted already (for the journal).
func (t *recordingTransport) finish(ctx context.Context, ex *hotelrates.Exchange, seen *redact.Seen) {
	ex.DurationMS = float64(time.Since(ex.Start).Microseconds()) / 1000
	if seen != nil {
		redact.Response(ex, t.secrets, *seen)
	} else {
		redact.Exchange(ex, t.secrets)
	}
	t.rec.Record(ctx, *ex)
}

type recordingBody struct {
	rc   io.ReadCloser
	ex   *hotelrates.Exchange
	t    *recordingTransport
	ctx  context.Context
	buf  strings.Builder // its String is the record's body, not copied
	once sync.Once
	seen *redact.Seen // the request already redacted
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if room := b.t.maxBody - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(n, room)])
	}
	if err != nil && err != io.EOF {
		b.ex.Error = "reading body: " + err.Error()
	}
	if err != nil {
		b.done()
	}
	return n, err
}

func (b *recordingBody) Close() error {
	err := b.rc.Close()
	b.done()
	return err
}

func (b *recordingBody) done() {
	b.once.Do(func() {
		b.ex.ResponseBody = b.t.decoded(b.ex.ResponseHeader, b.buf.String())
		b.t.finish(b.ctx, b.ex, b.seen)
	})
}

// decoded returns a response body as the record keeps it: decompressed
// when the vendor sent it gzipped to a client that asked for gzip itself
// (Go's transport decompresses only what it asked for), so that it can be
// redacted and read; at most maxBody bytes. Of a broken gzip stream it
// keeps what decompressed, or the raw bytes when nothing did.
func (t *recordingTransport) decoded(h http.Header, body string) string {
	if len(body) == 0 || !strings.EqualFold(strings.TrimSpace(h.Get("Content-Encoding")), "gzip") {
		return body
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		return body
	}
	out, _ := io.ReadAll(io.LimitReader(zr, int64(t.maxBody)))
	if len(out) == 0 {
		return body
	}
	return string(out)
}
