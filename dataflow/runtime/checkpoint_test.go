package runtime

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/dataflow/operator"
)

// attempt runs every subtask of g in this process as one job attempt with a coordinator
// driving checkpoints every interval.
type attempt struct {
	tasks  []*Task
	coord  *checkpoint.Coordinator
	cancel context.CancelFunc
	done   chan error
}

func seqGraph(t testing.TB, srcPar, cntPar int, sink string, sinkConfig any) *dataflow.JobGraph {
	return seqGraphOf(t, operator.KeyedSequenceConfig{Keys: 4, BatchSize: 50, RowsPerSecond: 20000}, srcPar, cntPar, sink, sinkConfig)
}

func seqGraphOf(t testing.TB, srcCfg operator.KeyedSequenceConfig, srcPar, cntPar int, sink string, sinkConfig any) *dataflow.JobGraph {
	t.Helper()
	b := dataflow.NewGraphBuilder("seq")
	src := b.Vertex("src", srcPar).OpWithID("gen", operator.KindKeyedSequence, srcCfg)
	cnt := b.Vertex("cnt", cntPar).OpWithID("count", operator.KindSeqCount, operator.SeqCountConfig{}).OpWithID("sink", sink, sinkConfig)
	b.Connect(src, cnt, dataflow.HashOn("k"), operator.KeyedSequenceSchema())
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return g
}

func startAttempt(t testing.TB, g *dataflow.JobGraph, n uint64, store checkpoint.Storage, ids func(context.Context) (uint64, error), restore *assign.Checkpoint, deps Deps) *attempt {
	return startAttemptEvery(t, 20*time.Millisecond, g, n, store, ids, restore, deps)
}

func startAttemptEvery(t testing.TB, interval time.Duration, g *dataflow.JobGraph, n uint64, store checkpoint.Storage, ids func(context.Context) (uint64, error), restore *assign.Checkpoint, deps Deps) *attempt {
	t.Helper()
	a := &attempt{done: make(chan error, 1)}
	var mu sync.Mutex
	deps.Storage = store
	deps.Ack = func(ack assign.Ack) {
		mu.Lock()
		c := a.coord
		mu.Unlock()
		_ = c.Ack(context.Background(), checkpoint.TaskID{Vertex: string(ack.Vertex), Subtask: ack.Subtask}, ack.Attempt, ack.Checkpoint, ack.States, ack.Error)
	}
	placement := map[dataflow.VertexID][]string{}
	var ids2 []checkpoint.TaskID
	for _, v := range g.Vertices {
		placement[v.ID] = make([]string, v.Parallelism)
		for i := range v.Parallelism {
			ids2 = append(ids2, checkpoint.TaskID{Vertex: string(v.ID), Subtask: i})
		}
	}
	c, err := checkpoint.NewCoordinator(checkpoint.CoordinatorConfig{
		Job: "job1", Attempt: n, Tasks: ids2, Storage: store, Interval: interval, Timeout: 5 * time.Second,
		AllocateID: ids, Logger: quiet,
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
		Notify: func(id uint64) {
			for _, task := range a.tasks {
				task.CompleteCheckpoint(id)
			}
		},
	})
	if err != nil {
		t.Fatalf("NewCoordinator: %v", err)
	}
	mu.Lock()
	a.coord = c
	mu.Unlock()
	for _, v := range g.Vertices {
		for i := range v.Parallelism {
			task, err := StartTask(context.Background(), TaskSpec{JobID: "job1", Attempt: n, Graph: g, Vertex: v.ID, Subtask: i,
				Placement: placement, Restore: restore}, deps)
			if err != nil {
				t.Fatalf("StartTask(%s#%d): %v", v.ID, i, err)
			}
			a.tasks = append(a.tasks, task)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() { a.done <- c.Run(ctx) }()
	return a
}

// waitCompleted waits until the coordinator completed n checkpoints.
func (a *attempt) waitCompleted(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for a.coord.Stats().Completed < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d checkpoints completed: %+v", a.coord.Stats().Completed, n, a.coord.Stats())
		}
		for _, task := range a.tasks {
			select {
			case <-task.Done():
				for _, o := range a.tasks {
					select {
					case <-o.Done():
						t.Logf("task %s#%d: %v", o.Spec().Vertex, o.Spec().Subtask, o.Wait())
					default:
					}
				}
				t.Fatalf("task %s#%d ended: %v", task.Spec().Vertex, task.Spec().Subtask, task.Wait())
			default:
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// kill stops the coordinator and every task without completing anything.
func (a *attempt) kill() {
	a.cancel()
	<-a.done
	for _, task := range a.tasks {
		task.Stop()
	}
}

func TestCheckpointRestoreAtOtherParallelism(t *testing.T) {
	t.Parallel()
	store, err := checkpoint.NewFileStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	coll := operator.NewCollection()
	defer coll.Release()
	deps := Deps{Logger: quiet, Exchange: NewMemExchange(2), Registry: newRegistry(t, coll)}
	ids := checkpoint.CounterIDs(0)
	a1 := startAttempt(t, seqGraph(t, 2, 3, operator.KindCollect, operator.CollectConfig{Name: "out"}), 1, store, ids, nil, deps)
	a1.waitCompleted(t, 3)
	a1.kill()
	md, err := checkpoint.Latest(context.Background(), store, "job1")
	if err != nil {
		t.Fatal(err)
	}
	before := coll.Rows("out")

	// Restore the counting vertex at parallelism 2: its key groups are redistributed.
	a2 := startAttempt(t, seqGraph(t, 2, 2, operator.KindCollect, operator.CollectConfig{Name: "out"}), 2, store, ids,
		&assign.Checkpoint{ID: md.ID, Location: store.Location()}, deps)
	a2.waitCompleted(t, 2)
	a2.kill()
	if st := a2.coord.Stats(); st.LastCompleted <= md.ID {
		t.Fatalf("checkpoint ids did not increase across attempts: %d after %d", st.LastCompleted, md.ID)
	}
	if coll.Rows("out") <= before {
		t.Fatalf("no rows after the restore")
	}
	// Every row's count from keyed state equals its source seq: state and offsets were
	// restored consistently, at the new parallelism too.
	rows := 0
	for _, b := range coll.Batches("out") {
		seq, n := b.Column(1).(*array.Int64), b.Column(2).(*array.Int64)
		for i := range seq.Len() {
			if seq.Value(i) != n.Value(i) {
				t.Fatalf("row %d: seq %d but count %d", rows, seq.Value(i), n.Value(i))
			}
			rows++
		}
	}
	for _, task := range a2.tasks {
		// Killed in turn: a task may see its upstream's abort before its own stop.
		if err := task.Wait(); !errors.Is(err, context.Canceled) && !errors.Is(err, ErrUpstreamFailed) {
			t.Fatalf("task: %v", err)
		}
		if st := task.CheckpointStats(); st.Snapshots < 2 || st.LastCompleted == 0 {
			t.Fatalf("task %s#%d stats %+v", task.Spec().Vertex, task.Spec().Subtask, st)
		}
	}
}

func TestCheckpointTriggersOnlySourcesAndDeclinesWithoutStorage(t *testing.T) {
	t.Parallel()
	acks := make(chan assign.Ack, 16)
	deps := Deps{Logger: quiet, Exchange: NewMemExchange(2), Registry: newRegistry(t, nil), Ack: func(a assign.Ack) { acks <- a }}
	g := seqGraph(t, 1, 1, operator.KindBlackhole, nil)
	place := map[dataflow.VertexID][]string{"src": {""}, "cnt": {""}}
	if _, err := StartTask(context.Background(), TaskSpec{JobID: "j", Attempt: 1, Graph: g, Vertex: "src", Placement: place,
		Restore: &assign.Checkpoint{ID: 1}}, deps); !errors.Is(err, ErrInvalidTask) {
		t.Fatalf("restore without storage: %v, want ErrInvalidTask", err)
	}
	var tasks []*Task
	for _, v := range []dataflow.VertexID{"src", "cnt"} {
		task, err := StartTask(context.Background(), TaskSpec{JobID: "j", Attempt: 1, Graph: g, Vertex: v, Placement: place}, deps)
		if err != nil {
			t.Fatal(err)
		}
		defer task.Stop()
		tasks = append(tasks, task)
	}
	if err := tasks[1].TriggerCheckpoint(1); !errors.Is(err, ErrNotSource) {
		t.Fatalf("trigger on cnt: %v, want ErrNotSource", err)
	}
	if err := tasks[0].TriggerCheckpoint(1); err != nil {
		t.Fatal(err)
	}
	// Both tasks have state (the source's offset, the counts) and nowhere to put it: they
	// decline, after the barrier went through.
	got := map[dataflow.VertexID]assign.Ack{}
	for len(got) < 2 {
		select {
		case a := <-acks:
			got[a.Vertex] = a
		case <-time.After(10 * time.Second):
			t.Fatalf("acks: %+v", got)
		}
	}
	for v, a := range got {
		if a.Checkpoint != 1 || a.Error == "" || a.TaskID != assign.TaskID("j", 1, v, 0) {
			t.Fatalf("ack of %s = %+v, want a decline of checkpoint 1", v, a)
		}
	}
}
