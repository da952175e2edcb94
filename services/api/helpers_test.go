package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/api"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/services/seal"
	"github.com/flowplane/flowplane/services/store"
)

// env is one control plane on its own fresh database.
type env struct {
	srv    *httptest.Server
	pool   *pgxpool.Pool
	store  *store.Store
	tokens *auth.Tokens
	sealer *seal.Sealer
	admin  string // platform admin token
}

type envOption func(*api.Config)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	sealer, err := seal.Parse(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pool, sealer)
	tokens, err := auth.NewTokens(ctx, st, sealer)
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := auth.Bootstrap(ctx, st, tokens, false, time.Hour)
	if err != nil || admin == "" {
		t.Fatalf("bootstrap: %q %v", admin, err)
	}
	cfg := api.Config{Pool: pool, Store: st, Tokens: tokens, MaxBodyBytes: 64 << 10}
	for _, o := range opts {
		o(&cfg)
	}
	srv := httptest.NewServer(api.NewHandler(cfg))
	t.Cleanup(srv.Close)
	return &env{srv: srv, pool: pool, store: st, tokens: tokens, sealer: sealer, admin: admin}
}

// reply is one recorded response.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// code is the problem code of an error reply.
func (r reply) code() string {
	var p struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.body, &p)
	return p.Code
}

// do sends a request (body is a JSON string or "") with token, checks the reply against the spec
// and returns it. Extra headers come as name, value pairs.
func (e *env) do(t testing.TB, method, path, token, body string, headers ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, body: b}
	validateReply(t, method, path, r)
	return r
}

// must is do that fails the test unless the status is want.
func (e *env) must(t testing.TB, want int, method, path, token, body string, headers ...string) reply {
	t.Helper()
	r := e.do(t, method, path, token, body, headers...)
	if r.status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, r.status, r.body, want)
	}
	return r
}

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// validateReply checks a recorded response against openapi.yaml.
func validateReply(t testing.TB, method, path string, r reply) {
	t.Helper()
	specOnce.Do(func() {
		spec, err := openapi.GetSpec()
		if err != nil {
			specErr = err
			return
		}
		spec.Servers = nil
		specRouter, specErr = gorillamux.NewRouter(spec)
	})
	if specErr != nil {
		t.Fatalf("spec: %v", specErr)
	}
	req := httptest.NewRequest(method, path, nil)
	route, params, err := specRouter.FindRoute(req)
	if err != nil {
		return // not an operation of the spec (404/405 paths); problem shape is checked by callers
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.status,
		Header: r.header, Body: io.NopCloser(strings.NewReader(string(r.body)))}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Fatalf("%s %s: %d response does not match the spec: %v\n%s", method, path, r.status, err, r.body)
	}
}

var seq atomic.Int64

// unique returns a fresh slug with prefix.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, seq.Add(1))
}

// userToken creates a user directly in the store and issues an API token for them.
func (e *env) userToken(t testing.TB, name string) (token, userID, email string) {
	t.Helper()
	ctx := context.Background()
	email = unique(name) + "@example.com"
	u, err := e.store.CreateUser(ctx, store.Actor{RequestID: "test"}, store.NewUser{Email: email, Name: name, PasswordHash: "!"})
	if err != nil {
		t.Fatal(err)
	}
	return e.issue(t, u.ID, auth.Grant{}), u.ID, email
}

// issue signs a token for userID with grant g (kind and ttl default to api and an hour).
func (e *env) issue(t testing.TB, userID string, g auth.Grant) string {
	t.Helper()
	g.UserID = userID
	if g.Kind == "" {
		g.Kind = "api"
	}
	if g.TTL == 0 {
		g.TTL = time.Hour
	}
	tok, _, err := e.tokens.Issue(context.Background(), store.Actor{UserID: userID, RequestID: "test"}, g)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// world is one project with a member of each role, a service, an integration, an application, a
// version and an active deployment.
type world struct {
	project, service                  string
	owner, developer, viewer          string // tokens
	ownerID, developerID, viewerID    string
	integration, app, version, deploy string
	query                             string // set by withQuery
	savepoint                         string // set by withSavepoint
	base                              string // /v1/projects/{p}/services/{s}
	appPath, depPath                  string
}

// simpleVersion is the body of a valid version that needs no integration.
const simpleVersion = `{"statement":"INSERT INTO o SELECT 1","sinks":[{"create_table":"CREATE TABLE o (a INT) WITH ('connector' = 'blackhole')"}]}`

// worldVersion is the world's version: datagen rows upserted into a postgres table through the
// world's integration (%[1]q is the integration id).
const worldVersion = `{"statement":"INSERT INTO out SELECT id, COUNT(*) FROM bids GROUP BY id",
 "sources":[{"create_table":"CREATE TABLE bids (id BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '10')"}],
 "sinks":[{"create_table":"CREATE TABLE out (id BIGINT, n BIGINT, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'postgres', 'table-name' = 'out', 'integration' = '%[1]s')","integration_id":%[1]q}]}`

func (e *env) newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{project: unique("prj"), service: "svc"}
	var email string
	w.owner, w.ownerID, _ = e.userToken(t, "owner")
	e.must(t, 201, "POST", "/v1/projects", w.owner, fmt.Sprintf(`{"name":%q}`, w.project))
	for _, m := range []struct {
		role      string
		token, id *string
	}{{"developer", &w.developer, &w.developerID}, {"viewer", &w.viewer, &w.viewerID}} {
		*m.token, *m.id, email = e.userToken(t, m.role)
		e.must(t, 201, "POST", "/v1/projects/"+w.project+"/members", w.owner, fmt.Sprintf(`{"email":%q,"role":%q}`, email, m.role))
	}
	e.must(t, 201, "POST", "/v1/projects/"+w.project+"/services", w.owner, `{"name":"svc","plan":"startup"}`)
	w.base = "/v1/projects/" + w.project + "/services/svc"
	var obj struct {
		ID string `json:"id"`
	}
	e.must(t, 201, "POST", w.base+"/integrations", w.owner,
		`{"name":"pg","type":"postgres","postgres":{"host":"db.example.com","database":"d","user":"u","password":"s3cret-pw"}}`).decode(t, &obj)
	w.integration = obj.ID
	e.must(t, 201, "POST", w.base+"/applications", w.developer, `{"name":"app"}`).decode(t, &obj)
	w.app = obj.ID
	w.appPath = w.base + "/applications/" + w.app
	e.must(t, 201, "POST", w.appPath+"/versions", w.developer, fmt.Sprintf(worldVersion, w.integration)).decode(t, &obj)
	w.version = obj.ID
	e.must(t, 201, "POST", w.appPath+"/deployments", w.developer, fmt.Sprintf(`{"version_id":%q,"parallelism":2}`, w.version)).decode(t, &obj)
	w.deploy = obj.ID
	w.depPath = w.appPath + "/deployments/" + w.deploy
	return w
}

// setStatus plays the scheduler: it writes an observed status.
func (e *env) setStatus(t testing.TB, deploymentID, status string) {
	t.Helper()
	if _, err := e.pool.Exec(context.Background(), `UPDATE deployments SET status = $2 WHERE id = $1`, deploymentID, status); err != nil {
		t.Fatal(err)
	}
}

func specDoc(t testing.TB) *openapi3.T {
	t.Helper()
	spec, err := openapi.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	return spec
}
