package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"hotelrates"
)

// SearchRequest is the body of POST /v1/search.
type SearchRequest struct {
	HotelIDs  []string `json:"hotel_ids"`
	CheckIn   string   `json:"check_in"`
	CheckOut  string   `json:"check_out"`
	Adults    *int     `json:"adults,omitempty"`   // default 2
	Children  []int    `json:"children,omitempty"` // each child's age, 0 to 17
	Rooms     *int     `json:"rooms,omitempty"`    // default 1
	Currency  string   `json:"currency,omitempty"` // default USD
	Vendors   []string `json:"vendors,omitempty"`
	TimeoutMS *int64   `json:"timeout_ms,omitempty"`
	// Fresh skips the rate cache.
	Fresh bool `json:"fresh,omitempty"`
}

// Offer is one offer in an answer.
type Offer = hotelrates.Offer

// Hotel is one hotel of an answer: every vendor's offers for it, cheapest
// first.
type Hotel struct {
	Type     string   `json:"type,omitempty"` // "hotel" in a stream
	HotelID  string   `json:"hotel_id"`
	Complete bool     `json:"complete"`
	Offers   []Offer  `json:"offers"`
	Sources  []Source `json:"sources,omitempty"`
}

// Source says where one vendor's answer for a hotel came from.
type Source struct {
	Vendor string `json:"vendor"`
	// Cached answers came from the rate cache, AgeMS old.
	Cached bool  `json:"cached"`
	AgeMS  int64 `json:"age_ms,omitempty"`
	// Shared answers came from a vendor call shared with another search.
	Shared bool `json:"shared,omitempty"`
}

// VendorStatus is one vendor's outcome in an answer.
type VendorStatus struct {
	Vendor          string `json:"vendor"`
	Status          string `json:"status"`
	HotelsRequested int    `json:"hotels_requested"`
	HotelsAnswered  int    `json:"hotels_answered"`
	Calls           int    `json:"calls"`
	Errors          int    `json:"errors"`
	ElapsedMS       int64  `json:"elapsed_ms"`
	Error           string `json:"error,omitempty"`
}

// SearchResponse is the answer to POST /v1/search as JSON.
type SearchResponse struct {
	SearchID  string         `json:"search_id"`
	Complete  bool           `json:"complete"`
	ElapsedMS int64          `json:"elapsed_ms"`
	Hotels    []Hotel        `json:"hotels"`
	Vendors   []VendorStatus `json:"vendors"`
}

// SummaryFromResult returns the summary line of a streamed result that
// passed hotels hotels.
func SummaryFromResult(r hotelrates.Result, hotels int) Summary {
	return Summary{Type: "summary", SearchID: r.SearchID, Complete: r.Complete, ElapsedMS: r.Elapsed.Milliseconds(), Hotels: hotels, Vendors: VendorsFromResult(r.Vendors)}
}

// Summary is the last line of an NDJSON stream.
type Summary struct {
	Type      string         `json:"type"` // "summary"
	SearchID  string         `json:"search_id"`
	Complete  bool           `json:"complete"`
	ElapsedMS int64          `json:"elapsed_ms"`
	Hotels    int            `json:"hotels"`
	Vendors   []VendorStatus `json:"vendors"`
}

// ErrorBody is every error answer: {"error": {"code", "message", "field"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes an error.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// HotelFromResult converts a hotel of a result to its wire form; typ is
// "hotel" in a stream and empty in a JSON answer.
func HotelFromResult(h hotelrates.HotelResult, typ string) Hotel {
	offers := h.Offers
	if offers == nil {
		offers = []Offer{}
	}
	out := Hotel{Type: typ, HotelID: h.HotelID, Complete: h.Complete, Offers: offers}
	for _, src := range h.Sources {
		out.Sources = append(out.Sources, Source{Vendor: src.Vendor, Cached: src.Cached, AgeMS: src.Age.Milliseconds(), Shared: src.Shared})
	}
	return out
}

// VendorsFromResult converts vendor statuses to their wire form. Error
// texts are sanitised (SanitizeText): a client learns what failed, never
// a vendor's URL, host, port or credentials.
func VendorsFromResult(vs []hotelrates.VendorStatus) []VendorStatus {
	out := make([]VendorStatus, 0, len(vs))
	for _, v := range vs {
		out = append(out, VendorStatus{
			Vendor: v.Vendor, Status: string(v.Status), HotelsRequested: v.HotelsRequested, HotelsAnswered: v.HotelsAnswered,
			Calls: v.Calls, Errors: v.Errors, ElapsedMS: v.Elapsed.Milliseconds(), Error: SanitizeText(v.Error),
		})
	}
	return out
}

// DecodeSearch reads a search request body: one JSON object, no unknown
// fields (keys are matched exactly: "Adults" is unknown), no key twice,
// nothing after it, at most limit bytes. Errors are *hotelrates.Error
// naming the field where there is one; a body over the limit has code
// too_large.
func DecodeSearch(r io.Reader, limit int64) (hotelrates.Search, error) {
	var req SearchRequest
	lr := &io.LimitedReader{R: r, N: min(limit, math.MaxInt64-1) + 1}
	b, err := io.ReadAll(lr)
	if lr.N <= 0 { // even if all that is left is white space
		return hotelrates.Search{}, hotelrates.Errorf(hotelrates.CodeTooLarge, "", "request body is over %d bytes", limit)
	}
	if err != nil {
		return hotelrates.Search{}, readError()
	}
	// encoding/json matches keys case-insensitively: the keys are checked
	// first, exactly.
	if err := checkKeys(b); err != nil {
		return hotelrates.Search{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return hotelrates.Search{}, jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return hotelrates.Search{}, hotelrates.Errorf(hotelrates.CodeInvalidArgument, "", "request body must hold one JSON object and nothing after it")
	}
	return req.Search()
}

// Search converts the request to a search, applying the defaults (2
// adults, 1 room, USD). Errors name the offending field.
func (req SearchRequest) Search() (hotelrates.Search, error) {
	s := hotelrates.Search{HotelIDs: req.HotelIDs, Vendors: req.Vendors, Fresh: req.Fresh, Stay: hotelrates.Stay{Adults: 2, Rooms: 1, Currency: "USD"}}
	var err error
	if req.CheckIn == "" {
		return s, hotelrates.Errorf(hotelrates.CodeInvalidArgument, "check_in", "check_in is required (YYYY-MM-DD)")
	}
	if s.Stay.CheckIn, err = hotelrates.ParseDate(req.CheckIn); err != nil {
		return s, hotelrates.Errorf(hotelrates.CodeInvalidArgument, "check_in", "%v", err)
	}
	if req.CheckOut == "" {
		return s, hotelrates.Errorf(hotelrates.CodeInvalidArgument, "check_out", "check_out is required (YYYY-MM-DD)")
	}
	if s.Stay.CheckOut, err = hotelrates.ParseDate(req.CheckOut); err != nil {
		return s, hotelrates.Errorf(hotelrates.CodeInvalidArgument, "check_out", "%v", err)
	}
	if req.Adults != nil {
		s.Stay.Adults = *req.Adults
	}
	if len(req.Children) > 0 {
		s.Stay.Children = req.Children
	}
	if req.Rooms != nil {
		s.Stay.Rooms = *req.Rooms
	}
	if req.Currency != "" {
		s.Stay.Currency = req.Currency
	}
	if req.TimeoutMS != nil {
		if *req.TimeoutMS <= 0 || *req.TimeoutMS > 3_600_000 {
			return s, hotelrates.Errorf(hotelrates.CodeInvalidArgument, "timeout_ms", "timeout_ms must be between 1 and 3600000")
		}
		s.Timeout = time.Duration(*req.TimeoutMS) * time.Millisecond
	}
	return s, nil
}

// jsonError turns a decoding error into a client error naming the field
// where the decoder says which.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return hotelrates.Errorf(hotelrates.CodeInvalidArgument, "", "request body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return hotelrates.Errorf(hotelrates.CodeInvalidArgument, "", "request body is cut short: malformed JSON")
	case errors.As(err, &syn):
		return hotelrates.Errorf(hotelrates.CodeInvalidArgument, "", "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return hotelrates.Errorf(hotelrates.CodeInvalidArgument, "", "request body must be a JSON object")
		}
		want := jsonKind(typ.Type.Kind())
		if (field == "hotel_ids" || field == "vendors") && typ.Type.Kind() != reflect.Slice {
			return hotelrates.Errorf(hotelrates.CodeInvalidArgument, field, "%s must hold only strings, not %s", field, jsonValue(typ.Value))
		}
		return hotelrates.Errorf(hotelrates.CodeInvalidArgument, field, "%s must be %s, not %s", field, want, jsonValue(typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := clip(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), maxEcho)
		return hotelrates.Errorf(hotelrates.CodeInvalidArgument, field, "unknown field %q", field)
	}
	if strings.HasPrefix(err.Error(), "json: ") {
		return hotelrates.Errorf(hotelrates.CodeInvalidArgument, "", "malformed JSON: %s", clip(err.Error(), 2*maxEcho))
	}
	return readError()
}

// readError is the error for a body that could not be read: not the JSON
// but the reading of it, a client that stalled past the read timeout, a
// broken chunked encoding. The cause is the connection's, and its text
// (addresses) is not echoed.
func readError() error {
	return hotelrates.Errorf(hotelrates.CodeInvalidArgument, "", "the request body could not be read to its end")
}

// searchKeys are SearchRequest's JSON keys.
var searchKeys = func() map[string]bool {
	keys := map[string]bool{}
	t := reflect.TypeFor[SearchRequest]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		keys[name] = true
	}
	return keys
}()

// checkKeys names the first key of the JSON object b that is not one of
// SearchRequest's, spelt exactly, or that is given twice. Anything that
// is not a well-formed object is left for the decoder to describe.
func checkKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		key, ok := t.(string)
		if !ok {
			return nil
		}
		field := clip(key, maxEcho)
		switch {
		case !searchKeys[key]:
			for k := range searchKeys {
				if strings.EqualFold(k, key) {
					return hotelrates.Errorf(hotelrates.CodeInvalidArgument, field, "unknown field %q: keys are case-sensitive; did you mean %q?", field, k)
				}
			}
			return hotelrates.Errorf(hotelrates.CodeInvalidArgument, field, "unknown field %q", field)
		case seen[key]:
			return hotelrates.Errorf(hotelrates.CodeInvalidArgument, field, "field %q is given twice", field)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// maxEcho bounds how much of a request an error message repeats.
const maxEcho = 64

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// jsonKind names the JSON a Go kind takes.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Slice:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	}
	return "a " + k.String()
}

// jsonValue describes the JSON value of an UnmarshalTypeError: "number
// 1.5" becomes "1.5", "string" "a string".
func jsonValue(v string) string {
	if n, ok := strings.CutPrefix(v, "number "); ok {
		return clip(n, maxEcho)
	}
	switch v {
	case "array", "object":
		return "an " + v
	case "bool":
		return "true or false"
	}
	return "a " + v
}

// statusOf maps an error code to an HTTP status.
func statusOf(code hotelrates.Code) int {
	switch code {
	case hotelrates.CodeInvalidArgument:
		return http.StatusBadRequest
	case hotelrates.CodeUnauthenticated:
		return http.StatusUnauthorized
	case hotelrates.CodeNotFound:
		return http.StatusNotFound
	case hotelrates.CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case hotelrates.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case hotelrates.CodeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case hotelrates.CodeOverloaded:
		return http.StatusTooManyRequests
	case hotelrates.CodeUnavailable:
		return http.StatusServiceUnavailable
	case hotelrates.CodeDeadline:
		return http.StatusGatewayTimeout
	case hotelrates.CodeCanceled:
		return 499
	}
	return http.StatusInternalServerError
}

// writeError answers err as JSON; an error without a code is an internal
// error whose details stay in the log.
func writeError(w http.ResponseWriter, err error) {
	var he *hotelrates.Error
	if !errors.As(err, &he) {
		he = &hotelrates.Error{Code: hotelrates.CodeInternal, Message: "internal error"}
	}
	if he.RetryAfter > 0 || he.Code == hotelrates.CodeOverloaded || he.Code == hotelrates.CodeUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(he.RetryAfter.Seconds())))))
	}
	writeJSON(w, statusOf(he.Code), ErrorBody{Error: ErrorDetail{Code: string(he.Code), Message: he.Message, Field: he.Field}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"encoding failed"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
