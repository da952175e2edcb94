package exec

import (
	"context"
	"errors"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow/connectors/egress"
	"github.com/flowplane/flowplane/dataflow/connectors/endpoint"
	"github.com/flowplane/flowplane/services/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// pgEnv is a fresh database reachable from SQL as 'integration' = 'pg'.
type pgEnv struct {
	pool *pgxpool.Pool
	opts Options
}

func newPGEnv(t *testing.T) pgEnv {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ep := endpoint.Postgres{Host: cfg.Host, Port: int(cfg.Port), Database: cfg.Database, User: cfg.User,
		Password: cfg.Password, SSLMode: "disable"}
	return pgEnv{pool: pool, opts: Options{
		Endpoints: endpoint.Static{PostgresByID: map[string]endpoint.Postgres{"pg": ep}},
		Dial:      egress.Policy{AllowLoopback: true}.DialContext,
		Metrics:   &Metrics{},
	}}
}

func (e pgEnv) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := e.pool.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// rows returns the rows of query as sorted row literals ("(a,b,c)").
func (e pgEnv) rows(t *testing.T, query string) []string {
	t.Helper()
	rs, err := e.pool.Query(context.Background(), "SELECT q::text FROM ("+query+") q")
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var row string
		if err := rs.Scan(&row); err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// sameRows fails unless the two queries return the same rows (as sorted text).
func (e pgEnv) sameRows(t *testing.T, got, want string) {
	t.Helper()
	g, w := e.rows(t, got), e.rows(t, want)
	if len(w) == 0 {
		t.Fatalf("reference query %q returned no rows; the comparison would be vacuous", want)
	}
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Fatalf("%s returned %d rows:\n%s\nPostgreSQL's %s returned %d:\n%s", got, len(g), strings.Join(g, "\n"),
			want, len(w), strings.Join(w, "\n"))
	}
}

func TestPostgresScanAndAppend(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t)
	e.exec(t, `CREATE TABLE orders (id bigint PRIMARY KEY, customer text, amount numeric(10,2), placed timestamp, d date, ok boolean)`,
		`INSERT INTO orders SELECT i, 'c' || (i % 7), (i * 1.25)::numeric(10,2), timestamp '2024-01-01' + i * interval '1 minute',
			date '2024-01-01' + (i % 3), i % 2 = 0 FROM generate_series(1, 3000) i`,
		`INSERT INTO orders VALUES (0, NULL, NULL, NULL, NULL, NULL)`,
		`CREATE TABLE copied (id bigint, customer text, amount numeric(10,2), placed timestamp, d date, ok boolean)`)
	runGraphWith(t, `
CREATE TABLE src (id BIGINT, customer STRING, amount DECIMAL(10, 2), placed TIMESTAMP(3), d DATE, ok BOOLEAN)
  WITH ('connector' = 'postgres', 'integration' = 'pg', 'table-name' = 'orders', 'scan.partition.column' = 'id');
CREATE TABLE dst (id BIGINT, customer STRING, amount DECIMAL(10, 2), placed TIMESTAMP(3), d DATE, ok BOOLEAN)
  WITH ('connector' = 'postgres', 'integration' = 'pg', 'table-name' = 'copied');
INSERT INTO dst SELECT * FROM src WHERE id % 5 <> 1 OR customer IS NULL;`, 2, e.opts)
	e.sameRows(t, `SELECT * FROM copied`, `SELECT * FROM orders WHERE id % 5 <> 1 OR customer IS NULL`)
}

func TestPostgresQueryScanUpsertsGroupBy(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t)
	e.exec(t, `CREATE TABLE clicks (user_id bigint, page text, ms bigint)`,
		`INSERT INTO clicks SELECT i % 50, 'p' || (i % 13), i FROM generate_series(1, 5000) i`,
		`CREATE TABLE per_user (user_id bigint PRIMARY KEY, n bigint, total bigint, pages bigint)`)
	runGraphWith(t, `
CREATE TABLE c (user_id BIGINT, page STRING, ms BIGINT)
  WITH ('connector' = 'postgres', 'integration' = 'pg', 'scan.query' = 'SELECT * FROM clicks WHERE ms > 100 ORDER BY ms');
CREATE TABLE u (user_id BIGINT, n BIGINT, total BIGINT, pages BIGINT, PRIMARY KEY (user_id) NOT ENFORCED)
  WITH ('connector' = 'postgres', 'integration' = 'pg', 'table-name' = 'per_user', 'sink.buffer-flush.max-rows' = '7');
INSERT INTO u SELECT user_id, COUNT(*), SUM(ms), COUNT(DISTINCT page) FROM c GROUP BY user_id;`, 2, e.opts)
	e.sameRows(t, `SELECT * FROM per_user`,
		`SELECT user_id, COUNT(*), SUM(ms), COUNT(DISTINCT page) FROM clicks WHERE ms > 100 GROUP BY user_id`)
	var markers int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM flowplane_sink_commits`).Scan(&markers); err != nil || markers == 0 {
		t.Fatalf("commit markers: %d, %v", markers, err)
	}
}

func TestPostgresEndpointIsGuarded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// The default dialer refuses loopback and private addresses before connecting.
	for _, url := range []string{"postgres://169.254.169.254/db", "postgres://127.0.0.1:5432/db", "postgres://10.1.2.3:5432/db"} {
		if _, err := pgPool(ctx, map[string]string{"url": url}, Options{}); !errors.Is(err, egress.ErrForbidden) {
			t.Errorf("pgPool(%s) = %v, want egress.ErrForbidden", url, err)
		}
	}
	if _, err := pgPool(ctx, map[string]string{"integration": "nope"}, Options{Endpoints: endpoint.Static{}}); !errors.Is(err, endpoint.ErrNoIntegration) {
		t.Errorf("unknown integration: %v", err)
	}
}
