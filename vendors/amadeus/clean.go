package amadeus

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"

	"hotelrates/redact"
)

// cleanText removes from s, text bound for an error message, every
// credential (the client's, and extra such as the bearer token) and the
// vendor's URL and host name, then clips it to n bytes.
func (c *Client) cleanText(s string, n int, extra ...string) string {
	secrets := c.Secrets()
	for _, x := range extra {
		if x != "" {
			secrets = append(secrets, x)
		}
	}
	// Redact before clipping: a clipped secret no longer matches.
	s = redact.String(s, secrets)
	for _, h := range c.hostNames {
		s = strings.ReplaceAll(s, h, "[vendor]")
	}
	return clip(s, n)
}

// cleanError is an error whose message was cleaned; it keeps the cause
// for errors.Is and errors.As.
type cleanError struct {
	msg string
	err error
}

func (e *cleanError) Error() string { return e.msg }
func (e *cleanError) Unwrap() error { return e.err }

// cleanErr returns err with a message that names no URL, address or
// credential.
func (c *Client) cleanErr(err error, extra ...string) error {
	return &cleanError{msg: c.cleanText(describe(err), 300, extra...), err: err}
}

// describe says what went wrong with a request without the URL, the host
// or the addresses that net and net/url errors carry.
func describe(err error) string {
	if err == nil {
		return "no error"
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "request canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "request timed out (deadline exceeded)"
	}
	if e, ok := errors.AsType[*net.DNSError](err); ok {
		msg := "DNS lookup failed: " + e.Err
		if e.IsTimeout {
			msg += " (timeout)"
		}
		return msg
	}
	if e, ok := errors.AsType[*net.OpError](err); ok {
		msg := strings.TrimSpace(e.Op + " " + e.Net)
		if se, ok := e.Err.(*os.SyscallError); ok {
			return msg + ": " + se.Syscall + ": " + se.Err.Error()
		}
		if e.Err != nil {
			return msg + ": " + e.Err.Error()
		}
		return msg
	}
	if e, ok := errors.AsType[net.Error](err); ok && e.Timeout() {
		return "request timed out"
	}
	if e, ok := errors.AsType[*url.Error](err); ok && e.Err != nil {
		return e.Op + ": " + e.Err.Error()
	}
	// An error flattened to text (oauth2 formats a failed body read with
	// %v) may still name the connection's addresses.
	return addressPattern.ReplaceAllString(err.Error(), "[address]")
}

// addressPattern matches IPv4 and bracketed IPv6 addresses, with a port.
var addressPattern = regexp.MustCompile(`\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b|\[[0-9A-Fa-f:.%]+\](?::\d+)?`)

// hostNames returns what of base may appear in error text, longest
// first: the URL, the host with port and the host name.
func hostNames(base string) []string {
	var names []string
	add := func(s string) {
		if len(s) >= 4 && !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	add(base)
	if u, err := url.Parse(base); err == nil {
		add(u.Scheme + "://" + u.Host)
		add(u.Host)
		add(u.Hostname())
	}
	return names
}
