package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/flowplane/flowplane/dataflow/connectors/egress"
	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/api"
)

// sqlBody is a version (or query) body: statement, sources and sinks as CREATE TABLE texts, and
// extra top-level fields.
func sqlBody(t testing.TB, statement string, sources, sinks []string, extra map[string]any) string {
	t.Helper()
	refs := func(tables []string) []map[string]string {
		out := []map[string]string{}
		for _, c := range tables {
			out = append(out, map[string]string{"create_table": c})
		}
		return out
	}
	b := map[string]any{"statement": statement}
	if sources != nil {
		b["sources"] = refs(sources)
	}
	if sinks != nil {
		b["sinks"] = refs(sinks)
	}
	for k, v := range extra {
		b[k] = v
	}
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// problemErrors decodes a problem's errors.
func problemErrors(t testing.TB, r reply) (string, []openapi.ProblemFieldError) {
	t.Helper()
	var p openapi.Problem
	r.decode(t, &p)
	if p.Errors == nil {
		return p.Code, nil
	}
	return p.Code, *p.Errors
}

const bidTable = `CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  dateTime TIMESTAMP(3), extra VARCHAR, WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
WITH ('connector' = 'nexmark', 'stream' = 'bid', 'seed' = '3')`

func TestValidateReturnsTheGraph(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	body := sqlBody(t, `INSERT INTO per_auction
SELECT auction, window_start, window_end, COUNT(*), MAX(price)
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end`, []string{bidTable},
		[]string{"CREATE TABLE per_auction (auction BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3), bids BIGINT, top BIGINT) WITH ('connector' = 'blackhole')"}, nil)
	var res openapi.ValidationResult
	e.must(t, 200, "POST", w.appPath+"/versions/validate", w.viewer, body).decode(t, &res)
	if !res.Valid || len(res.Errors) != 0 || res.Graph == nil {
		t.Fatalf("validate = %+v", res)
	}
	g := res.Graph
	if len(g.Vertices) != 2 || len(g.Edges) != 1 {
		t.Fatalf("graph = %+v", g)
	}
	kinds := func(v openapi.PlanVertex) string {
		var ks []string
		for _, op := range v.Operators {
			ks = append(ks, op.Kind)
		}
		return strings.Join(ks, ",")
	}
	if k := kinds(g.Vertices[0]); !strings.HasPrefix(k, "sql.source,sql.watermark") || *g.Vertices[0].Operators[0].Table != "bid" {
		t.Fatalf("source vertex operators %s", k)
	}
	if k := kinds(g.Vertices[1]); !strings.Contains(k, "sql.window_aggregate") || !strings.HasSuffix(k, "sql.sink") {
		t.Fatalf("aggregate vertex operators %s", k)
	}
	if e0 := g.Edges[0]; e0.From != g.Vertices[0].Id || e0.To != g.Vertices[1].Id || e0.Partitioning != openapi.Forward || g.Vertices[1].Parallelism != 1 {
		t.Fatalf("edge %+v (validation plans with parallelism 1)", e0)
	}
	// The version keeps the same plan; a deployment with parallelism 2 hashes on the auction.
	var v openapi.ApplicationVersion
	e.must(t, 201, "POST", w.appPath+"/versions", w.developer, body).decode(t, &v)
	e.setStatus(t, w.deploy, "CANCELED")
	var d openapi.Deployment
	e.must(t, 201, "POST", w.appPath+"/deployments", w.developer, fmt.Sprintf(`{"version_id":%q,"parallelism":2}`, v.Id)).decode(t, &d)
	var job openapi.Job
	e.must(t, 200, "GET", w.appPath+"/deployments/"+d.Id+"/job", w.viewer, "").decode(t, &job)
	if job.Status != "PLANNED" || job.Plan.Vertices[1].Parallelism != 2 || job.Plan.Edges[0].Partitioning != openapi.Hash ||
		(*job.Plan.Edges[0].Keys)[0] != "auction" {
		t.Fatalf("deployment plan = %+v", job.Plan)
	}
}

func TestInvalidSQLIsRefusedWithPositions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	sink := "CREATE TABLE o (a BIGINT) WITH ('connector' = 'blackhole')"
	cases := []struct {
		name, body, field string
		line, col         int
		message           string
	}{
		{"unknown column", sqlBody(t, "INSERT INTO o\nSELECT auction\nFROM bid WHERE nope > 1", []string{bidTable}, []string{sink}, nil),
			"statement", 3, 16, "nope"},
		{"type mismatch", sqlBody(t, "INSERT INTO o SELECT channel FROM bid", []string{bidTable}, []string{sink}, nil),
			"statement", 1, 22, "cannot be written"},
		{"inline secret", sqlBody(t, "INSERT INTO o SELECT auction FROM bid", []string{bidTable},
			[]string{"CREATE TABLE o (a BIGINT)\nWITH ('connector' = 'postgres', 'table-name' = 'o',\n  'password' = 'hunter2', 'integration' = '" + w.integration + "')"}, nil),
			"sinks[0]", 3, 3, "integration"},
		{"syntax in a source", sqlBody(t, "INSERT INTO o SELECT 1", []string{"CREATE TABLE t (a BIGINT,) WITH ('connector' = 'datagen')"}, []string{sink}, nil),
			"sources[0]", 1, 26, "expected"},
	}
	for _, c := range cases {
		r := e.must(t, 422, "POST", w.appPath+"/versions", w.developer, c.body)
		code, errs := problemErrors(t, r)
		if code != "invalid_sql" || len(errs) == 0 || *errs[0].Field != c.field || *errs[0].Line != c.line || *errs[0].Column != c.col ||
			!strings.Contains(errs[0].Message, c.message) || *errs[0].EndLine < c.line {
			t.Fatalf("%s: %s", c.name, r.body)
		}
		if strings.Contains(string(r.body), "hunter2") {
			t.Fatalf("%s: the secret is echoed: %s", c.name, r.body)
		}
		var res openapi.ValidationResult
		e.must(t, 200, "POST", w.appPath+"/versions/validate", w.viewer, c.body).decode(t, &res)
		if res.Valid || res.Graph != nil || res.Errors[0].Line != c.line || res.Errors[0].Column != c.col || *res.Errors[0].Field != c.field {
			t.Fatalf("%s: validate = %+v", c.name, res)
		}
	}
	var vs openapi.ApplicationVersionList
	e.must(t, 200, "GET", w.appPath+"/versions", w.viewer, "").decode(t, &vs)
	if len(vs.Items) != 1 {
		t.Fatalf("refused versions were stored: %d versions", len(vs.Items))
	}
}

func TestIntegrationReferences(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	other := e.newWorld(t)
	var kafka, sibling openapi.Integration
	e.must(t, 201, "POST", w.base+"/integrations", w.owner, `{"name":"events","type":"kafka","kafka":{"bootstrap_servers":["kafka.example.com:9092"]}}`).decode(t, &kafka)
	e.must(t, 201, "POST", "/v1/projects/"+w.project+"/services", w.owner, `{"name":"svc2","plan":"hobbyist"}`)
	e.must(t, 201, "POST", "/v1/projects/"+w.project+"/services/svc2/integrations", w.owner,
		`{"name":"pg","type":"postgres","postgres":{"host":"db2.example.com","database":"d","user":"u","password":"pw"}}`).decode(t, &sibling)
	sink := func(id string) []string {
		return []string{"CREATE TABLE o (a BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'o',\n 'integration' = '" + id + "')"}
	}
	stmt := "INSERT INTO o SELECT auction FROM bid"
	for name, c := range map[string]struct{ id, message string }{
		"unknown":         {"int_nope", "not found in service svc"},
		"another project": {other.integration, "not found in service svc"},
		"another service": {sibling.Id, "not found in service svc"},
		"wrong type":      {kafka.Id, "is a kafka integration"},
	} {
		r := e.must(t, 422, "POST", w.appPath+"/versions", w.developer, sqlBody(t, stmt, []string{bidTable}, sink(c.id), nil))
		code, errs := problemErrors(t, r)
		if code != "invalid_sql" || *errs[0].Field != "sinks[0]" || *errs[0].Line != 2 || *errs[0].Column != 18 || !strings.Contains(errs[0].Message, c.message) {
			t.Fatalf("%s: %s", name, r.body)
		}
	}
	var res openapi.ValidationResult
	e.must(t, 200, "POST", w.appPath+"/versions/validate", w.viewer, sqlBody(t, stmt, []string{bidTable}, sink(w.integration), nil)).decode(t, &res)
	if !res.Valid {
		t.Fatalf("valid reference: %+v", res)
	}
	last := res.Graph.Vertices[len(res.Graph.Vertices)-1]
	if op := last.Operators[len(last.Operators)-1]; *op.IntegrationId != w.integration || *op.Connector != "postgres" {
		t.Fatalf("sink operator %+v", op)
	}
	// SQL may name the integration instead; the plan carries its id.
	e.must(t, 200, "POST", w.appPath+"/versions/validate", w.viewer, sqlBody(t, stmt, []string{bidTable}, sink("pg"), nil)).decode(t, &res)
	last = res.Graph.Vertices[len(res.Graph.Vertices)-1]
	if op := last.Operators[len(last.Operators)-1]; !res.Valid || *op.IntegrationId != w.integration {
		t.Fatalf("integration by name: %+v", res)
	}
	// integration_id on the table ref stands for the option, and must agree with it.
	ref := func(create, id string) string {
		return fmt.Sprintf(`{"statement":%q,"sources":[{"create_table":%q}],"sinks":[{"create_table":%q,"integration_id":%q}]}`, stmt, bidTable, create, id)
	}
	e.must(t, 200, "POST", w.appPath+"/versions/validate", w.viewer, ref("CREATE TABLE o (a BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'o')", w.integration)).decode(t, &res)
	last = res.Graph.Vertices[len(res.Graph.Vertices)-1]
	if op := last.Operators[len(last.Operators)-1]; !res.Valid || *op.IntegrationId != w.integration {
		t.Fatalf("integration_id without the option: %+v", res)
	}
	e.must(t, 200, "POST", w.appPath+"/versions/validate", w.viewer, ref(sink(kafka.Id)[0], w.integration)).decode(t, &res)
	if res.Valid || res.Errors[0].Line != 2 || res.Errors[0].Column != 18 || !strings.Contains(res.Errors[0].Message, "its integration_id is") {
		t.Fatalf("integration_id disagreeing with the option: %+v", res)
	}
	// An integration deleted after the version was stored: deploying it is refused.
	var v openapi.ApplicationVersion
	e.must(t, 201, "POST", w.appPath+"/versions", w.developer, sqlBody(t, stmt, []string{bidTable}, sink(w.integration), nil)).decode(t, &v)
	e.setStatus(t, w.deploy, "CANCELED")
	e.must(t, 204, "DELETE", w.base+"/integrations/"+w.integration, w.owner, "")
	r := e.must(t, 422, "POST", w.appPath+"/deployments", w.developer, fmt.Sprintf(`{"version_id":%q,"parallelism":1}`, v.Id))
	if code, errs := problemErrors(t, r); code != "invalid_sql" || !strings.Contains(errs[0].Message, "not found") {
		t.Fatalf("deploy after the integration was deleted: %s", r.body)
	}
}

func TestEgressGuard(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	pg := func(name, host string) string {
		return fmt.Sprintf(`{"name":%q,"type":"postgres","postgres":{"host":%q,"database":"d","user":"u","password":"pw"}}`, name, host)
	}
	for _, c := range []struct{ body, field string }{
		{pg("meta", "169.254.169.254"), "postgres.host"},
		{pg("gce", "metadata.google.internal"), "postgres.host"},
		{pg("loop", "127.0.0.1"), "postgres.host"},
		{pg("local", "localhost"), "postgres.host"},
		{pg("private", "10.0.0.5"), "postgres.host"},
		{pg("any", "0.0.0.0"), "postgres.host"},
		{`{"name":"kf","type":"kafka","kafka":{"bootstrap_servers":["kafka.example.com:9092","[fe80::1]:9092"]}}`, "kafka.bootstrap_servers[1]"},
	} {
		r := e.must(t, 422, "POST", w.base+"/integrations", w.owner, c.body)
		if code, errs := problemErrors(t, r); code != "forbidden_endpoint" || *errs[0].Field != c.field {
			t.Fatalf("%s: %s", c.body, r.body)
		}
	}
	// A server that allows loopback (flowplane dev) accepts it, never metadata.
	dev := newEnv(t, func(c *api.Config) { c.Egress = egress.Policy{AllowLoopback: true} })
	dw := dev.newWorld(t)
	dev.must(t, 201, "POST", dw.base+"/integrations", dw.owner, pg("loop", "127.0.0.1"))
	dev.must(t, 422, "POST", dw.base+"/integrations", dw.owner, pg("meta", "169.254.169.254"))
	// An integration stored before the policy was tightened is refused where SQL references it.
	if _, err := e.pool.Exec(context.Background(), `UPDATE integrations SET config = config || '{"host":"169.254.169.254"}' WHERE id = $1`, w.integration); err != nil {
		t.Fatal(err)
	}
	var res openapi.ValidationResult
	e.must(t, 200, "POST", w.appPath+"/versions/validate", w.viewer, sqlBody(t, "INSERT INTO o SELECT auction FROM bid", []string{bidTable},
		[]string{"CREATE TABLE o (a BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'o', 'integration' = '" + w.integration + "')"}, nil)).decode(t, &res)
	if res.Valid || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "link-local") || res.Errors[0].Column != 95 {
		t.Fatalf("validate with a metadata host = %+v", res)
	}
	// Hosts written inline in a WITH clause pass the same guard, at the option's value.
	e.must(t, 200, "POST", w.appPath+"/versions/validate", w.viewer, sqlBody(t, "INSERT INTO o SELECT auction FROM bid", []string{bidTable},
		[]string{"CREATE TABLE o (a BIGINT) WITH ('connector' = 'postgres', 'table-name' = 'o',\n  'url' = 'postgres://127.0.0.1:5432/db')"}, nil)).decode(t, &res)
	found := false
	for _, se := range res.Errors {
		if strings.Contains(se.Message, "option 'url' of table o") && strings.Contains(se.Message, "loopback") && se.Line == 2 && se.Column == 11 {
			found = true
		}
	}
	if res.Valid || !found {
		t.Fatalf("validate with an inline loopback url = %+v", res)
	}
}
