package chaos

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/dataflow/checkpoint/chaoscheck"
	"github.com/flowplane/flowplane/dataflow/connectors/postgres"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/runtime"
	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/workers/exchange"
)

var (
	rounds   = flag.Int("chaos.rounds", 4, "kill and restore rounds of the chaos job")
	dropRate = flag.Float64("chaos.drop", 0.3, "probability that a task misses a completion notice")
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const (
	job          = "chaos-job"
	keysPerTask  = 8
	parallelism  = 2
	interval     = 100 * time.Millisecond
	sinkOperator = "sink"
)

// cluster is two workers' exchange nodes, shared checkpoint storage and the sink's database:
// what survives a job attempt.
type cluster struct {
	nodes   [parallelism]*exchange.Node
	dir     string
	store   *checkpoint.FileStorage
	remote  *checkpoint.RemoteStorage // the same storage through the server's HTTP handler
	pool    *pgxpool.Pool
	reg     *operator.Registry
	secret  []byte
	ids     func(context.Context) (uint64, error) // the FSM's id allocator
	rngMu   sync.Mutex
	rng     *rand.Rand
	mu      sync.Mutex
	records []uint64 // completed checkpoints as recorded, in order
}

func newCluster(t testing.TB, seed uint64) *cluster {
	t.Helper()
	c := &cluster{dir: t.TempDir(), secret: []byte("chaos"), ids: checkpoint.CounterIDs(0), rng: rand.New(rand.NewPCG(seed, 7))}
	var err error
	if c.store, err = checkpoint.NewFileStorage(c.dir); err != nil {
		t.Fatal(err)
	}
	c.pool = pgtest.NewPool(t)
	if _, err := c.pool.Exec(context.Background(), "CREATE TABLE chaos (k bigint NOT NULL, seq bigint NOT NULL, n bigint NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	c.reg = operator.NewRegistry()
	if err := operator.RegisterBuiltins(c.reg, nil); err != nil {
		t.Fatal(err)
	}
	err = postgres.RegisterSink(c.reg, func(context.Context, string) (*pgxpool.Pool, error) { return c.pool, nil })
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.nodes {
		n, err := exchange.Listen(exchange.Config{ListenAddr: "127.0.0.1:0", Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		c.nodes[i] = n
	}
	srv := httptest.NewServer(checkpoint.NewHandler(c.store))
	t.Cleanup(srv.Close)
	c.remote = checkpoint.NewRemoteStorage(srv.URL, srv.Client(), nil)
	return c
}

// graph returns the job at counting parallelism p and its placement: subtask i of each vertex
// runs on worker i % 2, so rows of the hash edge cross TCP.
func (c *cluster) graph(t testing.TB, p int) (*dataflow.JobGraph, map[dataflow.VertexID][]string) {
	t.Helper()
	b := dataflow.NewGraphBuilder("chaos")
	src := b.Vertex("src", parallelism).OpWithID("gen", operator.KindKeyedSequence,
		operator.KeyedSequenceConfig{Keys: keysPerTask, BatchSize: 20, RowsPerSecond: 4000})
	cnt := b.Vertex("cnt", p).OpWithID("count", operator.KindSeqCount, operator.SeqCountConfig{}).
		OpWithID(sinkOperator, postgres.KindSink, postgres.OperatorConfig{Connection: "test", Table: "chaos", Columns: []string{"k", "seq", "n"}})
	b.Connect(src, cnt, dataflow.HashOn("k"), operator.KeyedSequenceSchema())
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	place := map[dataflow.VertexID][]string{}
	for _, v := range g.Vertices {
		for i := range v.Parallelism {
			place[v.ID] = append(place[v.ID], c.nodes[i%len(c.nodes)].Addr())
		}
	}
	return g, place
}

func (c *cluster) chance(p float64) bool {
	c.rngMu.Lock()
	defer c.rngMu.Unlock()
	return c.rng.Float64() < p
}

func (c *cluster) intN(n int) int {
	c.rngMu.Lock()
	defer c.rngMu.Unlock()
	return c.rng.IntN(n)
}

// latest is the newest recorded completed checkpoint (what the FSM would restore from).
func (c *cluster) latest() *assign.Checkpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.records) == 0 {
		return nil
	}
	return &assign.Checkpoint{ID: c.records[len(c.records)-1], Location: c.store.Location()}
}

// attempt is one attempt of the job: its tasks on both workers and its coordinator.
type attempt struct {
	n        uint64
	tasks    []*runtime.Task
	coord    *checkpoint.Coordinator
	cancel   context.CancelFunc
	done     chan error
	mu       sync.Mutex
	reliable bool // deliver every completion notice
}

func (c *cluster) start(t testing.TB, n uint64, p int, restore *assign.Checkpoint) *attempt {
	t.Helper()
	g, place := c.graph(t, p)
	a := &attempt{n: n, done: make(chan error, 1)}
	var taskIDs []checkpoint.TaskID
	for _, v := range g.Vertices {
		for i := range v.Parallelism {
			taskIDs = append(taskIDs, checkpoint.TaskID{Vertex: string(v.ID), Subtask: i})
		}
	}
	coord, err := checkpoint.NewCoordinator(checkpoint.CoordinatorConfig{
		Job: job, Attempt: n, Tasks: taskIDs, Storage: c.store, Interval: interval, Timeout: 3 * time.Second,
		AllocateID: c.ids, Logger: quiet,
		Trigger: func(_ context.Context, id uint64, _ checkpoint.Kind) error {
			for _, task := range a.tasks {
				if task.IsSource() {
					if err := task.TriggerCheckpoint(id); err != nil {
						return err
					}
				}
			}
			return nil
		},
		RecordCompleted: func(_ context.Context, md *checkpoint.Metadata) error {
			c.mu.Lock()
			c.records = append(c.records, md.ID)
			c.mu.Unlock()
			return nil
		},
		Notify: func(id uint64) {
			a.mu.Lock()
			reliable := a.reliable
			a.mu.Unlock()
			for _, task := range a.tasks {
				if reliable || !c.chance(*dropRate) {
					task.CompleteCheckpoint(id)
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	a.coord = coord
	for _, v := range g.Vertices {
		for i := range v.Parallelism {
			// Worker 0 reaches checkpoint storage directly, worker 1 through HTTP.
			var store checkpoint.Storage = c.store
			if i%2 == 1 {
				store = c.remote
			}
			deps := runtime.Deps{Exchange: c.nodes[i%2], Registry: c.reg, Storage: store, Logger: quiet,
				Ack: func(ack assign.Ack) {
					_ = coord.Ack(context.Background(), checkpoint.TaskID{Vertex: string(ack.Vertex), Subtask: ack.Subtask},
						ack.Attempt, ack.Checkpoint, ack.States, ack.Error)
				}}
			task, err := runtime.StartTask(context.Background(), runtime.TaskSpec{
				JobID: job, Attempt: n, Graph: g, Vertex: v.ID, Subtask: i, Placement: place,
				Token: exchange.AttemptToken(c.secret, job, n), Restore: restore,
			}, deps)
			if err != nil {
				t.Fatalf("StartTask(%s#%d): %v", v.ID, i, err)
			}
			a.tasks = append(a.tasks, task)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() { a.done <- coord.Run(ctx) }()
	return a
}

// waitFor polls cond until it holds, failing the test when a task ends or time runs out.
func (a *attempt) waitFor(t testing.TB, what string, cond func(checkpoint.CoordinatorStats) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond(a.coord.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("attempt %d: timed out waiting for %s: %+v", a.n, what, a.coord.Stats())
		}
		for _, task := range a.tasks {
			select {
			case <-task.Done():
				t.Fatalf("attempt %d: task %s#%d ended: %v", a.n, task.Spec().Vertex, task.Spec().Subtask, task.Wait())
			default:
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// kill ends the attempt the way a failure does: one task dies first (stopped without
// completing anything), then the rest; the coordinator either aborts the checkpoint in flight
// (attempt failed) or just stops (its leader went away).
func (c *cluster) kill(a *attempt, abort bool) {
	order := c.permutation(len(a.tasks))
	a.tasks[order[0]].Stop()
	a.cancel()
	<-a.done
	if abort {
		a.coord.Abort(context.Background(), "attempt failed")
	}
	for _, i := range order[1:] {
		a.tasks[i].Stop()
	}
}

func (c *cluster) permutation(n int) []int {
	c.rngMu.Lock()
	defer c.rngMu.Unlock()
	return c.rng.Perm(n)
}

func TestExactlyOnceUnderKillsAndDroppedNotices(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d rounds", seed, *rounds)
	c := newCluster(t, seed)
	ctx := context.Background()

	for round := 1; round <= *rounds; round++ {
		// Each attempt counts at a parallelism of 1 to 3: keyed state and the sink's pending
		// commits are redistributed on restore.
		a := c.start(t, uint64(round), 1+c.intN(3), c.latest())
		want := int64(1 + c.intN(3))
		a.waitFor(t, "checkpoints", func(s checkpoint.CoordinatorStats) bool { return s.Completed >= want })
		// Kill at a random point: mid-alignment, mid-upload, mid-commit or in between.
		time.Sleep(time.Duration(c.intN(int(interval * 3 / 2))))
		c.kill(a, c.chance(0.5))
	}

	// The last attempt runs until a checkpoint is complete, announced to every task, committed
	// by both sink subtasks and cleaned up after; then it is killed too.
	a := c.start(t, uint64(*rounds+1), parallelism, c.latest())
	a.waitFor(t, "checkpoints", func(s checkpoint.CoordinatorStats) bool { return s.Completed >= 2 })
	a.mu.Lock()
	a.reliable = true
	a.mu.Unlock()
	first := a.coord.Stats().LastCompleted
	a.waitFor(t, "a reliably announced checkpoint", func(s checkpoint.CoordinatorStats) bool {
		return s.LastCleaned > first
	})
	final := a.coord.Stats().LastCleaned
	a.waitFor(t, "sink commits", func(checkpoint.CoordinatorStats) bool {
		var n int
		err := c.pool.QueryRow(ctx, `SELECT count(DISTINCT subtask) FROM flowplane_sink_commits
			WHERE sink_id = $1 AND checkpoint_id >= $2`, job+"/"+sinkOperator, int64(final)).Scan(&n)
		return err == nil && n == parallelism
	})
	inflight := a.coord.Stats().Pending
	c.kill(a, false)

	// Checkpoint ids increase across attempts.
	c.mu.Lock()
	records := slices.Clone(c.records)
	c.mu.Unlock()
	for i := 1; i < len(records); i++ {
		if records[i] <= records[i-1] {
			t.Fatalf("checkpoint ids not increasing: %v", records)
		}
	}
	t.Logf("%d attempts, completed checkpoints %v", *rounds+1, records)

	// The sink holds exactly the rows of the final checkpoint: the source offsets it stored
	// say how many rows each key has, and every key's seq (from the source) and n (from keyed
	// state) run 0..count-1 without gap or duplicate.
	md, err := c.store.GetMetadata(ctx, job, final)
	if err != nil {
		t.Fatal(err)
	}
	expect := expectedCounts(t, c.store, md)
	for _, col := range []string{"seq", "n"} {
		rep, err := chaoscheck.CheckTable(ctx, c.pool, "chaos", "k", col, chaoscheck.Options{Expect: expect})
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.Err(); err != nil {
			t.Fatalf("column %s: %v", col, err)
		}
		t.Logf("column %s: %s", col, rep)
	}
	var mismatched int
	if err := c.pool.QueryRow(ctx, "SELECT count(*) FROM chaos WHERE seq <> n").Scan(&mismatched); err != nil || mismatched != 0 {
		t.Fatalf("%d rows whose keyed count differs from their seq (err %v)", mismatched, err)
	}

	checkNoLeftovers(t, c, records, inflight)
}

// expectedCounts derives each key's row count from the source offsets in checkpoint md.
func expectedCounts(t *testing.T, store checkpoint.Storage, md *checkpoint.Metadata) map[string]int64 {
	t.Helper()
	expect := map[string]int64{}
	for s := range parallelism {
		blobs, err := checkpoint.OperatorStates(context.Background(), store, md, "gen", s, parallelism)
		if err != nil || len(blobs) != 1 || len(blobs[0]) != 8 {
			t.Fatalf("source offset of subtask %d: %d blobs, err %v", s, len(blobs), err)
		}
		var off int64
		for _, b := range blobs[0] {
			off = off<<8 | int64(b)
		}
		for j := range int64(keysPerTask) {
			key := int64(s) + j*parallelism
			expect[strconv.FormatInt(key, 10)] = max(0, (off-j+keysPerTask-1)/keysPerTask)
		}
	}
	return expect
}

// checkNoLeftovers checks storage after the run: the metadata kept is that of the newest
// retained completed checkpoints, and every file belongs to one of them (or to the checkpoint
// in flight when the last attempt was killed, which its successor's first completion sweeps).
func checkNoLeftovers(t *testing.T, c *cluster, records []uint64, inflight uint64) {
	t.Helper()
	ctx := context.Background()
	all, err := c.store.ListMetadata(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	kept := map[uint64]bool{}
	for _, md := range all {
		if md.Status != checkpoint.StatusCompleted {
			t.Fatalf("metadata of checkpoint %d left with status %s", md.ID, md.Status)
		}
		kept[md.ID] = true
	}
	if len(all) > checkpoint.DefaultRetained {
		t.Fatalf("%d checkpoints kept, want at most %d", len(all), checkpoint.DefaultRetained)
	}
	if !kept[records[len(records)-1]] {
		t.Fatalf("the latest completed checkpoint %d is gone", records[len(records)-1])
	}
	allowed := map[string]bool{}
	for id := range kept {
		allowed[fmt.Sprintf("chk-%d", id)] = true
	}
	if inflight != 0 {
		allowed[fmt.Sprintf("chk-%d", inflight)] = true
	}
	files := 0
	err = filepath.WalkDir(c.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(c.dir, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) < 3 || !allowed[parts[1]] || strings.HasPrefix(d.Name(), ".tmp-") {
			return fmt.Errorf("leftover file %s (kept %v, in flight %d)", rel, kept, inflight)
		}
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no checkpoint files at all")
	}
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
}
