// Package problem is Flowplane's one error format: RFC 9457 problem details with a stable code.
//
// Domain and store code return *Error values (or wrap the sentinels below with %w); the HTTP layer
// calls Write, which is the single place that maps a code to an HTTP status. Anything that is not an
// *Error is an internal error: it is logged with the request id and answered with a generic 500, so
// no internal detail (SQL, secrets, stack) ever reaches a client.
package problem

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Code is a stable, machine-readable error code. Clients may switch on it; never rename one.
type Code string

// The codes and the HTTP status each maps to.
const (
	CodeInvalidRequest     Code = "invalid_request"     // 400: malformed JSON, unknown field, invalid value
	CodeUnauthorized       Code = "unauthorized"        // 401: missing, malformed, expired or revoked token
	CodeForbidden          Code = "forbidden"           // 403: authenticated, but the role does not allow it
	CodeNotFound           Code = "not_found"           // 404: absent, or belongs to another project
	CodeMethodNotAllowed   Code = "method_not_allowed"  // 405
	CodeConflict           Code = "conflict"            // 409: state forbids it (e.g. name taken, still running)
	CodePreconditionFailed Code = "precondition_failed" // 412: If-Match did not match
	CodeTooLarge           Code = "request_too_large"   // 413: body over the limit
	CodeUnprocessable      Code = "unprocessable"       // 422: well-formed but semantically wrong
	CodeInvalidSQL         Code = "invalid_sql"         // 422: SQL errors, with line and column
	CodeForbiddenEndpoint  Code = "forbidden_endpoint"  // 422: a connector host the egress policy refuses
	CodeRateLimited        Code = "rate_limited"        // 429: with Retry-After
	CodeInternal           Code = "internal"            // 500
	CodeUnavailable        Code = "unavailable"         // 503: a dependency is down or not ready
)

var statusOf = map[Code]int{
	CodeInvalidRequest:     http.StatusBadRequest,
	CodeUnauthorized:       http.StatusUnauthorized,
	CodeForbidden:          http.StatusForbidden,
	CodeNotFound:           http.StatusNotFound,
	CodeMethodNotAllowed:   http.StatusMethodNotAllowed,
	CodeConflict:           http.StatusConflict,
	CodePreconditionFailed: http.StatusPreconditionFailed,
	CodeTooLarge:           http.StatusRequestEntityTooLarge,
	CodeUnprocessable:      http.StatusUnprocessableEntity,
	CodeInvalidSQL:         http.StatusUnprocessableEntity,
	CodeForbiddenEndpoint:  http.StatusUnprocessableEntity,
	CodeRateLimited:        http.StatusTooManyRequests,
	CodeInternal:           http.StatusInternalServerError,
	CodeUnavailable:        http.StatusServiceUnavailable,
}

// Status is the HTTP status of code (500 for an unknown code).
func (c Code) Status() int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// FieldError points at one offending input: a JSON field, or a span of SQL text.
type FieldError struct {
	Field     string `json:"field,omitempty"`
	Message   string `json:"message"`
	Line      int    `json:"line,omitempty"`
	Column    int    `json:"column,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
	EndColumn int    `json:"end_column,omitempty"`
}

// Error is a domain error that knows its problem code.
type Error struct {
	Code       Code
	Detail     string        // human-readable, safe to show the caller
	Fields     []FieldError  // optional pointers into the input
	RetryAfter time.Duration // for CodeRateLimited and CodeUnavailable
	Err        error         // optional cause, logged, never shown
}

// Sentinels for errors.Is: errors.Is(err, problem.ErrNotFound) is true for any *Error of that code.
var (
	ErrInvalidRequest     = &Error{Code: CodeInvalidRequest}
	ErrUnauthorized       = &Error{Code: CodeUnauthorized}
	ErrForbidden          = &Error{Code: CodeForbidden}
	ErrNotFound           = &Error{Code: CodeNotFound}
	ErrConflict           = &Error{Code: CodeConflict}
	ErrPreconditionFailed = &Error{Code: CodePreconditionFailed}
	ErrUnprocessable      = &Error{Code: CodeUnprocessable}
	ErrUnavailable        = &Error{Code: CodeUnavailable}
)

// New makes an *Error with a formatted detail.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error by code, so the sentinels above work with errors.Is.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code && t.Detail == "" && t.Err == nil
}

// Title is the short, fixed summary of a code (RFC 9457 "title").
func (c Code) Title() string {
	if t := http.StatusText(c.Status()); t != "" {
		return t
	}
	return string(c)
}
