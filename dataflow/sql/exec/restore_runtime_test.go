package exec

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/runtime"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// ckAttempt is one attempt of a job on the task runtime with a checkpoint coordinator.
type ckAttempt struct {
	coord  *checkpoint.Coordinator
	tasks  []*runtime.Task
	cancel context.CancelFunc
	done   chan error
}

// startCkAttempt starts every subtask of g (restored from restore when not nil) and a
// coordinator checkpointing every 20 ms into store.
func startCkAttempt(t *testing.T, g *dataflow.JobGraph, n uint64, store checkpoint.Storage, ids func(context.Context) (uint64, error), restore *assign.Checkpoint, out io.Writer) *ckAttempt {
	t.Helper()
	reg := operator.NewRegistry()
	if err := Register(reg, Options{Print: out}); err != nil {
		t.Fatal(err)
	}
	a := &ckAttempt{done: make(chan error, 1)}
	var mu sync.Mutex
	deps := runtime.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Exchange: newOrderedExchange(2),
		Registry: reg, Allocator: memory.NewGoAllocator(), Storage: store}
	deps.Ack = func(ack assign.Ack) {
		mu.Lock()
		c := a.coord
		mu.Unlock()
		_ = c.Ack(context.Background(), checkpoint.TaskID{Vertex: string(ack.Vertex), Subtask: ack.Subtask}, ack.Attempt, ack.Checkpoint, ack.States, ack.Error)
	}
	placement := map[dataflow.VertexID][]string{}
	var tids []checkpoint.TaskID
	for _, v := range g.Vertices {
		placement[v.ID] = make([]string, v.Parallelism)
		for i := range v.Parallelism {
			tids = append(tids, checkpoint.TaskID{Vertex: string(v.ID), Subtask: i})
		}
	}
	c, err := checkpoint.NewCoordinator(checkpoint.CoordinatorConfig{
		Job: "job1", Attempt: n, Tasks: tids, Storage: store, Interval: 20 * time.Millisecond, Timeout: 5 * time.Second,
		AllocateID: ids, Logger: deps.Logger,
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
		t.Fatal(err)
	}
	mu.Lock()
	a.coord = c
	mu.Unlock()
	for _, v := range g.Vertices {
		for i := range v.Parallelism {
			task, err := runtime.StartTask(context.Background(), runtime.TaskSpec{JobID: "job1", Attempt: n, Graph: g, Vertex: v.ID,
				Subtask: i, Placement: placement, Restore: restore}, deps)
			if err != nil {
				t.Fatal(err)
			}
			a.tasks = append(a.tasks, task)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() { a.done <- c.Run(ctx) }()
	return a
}

// stop ends the coordinator and every task.
func (a *ckAttempt) stop() {
	a.cancel()
	<-a.done
	for _, task := range a.tasks {
		task.Stop()
	}
}

// rankQuery keeps the top 3 rows per k of a paced, bounded sequence: its final result depends
// on every row, so a restore that lost the Top-N state ends with other rows.
const rankQuery = `
CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '3000',
  'number-of-rows' = '3000', 'fields.id.kind' = 'sequence', 'fields.id.start' = '0', 'fields.id.end' = '2999');
CREATE TABLE out (k BIGINT, rn BIGINT, score BIGINT, id BIGINT) WITH ('connector' = 'print');
INSERT INTO out SELECT k, rn, score, id FROM (
  SELECT k, score, id, ROW_NUMBER() OVER (PARTITION BY k ORDER BY score DESC) AS rn
  FROM (SELECT id % 40 AS k, id * 7919 % 1000 AS score, id FROM src)) WHERE rn <= 3;`

// A Top-N job on the task runtime, checkpointed, killed and restored with its rank vertex at
// another parallelism, ends with the same top rows as an uninterrupted run.
func TestTopNRestoredOnTheRuntimeAtAnotherParallelism(t *testing.T) {
	t.Parallel()
	want := foldPrinted(runGraph(t, rankQuery, 2), 2)
	g, diags := sql.Compile(rankQuery, sql.CompileOptions{Parallelism: 2})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	store, err := checkpoint.NewFileStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ids := checkpoint.CounterIDs(0)
	var out syncBuffer
	a1 := startCkAttempt(t, g, 1, store, ids, nil, &out)
	deadline := time.Now().Add(20 * time.Second)
	for a1.coord.Stats().Completed < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("checkpoints: %+v", a1.coord.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	a1.stop()
	md, err := checkpoint.Latest(context.Background(), store, "job1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "\n") == 0 {
		t.Fatal("nothing printed before the checkpoint")
	}
	rescaled := 0
	for _, v := range g.Vertices {
		if strings.Contains(string(v.ID), "rank") {
			v.Parallelism, rescaled = 3, rescaled+1
		}
	}
	if rescaled != 1 {
		t.Fatalf("%d rank vertices in %v", rescaled, g.Vertices)
	}
	a2 := startCkAttempt(t, g, 2, store, ids, &assign.Checkpoint{ID: md.ID, Location: store.Location()}, &out)
	defer a2.stop()
	for _, task := range a2.tasks {
		select {
		case <-task.Done():
		case <-time.After(30 * time.Second):
			t.Fatal("restored job did not finish")
		}
		if err := task.Wait(); err != nil {
			t.Fatalf("task %s#%d: %v", task.Spec().Vertex, task.Spec().Subtask, err)
		}
	}
	got := foldPrinted(out.String(), 2)
	if fmt.Sprint(got) != fmt.Sprint(want) || len(want) != 120 {
		t.Fatalf("restored top rows\n%v\nwant\n%v", got, want)
	}
}

// foldPrinted folds printed changelog lines ("+I[a, b]", with or without a subtask prefix)
// into the last row per key (the first n columns).
func foldPrinted(out string, n int) map[string]string {
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if _, body, ok := strings.Cut(line, "> "); ok {
			line = body
		}
		if len(line) < 4 {
			continue
		}
		fields := strings.Split(strings.Trim(line[2:], "[]"), ", ")
		key := strings.Join(fields[:min(n, len(fields))], "|")
		switch line[:2] {
		case "+I", "+U":
			rows[key] = line[2:]
		case "-D":
			delete(rows, key)
		}
	}
	return rows
}
