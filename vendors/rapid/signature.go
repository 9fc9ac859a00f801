package rapid

import (
	"crypto/sha512"
	"encoding/hex"
	"strconv"
	"strings"
)

// Signature returns Rapid's request signature: the lowercase hex SHA-512 of
// apiKey + secret + the decimal Unix time in seconds, concatenated.
func Signature(apiKey, secret string, unix int64) string {
	sum := sha512.Sum512([]byte(apiKey + secret + strconv.FormatInt(unix, 10)))
	return hex.EncodeToString(sum[:])
}

// AuthorizationHeader returns the Authorization header value that signs a
// request made at unix seconds:
// "EAN apikey=<key>,signature=<sha512 hex>,timestamp=<unix>".
func AuthorizationHeader(apiKey, secret string, unix int64) string {
	return "EAN apikey=" + apiKey + ",signature=" + Signature(apiKey, secret, unix) + ",timestamp=" + strconv.FormatInt(unix, 10)
}

// authParams is a parsed Authorization header.
type authParams struct {
	apiKey    string
	signature []byte // decoded; nil when it was not 128 hex digits
	timestamp int64
	// sent holds the three values as sent (for the 401 answer's fields);
	// timestampText is also what was signed.
	sentSignature, timestampText string
}

// parseAuthorization parses "EAN apikey=k,signature=hex,timestamp=unix":
// the scheme word EAN (any case), then three comma-separated name=value
// parts in any order, part names in any case, spaces allowed after the
// scheme and the commas. ok is false when the header is not of this form;
// p then holds what could be read, for the 401 answer.
func parseAuthorization(h string) (p authParams, ok bool) {
	scheme, rest, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "EAN") {
		return p, false
	}
	parts := strings.Split(strings.TrimLeft(rest, " "), ",")
	if len(parts) != 3 {
		return p, false
	}
	ok = true
	var haveKey, haveSig, haveTS bool
	for _, part := range parts {
		name, val, found := strings.Cut(strings.TrimLeft(part, " "), "=")
		if !found || val == "" {
			ok = false
			continue
		}
		switch strings.ToLower(name) {
		case "apikey":
			ok = ok && !haveKey
			haveKey, p.apiKey = true, val
		case "signature":
			ok = ok && !haveSig
			haveSig, p.sentSignature = true, val
			if len(val) != 2*sha512.Size {
				ok = false
				continue
			}
			sig, err := hex.DecodeString(val)
			if err != nil {
				ok = false
				continue
			}
			p.signature = sig
		case "timestamp":
			ok = ok && !haveTS
			haveTS, p.timestampText = true, val
			if len(val) > 18 || strings.TrimLeft(val, "0123456789") != "" {
				ok = false
				continue
			}
			p.timestamp, _ = strconv.ParseInt(val, 10, 64) // 1 to 18 digits: always fits
		default:
			ok = false
		}
	}
	return p, ok && haveKey && haveSig && haveTS
}
