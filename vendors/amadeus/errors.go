package amadeus

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// writeError writes the API's error format with one error: the status,
// the code (none when 0) with its canned title, the detail and, when the
// error is about one query parameter, source.parameter.
func writeError(w http.ResponseWriter, status, code int, param, detail string) {
	e := apiError{Status: flexInt(status), Code: flexInt(code), Title: titles[code], Detail: strings.ToValidUTF8(detail, "?")}
	if e.Title == "" {
		e.Title = http.StatusText(status)
	}
	if param != "" {
		e.Source = &errorSource{Parameter: strings.ToValidUTF8(param, "?")}
	}
	body, _ := json.Marshal(errorsResponse{Errors: []apiError{e}})
	writeJSON(w, status, body)
}

// writeUnauthorized writes a 401: code 38191 for a missing or malformed
// Authorization header, 38190 for a token that is unknown, expired or
// revoked.
func writeUnauthorized(w http.ResponseWriter, code int, detail string) {
	challenge := `Bearer`
	if code == CodeInvalidToken {
		challenge = `Bearer error="invalid_token"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, http.StatusUnauthorized, code, "", detail)
}

// writeThrottled writes the 429 of the real API: code and status as
// strings, and no Retry-After.
func writeThrottled(w http.ResponseWriter) {
	body, _ := json.Marshal(throttleErrors{Errors: []throttleError{{
		Code:   strconv.Itoa(CodeTooManyRequests),
		Title:  titles[CodeTooManyRequests],
		Detail: "The network rate limit is exceeded, please try again later",
		Status: strconv.Itoa(http.StatusTooManyRequests),
	}}})
	writeJSON(w, http.StatusTooManyRequests, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
