package workers

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/state"
)

// seqJob is keyed_sequence -> seq_count (keyed state) on one agent.
func seqJob(t *testing.T, a *Agent, job string, attempt uint64, restore *assign.Checkpoint) []assign.Task {
	t.Helper()
	b := dataflow.NewGraphBuilder(job)
	src := b.Vertex("src", 1).OpWithID("gen", operator.KindKeyedSequence, operator.KeyedSequenceConfig{Keys: 4, BatchSize: 10, RowsPerSecond: 500})
	cnt := b.Vertex("cnt", 1).OpWithID("count", operator.KindSeqCount, operator.SeqCountConfig{})
	b.Connect(src, cnt, dataflow.HashOn("k"), operator.KeyedSequenceSchema())
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	place := map[dataflow.VertexID][]string{"src": {a.DataAddr()}, "cnt": {a.DataAddr()}}
	var tasks []assign.Task
	for _, v := range []dataflow.VertexID{"src", "cnt"} {
		tasks = append(tasks, assign.Task{ID: assign.TaskID(job, attempt, v, 0), JobID: job, Attempt: attempt, Vertex: v, Graph: g,
			Placement: place, Token: []byte("t"), Restore: restore})
	}
	return tasks
}

// TestCheckpointThroughHeartbeats: a trigger in a heartbeat reply reaches the source task; every
// task writes its state to the server's checkpoint storage over HTTP (worker token and id) and
// acks in a later heartbeat; a completion notice reaches every task; a restarted attempt gets
// its restore point.
func TestCheckpointThroughHeartbeats(t *testing.T) {
	t.Parallel()
	f := newFakeSched(t, 2*time.Second)
	store, err := checkpoint.NewFileStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.set(func(f *fakeSched) { f.store = store })
	a := startAgent(t, Config{Servers: []string{f.URL()}, JoinToken: f.join})
	waitFor(t, "registration", func() bool { return a.WorkerID() != "" })
	const job = "ckjob"
	f.setTasks(a.WorkerID(), seqJob(t, a, job, 1, nil)...)
	waitFor(t, "both tasks running", func() bool { return len(tasksIn(a, assign.TaskRunning)) == 2 })

	f.set(func(f *fakeSched) { f.triggers = []assign.Trigger{{JobID: job, Attempt: 1, Checkpoint: 1}} })
	var acks []assign.Ack
	waitFor(t, "acks of both tasks", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		acks = slices.Clone(f.acks)
		return len(acks) == 2
	})
	now := time.Now()
	p := checkpoint.NewPending(job, 1, 1, checkpoint.KindCheckpoint, now, state.DefaultMaxParallelism, store.Location(),
		[]checkpoint.TaskID{{Vertex: "src"}, {Vertex: "cnt"}})
	for _, ack := range acks {
		if ack.Error != "" || ack.Checkpoint != 1 || len(ack.States) == 0 {
			t.Fatalf("ack %+v", ack)
		}
		if _, err := p.Ack(checkpoint.TaskID{Vertex: string(ack.Vertex), Subtask: ack.Subtask}, ack.States); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Finalize(context.Background(), store, time.Now()); err != nil {
		t.Fatal(err)
	}
	f.set(func(f *fakeSched) {
		f.triggers = nil
		f.completed = []assign.Completed{{JobID: job, Attempt: 1, Checkpoint: 1}}
	})
	waitFor(t, "the completion notice at every task", func() bool {
		a.tasks.mu.Lock()
		defer a.tasks.mu.Unlock()
		n := 0
		for _, e := range a.tasks.entries {
			if e.task != nil && e.task.CheckpointStats().LastCompleted == 1 {
				n++
			}
		}
		return n == 2
	})

	// Attempt 2 restores: from checkpoint 1 it runs; from a checkpoint that does not exist its
	// tasks fail saying so.
	f.setTasks(a.WorkerID(), seqJob(t, a, job, 2, &assign.Checkpoint{ID: 1, Location: store.Location()})...)
	waitFor(t, "attempt 2 running", func() bool {
		return sameIDs(tasksIn(a, assign.TaskRunning), assign.TaskID(job, 2, "src", 0), assign.TaskID(job, 2, "cnt", 0))
	})
	f.setTasks(a.WorkerID(), seqJob(t, a, job, 3, &assign.Checkpoint{ID: 99, Location: store.Location()})...)
	waitFor(t, "attempt 3 failing to restore", func() bool {
		for _, s := range a.Tasks() {
			if s.Attempt == 3 && s.State == assign.TaskFailed && strings.Contains(s.Error, "restore checkpoint 99") {
				return true
			}
		}
		return false
	})
}
