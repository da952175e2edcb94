package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/dataflow/checkpoint/chaoscheck"
	"github.com/flowplane/flowplane/dataflow/connectors/postgres"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/scheduler"
	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/services/store"
	"github.com/flowplane/flowplane/workers"
)

// stack is the scheduler/agent stack of the checkpoint tests: a one-node scheduler (real Raft
// over loopback TCP, the dispatcher on a real PostgreSQL database, file checkpoint storage
// served to the workers over HTTP) and workers exchanging records over real TCP.
type stack struct {
	pool   *pgxpool.Pool
	store  *checkpoint.FileStorage
	sched  *scheduler.Server
	url    string
	agents []*workers.Agent
	stops  []context.CancelFunc
	done   []chan struct{}
	print  syncBuffer // the print sinks' output of every worker
}

const stackJoinToken = "jt"

func testLog() *slog.Logger {
	if os.Getenv("CKPT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startStack(t *testing.T, nWorkers int) *stack {
	t.Helper()
	st := &stack{pool: pgtest.NewPool(t)}
	var err error
	if st.store, err = checkpoint.NewFileStorage(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	st.url = "http://" + ln.Addr().String()
	st.sched, err = scheduler.New(scheduler.Config{
		RaftAddr: "127.0.0.1:0", HTTPAddr: st.url, DataDir: t.TempDir(), BootstrapExpect: 1, JoinToken: stackJoinToken,
		Lease: time.Second, Pool: st.pool, ReconcileInterval: 300 * time.Millisecond, Logger: testLog().With("component", "scheduler"),
		HeartbeatTimeout: 150 * time.Millisecond, ElectionTimeout: 150 * time.Millisecond,
		LeaderLeaseTimeout: 100 * time.Millisecond, CommitTimeout: 5 * time.Millisecond,
		CheckpointStorage: st.store,
		Checkpoints: scheduler.CheckpointCoordinators(scheduler.CheckpointOptions{Storage: st.store,
			Interval: 200 * time.Millisecond, Timeout: 5 * time.Second}),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: st.sched.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		for i := range st.stops {
			st.kill(i)
		}
		_ = hs.Close()
		_ = st.sched.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := st.sched.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	for range nWorkers {
		st.addWorker(t)
	}
	return st
}

// addWorker starts one more worker agent.
func (st *stack) addWorker(t *testing.T) {
	t.Helper()
	reg, err := workers.NewRegistry(nil, &st.print)
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.RegisterSink(reg, func(context.Context, string) (*pgxpool.Pool, error) { return st.pool, nil }); err != nil {
		t.Fatal(err)
	}
	a, err := workers.New(workers.Config{Servers: []string{st.url}, Slots: 4, DataAddr: "127.0.0.1:0", JoinToken: stackJoinToken,
		Registry: reg, Logger: testLog().With("component", "worker"), Wait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.Run(ctx)
	}()
	st.agents, st.stops, st.done = append(st.agents, a), append(st.stops, cancel), append(st.done, done)
	waitFor(t, "worker registration", 10*time.Second, func() bool { return a.WorkerID() != "" })
}

// kill stops worker i (its tasks end; it never heartbeats again).
func (st *stack) kill(i int) {
	st.stops[i]()
	<-st.done[i]
}

func (st *stack) job(t *testing.T, id string) *scheduler.Job {
	t.Helper()
	j, ok := st.sched.FSM().Job(id)
	if !ok {
		return &scheduler.Job{}
	}
	return j
}

func latestCheckpoint(j *scheduler.Job) uint64 {
	if j.LatestCheckpoint == nil {
		return 0
	}
	return j.LatestCheckpoint.ID
}

// seqGraph is the chaos job: a keyed sequence (per key strictly +1) -> hash -> keyed stateful
// count -> exactly-once Postgres sink, at parallelism 2.
func seqGraph(t *testing.T, table string) *dataflow.JobGraph {
	t.Helper()
	b := dataflow.NewGraphBuilder("seq")
	src := b.Vertex("src", 2).OpWithID("gen", operator.KindKeyedSequence,
		operator.KeyedSequenceConfig{Keys: 8, BatchSize: 20, RowsPerSecond: 2000})
	cnt := b.Vertex("cnt", 2).OpWithID("count", operator.KindSeqCount, operator.SeqCountConfig{}).
		OpWithID("sink", postgres.KindSink, postgres.OperatorConfig{Connection: "test", Table: table, Columns: []string{"k", "seq", "n"}})
	b.Connect(src, cnt, dataflow.HashOn("k"), operator.KeyedSequenceSchema())
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestWorkerLossRestoresFromLatestCheckpointExactlyOnce: checkpoints of a running job complete
// through the heartbeats; killing a worker restarts the job with attempt+1 from the latest
// completed checkpoint, and the exactly-once Postgres sink holds every key's sequence with no
// gap and no duplicate.
func TestWorkerLossRestoresFromLatestCheckpointExactlyOnce(t *testing.T) {
	t.Parallel()
	st := startStack(t, 2)
	ctx := context.Background()
	if _, err := st.pool.Exec(ctx, "CREATE TABLE seq_out (k bigint NOT NULL, seq bigint NOT NULL, n bigint NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	const id = "job-eo"
	restart, err := scheduler.ParseRestartStrategy([]byte(`{"type":"fixed-delay","delay_ms":300,"attempts":30}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.sched.SubmitJob(ctx, scheduler.JobSpec{ID: id, Graph: seqGraph(t, "seq_out"), Restart: restart}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two completed checkpoints", 20*time.Second, func() bool { return latestCheckpoint(st.job(t, id)) >= 2 })
	waitFor(t, "rows committed by the sink", 10*time.Second, func() bool { return countRows(t, st.pool, "seq_out") > 0 })
	before := latestCheckpoint(st.job(t, id))
	victim := 0
	for i, a := range st.agents {
		for _, w := range st.job(t, id).Workers() {
			if w == a.WorkerID() {
				victim = i
			}
		}
	}
	st.kill(victim)
	waitFor(t, "attempt 2 running", 20*time.Second, func() bool {
		j := st.job(t, id)
		return j.Attempt >= 2 && j.Status == scheduler.JobRunning
	})
	j := st.job(t, id)
	if j.LatestCheckpoint == nil || j.LatestCheckpoint.ID < before {
		t.Fatalf("attempt %d restores from %+v, want checkpoint >= %d", j.Attempt, j.LatestCheckpoint, before)
	}
	restoredFrom := j.LatestCheckpoint.ID
	waitFor(t, "checkpoints of the new attempt", 20*time.Second, func() bool { return latestCheckpoint(st.job(t, id)) >= restoredFrom+2 })
	if err := st.sched.CancelJob(ctx, id, scheduler.JobCanceled, "test done"); err != nil {
		t.Fatal(err)
	}
	rep, err := chaoscheck.CheckTable(ctx, st.pool, "seq_out", "k", "seq", chaoscheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Rows == 0 {
		t.Fatalf("exactly-once violated after a worker loss: %s", rep)
	}
}

func countRows(t *testing.T, pool *pgxpool.Pool, table string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		return 0
	}
	return n
}

const (
	aggSource = "CREATE TABLE src (a BIGINT, b STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '400', 'fields.a.min' = '1', 'fields.a.max' = '6')"
	aggSink   = "CREATE TABLE dst (a BIGINT, c BIGINT) WITH ('connector' = 'print', 'print-identifier' = 'agg')"
	aggQuery  = "INSERT INTO dst SELECT a, COUNT(*) FROM src GROUP BY a"
)

// seedDeployment inserts a project, service, application, version and a deployment of the
// grouped count (from the savepoint when from is set) and returns the deployment's key.
func seedDeployment(t *testing.T, pool *pgxpool.Pool, k store.DeploymentKey, from string, parallelism int) store.DeploymentKey {
	t.Helper()
	ctx := context.Background()
	q := func(sql string, dst *string, args ...any) {
		t.Helper()
		if err := pool.QueryRow(ctx, sql, args...).Scan(dst); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var ver string
	if k.ProjectID == "" {
		q(`INSERT INTO projects (name, created_by) VALUES ('p-' || fp_uuidv7(), 'test') RETURNING id`, &k.ProjectID)
		q(`INSERT INTO services (project_id, name, plan, plan_slots, created_by) VALUES ($1, 's', 'startup', 8, 'test') RETURNING id`, &k.ServiceID, k.ProjectID)
		q(`INSERT INTO applications (project_id, service_id, name, created_by) VALUES ($1, $2, 'a', 'test') RETURNING id`, &k.ApplicationID, k.ProjectID, k.ServiceID)
		q(`INSERT INTO versions (project_id, application_id, number, statement, sources, sinks, created_by)
			VALUES ($1, $2, 1, $3, jsonb_build_array(jsonb_build_object('create_table', $4::text)), jsonb_build_array(jsonb_build_object('create_table', $5::text)), 'test') RETURNING id`,
			&ver, k.ProjectID, k.ApplicationID, aggQuery, aggSource, aggSink)
	} else {
		q(`SELECT id FROM versions WHERE application_id = $1 AND number = 1`, &ver, k.ApplicationID)
	}
	q(`INSERT INTO deployments (project_id, service_id, application_id, version_id, parallelism, restart_strategy, starting_savepoint_id,
			checkpoint_interval_ms, created_by)
		VALUES ($1, $2, $3, $4, $6, '{"type":"fixed-delay","delay_ms":300,"attempts":30}', NULLIF($5, ''), 250, 'test') RETURNING id`,
		&k.ID, k.ProjectID, k.ServiceID, k.ApplicationID, ver, from, parallelism)
	return k
}

func deploymentStatus(t *testing.T, pool *pgxpool.Pool, id string) string {
	t.Helper()
	var s string
	if err := pool.QueryRow(context.Background(), `SELECT status FROM deployments WHERE id = $1`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func savepointRow(t *testing.T, s *store.Store, k store.DeploymentKey, id string) store.Savepoint {
	t.Helper()
	sps, _, err := s.ListSavepoints(context.Background(), k, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range sps {
		if sp.ID == id {
			return sp
		}
	}
	t.Fatalf("savepoint %s not listed", id)
	return store.Savepoint{}
}

// TestSavepointsStopAndStartFromSavepoint: a deployment's checkpoints complete and are listed
// (GET …/checkpoints reads them); a requested savepoint completes with its location and size;
// stop takes a savepoint and ends FINISHED; a new deployment starting from that savepoint
// restores the grouped counts at another parallelism (it continues them: no key starts over at
// +I).
func TestSavepointsStopAndStartFromSavepoint(t *testing.T) {
	t.Parallel()
	st := startStack(t, 2)
	ctx := context.Background()
	s := store.New(st.pool, nil)
	actor := store.Actor{UserID: "test"}
	k := seedDeployment(t, st.pool, store.DeploymentKey{}, "", 2)
	waitFor(t, "deployment RUNNING", 20*time.Second, func() bool { return deploymentStatus(t, st.pool, k.ID) == "RUNNING" })
	if got := st.job(t, k.ID).CheckpointIntervalMS; got != 250 {
		t.Fatalf("job checkpoint interval = %d ms, want the deployment's 250", got)
	}
	waitFor(t, "two checkpoints listed", 20*time.Second, func() bool {
		cps, _, err := s.ListCheckpoints(ctx, k, store.Page{Limit: 100})
		return err == nil && len(cps) >= 2
	})
	cps, _, _ := s.ListCheckpoints(ctx, k, store.Page{Limit: 100})
	for _, c := range cps {
		if c.Status != "COMPLETED" || c.Location != st.store.Location() || c.SizeBytes <= 0 || c.CheckpointID <= 0 {
			t.Fatalf("checkpoint row %+v", c)
		}
	}

	sp, err := s.CreateSavepoint(ctx, actor, k)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "savepoint COMPLETED", 20*time.Second, func() bool { return savepointRow(t, s, k, sp.ID).Status != "PENDING" })
	if got := savepointRow(t, s, k, sp.ID); got.Status != "COMPLETED" || got.Location != st.store.Location() || got.SizeBytes == nil || *got.SizeBytes <= 0 {
		t.Fatalf("savepoint = %+v", got)
	}

	if _, err := s.ChangeDeployment(ctx, actor, k, store.ActionStop); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "deployment FINISHED", 20*time.Second, func() bool { return deploymentStatus(t, st.pool, k.ID) == "FINISHED" })
	var stopSP string
	if err := st.pool.QueryRow(ctx, `SELECT id FROM savepoints WHERE deployment_id = $1 AND reason = 'stop'`, k.ID).Scan(&stopSP); err != nil {
		t.Fatal(err)
	}
	if got := savepointRow(t, s, k, stopSP); got.Status != "COMPLETED" {
		t.Fatalf("stop savepoint = %+v", got)
	}

	mark := len(st.print.String())
	k2 := seedDeployment(t, st.pool, k, stopSP, 3) // rescaled: key groups restored at another parallelism
	waitFor(t, "second deployment RUNNING", 20*time.Second, func() bool { return deploymentStatus(t, st.pool, k2.ID) == "RUNNING" })
	waitFor(t, "counts continued", 20*time.Second, func() bool { return strings.Contains(st.print.String()[mark:], "agg> +U[") })
	if out := st.print.String()[mark:]; strings.Contains(out, "agg> +I[") {
		t.Fatalf("the deployment started from savepoint %s counts from scratch:\n%.2000s", stopSP, out)
	}
}
