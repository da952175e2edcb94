package problem_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/flowplane/flowplane/services/problem"
)

func TestSentinelsMatchByCode(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("load service: %w", problem.New(problem.CodeNotFound, "service %q not found", "s1"))
	if !errors.Is(err, problem.ErrNotFound) {
		t.Fatalf("errors.Is(%v, ErrNotFound) = false", err)
	}
	if errors.Is(err, problem.ErrConflict) {
		t.Fatalf("errors.Is(%v, ErrConflict) = true", err)
	}
}

func TestWriteHidesInternalErrors(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	problem.Write(rec, httptest.NewRequest(http.MethodGet, "/v1/x", nil), nil, "req-1",
		errors.New("pq: password authentication failed for user secret"))
	var b problem.Body
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 500 || b.Code != problem.CodeInternal || b.RequestID != "req-1" || b.Detail == "" {
		t.Fatalf("got %d %+v", rec.Code, b)
	}
	if got := rec.Body.String(); contains(got, "secret") {
		t.Fatalf("internal detail leaked: %s", got)
	}
}

func TestWriteRateLimitedSetsRetryAfter(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	err := &problem.Error{Code: problem.CodeRateLimited, Detail: "slow down", RetryAfter: 1500 * time.Millisecond}
	problem.Write(rec, httptest.NewRequest(http.MethodGet, "/v1/x", nil), nil, "", err)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" {
		t.Fatalf("got %d Retry-After=%q", rec.Code, rec.Header().Get("Retry-After"))
	}
}

func TestEveryCodeHasAStatus(t *testing.T) {
	t.Parallel()
	for _, c := range []problem.Code{problem.CodeInvalidRequest, problem.CodeUnauthorized, problem.CodeForbidden,
		problem.CodeNotFound, problem.CodeConflict, problem.CodePreconditionFailed, problem.CodeTooLarge,
		problem.CodeUnprocessable, problem.CodeInvalidSQL, problem.CodeRateLimited, problem.CodeUnavailable} {
		if c.Status() < 400 || c.Status() == 500 {
			t.Fatalf("%s maps to %d", c, c.Status())
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
