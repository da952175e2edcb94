package problem

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
)

// Body is the JSON document of RFC 9457 with Flowplane's extensions.
type Body struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	Code      Code         `json:"code"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// ContentType of every error response.
const ContentType = "application/problem+json"

// From turns any error into the *Error to answer with. Unknown errors become CodeInternal with a
// generic detail; a canceled request becomes CodeUnavailable.
func From(err error) *Error {
	var pe *Error
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: CodeUnavailable, Detail: "the request was canceled or timed out", Err: err}
	default:
		return &Error{Code: CodeInternal, Detail: "internal error; quote the request_id when reporting it", Err: err}
	}
}

// Write answers err as problem+json. Internal errors are logged with their cause; nothing but the
// code, the safe detail and the field pointers is sent.
func Write(w http.ResponseWriter, r *http.Request, log *slog.Logger, requestID string, err error) {
	pe := From(err)
	status := pe.Code.Status()
	if status >= 500 && log != nil {
		log.ErrorContext(r.Context(), "request failed", "request_id", requestID,
			"method", r.Method, "path", r.URL.Path, "code", pe.Code, "err", err)
	}
	if pe.RetryAfter > 0 {
		secs := int(pe.RetryAfter.Seconds() + 0.999)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	body := Body{
		Type:      "https://flowplane.dev/problems/" + string(pe.Code),
		Title:     pe.Code.Title(),
		Status:    status,
		Detail:    pe.Detail,
		Instance:  r.URL.Path,
		Code:      pe.Code,
		RequestID: requestID,
		Errors:    pe.Fields,
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
