package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
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
	reg, err := workers.NewRegistry(nil, io.Discard)
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
