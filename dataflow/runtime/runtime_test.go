package runtime

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/operator"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newRegistry(t testing.TB, coll *operator.Collection) *operator.Registry {
	t.Helper()
	reg := operator.NewRegistry()
	if err := operator.RegisterBuiltins(reg, coll); err != nil {
		t.Fatalf("RegisterBuiltins: %v", err)
	}
	return reg
}

// startAll starts every subtask of g in this process and returns the tasks by vertex.
func startAll(t *testing.T, ctx context.Context, g *dataflow.JobGraph, deps Deps) map[dataflow.VertexID][]*Task {
	t.Helper()
	placement := map[dataflow.VertexID][]string{}
	for _, v := range g.Vertices {
		placement[v.ID] = make([]string, v.Parallelism)
	}
	tasks := map[dataflow.VertexID][]*Task{}
	for _, v := range g.Vertices {
		for i := range v.Parallelism {
			task, err := StartTask(ctx, TaskSpec{JobID: "job1", Attempt: 1, Graph: g, Vertex: v.ID, Subtask: i, Placement: placement}, deps)
			if err != nil {
				t.Fatalf("StartTask(%s#%d): %v", v.ID, i, err)
			}
			tasks[v.ID] = append(tasks[v.ID], task)
		}
	}
	return tasks
}

func waitAll(t *testing.T, tasks map[dataflow.VertexID][]*Task) {
	t.Helper()
	for v, ts := range tasks {
		for i, task := range ts {
			select {
			case <-task.Done():
			case <-time.After(20 * time.Second):
				t.Fatalf("task %s#%d did not finish", v, i)
			}
			if err := task.Wait(); err != nil {
				t.Fatalf("task %s#%d: %v", v, i, err)
			}
		}
	}
}

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

func countGraph(t *testing.T, srcPar, cntPar int, rows int64, keys int64) *dataflow.JobGraph {
	t.Helper()
	b := dataflow.NewGraphBuilder("count")
	src := b.Vertex("src", srcPar).Op(operator.KindSequence, operator.SequenceConfig{Rows: rows, BatchSize: 100, Keys: keys})
	cnt := b.Vertex("cnt", cntPar).Op(operator.KindKeyedCount, operator.KeyedCountConfig{Key: "k"}).
		Op(operator.KindCollect, operator.CollectConfig{Name: "counts"})
	b.Connect(src, cnt, dataflow.HashOn("k"), operator.SequenceSchema(3))
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return g
}

func TestHashPartitionedCountInMemory(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	coll := operator.NewCollection()
	defer coll.Release()
	promReg := prometheus.NewRegistry()
	col, err := NewCollector(promReg)
	if err != nil {
		t.Fatalf("NewCollector: %v", err)
	}
	ex := NewMemExchange(2)
	g := countGraph(t, 2, 3, 5000, 13)
	tasks := startAll(t, context.Background(), g, Deps{Logger: quiet, Exchange: ex, Registry: newRegistry(t, coll), Allocator: mem, Collector: col})
	waitAll(t, tasks)

	counts := lastCounts(coll.Batches("counts"))
	if got, want := len(counts), 13; got != want {
		t.Fatalf("keys = %d, want %d", got, want)
	}
	for k := int64(0); k < 13; k++ {
		want := int64(10000 / 13)
		if k < 10000%13 {
			want++
		}
		if got := counts[k]; got != want {
			t.Fatalf("count[%d] = %d, want %d", k, got, want)
		}
	}
	var in, out int64
	for _, task := range tasks["cnt"] {
		in += task.Metrics().RecordsIn
		if got := task.Metrics().InputWatermark; got != operator.MaxWatermark {
			t.Fatalf("cnt input watermark = %d, want max", got)
		}
	}
	for _, task := range tasks["src"] {
		out += task.Metrics().RecordsOut
	}
	if in != 10000 || out != 10000 {
		t.Fatalf("records in = %d, out = %d, want 10000 each", in, out)
	}
	if got := ex.InFlight(); got != 0 {
		t.Fatalf("in-flight batches after the job = %d, want 0", got)
	}
	if n, err := testutilCount(promReg); err != nil || n != 0 {
		t.Fatalf("collector still exports %d series after tasks ended (err %v)", n, err)
	}
}

func testutilCount(reg *prometheus.Registry) (int, error) {
	mfs, err := reg.Gather()
	n := 0
	for _, mf := range mfs {
		n += len(mf.GetMetric())
	}
	return n, err
}

// stall is a source that emits nothing until stopped: an idle input.
type stall struct{ operator.Base }

func (stall) ProcessBatch(int, arrow.RecordBatch, operator.Emitter) error { return nil }
func (stall) Poll(ctx context.Context, _ operator.Emitter) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestIdleInputDoesNotHoldWatermark(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	coll := operator.NewCollection()
	defer coll.Release()
	reg := newRegistry(t, coll)
	if err := reg.Register("stall", func(dataflow.OperatorSpec) (operator.Operator, error) { return stall{}, nil }); err != nil {
		t.Fatalf("Register: %v", err)
	}
	b := dataflow.NewGraphBuilder("idle")
	live := b.Vertex("live", 1).Op(operator.KindSequence, operator.SequenceConfig{BatchSize: 10, StartMillis: 1000})
	idle := b.Vertex("idle", 1).Op("stall", nil)
	sink := b.Vertex("sink", 1).Op(operator.KindFilter, operator.FilterConfig{Column: "id", Op: "<", Value: 0}).
		Op(operator.KindCollect, operator.CollectConfig{Name: "wm"})
	b.Connect(live, sink, dataflow.ForwardEdge, operator.SequenceSchema(3))
	b.Connect(idle, sink, dataflow.ForwardEdge, operator.SequenceSchema(3))
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tasks := startAll(t, ctx, g, Deps{Logger: quiet, Exchange: NewMemExchange(2), Registry: reg, Allocator: mem, IdleTimeout: 50 * time.Millisecond})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if wm, ok := coll.Watermark("wm"); ok && wm > 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sink watermark never advanced past 1000 with one idle input")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	for _, ts := range tasks {
		for _, task := range ts {
			if err := task.Wait(); !errors.Is(err, context.Canceled) {
				t.Fatalf("stopped task error = %v, want context.Canceled", err)
			}
		}
	}
}

// failing is an operator that fails on its first batch.
type failing struct{ operator.Base }

var errBoom = errors.New("boom")

func (failing) ProcessBatch(int, arrow.RecordBatch, operator.Emitter) error { return errBoom }

func TestOperatorErrorFailsTaskAndProducer(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	reg := newRegistry(t, nil)
	if err := reg.Register("fail", func(dataflow.OperatorSpec) (operator.Operator, error) { return failing{}, nil }); err != nil {
		t.Fatalf("Register: %v", err)
	}
	b := dataflow.NewGraphBuilder("fail")
	src := b.Vertex("src", 1).Op(operator.KindSequence, operator.SequenceConfig{BatchSize: 10})
	bad := b.Vertex("bad", 1).Op(operator.KindProject, operator.ProjectConfig{Columns: []string{"id", "k", "ts"}}).Op("fail", nil)
	b.Connect(src, bad, dataflow.ForwardEdge, operator.SequenceSchema(3))
	// The consumer of the failed task must fail too instead of waiting for an end of stream.
	b.Connect(bad, b.Vertex("sink", 1).Op(operator.KindBlackhole, nil), dataflow.ForwardEdge, operator.SequenceSchema(3))
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	tasks := startAll(t, context.Background(), g, Deps{Logger: quiet, Exchange: NewMemExchange(2), Registry: reg, Allocator: mem})
	if err := tasks["bad"][0].Wait(); !errors.Is(err, errBoom) || !errors.Is(err, ErrTaskFailed) {
		t.Fatalf("bad task error = %v, want ErrTaskFailed wrapping boom", err)
	}
	// The unbounded source must not run on forever: its consumer is gone.
	if err := tasks["src"][0].Wait(); !errors.Is(err, ErrChannelClosed) {
		t.Fatalf("source error = %v, want ErrChannelClosed", err)
	}
	if err := tasks["sink"][0].Wait(); !errors.Is(err, ErrUpstreamFailed) {
		t.Fatalf("downstream error = %v, want ErrUpstreamFailed", err)
	}
}

func TestStartTaskRejectsBadSpec(t *testing.T) {
	t.Parallel()
	g := countGraph(t, 1, 1, 10, 2)
	deps := Deps{Logger: quiet, Exchange: NewMemExchange(0), Registry: newRegistry(t, nil)}
	place := map[dataflow.VertexID][]string{"src": {""}, "cnt": {""}}
	cases := map[string]TaskSpec{
		"vertex":    {JobID: "j", Graph: g, Vertex: "nope", Placement: place},
		"subtask":   {JobID: "j", Graph: g, Vertex: "src", Subtask: 1, Placement: place},
		"placement": {JobID: "j", Graph: g, Vertex: "src"},
		"kind":      {JobID: "j", Graph: g, Vertex: "cnt", Placement: place}, // collect is not registered
	}
	for name, spec := range cases {
		if _, err := StartTask(context.Background(), spec, deps); !errors.Is(err, ErrInvalidTask) {
			t.Fatalf("%s: error = %v, want ErrInvalidTask", name, err)
		}
	}
}

func TestBroadcastAndRebalance(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	coll := operator.NewCollection()
	defer coll.Release()
	b := dataflow.NewGraphBuilder("fanout")
	src := b.Vertex("src", 2).Op(operator.KindSequence, operator.SequenceConfig{Rows: 1000, BatchSize: 64})
	b.Connect(src, b.Vertex("all", 3).Op(operator.KindCollect, operator.CollectConfig{Name: "all"}), dataflow.BroadcastEdge, operator.SequenceSchema(3))
	b.Connect(src, b.Vertex("rr", 3).Op(operator.KindCollect, operator.CollectConfig{Name: "rr"}), dataflow.RebalanceEdge, operator.SequenceSchema(3))
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	tasks := startAll(t, context.Background(), g, Deps{Logger: quiet, Exchange: NewMemExchange(2), Registry: newRegistry(t, coll), Allocator: mem})
	waitAll(t, tasks)
	if got, want := coll.Rows("all"), int64(3*2000); got != want {
		t.Fatalf("broadcast rows = %d, want %d", got, want)
	}
	if got, want := coll.Rows("rr"), int64(2000); got != want {
		t.Fatalf("rebalance rows = %d, want %d", got, want)
	}
	for i, task := range tasks["rr"] {
		if task.Metrics().RecordsIn == 0 {
			t.Fatalf("rebalance left subtask %d without rows", i)
		}
	}
}

func TestCollectorExportsRunningTasks(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t, nil)
	if err := reg.Register("stall", func(dataflow.OperatorSpec) (operator.Operator, error) { return stall{}, nil }); err != nil {
		t.Fatalf("Register: %v", err)
	}
	b := dataflow.NewGraphBuilder("metrics")
	b.Vertex("idle", 2).Op("stall", nil)
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	promReg := prometheus.NewRegistry()
	col, err := NewCollector(promReg)
	if err != nil {
		t.Fatalf("NewCollector: %v", err)
	}
	tasks := startAll(t, context.Background(), g, Deps{Logger: quiet, Exchange: NewMemExchange(0), Registry: reg, Collector: col})
	mfs, err := promReg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	series := map[string]int{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["job"] != "job1" || labels["vertex"] != "idle" {
				t.Fatalf("series %s has labels %v", mf.GetName(), labels)
			}
			series[mf.GetName()]++
		}
	}
	if got := series["flowplane_task_records_out_total"]; got != 2 {
		t.Fatalf("records_out series = %d, want 2 (one per subtask); all: %v", got, series)
	}
	for _, task := range tasks["idle"] {
		task.Stop()
		if err := task.Wait(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait after Stop = %v, want context.Canceled", err)
		}
	}
}

func TestEmittedBatchMustMatchEdgeSchema(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := dataflow.NewGraphBuilder("mismatch")
	src := b.Vertex("src", 1).Op(operator.KindSequence, operator.SequenceConfig{Rows: 10, Width: 4})
	// The edge declares 3 columns but the source emits 4.
	b.Connect(src, b.Vertex("sink", 1).Op(operator.KindBlackhole, nil), dataflow.ForwardEdge, operator.SequenceSchema(3))
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	tasks := startAll(t, context.Background(), g, Deps{Logger: quiet, Exchange: NewMemExchange(0), Registry: newRegistry(t, nil), Allocator: mem})
	if err := tasks["src"][0].Wait(); !errors.Is(err, batch.ErrSchemaMismatch) {
		t.Fatalf("source error = %v, want ErrSchemaMismatch", err)
	}
	if err := tasks["sink"][0].Wait(); !errors.Is(err, ErrUpstreamFailed) {
		t.Fatalf("sink error = %v, want ErrUpstreamFailed", err)
	}
}
