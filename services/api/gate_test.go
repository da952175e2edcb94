package api_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/api"
	"github.com/flowplane/flowplane/services/auth"
)

func fieldOf(t *testing.T, r reply) string {
	t.Helper()
	var p struct {
		Errors []openapi.ProblemFieldError `json:"errors"`
	}
	r.decode(t, &p)
	if len(p.Errors) == 0 || p.Errors[0].Field == nil {
		return ""
	}
	return *p.Errors[0].Field
}

func TestBadRequestsNameTheField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	cases := []struct {
		method, path, body, field string
	}{
		{"POST", "/v1/projects", `{"name":"ok-name","colour":"red"}`, "colour"},
		{"POST", "/v1/projects", `{"name":"Not A Slug"}`, "name"},
		{"POST", "/v1/projects", `{"name":"x"}`, "name"},
		{"POST", "/v1/projects", `{"name":"ok-name"`, ""},
		{"POST", "/v1/projects", `[]`, ""},
		{"POST", "/v1/projects/" + w.project + "/services", `{"name":"s2","plan":"gigantic"}`, "plan"},
		{"POST", w.appPath + "/deployments", `{"version_id":"v","parallelism":0}`, "parallelism"},
		{"POST", w.appPath + "/deployments", `{"version_id":"v","parallelism":1,"restart_strategy":{"type":"sometimes"}}`, "restart_strategy.type"},
		{"POST", w.appPath + "/deployments", `{"version_id":"v","parallelism":1,"restart_strategy":{"type":"none","x":1}}`, "restart_strategy.x"},
		{"POST", w.appPath + "/versions", `{"statement":"INSERT INTO o SELECT 1","sources":[{"create_table":"CREATE TABLE t (a INT)","extra":true}]}`, "sources.0.extra"},
		{"GET", "/v1/projects?limit=0", "", "limit"},
		{"GET", "/v1/projects?limit=abc", "", "limit"},
		{"GET", "/v1/projects?cursor=%21%21", "", "cursor"},
		{"DELETE", w.base + "?force=maybe", "", "force"},
		{"GET", "/v1/projects/Not_A_Slug", "", "project"},
		{"GET", "/v1/projects/" + w.project + "/services/UPPER", "", "service"},
	}
	for _, c := range cases {
		r := e.do(t, c.method, c.path, w.owner, c.body)
		if r.status != 400 || r.code() != "invalid_request" {
			t.Fatalf("%s %s %s = %d %s", c.method, c.path, c.body, r.status, r.body)
		}
		if got := fieldOf(t, r); got != c.field {
			t.Fatalf("%s %s %s: field %q, want %q (%s)", c.method, c.path, c.body, got, c.field, r.body)
		}
	}
}

func TestBodyLimitAndAuthBeforeValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	big := `{"name":"big","description":"` + strings.Repeat("x", 70<<10) + `"}`
	if r := e.do(t, "POST", "/v1/projects", e.admin, big); r.status != 413 || r.code() != "request_too_large" {
		t.Fatalf("big body = %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/v1/projects", "", `{"bogus":1}`); r.status != 401 {
		t.Fatalf("unauthenticated bad body = %d", r.status)
	}
}

func TestRateLimitPerToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *api.Config) { c.Limiter = auth.NewLimiter(0.5, 3) })
	other, _, _ := e.userToken(t, "other")
	for i := 0; i < 3; i++ {
		e.must(t, 200, "GET", "/v1/plans", e.admin, "")
	}
	r := e.must(t, 429, "GET", "/v1/plans", e.admin, "")
	if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs < 1 || secs > 2 || r.code() != "rate_limited" {
		t.Fatalf("429: Retry-After %q, %s", r.header.Get("Retry-After"), r.body)
	}
	e.must(t, 200, "GET", "/v1/plans", other, "") // another token has its own bucket
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.must(t, 201, "POST", "/v1/projects", e.admin, `{"name":"idem"}`, "Idempotency-Key", "k1")
	again := e.must(t, 201, "POST", "/v1/projects", e.admin, `{"name":"idem"}`, "Idempotency-Key", "k1")
	if string(first.body) != string(again.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay = %s (%v)", again.body, again.header)
	}
	if r := e.must(t, 422, "POST", "/v1/projects", e.admin, `{"name":"idem-2"}`, "Idempotency-Key", "k1"); r.code() != "unprocessable" {
		t.Fatalf("reused key: %s", r.body)
	}
	// Without a key the same request is a conflict, not a replay.
	e.must(t, 409, "POST", "/v1/projects", e.admin, `{"name":"idem"}`)
	// A failed request does not consume... but a 4xx answer is replayed like any other.
	e.must(t, 409, "POST", "/v1/projects", e.admin, `{"name":"idem"}`, "Idempotency-Key", "k2")
	e.must(t, 409, "POST", "/v1/projects", e.admin, `{"name":"idem"}`, "Idempotency-Key", "k2")
	// Concurrent retries create one project.
	var wg sync.WaitGroup
	statuses := make([]int, 6)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = e.do(t, "POST", "/v1/projects", e.admin, `{"name":"racy"}`, "Idempotency-Key", "k3").status
		}()
	}
	wg.Wait()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM projects WHERE name = 'racy'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("projects named racy = %d %v (statuses %v)", n, err, statuses)
	}
	for _, s := range statuses {
		if s != 201 && s != 409 {
			t.Fatalf("statuses = %v", statuses)
		}
	}
}

func TestETagIfMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	r := e.must(t, 200, "PATCH", "/v1/projects/"+w.project+"/members/"+w.viewerID, w.owner, `{"role":"developer"}`)
	e.must(t, 200, "PATCH", "/v1/projects/"+w.project+"/members/"+w.viewerID, w.owner, `{"role":"viewer"}`, "If-Match", r.header.Get("ETag"))
	e.must(t, 412, "PATCH", "/v1/projects/"+w.project+"/members/"+w.viewerID, w.owner, `{"role":"viewer"}`, "If-Match", r.header.Get("ETag"))
	for _, c := range []struct{ path, body string }{
		{"/v1/projects/" + w.project, `{"description":"d"}`},
		{w.base, `{"plan":"business"}`},
		{w.appPath, `{"description":"d"}`},
	} {
		etag := e.must(t, 200, "GET", c.path, w.owner, "").header.Get("ETag")
		r := e.must(t, 200, "PATCH", c.path, w.owner, c.body, "If-Match", etag)
		newTag := r.header.Get("ETag")
		if newTag == "" || newTag == etag {
			t.Fatalf("PATCH %s: ETag %q after %q", c.path, newTag, etag)
		}
		if r := e.must(t, 412, "PATCH", c.path, w.owner, c.body, "If-Match", etag); r.code() != "precondition_failed" {
			t.Fatalf("stale If-Match: %s", r.body)
		}
		e.must(t, 200, "PATCH", c.path, w.owner, c.body) // no If-Match: last write wins
	}
}

func TestPaginationIsStableUnderInserts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	for i := 0; i < 4; i++ {
		e.must(t, 201, "POST", w.base+"/applications", w.developer, fmt.Sprintf(`{"name":"a%d"}`, i))
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		var l openapi.ApplicationList
		e.must(t, 200, "GET", w.base+"/applications?limit=2"+cursor, w.viewer, "").decode(t, &l)
		for _, a := range l.Items {
			if seen[a.Id] {
				t.Fatalf("%s seen twice", a.Id)
			}
			seen[a.Id] = true
		}
		// Inserts between pages land after the cursor and are never duplicated.
		e.must(t, 201, "POST", w.base+"/applications", w.developer, fmt.Sprintf(`{"name":"late%d"}`, pages))
		if l.NextCursor == nil || pages > 20 {
			break
		}
		cursor = "&cursor=" + *l.NextCursor
	}
	if len(seen) < 5 {
		t.Fatalf("saw %d applications, want at least the 5 that existed at the start", len(seen))
	}
}

func TestLoginIsRateLimitedPerEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *api.Config) { c.Limiter = auth.NewLimiter(0.1, 2) })
	for i := 0; i < 2; i++ {
		e.must(t, 401, "POST", "/v1/auth/login", "", `{"email":"victim@example.com","password":"guess"}`)
	}
	e.must(t, 429, "POST", "/v1/auth/login", "", `{"email":"VICTIM@example.com","password":"guess"}`)
	e.must(t, 401, "POST", "/v1/auth/login", "", `{"email":"other@example.com","password":"guess"}`)
}

// TestRequestSchemasRejectUnknownFields: every object a request body may hold forbids unknown
// properties, so the validator in front of the handlers is a DisallowUnknownFields for the API.
func TestRequestSchemasRejectUnknownFields(t *testing.T) {
	t.Parallel()
	spec := specDoc(t)
	var check func(where string, s *openapi3.Schema)
	check = func(where string, s *openapi3.Schema) {
		if s == nil {
			return
		}
		if s.Type.Is("object") || len(s.Properties) > 0 {
			if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
				t.Fatalf("%s: request object allows unknown fields", where)
			}
		}
		for name, p := range s.Properties {
			check(where+"."+name, p.Value)
		}
		if s.Items != nil {
			check(where+"[]", s.Items.Value)
		}
	}
	n := 0
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			n++
			check(method+" "+path, op.RequestBody.Value.Content.Get("application/json").Schema.Value)
		}
	}
	if n < 15 {
		t.Fatalf("only %d request bodies", n)
	}
}
