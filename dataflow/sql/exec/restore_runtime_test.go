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

// windowQuery counts and sums a paced, bounded sequence per key in event-time tumbling
// windows of one second (ids are 10 ms apart and in order per source subtask: no row is late).
const windowQuery = `
CREATE TABLE src (id BIGINT, k AS id % 20, ts AS TO_TIMESTAMP_LTZ(id * 10, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'datagen', 'rows-per-second' = '3000', 'number-of-rows' = '3000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '0', 'fields.id.end' = '2999');
CREATE TABLE out (k BIGINT, ws TIMESTAMP(3), c BIGINT, s BIGINT) WITH ('connector' = 'print');
INSERT INTO out SELECT k, window_start, COUNT(*), SUM(id)
  FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY k, window_start, window_end;`

// joinQuery joins two paced, bounded sequences on their ids (a regular join keeping both sides).
const joinQuery = `
CREATE TABLE a (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '3000', 'number-of-rows' = '3000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '0', 'fields.id.end' = '2999');
CREATE TABLE b (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2000', 'number-of-rows' = '3000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1000', 'fields.id.end' = '3999');
CREATE TABLE out (id BIGINT, bid BIGINT) WITH ('connector' = 'print');
INSERT INTO out SELECT a.id, b.id * 2 FROM a JOIN b ON a.id = b.id;`

// Top-N, window aggregate and join jobs on the task runtime, checkpointed, killed and restored
// with their stateful vertex at another parallelism, end with the output of an uninterrupted
// run: Top-N's final top rows (its changelog folded per (k, rn)), and every window result and
// joined row (printed rows after the checkpoint print again, so as sets; a lost state would
// print partial windows and miss joined rows).
func TestStatefulJobsRestoredOnTheRuntimeAtAnotherParallelism(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, query, vertex string
		result              func(out string) map[string]string
	}{
		{"rank", rankQuery, "rank", func(out string) map[string]string { return foldPrinted(out, 2) }},
		{"window", windowQuery, "window-aggregate", printedSet},
		{"join", joinQuery, "join", printedSet},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			want := c.result(runGraph(t, c.query, 2))
			got := c.result(runRestored(t, c.query, c.vertex))
			if len(want) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("restored job's output\n%v\nwant\n%v", got, want)
			}
		})
	}
}

// runRestored runs query at parallelism 2 until three checkpoints completed, kills it, and
// restores it from the latest checkpoint with vertex at parallelism 3, until the end of input;
// it returns all that was printed.
func runRestored(t *testing.T, query, vertex string) string {
	g, diags := sql.Compile(query, sql.CompileOptions{Parallelism: 2})
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
	rescaled := 0
	for _, v := range g.Vertices {
		if strings.HasPrefix(string(v.ID), vertex) {
			v.Parallelism, rescaled = 3, rescaled+1
		}
	}
	if rescaled != 1 {
		t.Fatalf("%d %s vertices in %v", rescaled, vertex, g.Vertices)
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
	return out.String()
}

// printedSet is the set of printed lines (without subtask prefixes).
func printedSet(out string) map[string]string {
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if _, body, ok := strings.Cut(line, "> "); ok {
			line = body
		}
		rows[line] = ""
	}
	return rows
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
