package preview_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/connectors/egress"
	"github.com/flowplane/flowplane/dataflow/connectors/endpoint"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/sql/preview"
)

const bids = `CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  dateTime TIMESTAMP(3), extra VARCHAR, WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
WITH ('connector' = 'nexmark', 'stream' = 'bid', 'seed' = '3')`

func compile(t *testing.T, parts ...sql.Part) *sql.Preview {
	t.Helper()
	pv, diags := sql.CompilePreview(parts, sql.CompileOptions{Parallelism: 1})
	if len(diags) > 0 {
		t.Fatalf("CompilePreview: %+v", diags)
	}
	return pv
}

func TestUnboundedQueryStopsAtMaxRows(t *testing.T) {
	t.Parallel()
	pv := compile(t, sql.Part{Name: "sources[0]", SQL: bids},
		sql.Part{Name: "statement", SQL: "SELECT auction, price * 2 AS doubled, channel, dateTime FROM bid WHERE price > 0"})
	if len(pv.Columns) != 4 || pv.Columns[1].Name != "doubled" || pv.Columns[1].Type != "BIGINT" || pv.Updating {
		t.Fatalf("columns = %+v updating=%v", pv.Columns, pv.Updating)
	}
	res, err := preview.Run(context.Background(), pv, preview.Limits{MaxRows: 25, Timeout: 20 * time.Second}, preview.Connect{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 25 || res.Ended || res.TimedOut {
		t.Fatalf("rows=%d ended=%v timedout=%v", len(res.Rows), res.Ended, res.TimedOut)
	}
	for _, r := range res.Rows {
		a, ok := r.Values[0].(int64)
		d, ok2 := r.Values[1].(int64)
		ts, ok3 := r.Values[3].(string)
		if r.Kind != "+I" || !ok || !ok2 || !ok3 || a <= 0 || d <= 0 || len(ts) < 19 {
			t.Fatalf("row %+v", r)
		}
	}
}

func TestBoundedChangelogEnds(t *testing.T) {
	t.Parallel()
	pv := compile(t, sql.Part{Name: "sources[0]", SQL: `CREATE TABLE g (id BIGINT, v DOUBLE) WITH ('connector' = 'datagen',
  'number-of-rows' = '40', 'rows-per-second' = '1000000', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '40')`},
		sql.Part{Name: "statement", SQL: "SELECT id % 2 AS parity, COUNT(*) AS n FROM g GROUP BY id % 2"})
	if !pv.Updating {
		t.Fatal("a GROUP BY preview is a changelog")
	}
	res, err := preview.Run(context.Background(), pv, preview.Limits{MaxRows: 1000, Timeout: 20 * time.Second}, preview.Connect{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	final := map[int64]int64{}
	for _, r := range res.Rows {
		if r.Kind == "+I" || r.Kind == "+U" {
			final[r.Values[0].(int64)] = r.Values[1].(int64)
		}
	}
	if !res.Ended || final[0] != 20 || final[1] != 20 {
		t.Fatalf("ended=%v final=%v rows=%d", res.Ended, final, len(res.Rows))
	}
}

func TestTimeLimit(t *testing.T) {
	t.Parallel()
	pv := compile(t, sql.Part{Name: "statement", SQL: "SELECT 1 AS one"})
	res, err := preview.Run(context.Background(), pv, preview.Limits{MaxRows: 10, Timeout: 10 * time.Second}, preview.Connect{}, nil)
	if err != nil || !res.Ended || len(res.Rows) != 1 || res.Rows[0].Values[0] != int64(1) {
		t.Fatalf("VALUES preview = %+v, %v", res, err)
	}
	slow := compile(t, sql.Part{Name: "sources[0]", SQL: `CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1')`},
		sql.Part{Name: "statement", SQL: "SELECT id FROM g"})
	res, err = preview.Run(context.Background(), slow, preview.Limits{MaxRows: 1000, Timeout: 200 * time.Millisecond}, preview.Connect{}, nil)
	if err != nil || !res.TimedOut || res.Ended {
		t.Fatalf("slow preview = ended %v timedout %v, %v", res.Ended, res.TimedOut, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := preview.Run(ctx, slow, preview.Limits{MaxRows: 1, Timeout: time.Second}, preview.Connect{}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled preview = %v", err)
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		parts     []sql.Part
		part      string
		line, col int
	}{
		{"unknown column", []sql.Part{{Name: "sources[0]", SQL: bids}, {Name: "statement", SQL: "SELECT auction,\n  nope FROM bid"}}, "statement", 2, 3},
		{"not a select", []sql.Part{{Name: "sources[0]", SQL: bids}, {Name: "statement", SQL: "INSERT INTO bid SELECT * FROM bid"}}, "statement", 1, 1},
		{"two selects", []sql.Part{{Name: "statement", SQL: "SELECT 1;\nSELECT 2"}}, "statement", 2, 1},
		{"files on the workers", []sql.Part{{Name: "sources[0]", SQL: "CREATE TABLE k (a INT) WITH ('connector' = 'filesystem', 'path' = 'in', 'format' = 'csv')"},
			{Name: "statement", SQL: "SELECT a FROM k"}}, "sources[0]", 1, 14},
		{"select among the tables", []sql.Part{{Name: "sources[0]", SQL: "SELECT 1"}, {Name: "statement", SQL: "SELECT 2"}}, "sources[0]", 1, 1},
	}
	for _, c := range cases {
		_, diags := sql.CompilePreview(c.parts, sql.CompileOptions{})
		if len(diags) == 0 || diags[0].Part != c.part || diags[0].Line != c.line || diags[0].Column != c.col {
			t.Errorf("%s: diagnostics %+v, want %s %d:%d", c.name, diags, c.part, c.line, c.col)
		}
	}
}

func TestEndpointsDialThroughEgressPolicy(t *testing.T) {
	t.Parallel()
	pv := compile(t, sql.Part{Name: "sources[0]", SQL: "CREATE TABLE pg (id BIGINT) WITH ('connector' = 'postgres', 'table-name' = 't', 'integration' = 'int_1')"},
		sql.Part{Name: "statement", SQL: "SELECT id FROM pg"})
	conn := preview.Connect{
		Endpoints: endpoint.Static{PostgresByID: map[string]endpoint.Postgres{"int_1": {Host: "127.0.0.1", Port: 1, Database: "d", User: "u", Password: "pw-s3cret", SSLMode: "disable"}}},
		Dial:      egress.Policy{}.DialContext, // loopback not allowed
	}
	_, err := preview.Run(context.Background(), pv, preview.Limits{MaxRows: 1, Timeout: 10 * time.Second}, conn, nil)
	if !errors.Is(err, preview.ErrFailed) || !errors.Is(err, egress.ErrForbidden) || strings.Contains(err.Error(), "pw-s3cret") {
		t.Fatalf("preview of a loopback database = %v", err)
	}
	// An integration the resolver does not know fails the run.
	conn.Endpoints = endpoint.Static{}
	if _, err := preview.Run(context.Background(), pv, preview.Limits{MaxRows: 1, Timeout: 10 * time.Second}, conn, nil); !errors.Is(err, endpoint.ErrNoIntegration) {
		t.Fatalf("preview of an unknown integration = %v", err)
	}
}
