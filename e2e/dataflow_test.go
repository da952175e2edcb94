package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/scheduler"
	"github.com/flowplane/flowplane/workers"
)

// countGraph is sequence (par) -> hash(k) -> keyed count (par) -> sink.
func countGraph(t *testing.T, par int, rows, keys int64, sink string, sinkCfg any) *dataflow.JobGraph {
	t.Helper()
	b := dataflow.NewGraphBuilder("count")
	src := b.Vertex("src", par).Op(operator.KindSequence, operator.SequenceConfig{Rows: rows, BatchSize: 100, Keys: keys})
	cnt := b.Vertex("cnt", par).Op(operator.KindKeyedCount, operator.KeyedCountConfig{Key: "k"}).Op(sink, sinkCfg)
	b.Connect(src, cnt, dataflow.HashOn("k"), operator.SequenceSchema(3))
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// workersOf returns the scheduler worker ids holding subtasks of vertex v of job j.
func workersOf(j *scheduler.Job, v dataflow.VertexID) map[string]int {
	out := map[string]int{}
	for _, st := range j.Subtasks {
		if st.Vertex == v {
			out[st.Worker]++
		}
	}
	return out
}

// TestHashCountAcrossWorkersThroughScheduler deploys a bounded hash-partitioned count on two
// agents with two slots each through a real scheduler: the subtasks spread over both workers, the
// hash edge crosses the TCP exchange, the job finishes and every key has its exact count.
func TestHashCountAcrossWorkersThroughScheduler(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	coll := operator.NewCollection()
	t.Cleanup(func() { // after the agents stopped (cleanups run last-in first-out)
		coll.Release()
		mem.AssertSize(t, 0)
	})
	n := startNode(t, nodeOpts{expect: 1, lease: 2 * time.Second, name: "s1"})
	waitFor(t, 10*time.Second, "leader", n.IsLeader)
	ps := &probes{}
	for _, name := range []string{"w1", "w2"} {
		startAgent(t, name, []string{n.url}, 2, ps.registry(t, name, coll), func(c *workers.Config) { c.Allocator = mem })
	}
	waitFor(t, 10*time.Second, "2 workers", func() bool { return n.Cluster().ActiveWorker == 2 })

	const par, rows, keys = 4, 20_000, 13
	if err := n.SubmitJob(context.Background(), scheduler.JobSpec{ID: "count",
		Graph: countGraph(t, par, rows, keys, operator.KindCollect, operator.CollectConfig{Name: "counts"})}); err != nil {
		t.Fatal(err)
	}
	var placed *scheduler.Job
	waitFor(t, 10*time.Second, "the job placed", func() bool {
		placed, _ = n.FSM().Job("count")
		return placed.Placed()
	})
	for _, v := range []dataflow.VertexID{"src", "cnt"} {
		if ws := workersOf(placed, v); len(ws) != 2 {
			t.Fatalf("%s subtasks on workers %v, want 2 on each of the 2 workers", v, ws)
		}
	}
	var recordsIn int64
	waitFor(t, 20*time.Second, "the job FINISHED", func() bool {
		info, _ := n.JobStatus("count")
		for _, vs := range info.Vertices {
			if vs.ID == "cnt" && vs.RecordsIn > 0 {
				recordsIn = vs.RecordsIn
			}
		}
		if info.Status == scheduler.JobFailed {
			t.Fatalf("job failed: %s", info.Reason)
		}
		return info.Status == scheduler.JobFinished
	})
	if j, _ := n.FSM().Job("count"); j.Attempt != 1 {
		t.Fatalf("job finished at attempt %d, want 1", j.Attempt)
	}
	counts := map[int64]int64{}
	for _, b := range coll.Batches("counts") {
		k, c := b.Column(0).(*array.Int64), b.Column(1).(*array.Int64)
		for i := range k.Len() {
			counts[k.Value(i)] = max(counts[k.Value(i)], c.Value(i))
		}
	}
	const total = par * rows
	if len(counts) != keys {
		t.Fatalf("%d keys counted, want %d", len(counts), keys)
	}
	for k := int64(0); k < keys; k++ {
		want := int64(total / keys)
		if k < total%keys {
			want++
		}
		if counts[k] != want {
			t.Fatalf("count[%d] = %d, want %d", k, counts[k], want)
		}
	}
	t.Logf("%d rows counted exactly over 2 workers (last reported records in of cnt: %d)", total, recordsIn)
}

// TestKilledPeerFailsOverThroughScheduler runs an unbounded hash-partitioned count across two
// workers and kills one agent mid-run: the survivor's tasks lose their peer, the scheduler
// restarts the job on the remaining slots, and the new attempt runs (all subtasks on the
// survivor, records flowing) and stays put; nothing of the old attempt keeps running.
func TestKilledPeerFailsOverThroughScheduler(t *testing.T) {
	t.Parallel()
	const lease = 1500 * time.Millisecond
	n := startNode(t, nodeOpts{expect: 1, lease: lease, name: "s1"})
	waitFor(t, 10*time.Second, "leader", n.IsLeader)
	ps := &probes{}
	agents := map[string]*agent{}
	for _, name := range []string{"w1", "w2"} {
		agents[name] = startAgent(t, name, []string{n.url}, 2, ps.registry(t, name, nil), nil)
	}
	waitFor(t, 10*time.Second, "2 workers", func() bool { return n.Cluster().ActiveWorker == 2 })
	zero := int64(0)
	if err := n.SubmitJob(context.Background(), scheduler.JobSpec{ID: "count", Graph: countGraph(t, 2, 0, 50, operator.KindBlackhole, nil),
		Restart: scheduler.RestartStrategy{Type: scheduler.RestartFixed, DelayMillis: &zero}}); err != nil {
		t.Fatal(err)
	}
	flowing := func(attempt uint64) func() bool {
		return func() bool {
			info, _ := n.JobStatus("count")
			return info.Status == scheduler.JobRunning && info.Attempt == attempt && len(info.Vertices) == 2 && info.Vertices[1].RecordsIn > 10_000
		}
	}
	waitFor(t, 10*time.Second, "records flowing in attempt 1", flowing(1))
	j, _ := n.FSM().Job("count")
	if ws := workersOf(j, "cnt"); len(ws) != 2 {
		t.Fatalf("cnt subtasks on %v, want both workers", ws)
	}
	survivor := workerNamed(n.Server, "w1")
	killed := workerNamed(n.Server, "w2")
	start := time.Now()
	agents["w2"].stop(t)

	var attempt uint64
	waitFor(t, 15*time.Second, "a new attempt running on the survivor", func() bool {
		j, _ := n.FSM().Job("count")
		if j.Status != scheduler.JobRunning || j.Attempt < 2 {
			return false
		}
		for _, st := range j.Subtasks {
			if st.Worker != survivor || st.State != "RUNNING" {
				return false
			}
		}
		attempt = j.Attempt
		return true
	})
	waitFor(t, 10*time.Second, "records flowing in the new attempt", flowing(attempt))
	t.Logf("peer killed -> attempt %d running on the survivor with records flowing in %s", attempt, time.Since(start))
	// Usually one restart; a heartbeat the killed agent had in flight can make the scheduler
	// place the first restart on it once more before it is seen quiet, so allow a second.
	if attempt > 3 {
		t.Errorf("failover took %d restarts, want at most 2", attempt-1)
	}
	// The killed worker's lease ends; the job stays put (a lost worker it no longer uses does not
	// restart it), and the survivor runs only the new attempt's tasks.
	waitFor(t, 10*time.Second, "the killed worker LOST", func() bool {
		w, ok := n.FSM().Worker(killed)
		return ok && w.State == scheduler.WorkerLost
	})
	settled := time.Now()
	waitFor(t, 10*time.Second, "a lease more", func() bool { return time.Since(settled) > lease })
	if j, _ := n.FSM().Job("count"); j.Attempt != attempt || j.Status != scheduler.JobRunning {
		t.Fatalf("job moved on to %s attempt %d after settling at attempt %d (%s)", j.Status, j.Attempt, attempt, j.Reason)
	}
	tasks := agents["w1"].Tasks()
	if len(tasks) != 4 {
		t.Fatalf("survivor holds %d tasks, want the 4 subtasks of attempt %d: %+v", len(tasks), attempt, tasks)
	}
	for _, st := range tasks {
		if st.Attempt != attempt || st.State != "RUNNING" {
			t.Fatalf("survivor task %+v, want RUNNING in attempt %d", st, attempt)
		}
	}
}
