package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/api"
	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/services/problem"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func newServer(t *testing.T, pool *pgxpool.Pool, extra ...api.ReadyCheck) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(api.NewHandler(api.Config{
		Pool: pool, Ready: extra, MaxBodyBytes: 1024,
		Build: api.BuildInfo{Version: "1.2.3", Commit: "abc", GoVersion: "go1.x"},
	}))
	t.Cleanup(srv.Close)
	return srv
}

// get returns status, content type and body; every response is checked against the spec.
func get(t *testing.T, srv *httptest.Server, path string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// validate checks a recorded response against openapi.yaml.
func validate(t *testing.T, method, path string, status int, contentType string, body []byte) {
	t.Helper()
	spec, err := openapi.GetSpec()
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	spec.Servers = nil
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	req := httptest.NewRequest(method, path, nil)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("find route %s: %v", path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status,
		Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(strings.NewReader(string(body)))}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Fatalf("%s %s: response does not match the spec: %v", method, path, err)
	}
}

func TestSystemEndpoints(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pgtest.NewPool(t))
	for _, path := range []string{"/healthz", "/readyz", "/v1/version"} {
		status, ct, body := get(t, srv, path)
		if status != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, status, body)
		}
		validate(t, http.MethodGet, path, status, ct, body)
	}
	_, _, body := get(t, srv, "/v1/version")
	var v openapi.Version
	if err := json.Unmarshal(body, &v); err != nil || v.Version != "1.2.3" || v.Commit != "abc" {
		t.Fatalf("version = %+v (%v)", v, err)
	}
}

func TestReadyzFailsWhenADependencyFails(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pgtest.NewPool(t), api.ReadyCheck{Name: "raft", Check: func(context.Context) error {
		return problem.New(problem.CodeUnavailable, "no leader")
	}})
	status, ct, body := get(t, srv, "/readyz")
	if status != http.StatusServiceUnavailable || ct != problem.ContentType {
		t.Fatalf("GET /readyz = %d %s %s", status, ct, body)
	}
	validate(t, http.MethodGet, "/readyz", status, ct, body)
	var p problem.Body
	if err := json.Unmarshal(body, &p); err != nil || p.Code != problem.CodeUnavailable || len(p.Errors) != 1 || p.Errors[0].Field != "raft" {
		t.Fatalf("problem = %+v (%v)", p, err)
	}
}

func TestReadyzWithoutDatabase(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	status, _, body := get(t, newServer(t, pool), "/readyz")
	if status != http.StatusServiceUnavailable || !strings.Contains(string(body), `"postgres"`) {
		t.Fatalf("GET /readyz = %d %s", status, body)
	}
}

func TestUnknownAPIRouteIsProblemJSON(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	for _, path := range []string{"/v1/nope", "/internal/v1/nope"} {
		status, ct, body := get(t, srv, path)
		var p problem.Body
		if status != http.StatusNotFound || ct != problem.ContentType || json.Unmarshal(body, &p) != nil || p.Code != problem.CodeNotFound || p.RequestID == "" {
			t.Fatalf("GET %s = %d %s %s", path, status, ct, body)
		}
	}
}

func TestMethodNotAllowedIsProblemJSON(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	resp, err := http.Post(srv.URL+"/healthz", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Content-Type") != problem.ContentType {
		t.Fatalf("POST /healthz = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestBodyOverLimitIs413(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	resp, err := http.Post(srv.URL+"/v1/version", "application/json", strings.NewReader(strings.Repeat("x", 2048)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", resp.StatusCode)
	}
}

func TestSpecDocsMetricsAndConsole(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	cases := []struct{ path, contentType, contains string }{
		{"/openapi.yaml", "application/yaml", "openapi: 3.0.3"},
		{"/docs", "text/html; charset=utf-8", "/v1/version"},
		{"/metrics", "text/plain", "flowplane_http_requests_total"},
		{"/", "text/html; charset=utf-8", "Flowplane"},
	}
	get(t, srv, "/healthz") // so the request counter has a sample
	for _, c := range cases {
		status, ct, body := get(t, srv, c.path)
		if status != http.StatusOK || !strings.HasPrefix(ct, c.contentType) || !strings.Contains(string(body), c.contains) {
			t.Fatalf("GET %s = %d %q, want %q containing %q", c.path, status, ct, c.contentType, c.contains)
		}
	}
}
