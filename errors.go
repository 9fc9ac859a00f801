package hotelrates

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error for API clients. The HTTP layer maps each code
// to a status.
type Code string

// The error codes.
const (
	CodeInvalidArgument  Code = "invalid_argument"   // 400
	CodeUnauthenticated  Code = "unauthenticated"    // 401
	CodeNotFound         Code = "not_found"          // 404
	CodeMethodNotAllowed Code = "method_not_allowed" // 405
	CodeTooLarge         Code = "too_large"          // 413
	CodeUnsupportedMedia Code = "unsupported_media"  // 415
	CodeOverloaded       Code = "overloaded"         // 429
	CodeUnavailable      Code = "unavailable"        // 503
	CodeDeadline         Code = "deadline_exceeded"  // 504
	CodeCanceled         Code = "canceled"           // 499
	CodeInternal         Code = "internal"           // 500
)

// Error is an error with a code, a message fit for an API client and,
// where one input field is at fault, that field.
type Error struct {
	Code    Code
	Message string
	Field   string
	// RetryAfter, for overloaded and unavailable, says when to try again.
	RetryAfter time.Duration
	Err        error // the cause, never shown to API clients
}

// Errorf returns an *Error with the given code, field and formatted message.
func Errorf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Error implements error.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of the first *Error in err's chain, or
// CodeInternal when there is none (and "" for a nil error).
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
