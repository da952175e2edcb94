package sql

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors classifying every *Error. Test with errors.Is.
var (
	// ErrSyntax marks lexical and syntax errors.
	ErrSyntax = errors.New("syntax error")
	// ErrUnknownName marks references to tables, columns or functions that do not exist.
	ErrUnknownName = errors.New("unknown name")
	// ErrDuplicate marks a name declared twice.
	ErrDuplicate = errors.New("duplicate name")
	// ErrType marks expressions whose operand types do not fit.
	ErrType = errors.New("type error")
	// ErrOption marks a missing, unknown or invalid connector option.
	ErrOption = errors.New("invalid connector option")
	// ErrInlineSecret marks a secret written into a WITH clause instead of an integration.
	ErrInlineSecret = errors.New("inline secret")
	// ErrUnsupported marks valid Flink SQL that Flowplane does not run (yet).
	ErrUnsupported = errors.New("unsupported")
)

// Error is one problem found in a SQL script, with the source range it concerns.
type Error struct {
	Kind error // one of the sentinels above
	Msg  string
	Span Span
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Span.Start.Line, e.Span.Start.Col, e.Msg)
}

// Unwrap returns the sentinel classifying the error.
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, sp Span, format string, args ...any) *Error {
	return &Error{Kind: kind, Span: sp, Msg: fmt.Sprintf(format, args...)}
}

// ErrorList is several errors, in source order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap exposes every error to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Diagnostic is an error as the control plane reports it: 1-based positions; EndColumn is the
// column just after the last character of the offending text.
type Diagnostic struct {
	Message   string `json:"message"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"end_line"`
	EndColumn int    `json:"end_column"`
	// Part names the part of a multi-part version the position is in (see ValidateParts).
	Part string `json:"part,omitempty"`
}

// Diagnostic converts the error for the API.
func (e *Error) Diagnostic() Diagnostic {
	return Diagnostic{
		Message: e.Msg,
		Line:    e.Span.Start.Line, Column: e.Span.Start.Col,
		EndLine: e.Span.End.Line, EndColumn: e.Span.End.Col,
	}
}

// Diagnostics converts any error returned by this package into diagnostics.
func Diagnostics(err error) []Diagnostic {
	if err == nil {
		return nil
	}
	var list ErrorList
	if errors.As(err, &list) {
		out := make([]Diagnostic, len(list))
		for i, e := range list {
			out[i] = e.Diagnostic()
		}
		return out
	}
	var e *Error
	if errors.As(err, &e) {
		return []Diagnostic{e.Diagnostic()}
	}
	return []Diagnostic{{Message: err.Error(), Line: 1, Column: 1, EndLine: 1, EndColumn: 1}}
}
