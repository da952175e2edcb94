package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/flowplane/flowplane/services/auth"
)

// route is one project-scoped operation with placeholders {p} {int} {app} {ver} {dep} {dev} {viewer}
// {email}, the weakest role allowed to call it, and the status that role gets.
type route struct {
	method, path, body string
	role               auth.Role
	want               int
	prep               func(t testing.TB, e *env, w *world)
}

const (
	prj = "/v1/projects/{p}"
	svc = prj + "/services/svc"
	app = svc + "/applications/{app}"
	dep = app + "/deployments/{dep}"
)

func retire(t testing.TB, e *env, w *world)  { e.setStatus(t, w.deploy, "CANCELED") }
func running(t testing.TB, e *env, w *world) { e.setStatus(t, w.deploy, "RUNNING") }
func withJob(t testing.TB, e *env, w *world) {
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO jobs (project_id, deployment_id, attempt, status)
		SELECT project_id, id, 1, 'RUNNING' FROM deployments WHERE id = $1`, w.deploy); err != nil {
		t.Fatal(err)
	}
}

// withSavepoint adds a COMPLETED savepoint of the deployment (as the scheduler records it).
func withSavepoint(t testing.TB, e *env, w *world) {
	if err := e.pool.QueryRow(context.Background(), `INSERT INTO savepoints (project_id, application_id, deployment_id, status,
		location, size_bytes, checkpoint_id, completed_at, created_by) SELECT project_id, application_id, id, 'COMPLETED', 'file:///nowhere', 10, 3, now(), 'test'
		FROM deployments WHERE id = $1 RETURNING id`, w.deploy).Scan(&w.savepoint); err != nil {
		t.Fatal(err)
	}
}

func withQuery(t testing.TB, e *env, w *world) {
	if err := e.pool.QueryRow(context.Background(), `INSERT INTO sql_queries (project_id, application_id, statement, max_rows,
		run_deadline, expires_at, created_by) SELECT project_id, id, 'SELECT 1', 10, now() + interval '1 minute', now() + interval '1 hour', 'test'
		FROM applications WHERE id = $1 RETURNING id`, w.app).Scan(&w.query); err != nil {
		t.Fatal(err)
	}
}

var routes = []route{
	{"GET", prj, "", auth.RoleViewer, 200, nil},
	{"PATCH", prj, `{"description":"x"}`, auth.RoleAdmin, 200, nil},
	{"DELETE", prj, "", auth.RoleAdmin, 409, nil},
	{"GET", prj + "/members", "", auth.RoleViewer, 200, nil},
	{"POST", prj + "/members", `{"email":"{email}","role":"viewer"}`, auth.RoleAdmin, 201, nil},
	{"PATCH", prj + "/members/{dev}", `{"role":"viewer"}`, auth.RoleAdmin, 200, nil},
	{"DELETE", prj + "/members/{viewer}", "", auth.RoleAdmin, 204, nil},
	{"GET", prj + "/audit", "", auth.RoleAdmin, 200, nil},
	{"GET", prj + "/services", "", auth.RoleViewer, 200, nil},
	{"POST", prj + "/services", `{"name":"svc2","plan":"hobbyist"}`, auth.RoleAdmin, 201, nil},
	{"GET", svc, "", auth.RoleViewer, 200, nil},
	{"PATCH", svc, `{"plan":"business","powered":false}`, auth.RoleAdmin, 200, nil},
	{"DELETE", svc, "", auth.RoleAdmin, 409, nil},
	{"DELETE", svc + "?force=true", "", auth.RoleAdmin, 204, nil},
	{"GET", svc + "/overview", "", auth.RoleViewer, 200, nil},
	{"GET", svc + "/integrations", "", auth.RoleViewer, 200, nil},
	{"POST", svc + "/integrations", `{"name":"kf","type":"kafka","kafka":{"bootstrap_servers":["k:9092"],"security_protocol":"SASL_SSL","sasl_mechanism":"PLAIN","sasl_username":"u","sasl_password":"p"}}`, auth.RoleAdmin, 201, nil},
	{"GET", svc + "/integrations/{int}", "", auth.RoleViewer, 200, nil},
	{"DELETE", svc + "/integrations/{int}", "", auth.RoleAdmin, 204, nil},
	{"GET", svc + "/applications", "", auth.RoleViewer, 200, nil},
	{"POST", svc + "/applications", `{"name":"app2"}`, auth.RoleDeveloper, 201, nil},
	{"GET", app, "", auth.RoleViewer, 200, nil},
	{"PATCH", app, `{"name":"renamed"}`, auth.RoleDeveloper, 200, nil},
	{"DELETE", app, "", auth.RoleDeveloper, 204, retire},
	{"GET", app + "/versions", "", auth.RoleViewer, 200, nil},
	{"POST", app + "/versions", simpleVersion, auth.RoleDeveloper, 201, nil},
	{"POST", app + "/versions/validate", simpleVersion, auth.RoleViewer, 200, nil},
	{"GET", app + "/versions/{ver}", "", auth.RoleViewer, 200, nil},
	{"DELETE", app + "/versions/{ver}", "", auth.RoleDeveloper, 204, retire},
	// A preview that cannot finish within the server's wait (one row a second): 202.
	{"POST", app + "/queries", `{"statement":"SELECT id FROM g","max_rows":5,"sources":[{"create_table":"CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1')"}]}`, auth.RoleDeveloper, 202, nil},
	{"GET", app + "/queries/{qry}", "", auth.RoleViewer, 200, withQuery},
	{"GET", app + "/deployments", "", auth.RoleViewer, 200, nil},
	{"POST", app + "/deployments", `{"version_id":"{ver}","parallelism":1}`, auth.RoleDeveloper, 201, retire},
	{"GET", dep, "", auth.RoleViewer, 200, nil},
	{"POST", dep + "/stop", "", auth.RoleDeveloper, 202, running},
	{"POST", dep + "/cancel", "", auth.RoleDeveloper, 202, nil},
	{"POST", dep + "/restart", "", auth.RoleDeveloper, 202, running},
	{"GET", dep + "/events", "", auth.RoleViewer, 200, nil},
	{"GET", dep + "/job", "", auth.RoleViewer, 200, withJob},
	{"GET", dep + "/checkpoints", "", auth.RoleViewer, 200, nil},
	{"GET", dep + "/savepoints", "", auth.RoleViewer, 200, nil},
	{"POST", dep + "/savepoints", "", auth.RoleDeveloper, 202, running},
	{"GET", dep + "/savepoints/{sp}", "", auth.RoleViewer, 200, withSavepoint},
	{"DELETE", dep + "/savepoints/{sp}", "", auth.RoleDeveloper, 204, withSavepoint},
}

// fill replaces the placeholders: the project is proj, every id is w's.
func fill(s, proj string, w *world, email string) string {
	return strings.NewReplacer("{p}", proj, "{int}", w.integration, "{app}", w.app, "{ver}", w.version, "{dep}", w.deploy, "{qry}", w.query, "{sp}", w.savepoint,
		"{dev}", w.developerID, "{viewer}", w.viewerID, "{email}", email).Replace(s)
}

// snapshot summarises every row of project w that a request could change.
func snapshot(t *testing.T, e *env, projectID string) string {
	t.Helper()
	var s string
	err := e.pool.QueryRow(context.Background(), `SELECT concat_ws('|',
		(SELECT count(*) || max(updated_at)::text FROM projects WHERE id = $1),
		(SELECT count(*) || max(updated_at)::text || string_agg(role, ',' ORDER BY user_id) FROM members WHERE project_id = $1),
		(SELECT count(*) || max(updated_at)::text FROM services WHERE project_id = $1),
		(SELECT count(*) || max(updated_at)::text FROM integrations WHERE project_id = $1),
		(SELECT count(*) || max(updated_at)::text FROM applications WHERE project_id = $1),
		(SELECT count(*) || max(updated_at)::text FROM versions WHERE project_id = $1),
		(SELECT count(*) || max(updated_at)::text || max(desired_generation) FROM deployments WHERE project_id = $1),
		(SELECT count(*) FROM savepoints WHERE project_id = $1),
		(SELECT count(*) FROM deployment_events WHERE project_id = $1),
		(SELECT count(*) FROM audit_log WHERE project_id = $1))`, projectID).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func projectID(t *testing.T, e *env, name string) string {
	t.Helper()
	var id string
	if err := e.pool.QueryRow(context.Background(), `SELECT id FROM projects WHERE name = $1`, name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestTenancyAndRoleMatrix calls every project-scoped route: with tokens of another project (on A's
// path, and on B's path with A's ids) it is a 404 that changes nothing; each role below the route's
// is a 403 that changes nothing; the route's role succeeds.
func TestTenancyAndRoleMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.newWorld(t)
	outsider, _, _ := e.userToken(t, "outsider")
	bNarrowed := e.issue(t, b.ownerID, auth.Grant{ProjectID: projectID(t, e, b.project)})
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			t.Parallel()
			a := e.newWorld(t)
			_, _, email := e.userToken(t, "invitee")
			if r.prep != nil {
				r.prep(t, e, a)
			}
			aID := projectID(t, e, a.project)
			path, body := fill(r.path, a.project, a, email), fill(r.body, a.project, a, email)
			before := snapshot(t, e, aID)
			unchanged := func(who string) {
				t.Helper()
				if after := snapshot(t, e, aID); after != before {
					t.Fatalf("%s changed project A:\n%s\n%s", who, before, after)
				}
			}
			if got := e.do(t, r.method, path, "", body); got.status != 401 || got.code() != "unauthorized" {
				t.Fatalf("no token: %d %s", got.status, got.body)
			}
			if got := e.do(t, r.method, fill(r.path, "Bad_Slug", a, email), a.owner, body); got.status != 400 || fieldOf(t, got) != "project" {
				t.Fatalf("invalid project name: %d %s", got.status, got.body)
			}
			unchanged("requests without a token or with a bad path")
			for who, tok := range map[string]string{"outsider": outsider, "B's owner": b.owner, "B's narrowed token": bNarrowed} {
				if got := e.do(t, r.method, path, tok, body); got.status != 404 || got.code() != "not_found" {
					t.Fatalf("%s on A's path: %d %s", who, got.status, got.body)
				}
				unchanged(who)
			}
			// B's own project and service with A's ids.
			if strings.Contains(r.path, "{") && r.path != prj && r.path != prj+"/members" {
				crossPath := fill(r.path, b.project, a, email)
				if crossPath != fill(r.path, b.project, b, email) {
					if got := e.do(t, r.method, crossPath, b.owner, body); got.status != 404 {
						t.Fatalf("B's owner with A's ids %s: %d %s", crossPath, got.status, got.body)
					}
					unchanged("B's owner with A's ids")
				}
			}
			tokens := map[auth.Role]string{auth.RoleViewer: a.viewer, auth.RoleDeveloper: a.developer, auth.RoleAdmin: a.owner}
			for _, role := range []auth.Role{auth.RoleViewer, auth.RoleDeveloper} {
				if role.AtLeast(r.role) {
					continue
				}
				if got := e.do(t, r.method, path, tokens[role], body); got.status != 403 || got.code() != "forbidden" {
					t.Fatalf("%s: %d %s, want 403", role, got.status, got.body)
				}
				unchanged(string(role))
			}
			if got := e.do(t, r.method, path, tokens[r.role], body); got.status != r.want {
				t.Fatalf("%s: %d %s, want %d", r.role, got.status, got.body, r.want)
			}
			if r.method != "GET" && r.want < 300 && snapshot(t, e, aID) == before && !strings.HasSuffix(r.path, "/validate") {
				t.Fatalf("%s %s succeeded but wrote no audit row", r.method, r.path)
			}
		})
	}
}

// TestEveryOperationIsCovered keeps the matrix honest: each operation of the spec under
// /v1/projects/{project} appears in routes.
func TestEveryOperationIsCovered(t *testing.T) {
	t.Parallel()
	spec := specDoc(t)
	have := map[string]bool{}
	for _, r := range routes {
		p := strings.SplitN(r.path, "?", 2)[0]
		p = strings.NewReplacer("{p}", "{project}", "/svc", "/{service}", "{int}", "{integration_id}", "{app}", "{application_id}",
			"{ver}", "{version_id}", "{dep}", "{deployment_id}", "{qry}", "{query_id}", "{sp}", "{savepoint_id}", "{dev}", "{user_id}", "{viewer}", "{user_id}").Replace(p)
		have[r.method+" "+p] = true
	}
	for path, item := range spec.Paths.Map() {
		if !strings.HasPrefix(path, "/v1/projects/{project}") {
			continue
		}
		for method := range item.Operations() {
			if !have[method+" "+path] {
				t.Fatalf("%s %s is not in the tenancy matrix", method, path)
			}
		}
	}
	if len(have) < 38 {
		t.Fatalf("only %d routes", len(have))
	}
	_ = fmt.Sprint()
}
