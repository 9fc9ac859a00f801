package hotelbeds

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hotelrates"
	"hotelrates/redact"
	"hotelrates/vendors/vendorhttp"
)

// MaxAnswer is the most bytes a decompressed answer may have (32 MiB: a
// full batch of 2,000 hotels fits many times over).
const MaxAnswer = 32 << 20

// maxMessage bounds the vendor text an error carries.
const maxMessage = 300

// statusError classifies a non-200 answer. The gateway's answers (an
// X-Mashery-Error-Code header, or a 401/403 XML body naming the error)
// are told from the API's JSON errors:
//
//	ERR_403_DEVELOPER_OVER_RATE   ErrQuota, until Retry-After or the next UTC midnight
//	ERR_403_DEVELOPER_OVER_QPS    ErrThrottled, after Retry-After (default 1 s)
//	ERR_403_NOT_AUTHORIZED        ErrUnauthorized (bad signature or clock; the revoke fault)
//	ERR_403_DEVELOPER_INACTIVE    ErrUnauthorized (unknown or inactive key)
//	other gateway codes           by status, as any answer
//	JSON 400, 410 and other 4xx   ErrRejected (401/403 ErrUnauthorized, 429 ErrThrottled)
//	JSON 5xx                      ErrUnavailable, with Retry-After if any
//	2xx other than 200            ErrBadResponse
//
// data is the decompressed body; derr, when not nil, says why it could not
// be decompressed (the body is then not read).
func (c *Client) statusError(resp *http.Response, data []byte, derr error, sig string) *hotelrates.VendorError {
	if resp.StatusCode/100 == 2 {
		return &hotelrates.VendorError{Vendor: c.cfg.Name, Kind: hotelrates.ErrBadResponse, Status: resp.StatusCode, Err: errors.New("unexpected success status; the API answers 200")}
	}
	if derr != nil {
		data = nil
	}
	code := strings.TrimSpace(resp.Header.Get(MasheryErrorCodeHeader))
	detail := strings.TrimSpace(resp.Header.Get(ErrorDetailHeader))
	if (code != "" || resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) && isXML(resp.Header) {
		text := gatewayText(data)
		if code == "" {
			code = gatewayCode(text)
		}
		if detail == "" {
			detail = text
		}
	}
	if code == "" {
		return vendorhttp.StatusError(c.cfg.Name, resp, c.message(apiErrorText(data), sig))
	}
	msg := c.message("gateway "+strings.TrimSuffix(code+": "+detail, ": "), sig)
	e := &hotelrates.VendorError{Vendor: c.cfg.Name, Status: resp.StatusCode, Err: errors.New(msg)}
	retry := vendorhttp.ParseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now())
	switch code {
	case MasheryOverRate:
		e.Kind = hotelrates.ErrQuota
		e.RetryAfter = retry
		if retry <= 0 {
			e.RetryAfter = untilUTCMidnight(c.cfg.Now())
		}
	case MasheryOverQPS:
		e.Kind = hotelrates.ErrThrottled
		e.RetryAfter = retry
		if retry <= 0 {
			e.RetryAfter = time.Second
		}
	case MasheryNotAuthorized, MasheryDeveloperInactive:
		e.Kind = hotelrates.ErrUnauthorized
	default:
		return vendorhttp.StatusError(c.cfg.Name, resp, msg)
	}
	return e
}

// untilUTCMidnight is how long from now until the next UTC day begins
// (when a daily quota is renewed); at least a second.
func untilUTCMidnight(now time.Time) time.Duration {
	u := now.UTC()
	next := time.Date(u.Year(), u.Month(), u.Day()+1, 0, 0, 0, 0, time.UTC)
	return max(time.Second, next.Sub(u))
}

// isXML reports whether an answer's Content-Type is XML or HTML (the
// gateway's "text/xml"), or missing.
func isXML(h http.Header) bool {
	ct := h.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (strings.HasSuffix(mt, "/xml") || mt == "text/html")
}

// gatewayText returns the text of the gateway's tiny XML body, such as
// "Developer Over Qps" of "<h1>Developer Over Qps</h1>": its character
// data, spaces collapsed, at most 200 bytes; "" when the body is not XML.
func gatewayText(body []byte) string {
	if len(body) > 4096 {
		return ""
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var sb strings.Builder
	for { // the body is at most 4 KiB; the caller redacts, then clips
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if cd, ok := tok.(xml.CharData); ok {
			sb.Write(cd)
			sb.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(strings.ToValidUTF8(sb.String(), "?")), " ")
}

// gatewayCode maps the gateway's body text to its error code, for an
// answer that lost its X-Mashery-Error-Code header.
func gatewayCode(text string) string {
	switch t := strings.ToLower(text); {
	case strings.Contains(t, "over rate"):
		return MasheryOverRate
	case strings.Contains(t, "over qps"):
		return MasheryOverQPS
	case strings.Contains(t, "not authorized"):
		return MasheryNotAuthorized
	case strings.Contains(t, "developer inactive"):
		return MasheryDeveloperInactive
	}
	return ""
}

// apiErrorText returns "CODE: message" of a JSON error answer, or "".
func apiErrorText(data []byte) string {
	var e errorRS
	if json.Unmarshal(data, &e) != nil || e.Error == nil || (e.Error.Code == "" && e.Error.Message == "") {
		return ""
	}
	return strings.TrimSuffix(e.Error.Code+": "+e.Error.Message, ": ") // redacted, then clipped, by message
}

// message redacts the credentials and the request's signature from vendor
// text, then clips it (a clipped secret would no longer match).
func (c *Client) message(s, sig string) string {
	if s == "" {
		return ""
	}
	return clip(redact.String(strings.ToValidUTF8(s, "?"), append(c.Secrets(), sig)), maxMessage)
}

// decompress returns the answer's body, gunzipped if it is gzip (the
// client asks for it), at most MaxAnswer bytes.
func decompress(resp *http.Response, raw []byte) ([]byte, error) {
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	if resp.Uncompressed || enc == "" || enc == "identity" {
		return raw, nil
	}
	if enc != "gzip" && enc != "x-gzip" {
		return nil, fmt.Errorf("unsupported Content-Encoding %q", clip(enc, 20))
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("gzip body: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(zr, MaxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("gzip body: %w", err)
	}
	if len(b) > MaxAnswer {
		return nil, fmt.Errorf("decompressed body over %d bytes", MaxAnswer)
	}
	return b, nil
}

// cleanErr returns a transport error whose message holds neither the
// vendor's URL or host, nor a credential; errors.Is and errors.As still
// reach the cause.
func (c *Client) cleanErr(err error, sig string) error {
	msg := err.Error()
	if ue, ok := errors.AsType[*url.Error](err); ok {
		msg = ue.Op + " " + AvailabilityPath + ": " + ue.Err.Error()
	}
	var hide []string
	if u, perr := url.Parse(c.cfg.BaseURL); perr == nil && u.Host != "" {
		hide = append(hide, c.url, c.cfg.BaseURL, u.Host, u.Hostname())
	}
	if oe, ok := errors.AsType[*net.OpError](err); ok {
		for _, a := range []net.Addr{oe.Addr, oe.Source} {
			if a != nil {
				hide = append(hide, a.String())
			}
		}
	}
	if de, ok := errors.AsType[*net.DNSError](err); ok && de.Name != "" {
		hide = append(hide, de.Name)
	}
	for _, h := range hide {
		if h != "" {
			msg = strings.ReplaceAll(msg, h, "[vendor]")
		}
	}
	msg = redact.String(msg, append(c.Secrets(), sig))
	return &cleanError{msg: msg, err: err}
}

// scrub redacts a VendorError's cause (such as a body read failure).
func (c *Client) scrub(err error, sig string) error {
	if ve, ok := errors.AsType[*hotelrates.VendorError](err); ok && ve.Err != nil {
		ve.Err = c.cleanErr(ve.Err, sig)
	}
	return err
}

// cleanError shows a cleaned message but keeps the cause for errors.Is.
type cleanError struct {
	msg string
	err error
}

func (e *cleanError) Error() string { return e.msg }
func (e *cleanError) Unwrap() error { return e.err }

// clip shortens s to at most n bytes (plus "...") for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
