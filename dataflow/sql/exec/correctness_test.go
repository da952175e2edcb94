package exec

import "testing"

// The correctness tests run a query on bounded postgres inputs at parallelism 2, write its
// result to PostgreSQL through the postgres sink, and compare the final table with the same
// query run by PostgreSQL itself as batch SQL.

// eventsSetup creates events (5000 rows over ~83 minutes, timestamps out of order by up to
// a minute, unique amounts) and customers (17 rows).
func eventsSetup(t *testing.T, e pgEnv) {
	t.Helper()
	e.exec(t, `CREATE TABLE events (id bigint PRIMARY KEY, user_id bigint NOT NULL, amount numeric(10,2) NOT NULL, ts timestamp(3) NOT NULL)`,
		`INSERT INTO events SELECT i, i % 17, ((i * 7919) % 100000) / 100.0,
			timestamp '2024-01-01' + i * interval '1 second' + ((i * 31) % 120 - 60) * interval '1 second'
			FROM generate_series(1, 5000) i`,
		`CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, tier text NOT NULL)`,
		`INSERT INTO customers SELECT i, 'customer ' || i, (ARRAY['gold', 'silver', 'bronze'])[i % 3 + 1] FROM generate_series(0, 16) i`)
}

// eventsDDL declares events and customers as flowplane tables; the watermark allows the
// inputs' disorder, so no row is late.
const eventsDDL = `
CREATE TABLE ev (id BIGINT, user_id BIGINT, amount DECIMAL(10, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE)
  WITH ('connector' = 'postgres', 'integration' = 'pg', 'table-name' = 'events', 'scan.partition.column' = 'id');
CREATE TABLE cust (id BIGINT, name STRING, tier STRING)
  WITH ('connector' = 'postgres', 'integration' = 'pg', 'table-name' = 'customers', 'scan.partition.column' = 'id');
`

func TestCorrectnessTumblingWindow(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t)
	eventsSetup(t, e)
	e.exec(t, `CREATE TABLE win (user_id bigint, ws timestamp(3), we timestamp(3), n bigint, total numeric(38,2), lo numeric(10,2), hi numeric(10,2))`)
	runGraphWith(t, eventsDDL+`
CREATE TABLE w (user_id BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3), n BIGINT, total DECIMAL(38, 2), lo DECIMAL(10, 2), hi DECIMAL(10, 2))
  WITH ('connector' = 'postgres', 'integration' = 'pg', 'table-name' = 'win');
INSERT INTO w SELECT user_id, window_start, window_end, COUNT(*), SUM(amount), MIN(amount), MAX(amount)
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '5' MINUTE))
GROUP BY user_id, window_start, window_end;`, 2, e.opts)
	e.sameRows(t, `SELECT * FROM win`, `SELECT user_id, date_bin('5 minutes', ts, timestamp '2000-01-01'),
		date_bin('5 minutes', ts, timestamp '2000-01-01') + interval '5 minutes', count(*), sum(amount), min(amount), max(amount)
		FROM events GROUP BY 1, 2, 3`)
}

func TestCorrectnessRegularJoin(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t)
	eventsSetup(t, e)
	e.exec(t, `CREATE TABLE joined (id bigint PRIMARY KEY, name text, tier text, amount numeric(10,2))`)
	runGraphWith(t, eventsDDL+`
CREATE TABLE j (id BIGINT, name STRING, tier STRING, amount DECIMAL(10, 2), PRIMARY KEY (id) NOT ENFORCED)
  WITH ('connector' = 'postgres', 'integration' = 'pg', 'table-name' = 'joined');
INSERT INTO j SELECT ev.id, cust.name, cust.tier, ev.amount FROM ev JOIN cust ON ev.user_id = cust.id
WHERE cust.tier <> 'gold' AND ev.amount > 100;`, 2, e.opts)
	e.sameRows(t, `SELECT * FROM joined`, `SELECT e.id, c.name, c.tier, e.amount FROM events e JOIN customers c ON e.user_id = c.id
		WHERE c.tier <> 'gold' AND e.amount > 100`)
}

func TestCorrectnessTopN(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t)
	eventsSetup(t, e)
	e.exec(t, `CREATE TABLE top3 (user_id bigint, rn bigint, id bigint, amount numeric(10,2), PRIMARY KEY (user_id, rn))`)
	runGraphWith(t, eventsDDL+`
CREATE TABLE top (user_id BIGINT, rn BIGINT, id BIGINT, amount DECIMAL(10, 2), PRIMARY KEY (user_id, rn) NOT ENFORCED)
  WITH ('connector' = 'postgres', 'integration' = 'pg', 'table-name' = 'top3');
INSERT INTO top SELECT user_id, rn, id, amount FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC) AS rn FROM ev)
WHERE rn <= 3;`, 2, e.opts)
	e.sameRows(t, `SELECT * FROM top3`, `SELECT user_id, rn, id, amount FROM (
		SELECT *, row_number() OVER (PARTITION BY user_id ORDER BY amount DESC) AS rn FROM events) r WHERE rn <= 3`)
}

func TestCorrectnessDeduplication(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t)
	eventsSetup(t, e)
	e.exec(t, `CREATE TABLE firsts (user_id bigint PRIMARY KEY, id bigint, ts timestamp(3))`)
	runGraphWith(t, eventsDDL+`
CREATE TABLE f (user_id BIGINT, id BIGINT, ts TIMESTAMP(3), PRIMARY KEY (user_id) NOT ENFORCED)
  WITH ('connector' = 'postgres', 'integration' = 'pg', 'table-name' = 'firsts');
INSERT INTO f SELECT user_id, id, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ts ASC) AS rn FROM ev)
WHERE rn = 1;`, 2, e.opts)
	e.sameRows(t, `SELECT * FROM firsts`, `SELECT DISTINCT ON (user_id) user_id, id, ts FROM events ORDER BY user_id, ts`)
}

func TestCorrectnessChangelogUpsert(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t)
	eventsSetup(t, e)
	e.exec(t, `CREATE TABLE per_tier (tier text PRIMARY KEY, n bigint, total numeric(38,2), hi numeric(10,2), users bigint)`)
	runGraphWith(t, eventsDDL+`
CREATE TABLE pt (tier STRING, n BIGINT, total DECIMAL(38, 2), hi DECIMAL(10, 2), users BIGINT, PRIMARY KEY (tier) NOT ENFORCED)
  WITH ('connector' = 'postgres', 'integration' = 'pg', 'table-name' = 'per_tier');
INSERT INTO pt SELECT cust.tier, COUNT(*), SUM(ev.amount), MAX(ev.amount), COUNT(DISTINCT ev.user_id)
FROM ev JOIN cust ON ev.user_id = cust.id GROUP BY cust.tier;`, 2, e.opts)
	e.sameRows(t, `SELECT * FROM per_tier`, `SELECT c.tier, count(*), sum(e.amount), max(e.amount), count(DISTINCT e.user_id)
		FROM events e JOIN customers c ON e.user_id = c.id GROUP BY c.tier`)
}

// TestCorrectnessLateRows reads rows in a fixed order: 3000 rows a second apart, up to 2 s out
// of order (within the 5 s watermark delay), then 10 rows of the first minute, long after its
// window fired. The late rows are dropped and counted; the rest aggregate as in PostgreSQL.
func TestCorrectnessLateRows(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t)
	e.exec(t, `CREATE TABLE readings (seq bigint, sensor bigint, v bigint, ts timestamp(3), late boolean)`,
		`INSERT INTO readings SELECT i, i % 3, i, timestamp '2024-01-01' + i * interval '1 second' - (i % 3) * interval '1 second', false
			FROM generate_series(1, 3000) i`,
		`INSERT INTO readings SELECT 3000 + i, i % 3, -i, timestamp '2024-01-01' + i * interval '5 second', true
			FROM generate_series(1, 10) i`,
		`CREATE TABLE per_minute (sensor bigint, ws timestamp(3), n bigint, total bigint)`)
	runGraphWith(t, `
CREATE TABLE r (seq BIGINT, sensor BIGINT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH ('connector' = 'postgres', 'integration' = 'pg', 'scan.query' = 'SELECT * FROM readings ORDER BY seq');
CREATE TABLE m (sensor BIGINT, ws TIMESTAMP(3), n BIGINT, total BIGINT)
  WITH ('connector' = 'postgres', 'integration' = 'pg', 'table-name' = 'per_minute');
INSERT INTO m SELECT sensor, window_start, COUNT(*), SUM(v)
FROM TABLE(TUMBLE(TABLE r, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY sensor, window_start, window_end;`, 2, e.opts)
	e.sameRows(t, `SELECT * FROM per_minute`, `SELECT sensor, date_trunc('minute', ts), count(*), sum(v) FROM readings WHERE NOT late GROUP BY 1, 2`)
	if n := e.opts.Metrics.LateRowsDropped.Load(); n != 10 {
		t.Fatalf("late rows dropped: %d, want 10", n)
	}
}
