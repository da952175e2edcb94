package api

import (
	"context"
	"runtime/debug"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/problem"
)

// problemBody builds the generated Problem model for strict handlers whose spec declares a problem
// response (the same fields problem.Write sends).
func problemBody(ctx context.Context, code problem.Code, detail, instance string) openapi.Problem {
	reqID := middleware.GetReqID(ctx)
	return openapi.Problem{
		Type:      "https://flowplane.dev/problems/" + string(code),
		Title:     code.Title(),
		Status:    code.Status(),
		Code:      string(code),
		Detail:    &detail,
		Instance:  &instance,
		RequestId: &reqID,
	}
}

func toAPIFieldErrors(fields []problem.FieldError) *[]openapi.ProblemFieldError {
	out := make([]openapi.ProblemFieldError, len(fields))
	for i, f := range fields {
		field, msg := f.Field, f.Message
		out[i] = openapi.ProblemFieldError{Field: &field, Message: msg}
	}
	return &out
}

func stack() []byte { return debug.Stack() }
