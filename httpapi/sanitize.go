package httpapi

import (
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"hotelrates/redact"
)

// maxClientError bounds an error text given to API clients, in bytes
// (before the "..." that marks a clipped one).
const maxClientError = 200

// SanitizeError returns err's text fit for an API client: without URLs,
// user info, host names, addresses or ports, without credentials, and at
// most about 200 bytes. The addresses of the *url.Error, *net.OpError,
// *net.DNSError and *net.AddrError in err's tree are removed exactly;
// SanitizeText then catches what other errors' text says. Logs keep the
// full text; clients get this.
func SanitizeError(err error) string {
	if err == nil {
		return ""
	}
	text := err.Error()
	type swap struct{ old, new string }
	var swaps []swap
	add := func(old, new string) {
		if old != "" {
			swaps = append(swaps, swap{old, new})
		}
	}
	walkErrors(err, func(e error) {
		switch e := e.(type) {
		case *url.Error:
			add(e.URL, "[url]")
		case *net.OpError:
			for _, a := range []net.Addr{e.Source, e.Addr} {
				if a != nil {
					add(a.String(), "[address]")
				}
			}
		case *net.DNSError:
			add(e.Name, "[host]")
			add(e.Server, "[address]")
		case *net.AddrError:
			add(e.Addr, "[address]")
		}
	})
	// Longest first, so that a URL goes before the host inside it.
	slices.SortFunc(swaps, func(a, b swap) int { return len(b.old) - len(a.old) })
	for _, sw := range swaps {
		text = strings.ReplaceAll(text, sw.old, sw.new)
	}
	return SanitizeText(text)
}

// walkErrors calls f for err and every error in its tree.
func walkErrors(err error, f func(error)) {
	for depth := 0; err != nil && depth < 32; depth++ {
		f(err)
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walkErrors(e, f)
			}
			return
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			return
		}
	}
}

// Patterns of SanitizeText, applied in this order.
var (
	// A URL, up to a quote, bracket or space: Go quotes a *url.Error's.
	urlPattern = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s"'<>]*`)
	// user:password@ before a host.
	userinfoPattern = regexp.MustCompile(`[^\s/@"'<>:\[\]()]+:[^\s/@"'<>]*@`)
	// [v6]:port, v4:port, host.name:port, localhost:port.
	hostPortPattern = regexp.MustCompile(`\[[0-9A-Fa-f:.%a-z]*\]:\d{1,5}\b|\b(?:\d{1,3}(?:\.\d{1,3}){3}|localhost|(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,62}):\d{1,5}\b`)
	// IP addresses without a port (checked with net.ParseIP).
	ipCandidate = regexp.MustCompile(`\[?[0-9A-Fa-f]*:[0-9A-Fa-f:.%]*:[0-9A-Fa-f:.%]*\]?|\b\d{1,3}(?:\.\d{1,3}){3}\b`)
	// A DNS lookup's name.
	lookupPattern = regexp.MustCompile(`\blookup [^\s:]+`)
	// A host name: dotted labels ending in a top-level domain of letters.
	hostPattern = regexp.MustCompile(`\b(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\b`)
)

// SanitizeText is SanitizeError for error text alone (a VendorStatus's
// Error): URLs become [url], addresses, host names and ports [address] or
// [host], user info is dropped, credentials are redacted (package
// redact), and only then is the text clipped to about 200 bytes, so no
// part of a secret survives a cut.
func SanitizeText(s string) string {
	if s == "" {
		return ""
	}
	s = urlPattern.ReplaceAllString(s, "[url]")
	s = userinfoPattern.ReplaceAllString(s, "")
	s = hostPortPattern.ReplaceAllString(s, "[address]")
	s = ipCandidate.ReplaceAllStringFunc(s, func(m string) string {
		ip := strings.Trim(m, "[]")
		if i := strings.IndexByte(ip, '%'); i >= 0 {
			ip = ip[:i]
		}
		if net.ParseIP(ip) == nil {
			return m
		}
		return "[address]"
	})
	s = lookupPattern.ReplaceAllString(s, "lookup [host]")
	s = hostPattern.ReplaceAllString(s, "[host]")
	s = redact.String(s, nil)
	return clip(strings.ToValidUTF8(s, "\uFFFD"), maxClientError)
}
