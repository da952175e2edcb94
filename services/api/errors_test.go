package api_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/api"
	"github.com/flowplane/flowplane/services/pgtest"
)

func TestProjectAndMemberRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	p := "/v1/projects/" + w.project
	e.must(t, 409, "POST", "/v1/projects", w.owner, fmt.Sprintf(`{"name":%q}`, w.project))
	e.must(t, 404, "GET", "/v1/projects/no-such-project", w.owner, "")
	_, _, stranger := e.userToken(t, "stranger")
	e.must(t, 422, "POST", p+"/members", w.owner, `{"email":"nobody@example.com","role":"viewer"}`)
	e.must(t, 409, "POST", p+"/members", w.owner, fmt.Sprintf(`{"email":%q,"role":"viewer"}`, emailOf(t, e, w.viewerID)))
	e.must(t, 201, "POST", p+"/members", w.owner, fmt.Sprintf(`{"email":%q,"role":"developer"}`, stranger))
	e.must(t, 404, "PATCH", p+"/members/usr_nope", w.owner, `{"role":"viewer"}`)
	e.must(t, 404, "DELETE", p+"/members/usr_nope", w.owner, "")
	// The last admin can be neither demoted nor removed; with a second admin both work.
	e.must(t, 409, "PATCH", p+"/members/"+w.ownerID, w.owner, `{"role":"developer"}`)
	e.must(t, 409, "DELETE", p+"/members/"+w.ownerID, w.owner, "")
	e.must(t, 200, "PATCH", p+"/members/"+w.developerID, w.owner, `{"role":"admin"}`)
	e.must(t, 200, "PATCH", p+"/members/"+w.ownerID, w.owner, `{"role":"viewer"}`)
	e.must(t, 403, "GET", p+"/audit", w.owner, "") // now a viewer
	// Deleting a project needs it empty.
	e.must(t, 409, "DELETE", p, w.developer, "")
	e.must(t, 204, "DELETE", p+"/services/svc?force=true", w.developer, "")
	e.must(t, 204, "DELETE", p, w.developer, "")
	e.must(t, 404, "GET", p, w.developer, "")
}

func TestServiceRulesAndCapacity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t) // startup plan (8 slots); the world's deployment holds 2
	e.must(t, 409, "POST", "/v1/projects/"+w.project+"/services", w.owner, `{"name":"svc","plan":"hobbyist"}`)
	e.must(t, 404, "GET", "/v1/projects/"+w.project+"/services/nope", w.owner, "")
	deploy := func(par int) reply {
		return e.do(t, "POST", w.appPath+"/deployments", w.developer, fmt.Sprintf(`{"version_id":%q,"parallelism":%d}`, w.version, par))
	}
	e.setStatus(t, w.deploy, "RUNNING")
	if r := deploy(1); r.status != 409 {
		t.Fatalf("second active deployment = %d %s", r.status, r.body)
	}
	// Another application fills the service: 6 slots are free.
	var other openapi.Application
	e.must(t, 201, "POST", w.base+"/applications", w.developer, `{"name":"other"}`).decode(t, &other)
	var v openapi.ApplicationVersion
	e.must(t, 201, "POST", w.base+"/applications/"+other.Id+"/versions", w.developer, simpleVersion).decode(t, &v)
	otherDeploy := func(par int) reply {
		return e.do(t, "POST", w.base+"/applications/"+other.Id+"/deployments", w.developer, fmt.Sprintf(`{"version_id":%q,"parallelism":%d}`, v.Id, par))
	}
	r := otherDeploy(9)
	if r.status != 422 || !strings.Contains(string(r.body), "parallelism 9 is above the startup plan's maximum of 8") || fieldOf(t, r) != "parallelism" {
		t.Fatalf("parallelism 9 = %d %s", r.status, r.body)
	}
	if r := otherDeploy(7); r.status != 422 || !strings.Contains(string(r.body), "only 6 of the service's 8 are free") {
		t.Fatalf("parallelism 7 = %d %s", r.status, r.body)
	}
	// A version of another application, an unknown savepoint.
	if r := e.do(t, "POST", w.base+"/applications/"+other.Id+"/deployments", w.developer, fmt.Sprintf(`{"version_id":%q,"parallelism":1}`, w.version)); r.status != 422 || fieldOf(t, r) != "version_id" {
		t.Fatalf("foreign version = %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", w.base+"/applications/"+other.Id+"/deployments", w.developer, fmt.Sprintf(`{"version_id":%q,"parallelism":1,"starting_savepoint_id":"sp_nope"}`, v.Id)); r.status != 422 || fieldOf(t, r) != "starting_savepoint_id" {
		t.Fatalf("unknown savepoint = %d %s", r.status, r.body)
	}
	// A plan too small for the active deployments is refused.
	e.must(t, 200, "PATCH", w.base, w.owner, `{"plan":"hobbyist"}`) // 2 slots, 2 in use
	e.must(t, 200, "PATCH", w.base, w.owner, `{"plan":"startup"}`)
	e.must(t, 201, "POST", w.base+"/applications/"+other.Id+"/deployments", w.developer, fmt.Sprintf(`{"version_id":%q,"parallelism":1}`, v.Id))
	otherDeploys := e.must(t, 200, "GET", w.base+"/applications/"+other.Id+"/deployments", w.viewer, "")
	_ = otherDeploys
	if r := e.do(t, "PATCH", w.base, w.owner, `{"plan":"hobbyist"}`); r.status != 422 || !strings.Contains(string(r.body), "use 3") {
		t.Fatalf("hobbyist with 3 slots in use = %d %s", r.status, r.body)
	}
	// Powering off: no capacity, no new deployments.
	var s openapi.Service
	e.must(t, 200, "PATCH", w.base, w.owner, `{"powered":false}`).decode(t, &s)
	if s.State != openapi.ServiceStatePOWEROFF || s.Powered {
		t.Fatalf("powered off = %+v", s)
	}
	var ov openapi.ServiceOverview
	e.must(t, 200, "GET", w.base+"/overview", w.viewer, "").decode(t, &ov)
	if ov.SlotsAvailable != 0 || ov.JobsByState["RUNNING"] != 1 {
		t.Fatalf("overview = %+v", ov)
	}
	e.setStatus(t, w.deploy, "SUSPENDED")
	if r := deploy(1); r.status != 409 || !strings.Contains(string(r.body), "powered off") {
		t.Fatalf("deploy on powered-off service = %d %s", r.status, r.body)
	}
	// Delete refuses while deployments are active, unless forced.
	if r := e.do(t, "DELETE", w.base, w.owner, ""); r.status != 409 || !strings.Contains(string(r.body), "force=true") {
		t.Fatalf("delete with active deployments = %d %s", r.status, r.body)
	}
	e.must(t, 204, "DELETE", w.base+"?force=true", w.owner, "")
	e.must(t, 404, "GET", w.base, w.owner, "")
}

func TestVersionsValidateSQL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	var res openapi.ValidationResult
	e.must(t, 200, "POST", w.appPath+"/versions/validate", w.viewer,
		`{"statement":"INSERT INTO o\nSELECT (a FROM t","sinks":[{"create_table":"CREATE TABEL o (a INT)"}]}`).decode(t, &res)
	if res.Valid || len(res.Errors) != 2 || *res.Errors[0].Field != "sinks[0]" || res.Errors[0].Column != 8 ||
		*res.Errors[1].Field != "statement" || res.Errors[1].Line != 2 || res.Errors[1].Column != 11 || res.Graph != nil {
		t.Fatalf("validate = %+v", res)
	}
	e.must(t, 200, "POST", w.appPath+"/versions/validate", w.viewer, simpleVersion).decode(t, &res)
	if !res.Valid || len(res.Errors) != 0 {
		t.Fatalf("valid SQL = %+v", res)
	}
	r := e.must(t, 422, "POST", w.appPath+"/versions", w.developer, `{"statement":"SELECT 1"}`)
	var p openapi.Problem
	r.decode(t, &p)
	if p.Code != "invalid_sql" || p.Errors == nil || (*p.Errors)[0].Line == nil || *(*p.Errors)[0].Line != 1 {
		t.Fatalf("invalid SQL problem = %s", r.body)
	}
	other := e.newWorld(t)
	body := fmt.Sprintf(`{"statement":"INSERT INTO o SELECT 1","sinks":[{"create_table":"CREATE TABLE o (a INT) WITH ('connector' = 'postgres', 'table-name' = 'o')","integration_id":%q}]}`, other.integration)
	r = e.must(t, 422, "POST", w.appPath+"/versions", w.developer, body)
	if code, errs := problemErrors(t, r); code != "invalid_sql" || fieldOf(t, r) != "sinks[0]" || *errs[0].Column != 14 || !strings.Contains(errs[0].Message, "not found in service svc") {
		t.Fatalf("foreign integration: %s", r.body)
	}
	e.must(t, 404, "GET", w.appPath+"/versions/ver_nope", w.viewer, "")
	e.must(t, 404, "POST", w.base+"/applications/app_nope/versions/validate", w.viewer, simpleVersion)
	e.must(t, 404, "GET", w.base+"/applications/app_nope/versions", w.viewer, "")
	e.must(t, 404, "GET", w.base+"/applications/app_nope/deployments", w.viewer, "")
	e.must(t, 404, "GET", w.appPath+"/deployments/dep_nope/events", w.viewer, "")
	e.must(t, 409, "POST", w.base+"/applications", w.developer, `{"name":"app"}`)
	e.must(t, 200, "PATCH", w.appPath, w.developer, `{"name":"app"}`) // keeping its own name is fine
	e.must(t, 201, "POST", w.base+"/applications", w.developer, `{"name":"taken"}`)
	e.must(t, 409, "PATCH", w.appPath, w.developer, `{"name":"taken"}`)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestIntegrationSecretsAreSealedAndNeverShown(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	e := newEnv(t, func(c *api.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	w := e.newWorld(t)
	var integ openapi.Integration
	r := e.must(t, 201, "POST", w.base+"/integrations", w.owner,
		`{"name":"events","type":"kafka","kafka":{"bootstrap_servers":["b1:9092","b2:9092"],"security_protocol":"SASL_SSL","sasl_mechanism":"SCRAM-SHA-512","sasl_username":"app","sasl_password":"kafka-pa55word"}}`)
	r.decode(t, &integ)
	if integ.Kafka == nil || !integ.Kafka.SaslPasswordSet || len(integ.Kafka.BootstrapServers) != 2 || *integ.Kafka.SaslUsername != "app" {
		t.Fatalf("kafka integration = %s", r.body)
	}
	e.must(t, 400, "POST", w.base+"/integrations", w.owner, `{"name":"bad","type":"kafka","postgres":{"host":"h","database":"d","user":"u","password":"kafka-pa55word"}}`)
	e.must(t, 409, "POST", w.base+"/integrations", w.owner, `{"name":"events","type":"kafka","kafka":{"bootstrap_servers":["b"]}}`)
	for _, path := range []string{w.base + "/integrations", w.base + "/integrations/" + integ.Id, "/v1/projects/" + w.project + "/audit"} {
		if body := e.must(t, 200, "GET", path, w.owner, "").body; bytes.Contains(body, []byte("pa55word")) || bytes.Contains(body, []byte("s3cret-pw")) {
			t.Fatalf("GET %s shows a secret: %s", path, body)
		}
	}
	var raw []byte
	if err := e.pool.QueryRow(context.Background(), `SELECT config::text::bytea || secret_sealed FROM integrations WHERE id = $1`, integ.Id).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("pa55word")) {
		t.Fatalf("secret stored in clear")
	}
	sec, err := e.store.IntegrationSecret(context.Background(), projectID(t, e, w.project), integ.Id)
	if err != nil || sec["sasl_password"] != "kafka-pa55word" {
		t.Fatalf("IntegrationSecret = %v, %v", sec, err)
	}
	conn, err := e.store.ResolveIntegration(context.Background(), projectID(t, e, w.project), integ.Id)
	if err != nil || conn.Type != "kafka" || conn.Secret["sasl_password"] != "kafka-pa55word" || conn.Config["sasl_username"] != "app" {
		t.Fatalf("ResolveIntegration = %+v, %v", conn, err)
	}
	if _, err := e.store.ResolveIntegration(context.Background(), projectID(t, e, e.newWorld(t).project), integ.Id); err == nil {
		t.Fatal("another project resolved the integration")
	}
	if strings.Contains(logs.String(), "pa55word") || strings.Contains(logs.String(), "s3cret") {
		t.Fatalf("a secret reached the logs")
	}
	e.must(t, 204, "DELETE", w.base+"/integrations/"+integ.Id, w.owner, "")
	e.must(t, 404, "GET", w.base+"/integrations/"+integ.Id, w.owner, "")
	e.must(t, 404, "DELETE", w.base+"/integrations/"+integ.Id, w.owner, "")
}

func TestAuditTrail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	var audit openapi.AuditList
	e.must(t, 200, "GET", "/v1/projects/"+w.project+"/audit?limit=200", w.owner, "").decode(t, &audit)
	var actions []string
	for _, a := range audit.Items {
		actions = append(actions, a.Action)
		if a.RequestId == "" || a.ActorId == nil {
			t.Fatalf("audit entry without request or actor: %+v", a)
		}
	}
	want := "project.create,member.add,member.add,service.create,integration.create,application.create,version.create,deployment.create"
	if got := strings.Join(actions, ","); got != want {
		t.Fatalf("audit = %s\nwant    %s", got, want)
	}
}

// TestDeploymentChangesAreNotified: the scheduler LISTENs on deployments_changed.
func TestDeploymentChangesAreNotified(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, e.pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN deployments_changed"); err != nil {
		t.Fatal(err)
	}
	e.setStatus(t, w.deploy, "RUNNING") // observed status alone is not announced
	e.must(t, 202, "POST", w.depPath+"/restart", w.developer, "")
	n, err := conn.WaitForNotification(ctx)
	if err != nil || n.Payload != w.deploy {
		t.Fatalf("notification = %+v, %v", n, err)
	}
	e.setStatus(t, w.deploy, "RUNNING")
	e.must(t, 202, "POST", w.depPath+"/savepoints", w.developer, "")
	if n, err := conn.WaitForNotification(ctx); err != nil || n.Payload != w.deploy {
		t.Fatalf("savepoint notification = %+v, %v", n, err)
	}
	_ = pgtest.AdminDSN
}
