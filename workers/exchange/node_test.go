package exchange

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/runtime"
)

var (
	quiet  = slog.New(slog.NewTextHandler(io.Discard, nil))
	secret = []byte("test secret")
)

func newNode(t *testing.T, mem memory.Allocator, credits int) *Node {
	t.Helper()
	n, err := Listen(Config{ListenAddr: "127.0.0.1:0", Credits: credits, Allocator: mem, Logger: quiet})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// job is a job attempt whose subtasks run on nodes.
type job struct {
	id      string
	attempt uint64
	graph   *dataflow.JobGraph
	place   map[dataflow.VertexID][]*Node
	tasks   map[dataflow.VertexID][]*runtime.Task
}

// start runs every subtask of g; subtask i of a vertex runs on nodes[i % len(nodes)].
func start(t *testing.T, ctx context.Context, g *dataflow.JobGraph, reg *operator.Registry, mem memory.Allocator, nodes ...*Node) *job {
	t.Helper()
	j := &job{id: "job-" + t.Name(), attempt: 1, graph: g, place: map[dataflow.VertexID][]*Node{}, tasks: map[dataflow.VertexID][]*runtime.Task{}}
	addrs := map[dataflow.VertexID][]string{}
	for _, v := range g.Vertices {
		for i := range v.Parallelism {
			n := nodes[i%len(nodes)]
			j.place[v.ID] = append(j.place[v.ID], n)
			addrs[v.ID] = append(addrs[v.ID], n.Addr())
		}
	}
	for _, v := range g.Vertices {
		for i, n := range j.place[v.ID] {
			spec := runtime.TaskSpec{JobID: j.id, Attempt: j.attempt, Graph: g, Vertex: v.ID, Subtask: i,
				Placement: addrs, Token: AttemptToken(secret, j.id, j.attempt)}
			task, err := runtime.StartTask(ctx, spec, runtime.Deps{Exchange: n, Registry: reg, Allocator: mem, Logger: quiet, IdleTimeout: -1})
			if err != nil {
				t.Fatalf("StartTask(%s#%d): %v", v.ID, i, err)
			}
			j.tasks[v.ID] = append(j.tasks[v.ID], task)
		}
	}
	return j
}

func (j *job) wait(t *testing.T) {
	t.Helper()
	for v, ts := range j.tasks {
		for i, task := range ts {
			select {
			case <-task.Done():
			case <-time.After(30 * time.Second):
				t.Fatalf("task %s#%d did not finish", v, i)
			}
			if err := task.Wait(); err != nil {
				t.Fatalf("task %s#%d: %v", v, i, err)
			}
		}
	}
}

func (j *job) stop() {
	for _, ts := range j.tasks {
		for _, task := range ts {
			task.Stop()
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func registry(t *testing.T, coll *operator.Collection) *operator.Registry {
	t.Helper()
	reg := operator.NewRegistry()
	if err := operator.RegisterBuiltins(reg, coll); err != nil {
		t.Fatalf("RegisterBuiltins: %v", err)
	}
	return reg
}

func build(t *testing.T, b *dataflow.GraphBuilder) *dataflow.JobGraph {
	t.Helper()
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return g
}

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

// Two workers with two slots each: a hash-partitioned count whose channels cross the TCP
// exchange in both directions and stay in memory within each worker.
func TestTwoWorkersHashCount(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) }) // after the nodes close (cleanups run last-in first-out)
	coll := operator.NewCollection()
	defer coll.Release()
	n1, n2 := newNode(t, mem, 2), newNode(t, mem, 2)

	const rows, keys = 20000, 17
	b := dataflow.NewGraphBuilder("count")
	src := b.Vertex("src", 2).Op(operator.KindSequence, operator.SequenceConfig{Rows: rows, BatchSize: 500, Keys: keys, Width: 8})
	cnt := b.Vertex("cnt", 2).Op(operator.KindKeyedCount, operator.KeyedCountConfig{Key: "k"}).
		Op(operator.KindCollect, operator.CollectConfig{Name: "counts"})
	b.Connect(src, cnt, dataflow.HashOn("k"), operator.SequenceSchema(8))
	j := start(t, context.Background(), build(t, b), registry(t, coll), mem, n1, n2)
	j.wait(t)

	counts := lastCounts(coll.Batches("counts"))
	for k := int64(0); k < keys; k++ {
		want := int64(2 * rows / keys)
		if k < 2*rows%keys {
			want++
		}
		if got := counts[k]; got != want {
			t.Fatalf("count[%d] = %d, want %d", k, got, want)
		}
	}
	if got, want := len(counts), keys; got != want {
		t.Fatalf("distinct keys = %d, want %d", got, want)
	}
	for _, n := range []*Node{n1, n2} {
		if got := n.Stats().Conns; got != 1 {
			t.Fatalf("node %s has %d connections, want 1", n.Addr(), got)
		}
	}
	var bytesIn int64
	for _, task := range j.tasks["cnt"] {
		bytesIn += task.Metrics().BytesIn
	}
	if bytesIn == 0 {
		t.Fatalf("count tasks report no bytes in")
	}
}

// A paused sink stalls its producer: the producer stops emitting after filling the credits,
// and the bytes buffered anywhere stay bounded.
func TestBackpressureBoundsMemory(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) }) // after the nodes close (cleanups run last-in first-out)
	coll := operator.NewCollection()
	defer coll.Release()
	const credits, batchRows, rows = 2, 1000, 200_000
	n1, n2 := newNode(t, mem, credits), newNode(t, mem, credits)

	b := dataflow.NewGraphBuilder("bp")
	src := b.Vertex("src", 1).Op(operator.KindSequence, operator.SequenceConfig{Rows: rows, BatchSize: batchRows})
	sink := b.Vertex("sink", 2).Op(operator.KindCollect, operator.CollectConfig{Name: "rows"})
	b.Connect(src, sink, dataflow.RebalanceEdge, operator.SequenceSchema(3))
	g := build(t, b)
	// src#0 on n1, sink#0 on n1 (in memory), sink#1 on n2 (TCP).
	coll.Pause()
	j := start(t, context.Background(), g, registry(t, coll), mem, n1, n2)
	source := j.tasks["src"][0]
	waitFor(t, "the source to be backpressured", func() bool { return source.Metrics().BackpressureMillis > 50 })
	out := source.Metrics().RecordsOut
	// Each sink may hold one batch in its operator, plus `credits` granted buffers per channel.
	bound := int64(2 * (credits + 1) * batchRows)
	if out > bound {
		t.Fatalf("source emitted %d rows while the sinks were paused, want <= %d", out, bound)
	}
	batchBytes := int64(batchRows * 3 * 8)
	for _, n := range []*Node{n1, n2} {
		s := n.Stats()
		if got := s.RxBufferBytes + s.TxQueueBytes; got > int64(credits+1)*(batchBytes+1024) {
			t.Fatalf("node %s buffers %d bytes, want <= %d batches", n.Addr(), got, credits+1)
		}
		if s.LocalInFlight > credits {
			t.Fatalf("node %s has %d in-memory batches in flight, want <= %d", n.Addr(), s.LocalInFlight, credits)
		}
	}
	coll.Resume()
	j.wait(t)
	if got := coll.Rows("rows"); got != rows {
		t.Fatalf("sinks got %d rows, want %d", got, rows)
	}
	// The batches that crossed TCP are decoded zero-copy from recycled frame buffers: their
	// contents must survive later frames.
	var sum int64
	for _, b := range coll.Batches("rows") {
		for _, v := range b.Column(0).(*array.Int64).Int64Values() {
			sum += v
		}
	}
	if want := int64(rows) * (rows - 1) / 2; sum != want {
		t.Fatalf("sum of ids = %d, want %d", sum, want)
	}
}

// Killing a worker's exchange fails the tasks on the other worker with ErrPeerLost.
func TestPeerLossFailsTasks(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) }) // after the nodes close (cleanups run last-in first-out)
	n1, n2 := newNode(t, mem, 2), newNode(t, mem, 2)
	b := dataflow.NewGraphBuilder("loss")
	src := b.Vertex("src", 1).Op(operator.KindSequence, operator.SequenceConfig{BatchSize: 1000})
	sink := b.Vertex("sink", 2).Op(operator.KindBlackhole, nil)
	b.Connect(src, sink, dataflow.RebalanceEdge, operator.SequenceSchema(3))
	j := start(t, context.Background(), build(t, b), registry(t, nil), mem, n1, n2)
	remoteSink := j.tasks["sink"][1]
	waitFor(t, "rows to cross the exchange", func() bool { return remoteSink.Metrics().RecordsIn > 10_000 })
	if err := n2.Close(); err != nil {
		t.Fatalf("close n2: %v", err)
	}
	for _, task := range []*runtime.Task{j.tasks["src"][0], remoteSink} {
		select {
		case <-task.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("task did not fail after the peer was lost")
		}
		if err := task.Wait(); !errors.Is(err, runtime.ErrPeerLost) || !errors.Is(err, runtime.ErrTaskFailed) {
			t.Fatalf("task error = %v, want ErrTaskFailed wrapping ErrPeerLost", err)
		}
	}
	j.stop()
}

// Watermarks cross the TCP exchange: the sink's watermark follows the remote source's.
func TestWatermarkAcrossExchange(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) }) // after the nodes close (cleanups run last-in first-out)
	coll := operator.NewCollection()
	defer coll.Release()
	n1, n2 := newNode(t, mem, 2), newNode(t, mem, 2)
	b := dataflow.NewGraphBuilder("wm")
	src := b.Vertex("src", 1).Op(operator.KindSequence, operator.SequenceConfig{BatchSize: 100, StartMillis: 1_000_000, DelayMillis: 500})
	// A single-subtask sink on the other node: placement puts subtask 0 on n1, so use a
	// parallelism-2 sink and watch subtask 1 (on n2) via its own collect name.
	sink := b.Vertex("sink", 1).Op(operator.KindFilter, operator.FilterConfig{Column: "id", Op: "<", Value: 0}).
		Op(operator.KindCollect, operator.CollectConfig{Name: "wm"})
	b.Connect(src, sink, dataflow.ForwardEdge, operator.SequenceSchema(3))
	g := build(t, b)
	addrs := map[dataflow.VertexID][]string{"src": {n1.Addr()}, "sink": {n2.Addr()}}
	reg := registry(t, coll)
	var tasks []*runtime.Task
	for _, p := range []struct {
		v dataflow.VertexID
		n *Node
	}{{"src", n1}, {"sink", n2}} {
		task, err := runtime.StartTask(context.Background(), runtime.TaskSpec{JobID: "wm", Attempt: 1, Graph: g, Vertex: p.v,
			Placement: addrs, Token: AttemptToken(secret, "wm", 1)}, runtime.Deps{Exchange: p.n, Registry: reg, Allocator: mem, Logger: quiet})
		if err != nil {
			t.Fatalf("StartTask: %v", err)
		}
		tasks = append(tasks, task)
	}
	waitFor(t, "the sink watermark to pass 1_050_000", func() bool {
		wm, ok := coll.Watermark("wm")
		return ok && wm > 1_050_000
	})
	wm, _ := coll.Watermark("wm")
	srcWM := tasks[0].Metrics().Watermark
	if wm > srcWM {
		t.Fatalf("sink watermark %d ahead of the source's %d", wm, srcWM)
	}
	if got := tasks[1].Metrics().InputWatermark; got < 1_050_000 {
		t.Fatalf("sink input watermark metric = %d", got)
	}
	for _, task := range tasks {
		task.Stop()
	}
}

// Producers of an old attempt, or with a wrong token, are refused.
func TestFencing(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) }) // after the nodes close (cleanups run last-in first-out)
	n1, n2 := newNode(t, mem, 2), newNode(t, mem, 2)
	ctx := context.Background()
	inbox := runtime.NewInbox()
	newID := runtime.ChannelID{Job: "j", Attempt: 2, Edge: 0, From: 0, To: 0}
	r, err := n2.OpenReader(newID, n1.Addr(), AttemptToken(secret, "j", 2), inbox, 0)
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	defer r.Close()

	oldID := newID
	oldID.Attempt = 1
	w, err := n1.OpenWriter(ctx, oldID, n2.Addr(), AttemptToken(secret, "j", 1))
	if err != nil {
		t.Fatalf("OpenWriter: %v", err)
	}
	if err := w.AwaitCredit(ctx); !errors.Is(err, runtime.ErrFenced) {
		t.Fatalf("old attempt AwaitCredit = %v, want ErrFenced", err)
	}
	w.Abort()

	forged, err := n1.OpenWriter(ctx, newID, n2.Addr(), AttemptToken([]byte("wrong secret"), "j", 2))
	if err != nil {
		t.Fatalf("OpenWriter: %v", err)
	}
	if err := forged.AwaitCredit(ctx); !errors.Is(err, runtime.ErrFenced) {
		t.Fatalf("bad token AwaitCredit = %v, want ErrFenced", err)
	}
	forged.Abort()

	good, err := n1.OpenWriter(ctx, newID, n2.Addr(), AttemptToken(secret, "j", 2))
	if err != nil {
		t.Fatalf("OpenWriter: %v", err)
	}
	if err := good.AwaitCredit(ctx); err != nil {
		t.Fatalf("current attempt AwaitCredit = %v", err)
	}
	if err := good.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitFor(t, "end of stream", func() bool {
		evs, _ := inbox.Wait(ctx, nil, time.Millisecond)
		return len(evs) == 1 && evs[0].Kind == runtime.EventEnd
	})
}

// Both workers dialing each other at once still end up with one shared connection.
func TestSimultaneousDialKeepsOneConnection(t *testing.T) {
	t.Parallel()
	for range 5 {
		n1, n2 := newNode(t, nil, 2), newNode(t, nil, 2)
		var wg sync.WaitGroup
		for _, p := range [][2]*Node{{n1, n2}, {n2, n1}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := p[0].getConn(context.Background(), p[1].Addr()); err != nil {
					t.Errorf("getConn: %v", err)
				}
			}()
		}
		wg.Wait()
		waitFor(t, "one connection per side", func() bool { return n1.Stats().Conns == 1 && n2.Stats().Conns == 1 })
		n1.mu.Lock()
		c1 := n1.conns[n2.Addr()]
		n1.mu.Unlock()
		n2.mu.Lock()
		c2 := n2.conns[n1.Addr()]
		n2.mu.Unlock()
		if c1.nc.LocalAddr().String() != c2.nc.RemoteAddr().String() {
			t.Fatalf("the nodes kept different connections: %s vs %s", c1.nc.LocalAddr(), c2.nc.RemoteAddr())
		}
	}
}
