package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/api"
)

// awaitQuery polls a preview until it is no longer RUNNING.
func (e *env) awaitQuery(t testing.TB, path, token string) openapi.Query {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var q openapi.Query
		e.must(t, 200, "GET", path, token, "").decode(t, &q)
		if q.Status != openapi.QueryStatusRUNNING {
			return q
		}
		if time.Now().After(deadline) {
			t.Fatalf("query %s still RUNNING", path)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an outcome
	}
}

// startQuery posts a preview: 201 when it finished within the server's wait, else 202.
func (e *env) startQuery(t testing.TB, path, token, body string) openapi.Query {
	t.Helper()
	r := e.do(t, "POST", path, token, body)
	var q openapi.Query
	r.decode(t, &q)
	if (r.status != 201 || q.Status == openapi.QueryStatusRUNNING) && (r.status != 202 || q.Status != openapi.QueryStatusRUNNING) {
		t.Fatalf("POST %s = %d %s", path, r.status, r.body)
	}
	return q
}

func TestPreviewReturnsRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	// The application's latest version declares the nexmark bid table (and a view).
	e.must(t, 201, "POST", w.appPath+"/versions", w.developer, sqlBody(t,
		"CREATE VIEW pricey AS SELECT auction, price, channel, dateTime FROM bid WHERE price > 1000;\nINSERT INTO o SELECT auction FROM pricey",
		[]string{bidTable}, []string{"CREATE TABLE o (a BIGINT) WITH ('connector' = 'blackhole')"}, nil))

	q := e.startQuery(t, w.appPath+"/queries", w.developer, `{"statement":"SELECT auction, price, channel, dateTime FROM pricey","max_rows":7}`)
	if q.MaxRows != 7 || len(q.Columns) != 4 || !q.ExpiresAt.After(q.CreatedAt.Add(59*time.Minute)) {
		t.Fatalf("created query = %+v", q)
	}
	got := e.awaitQuery(t, w.appPath+"/queries/"+q.Id, w.viewer)
	if got.Status != openapi.QueryStatusCOMPLETED || len(got.Rows) != 7 || got.Ended || got.Changelog || got.FinishedAt == nil {
		t.Fatalf("query = %+v", got)
	}
	wantCols := []openapi.QueryColumn{{Name: "auction", Type: "BIGINT", Nullable: true}, {Name: "price", Type: "BIGINT", Nullable: true},
		{Name: "channel", Type: "STRING", Nullable: true}, {Name: "dateTime", Type: "TIMESTAMP(3)", Nullable: true}}
	if fmt.Sprint(got.Columns) != fmt.Sprint(wantCols) {
		t.Fatalf("columns = %+v", got.Columns)
	}
	for _, r := range got.Rows {
		price, ok := (*r.Values[1]).(float64) // JSON numbers
		ts, ok2 := (*r.Values[3]).(string)
		if r.Kind != "+I" || !ok || price <= 1000 || !ok2 || !strings.HasPrefix(ts, "20") {
			t.Fatalf("row %+v", r)
		}
	}

	// Sources in the request replace the version's tables; a GROUP BY previews as a changelog
	// and a bounded input ends before max_rows.
	q = e.startQuery(t, w.appPath+"/queries", w.developer, sqlBody(t, "SELECT id % 3 AS k, COUNT(*) AS n FROM g GROUP BY id % 3",
		[]string{`CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '30', 'rows-per-second' = '1000000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '30')`}, nil, map[string]any{"ttl": 60}))
	got = e.awaitQuery(t, w.appPath+"/queries/"+q.Id, w.developer)
	final := map[float64]float64{}
	for _, r := range got.Rows {
		if r.Kind == "+I" || r.Kind == "+U" {
			final[(*r.Values[0]).(float64)] = (*r.Values[1]).(float64)
		}
	}
	if got.Status != openapi.QueryStatusCOMPLETED || !got.Changelog || !got.Ended || len(final) != 3 || final[0] != 10 || final[2] != 10 {
		t.Fatalf("changelog query = %+v (final %v)", got, final)
	}
}

func TestPreviewErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	other := e.newWorld(t)
	// Invalid SQL: 422 with the position in the statement.
	r := e.must(t, 422, "POST", w.appPath+"/queries", w.developer, `{"statement":"SELECT id,\n  idd FROM bids"}`)
	if code, errs := problemErrors(t, r); code != "invalid_sql" || *errs[0].Field != "statement" || *errs[0].Line != 2 || *errs[0].Column != 3 ||
		!strings.Contains(errs[0].Message, "idd") {
		t.Fatalf("invalid preview: %s", r.body)
	}
	// Not a SELECT.
	r = e.must(t, 422, "POST", w.appPath+"/queries", w.developer, `{"statement":"INSERT INTO out SELECT id, 1 FROM bids"}`)
	if code, errs := problemErrors(t, r); code != "invalid_sql" || *errs[0].Line != 1 || *errs[0].Column != 1 {
		t.Fatalf("insert preview: %s", r.body)
	}
	// Filesystem tables cannot be read on the API server: their files live on the workers.
	r = e.must(t, 422, "POST", w.appPath+"/queries", w.developer, sqlBody(t, "SELECT id FROM fs", []string{
		"CREATE TABLE fs (id BIGINT) WITH ('connector' = 'filesystem', 'path' = 'in', 'format' = 'csv')"}, nil, nil))
	if code, errs := problemErrors(t, r); code != "invalid_sql" || *errs[0].Field != "sources[0]" || *errs[0].Column != 14 ||
		!strings.Contains(errs[0].Message, "workers") {
		t.Fatalf("filesystem preview: %s", r.body)
	}
	// Limits are part of the contract.
	e.must(t, 400, "POST", w.appPath+"/queries", w.developer, `{"statement":"SELECT 1","max_rows":1001}`)
	e.must(t, 403, "POST", w.appPath+"/queries", w.viewer, `{"statement":"SELECT 1"}`)
	// Another project's application and query are not found, with any token.
	q := e.startQuery(t, other.appPath+"/queries", other.developer, `{"statement":"SELECT 1 AS one"}`)
	e.must(t, 404, "POST", fmt.Sprintf("%s/applications/%s/queries", w.base, other.app), w.developer, `{"statement":"SELECT 1 AS one"}`)
	e.must(t, 404, "GET", fmt.Sprintf("%s/applications/%s/queries/%s", w.base, other.app, q.Id), w.owner, "")
	e.must(t, 404, "GET", other.appPath+"/queries/"+q.Id, w.owner, "")
	e.must(t, 404, "GET", w.appPath+"/queries/qry_nope", w.viewer, "")
	got := e.awaitQuery(t, other.appPath+"/queries/"+q.Id, other.viewer)
	if got.Status != openapi.QueryStatusCOMPLETED || len(got.Rows) != 1 || *got.Rows[0].Values[0] != float64(1) || !got.Ended {
		t.Fatalf("SELECT 1 = %+v", got)
	}
	// Expired results are gone.
	if _, err := e.pool.Exec(t.Context(), `UPDATE sql_queries SET expires_at = now() - interval '1 second' WHERE id = $1`, q.Id); err != nil {
		t.Fatal(err)
	}
	e.must(t, 404, "GET", other.appPath+"/queries/"+q.Id, other.viewer, "")
}

func TestPreviewLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *api.Config) {
		c.Preview = api.PreviewLimits{Timeout: 1500 * time.Millisecond, Concurrent: 1, Wait: -1}
	})
	w := e.newWorld(t)
	slow := sqlBody(t, "SELECT id FROM g", []string{"CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1')"}, nil, nil)
	var q openapi.Query
	e.must(t, 202, "POST", w.appPath+"/queries", w.developer, slow).decode(t, &q)
	r := e.must(t, 429, "POST", w.appPath+"/queries", w.developer, `{"statement":"SELECT 1 AS one"}`)
	if r.code() != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Fatalf("second preview on a busy server: %s %v", r.body, r.header)
	}
	got := e.awaitQuery(t, w.appPath+"/queries/"+q.Id, w.developer)
	if got.Status != openapi.QueryStatusCOMPLETED || !got.TimedOut || got.Ended || len(got.Rows) >= 100 {
		t.Fatalf("slow preview = %+v", got)
	}
	e.must(t, 202, "POST", w.appPath+"/queries", w.developer, `{"statement":"SELECT 1 AS one"}`)
}

// TestPreviewAnswersFinishedRunsAtOnce: a run that ends within the server's wait is answered 201
// with its rows; one that does not is answered 202 and finishes later.
func TestPreviewAnswersFinishedRunsAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *api.Config) { c.Preview = api.PreviewLimits{Timeout: time.Second, Wait: 30 * time.Second} })
	w := e.newWorld(t)
	var q openapi.Query
	e.must(t, 201, "POST", w.appPath+"/queries", w.developer, `{"statement":"SELECT 1 AS one, 'x' AS two"}`).decode(t, &q)
	if q.Status != openapi.QueryStatusCOMPLETED || len(q.Rows) != 1 || *q.Rows[0].Values[1] != "x" || q.Columns[1].Type != "CHAR(1)" && q.Columns[1].Type != "STRING" {
		t.Fatalf("finished preview = %+v", q)
	}
	short := newEnv(t, func(c *api.Config) { c.Preview = api.PreviewLimits{Timeout: 2 * time.Second, Wait: time.Millisecond} })
	sw := short.newWorld(t)
	short.must(t, 202, "POST", sw.appPath+"/queries", sw.developer, sqlBody(t, "SELECT id FROM g",
		[]string{"CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1')"}, nil, map[string]any{"max_rows": 5})).decode(t, &q)
	if got := short.awaitQuery(t, sw.appPath+"/queries/"+q.Id, sw.viewer); got.Status != openapi.QueryStatusCOMPLETED || !got.TimedOut {
		t.Fatalf("slow preview = %+v", got)
	}
}
