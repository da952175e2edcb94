package workers

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/workers/exchange"
)

// lastCounts folds keyed_count upserts into the final count per key.
func lastCounts(batches []arrow.RecordBatch) map[int64]int64 {
	out := map[int64]int64{}
	for _, b := range batches {
		k, c := b.Column(0).(*array.Int64), b.Column(1).(*array.Int64)
		for i := range k.Len() {
			out[k.Value(i)] = max(out[k.Value(i)], c.Value(i))
		}
	}
	return out
}

// TestTwoWorkersRunHashPartitionedJob runs sequence -> hash(k) -> keyed count -> collect with
// parallelism 2 on two agents: every hash channel between the workers crosses real TCP.
func TestTwoWorkersRunHashPartitionedJob(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	coll := operator.NewCollection()
	// Cleanups run last-in first-out: this one runs after both agents stopped.
	t.Cleanup(func() {
		coll.Release()
		mem.AssertSize(t, 0)
	})
	f := newFakeSched(t, 10*time.Second)
	reg := testRegistry(t, coll)
	var agents []*Agent
	for range 2 {
		agents = append(agents, startAgent(t, Config{Servers: []string{f.URL()}, JoinToken: f.join, Registry: reg, Allocator: mem}))
	}
	for _, a := range agents {
		waitFor(t, "registration", func() bool { return a.WorkerID() != "" })
	}

	const rows, keys = 5000, 13
	b := dataflow.NewGraphBuilder("count")
	src := b.Vertex("src", 2).Op(operator.KindSequence, operator.SequenceConfig{Rows: rows, BatchSize: 100, Keys: keys})
	cnt := b.Vertex("cnt", 2).Op(operator.KindKeyedCount, operator.KeyedCountConfig{Key: "k"}).
		Op(operator.KindCollect, operator.CollectConfig{Name: "counts"})
	b.Connect(src, cnt, dataflow.HashOn("k"), operator.SequenceSchema(3))
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	addrs := []string{agents[0].DataAddr(), agents[1].DataAddr()}
	place := map[dataflow.VertexID][]string{"src": addrs, "cnt": addrs}
	token := exchange.AttemptToken([]byte("scheduler secret"), "job1", 1)
	for i, a := range agents {
		var tasks []assign.Task
		for _, v := range []dataflow.VertexID{"src", "cnt"} {
			id := assign.TaskID("job1", 1, v, i)
			tasks = append(tasks, assign.Task{ID: id, JobID: "job1", Attempt: 1, Vertex: v, Subtask: i, Slot: 0,
				Graph: g, Placement: place, Token: token})
		}
		f.setTasks(a.WorkerID(), tasks...)
	}
	// Both workers report every task FINISHED, with metrics, in their heartbeats.
	var recordsIn int64
	waitFor(t, "all tasks FINISHED in heartbeats", func() bool {
		recordsIn = 0
		for _, a := range agents {
			st := f.worker(a.WorkerID()).statuses
			if len(st) != 2 {
				return false
			}
			for _, s := range st {
				if s.State != assign.TaskFinished {
					if s.State == assign.TaskFailed {
						t.Fatalf("task %s failed: %s", s.TaskID, s.Error)
					}
					return false
				}
				if s.Vertex == "cnt" {
					var m struct {
						RecordsIn int64 `json:"records_in"`
					}
					if err := json.Unmarshal(s.Metrics, &m); err != nil {
						t.Fatalf("metrics of %s: %v", s.TaskID, err)
					}
					recordsIn += m.RecordsIn
				}
			}
		}
		return true
	})
	if recordsIn != 2*rows {
		t.Fatalf("count subtasks received %d records, want %d", recordsIn, 2*rows)
	}
	counts := lastCounts(coll.Batches("counts"))
	if len(counts) != keys {
		t.Fatalf("keys = %d, want %d", len(counts), keys)
	}
	for k := int64(0); k < keys; k++ {
		want := int64(2 * rows / keys)
		if k < 2*rows%keys {
			want++
		}
		if got := counts[k]; got != want {
			t.Fatalf("count[%d] = %d, want %d", k, got, want)
		}
	}
	// The hash edge really crossed the workers: each node has a peer connection.
	for _, a := range agents {
		if n := a.node.Stats().Conns; n != 1 {
			t.Fatalf("worker %s has %d peer connections, want 1", a.DataAddr(), n)
		}
	}
}

// failing is an operator that fails on its first batch.
type failing struct{ operator.Base }

var errBoom = errors.New("boom")

func (failing) ProcessBatch(int, arrow.RecordBatch, operator.Emitter) error { return errBoom }

// TestFailedTasksAreReported: a task that cannot start and a task whose operator fails are
// reported FAILED with their error, and neither is restarted under the same id.
func TestFailedTasksAreReported(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	reg := testRegistry(t, nil)
	if err := reg.Register("fail", func(dataflow.OperatorSpec) (operator.Operator, error) { return failing{}, nil }); err != nil {
		t.Fatal(err)
	}
	f := newFakeSched(t, 10*time.Second)
	a := startAgent(t, Config{Servers: []string{f.URL()}, JoinToken: f.join, Registry: reg, Allocator: mem})
	waitFor(t, "registration", func() bool { return a.WorkerID() != "" })

	b := dataflow.NewGraphBuilder("fails")
	src := b.Vertex("src", 1).Op(operator.KindSequence, operator.SequenceConfig{Rows: 100, BatchSize: 10})
	b.Connect(src, b.Vertex("bad", 1).Op("fail", nil), dataflow.ForwardEdge, operator.SequenceSchema(3))
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	place := map[dataflow.VertexID][]string{"src": {a.DataAddr()}, "bad": {a.DataAddr()}}
	task := func(v dataflow.VertexID) assign.Task {
		return assign.Task{ID: assign.TaskID("job1", 1, v, 0), JobID: "job1", Attempt: 1, Vertex: v, Graph: g, Placement: place}
	}
	noSuchVertex := task("nope")
	f.setTasks(a.WorkerID(), task("src"), task("bad"), noSuchVertex)
	waitFor(t, "three FAILED tasks in a heartbeat", func() bool {
		st := f.worker(a.WorkerID()).statuses
		failed := 0
		for _, s := range st {
			if s.State == assign.TaskFailed && s.Error != "" {
				failed++
			}
		}
		return failed == 3
	})
	for _, s := range f.worker(a.WorkerID()).statuses {
		if s.TaskID == task("bad").ID && !strings.Contains(s.Error, "boom") {
			t.Fatalf("bad task error = %q, want the operator's", s.Error)
		}
		if s.TaskID == noSuchVertex.ID && !strings.Contains(s.Error, "invalid task spec") {
			t.Fatalf("unknown vertex error = %q", s.Error)
		}
	}
	// A later answer with the same tasks restarts none of them.
	f.setTasks(a.WorkerID(), task("src"), task("bad"), noSuchVertex)
	f.waitApplied(t)
	if n := len(tasksIn(a, assign.TaskFailed)); n != 3 {
		t.Fatalf("failed tasks = %d after the same set again, want 3: %+v", n, a.Tasks())
	}
}
