package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flowplane/flowplane/dataflow/connectors/egress"
	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/api"
)

// sibling is a second server over e's store and tokens with its own configuration.
func (e *env) sibling(t testing.TB, opts ...envOption) *env {
	t.Helper()
	cfg := api.Config{Pool: e.pool, Store: e.store, Tokens: e.tokens, MaxBodyBytes: 64 << 10}
	for _, o := range opts {
		o(&cfg)
	}
	srv := httptest.NewServer(api.NewHandler(cfg))
	t.Cleanup(srv.Close)
	c := *e
	c.srv = srv
	return &c
}

// pgIntegration registers the test's own database (on 127.0.0.1) as a postgres integration.
func (e *env) pgIntegration(t testing.TB, w *world, name string) string {
	t.Helper()
	cc := e.pool.Config().ConnConfig
	var in openapi.Integration
	e.must(t, 201, "POST", w.base+"/integrations", w.owner, fmt.Sprintf(
		`{"name":%q,"type":"postgres","postgres":{"host":"127.0.0.1","port":%d,"database":%q,"user":%q,"password":"pv-s3cret","sslmode":"disable"}}`,
		name, cc.Port, cc.Database, cc.User)).decode(t, &in)
	return in.Id
}

func TestPreviewPostgresIntegration(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *api.Config) { c.Egress = egress.Policy{AllowLoopback: true} })
	w := e.newWorld(t)
	if _, err := e.pool.Exec(context.Background(), `CREATE TABLE pv_items (id BIGINT, name TEXT);
INSERT INTO pv_items VALUES (1, 'apple'), (2, 'pear'), (3, 'plum')`); err != nil {
		t.Fatal(err)
	}
	id := e.pgIntegration(t, w, "own")
	items := fmt.Sprintf("CREATE TABLE items (id BIGINT, name STRING) WITH ('connector' = 'postgres', 'table-name' = 'pv_items', 'integration' = '%s')", id)
	q := e.startQuery(t, w.appPath+"/queries", w.developer, sqlBody(t, "SELECT id * 10 AS id10, UPPER(name) AS name FROM items", []string{items}, nil, map[string]any{"max_rows": 10}))
	got := e.awaitQuery(t, w.appPath+"/queries/"+q.Id, w.viewer)
	var rows []string
	for _, r := range got.Rows {
		rows = append(rows, fmt.Sprint(*r.Values[0], "=", *r.Values[1]))
	}
	if got.Status != openapi.QueryStatusCOMPLETED || !got.Ended || strings.Join(rows, ",") != "10=APPLE,20=PEAR,30=PLUM" {
		t.Fatalf("postgres preview = %+v (rows %v)", got, rows)
	}
	// max_rows bounds the scan.
	q = e.startQuery(t, w.appPath+"/queries", w.developer, sqlBody(t, "SELECT id FROM items", []string{items}, nil, map[string]any{"max_rows": 2}))
	if got = e.awaitQuery(t, w.appPath+"/queries/"+q.Id, w.viewer); got.Status != openapi.QueryStatusCOMPLETED || len(got.Rows) != 2 || got.Ended {
		t.Fatalf("bounded postgres preview = %+v", got)
	}

	// The same integration through a server whose egress policy refuses loopback: the egress
	// error at the integration option, no secret.
	strict := e.sibling(t)
	r := strict.must(t, 422, "POST", w.appPath+"/queries", w.developer, sqlBody(t, "SELECT id FROM items", []string{items}, nil, nil))
	if code, errs := problemErrors(t, r); code != "invalid_sql" || *errs[0].Field != "sources[0]" || *errs[0].Line != 1 ||
		!strings.Contains(errs[0].Message, "loopback") || strings.Contains(string(r.body), "pv-s3cret") {
		t.Fatalf("preview without loopback = %s", r.body)
	}

	// Another project's integration is not found, at the option; nothing of it leaks.
	other := e.newWorld(t)
	foreign := e.pgIntegration(t, other, "foreign")
	src := fmt.Sprintf("CREATE TABLE items (id BIGINT)\nWITH ('connector' = 'postgres', 'table-name' = 'pv_items',\n  'integration' = '%s')", foreign)
	r = e.must(t, 422, "POST", w.appPath+"/queries", w.developer, sqlBody(t, "SELECT id FROM items", []string{src}, nil, nil))
	if code, errs := problemErrors(t, r); code != "invalid_sql" || *errs[0].Line != 3 || *errs[0].Column != 19 ||
		!strings.Contains(errs[0].Message, "not found") || strings.Contains(string(r.body), "pv-s3cret") || strings.Contains(string(r.body), "127.0.0.1") {
		t.Fatalf("foreign integration preview = %s", r.body)
	}
}

func TestPreviewKafkaIntegration(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	var recs []*kgo.Record
	for i := 1; i <= 5; i++ {
		recs = append(recs, &kgo.Record{Topic: "orders", Value: []byte(`{"id":` + strconv.Itoa(i) + `,"item":"i` + strconv.Itoa(i) + `"}`)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	e := newEnv(t, func(c *api.Config) { c.Egress = egress.Policy{AllowLoopback: true} })
	w := e.newWorld(t)
	var in openapi.Integration
	e.must(t, 201, "POST", w.base+"/integrations", w.owner, fmt.Sprintf(`{"name":"events","type":"kafka","kafka":{"bootstrap_servers":[%q]}}`,
		c.ListenAddrs()[0])).decode(t, &in)
	orders := fmt.Sprintf(`CREATE TABLE orders (id BIGINT, item STRING) WITH ('connector' = 'kafka', 'topic' = 'orders', 'format' = 'json',
  'scan.startup.mode' = 'earliest-offset', 'properties.group.id' = 'pv', 'integration' = '%s')`, in.Id)
	q := e.startQuery(t, w.appPath+"/queries", w.developer, sqlBody(t, "SELECT id, item FROM orders WHERE id > 1", []string{orders}, nil, map[string]any{"max_rows": 3}))
	got := e.awaitQuery(t, w.appPath+"/queries/"+q.Id, w.viewer)
	var rows []string
	for _, r := range got.Rows {
		rows = append(rows, fmt.Sprint(*r.Values[0], "=", *r.Values[1]))
	}
	if got.Status != openapi.QueryStatusCOMPLETED || got.TimedOut || strings.Join(rows, ",") != "2=i2,3=i3,4=i4" {
		t.Fatalf("kafka preview = %+v (rows %v)", got, rows)
	}
	// A preview commits no offsets of its group (the group does not even exist).
	offs, err := kadm.NewClient(cl).FetchOffsets(context.Background(), "pv")
	if (err != nil && !errors.Is(err, kerr.GroupIDNotFound)) || len(offs) != 0 {
		t.Fatalf("group pv offsets after a preview = %v, %v", offs, err)
	}
}
