package scheduler

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/services/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const (
	srcTable  = "CREATE TABLE src (a BIGINT, b STRING) WITH ('connector' = 'datagen', 'fields.a.kind' = 'sequence', 'fields.a.start' = '1', 'fields.a.end' = '1000000000')"
	sinkTable = "CREATE TABLE dst (a BIGINT, b STRING) WITH ('connector' = 'blackhole')"
)

// seedDeployment inserts a project, service, application, version and deployment and returns the
// deployment id.
func seedDeployment(t testing.TB, pool *pgxpool.Pool, statement string, parallelism int, strategy string) (string, string) {
	t.Helper()
	ctx := context.Background()
	var prj, svc, app, ver, dep string
	q := func(sql string, dst *string, args ...any) {
		t.Helper()
		if err := pool.QueryRow(ctx, sql, args...).Scan(dst); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q(`INSERT INTO projects (name, created_by) VALUES ('p-' || fp_uuidv7(), 'test') RETURNING id`, &prj)
	q(`INSERT INTO services (project_id, name, plan, plan_slots, created_by) VALUES ($1, 's', 'startup', 8, 'test') RETURNING id`, &svc, prj)
	q(`INSERT INTO applications (project_id, service_id, name, created_by) VALUES ($1, $2, 'a', 'test') RETURNING id`, &app, prj, svc)
	q(`INSERT INTO versions (project_id, application_id, number, statement, sources, sinks, created_by)
		VALUES ($1, $2, 1, $3, jsonb_build_array(jsonb_build_object('create_table', $4::text)), jsonb_build_array(jsonb_build_object('create_table', $5::text)), 'test') RETURNING id`,
		&ver, prj, app, statement, srcTable, sinkTable)
	q(`INSERT INTO deployments (project_id, service_id, application_id, version_id, parallelism, restart_strategy, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, 'test') RETURNING id`, &dep, prj, svc, app, ver, parallelism, strategy)
	return dep, prj
}

func deploymentState(t testing.TB, pool *pgxpool.Pool, id string) (status, message string, observed int64) {
	t.Helper()
	if err := pool.QueryRow(context.Background(), `SELECT status, status_message, observed_generation FROM deployments WHERE id = $1`, id).
		Scan(&status, &message, &observed); err != nil {
		t.Fatal(err)
	}
	return
}

func waitStatus(t *testing.T, pool *pgxpool.Pool, id, want string) {
	t.Helper()
	waitFor(t, 10*time.Second, "deployment "+want, func() bool { s, _, _ := deploymentState(t, pool, id); return s == want })
}

func TestDispatcherEndToEnd(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	nodes := startCluster(t, 1, func(c *Config) {
		c.Pool = pool
		c.Lease = time.Second
		c.ReconcileInterval = time.Hour // only NOTIFY drives it
	})
	n := nodes[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w1 := register(t, n.url, 2, "w1")
	w2 := register(t, n.url, 2, "w2")
	w1ctx, killW1 := context.WithCancel(ctx)
	w1.runLoop(w1ctx)
	w2.runLoop(ctx)

	dep, _ := seedDeployment(t, pool, "INSERT INTO dst SELECT a, b FROM src", 2, `{"type":"fixed-delay","delay_ms":0}`)
	waitStatus(t, pool, dep, "RUNNING")
	if _, _, observed := deploymentState(t, pool, dep); observed != 1 {
		t.Errorf("observed_generation = %d, want 1", observed)
	}
	var jobs int
	var graphVertices int
	if err := pool.QueryRow(ctx, `SELECT count(*), max(jsonb_array_length(graph->'graph'->'vertices')) FROM jobs WHERE deployment_id = $1`, dep).Scan(&jobs, &graphVertices); err != nil {
		t.Fatal(err)
	}
	if jobs != 1 || graphVertices < 1 {
		t.Errorf("jobs rows = %d with %d vertices, want 1 with a graph", jobs, graphVertices)
	}
	info, err := n.JobStatus(dep)
	if err != nil || info.Attempt != 1 || len(info.Vertices) == 0 || !info.Metrics {
		t.Fatalf("JobStatus = %+v %v", info, err)
	}

	// kill a worker: RESTARTING, then RUNNING on the other one with an event naming the worker
	killW1()
	waitFor(t, 10*time.Second, "attempt 2 RUNNING in Postgres", func() bool {
		var n int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM deployment_events WHERE deployment_id = $1 AND attempt = 2 AND status = 'RUNNING'`, dep).Scan(&n)
		return err == nil && n > 0
	})
	var lostEvents, restarting int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE type = 'worker_lost' AND message LIKE '%' || $2 || '%'),
		count(*) FILTER (WHERE status = 'RESTARTING') FROM deployment_events WHERE deployment_id = $1`, dep, w1.id).Scan(&lostEvents, &restarting); err != nil {
		t.Fatal(err)
	}
	if lostEvents == 0 || restarting == 0 {
		t.Errorf("events: %d worker_lost naming %s, %d RESTARTING", lostEvents, w1.id, restarting)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE deployment_id = $1`, dep).Scan(&jobs); err != nil || jobs != 2 {
		t.Errorf("jobs rows after restart = %d (%v), want 2", jobs, err)
	}

	// restart (a new desired generation with action run): attempt 3, running again
	if _, err := pool.Exec(ctx, `UPDATE deployments SET desired_generation = desired_generation + 1, status = 'RESTARTING' WHERE id = $1`, dep); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "attempt 3 RUNNING in Postgres", func() bool {
		var n int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM deployment_events WHERE deployment_id = $1 AND attempt = 3 AND status = 'RUNNING'`, dep).Scan(&n)
		return err == nil && n > 0
	})

	// cancel
	if _, err := pool.Exec(ctx, `UPDATE deployments SET desired_action = 'cancel', desired_generation = desired_generation + 1, status = 'CANCELLING' WHERE id = $1`, dep); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, pool, dep, "CANCELED")
	if j, _ := n.fsm.Job(dep); j.Status != JobCanceled || j.Placed() {
		t.Errorf("job after cancel = %s placed=%v", j.Status, j.Placed())
	}
	if _, _, observed := deploymentState(t, pool, dep); observed != 3 {
		t.Errorf("observed_generation after cancel = %d, want 3", observed)
	}
}

func TestDispatcherCompileFailure(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	startCluster(t, 1, func(c *Config) { c.Pool = pool })
	dep, _ := seedDeployment(t, pool, "INSERT INTO dst SELECT nope FROM src", 1, `{}`)
	waitStatus(t, pool, dep, "FAILED")
	_, msg, observed := deploymentState(t, pool, dep)
	if !strings.Contains(msg, "nope") || observed != 1 {
		t.Errorf("FAILED message %q observed %d", msg, observed)
	}
}

func TestDispatcherStopFinishes(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	nodes := startCluster(t, 1, func(c *Config) { c.Pool = pool })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	register(t, nodes[0].url, 2, "w").runLoop(ctx)
	dep, _ := seedDeployment(t, pool, "INSERT INTO dst SELECT a, b FROM src", 1, `{}`)
	waitStatus(t, pool, dep, "RUNNING")
	// stop-with-savepoint is not implemented yet: stop cancels the job and ends FINISHED
	if _, err := pool.Exec(ctx, `UPDATE deployments SET desired_action = 'stop', desired_generation = desired_generation + 1, status = 'SAVING_AND_STOP' WHERE id = $1`, dep); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, pool, dep, "FINISHED")
	if j, _ := nodes[0].fsm.Job(dep); j.Status != JobFinished || j.Placed() {
		t.Errorf("job after stop = %s placed=%v", j.Status, j.Placed())
	}
}

func TestCheckpointRecordedInPostgres(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	nodes := startCluster(t, 1, func(c *Config) {
		c.Pool = pool
		c.Checkpoints = func(h CheckpointHost) (CheckpointCoordinator, error) {
			return &fakeCoordinator{host: h, acks: make(chan assign.Ack, 16)}, nil
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	register(t, nodes[0].url, 2, "w").runLoop(ctx)
	dep, _ := seedDeployment(t, pool, "INSERT INTO dst SELECT a, b FROM src", 1, `{}`)
	waitFor(t, 10*time.Second, "a completed checkpoint row", func() bool {
		var n int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM checkpoints c JOIN jobs j ON j.id = c.job_id
			WHERE c.deployment_id = $1 AND c.status = 'COMPLETED' AND c.checkpoint_id = 1 AND j.attempt = 1 AND c.location = 'file:///ckpt/1'`, dep).Scan(&n)
		return err == nil && n == 1
	})
}

func TestDispatcherCancelsJobsOfDeletedDeployments(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	nodes := startCluster(t, 1, func(c *Config) { c.Pool = pool; c.ReconcileInterval = 100 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	register(t, nodes[0].url, 2, "w").runLoop(ctx)
	dep, prj := seedDeployment(t, pool, "INSERT INTO dst SELECT a, b FROM src", 1, `{}`)
	waitStatus(t, pool, dep, "RUNNING")
	if _, err := pool.Exec(ctx, `DELETE FROM projects WHERE id = $1`, prj); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "orphaned job canceled", func() bool {
		j, _ := nodes[0].fsm.Job(dep)
		return j.Status == JobCanceled && !j.Placed()
	})
}

// TestLeaderChangeWritesNoDuplicateEvents: a new leader's dispatcher brings Postgres up to date
// without replaying history (no second worker_lost, no RESTARTING flip).
func TestLeaderChangeWritesNoDuplicateEvents(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	nodes := startCluster(t, 3, func(c *Config) { c.Pool = pool; c.Lease = time.Second })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kill := map[string]context.CancelFunc{}
	for i := range 2 {
		w := register(t, nodes[i].url, 1, fmt.Sprint("w", i))
		wctx, stop := context.WithCancel(ctx)
		kill[w.id] = stop
		w.runLoop(wctx)
	}
	dep, _ := seedDeployment(t, pool, "INSERT INTO dst SELECT a, b FROM src", 1, `{"type":"fixed-delay","delay_ms":0}`)
	waitStatus(t, pool, dep, "RUNNING")
	j, _ := waitLeader(t, nodes).fsm.Job(dep)
	kill[j.Workers()[0]]() // the worker running the job dies
	events := func(where string) int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM deployment_events WHERE deployment_id = $1 AND `+where, dep).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor(t, 10*time.Second, "attempt 2 RUNNING", func() bool { return events("attempt = 2 AND status = 'RUNNING'") > 0 })
	lost, restarting := events("type = 'worker_lost'"), events("status = 'RESTARTING'")
	l := waitLeader(t, nodes)
	if err := l.TransferLeadership(ctx); err != nil {
		t.Fatal(err)
	}
	nl := waitLeader(t, nodes)
	// the new leader's dispatcher has written everything once it wrote an unrelated change
	dep2, _ := seedDeployment(t, pool, "INSERT INTO dst SELECT a, b FROM src", 1, `{}`)
	waitFor(t, 10*time.Second, "new leader dispatching", func() bool { _, ok := nl.fsm.Job(dep2); return ok })
	if got := events("type = 'worker_lost'"); got != lost {
		t.Errorf("worker_lost events %d -> %d after the leader change", lost, got)
	}
	if got := events("status = 'RESTARTING'"); got != restarting {
		t.Errorf("RESTARTING events %d -> %d after the leader change", restarting, got)
	}
	if s, _, _ := deploymentState(t, pool, dep); s != "RUNNING" {
		t.Errorf("status after the leader change = %s", s)
	}
}

// TestLostWorkerNamedAfterSurvivorFailure: a worker dies and the first failure heard of is the
// survivor's task losing its exchange peer (task_failed). The job restarts without the dead
// worker; when its lease runs out, one worker_lost event names it, and a new leader writes no
// second one.
func TestLostWorkerNamedAfterSurvivorFailure(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	nodes := startCluster(t, 3, func(c *Config) { c.Pool = pool; c.Lease = 2 * time.Second })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	workers := map[string]*testWorker{}
	kill := map[string]context.CancelFunc{}
	for i := range 2 {
		w := register(t, nodes[i].url, 2, fmt.Sprint("w", i))
		wctx, stop := context.WithCancel(ctx)
		workers[w.id], kill[w.id] = w, stop
		w.runLoop(wctx)
	}
	dep, _ := seedDeployment(t, pool, "INSERT INTO dst SELECT a, b FROM src", 2, `{"type":"fixed-delay","delay_ms":0}`)
	waitStatus(t, pool, dep, "RUNNING")
	j, _ := waitLeader(t, nodes).fsm.Job(dep)
	if len(j.Workers()) != 2 {
		t.Fatalf("attempt 1 on %v, want both workers", j.Workers())
	}
	dead, survivor := workers[j.Workers()[0]], workers[j.Workers()[1]]
	kill[dead.id]()
	dead.loops.Wait() // its last heartbeat came before the survivor's failure
	set, status := survivor.poll(0, 0)
	if status != 200 {
		t.Fatalf("survivor poll = %d", status)
	}
	if _, status := survivor.heartbeat(set, assign.TaskFailed); status != 200 {
		t.Fatalf("survivor heartbeat = %d", status)
	}
	events := func(where string, args ...any) int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM deployment_events WHERE deployment_id = $1 AND `+where,
			append([]any{dep}, args...)...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	naming := "type = 'worker_lost' AND message LIKE '%' || $2 || '%'"
	waitFor(t, 15*time.Second, "a worker_lost event naming the dead worker", func() bool { return events(naming, dead.id) > 0 })
	if n := events("type = 'task_failed' AND status = 'RESTARTING' AND message LIKE '%' || $2 || '%'", survivor.id); n != 1 {
		t.Errorf("%d task_failed events naming the survivor, want 1 (the first failure heard of)", n)
	}
	waitFor(t, 15*time.Second, "attempt 2 RUNNING", func() bool { return events("attempt = 2 AND status = 'RUNNING'") > 0 })
	if j, _ := waitLeader(t, nodes).fsm.Job(dep); j.Attempt != 2 || slices.Contains(j.Workers(), dead.id) {
		t.Errorf("job at attempt %d on %v, want attempt 2 without %s", j.Attempt, j.Workers(), dead.id)
	}
	if n := events(naming+" AND attempt = 1 AND status IS NULL", dead.id); n != 1 {
		t.Errorf("%d worker_lost events of attempt 1 naming %s, want 1", n, dead.id)
	}

	l := waitLeader(t, nodes)
	if err := l.TransferLeadership(ctx); err != nil {
		t.Fatal(err)
	}
	nl := waitLeader(t, nodes)
	// the new leader's dispatcher has written everything once it wrote an unrelated change
	dep2, _ := seedDeployment(t, pool, "INSERT INTO dst SELECT a, b FROM src", 1, `{}`)
	waitFor(t, 10*time.Second, "new leader dispatching", func() bool {
		var n int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM deployment_events WHERE deployment_id = $1`, dep2).Scan(&n)
		_, ok := nl.fsm.Job(dep2)
		return ok && err == nil && n > 0
	})
	if n := events(naming, dead.id); n != 1 {
		t.Errorf("%d worker_lost events naming %s after the leader change, want 1", n, dead.id)
	}
}
