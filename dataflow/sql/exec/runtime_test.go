package exec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/runtime"
	"github.com/flowplane/flowplane/dataflow/sql"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runGraph compiles src and runs every subtask on the task runtime with an in-memory
// exchange, returning what the print sinks wrote.
func runGraph(t *testing.T, src string, parallelism int) string {
	t.Helper()
	return runGraphWith(t, src, parallelism, Options{})
}

// runGraphWith is runGraph with operator options (opts.Print is replaced).
func runGraphWith(t *testing.T, src string, parallelism int, opts Options) string {
	t.Helper()
	return runGraphFor(t, src, parallelism, opts, 20*time.Second)
}

// runGraphFor is runGraphWith with a time limit.
func runGraphFor(t testing.TB, src string, parallelism int, opts Options, limit time.Duration) string {
	t.Helper()
	return runGraphOn(t, src, parallelism, opts, limit, memory.NewGoAllocator())
}

// runGraphOn is runGraphFor with the tasks' allocator.
func runGraphOn(t testing.TB, src string, parallelism int, opts Options, limit time.Duration, mem memory.Allocator) string {
	t.Helper()
	g, diags := sql.Compile(src, sql.CompileOptions{Parallelism: parallelism})
	if len(diags) > 0 {
		t.Fatalf("Compile: %v", diags)
	}
	var out syncBuffer
	reg := operator.NewRegistry()
	opts.Print = &out
	if err := Register(reg, opts); err != nil {
		t.Fatal(err)
	}
	deps := runtime.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Exchange: newOrderedExchange(2),
		Registry: reg, Allocator: mem}
	placement := map[dataflow.VertexID][]string{}
	for _, v := range g.Vertices {
		placement[v.ID] = make([]string, v.Parallelism)
	}
	var tasks []*runtime.Task
	for _, v := range g.Vertices {
		for i := range v.Parallelism {
			task, err := runtime.StartTask(context.Background(), runtime.TaskSpec{JobID: "job", Attempt: 1, Graph: g,
				Vertex: v.ID, Subtask: i, Placement: placement}, deps)
			if err != nil {
				t.Fatalf("StartTask: %v", err)
			}
			tasks = append(tasks, task)
		}
	}
	deadline := time.After(limit)
	var errs []string
	for _, task := range tasks {
		select {
		case <-task.Done():
		case <-deadline:
			t.Fatalf("task %s did not finish (errors so far: %v)", task.Spec().Vertex, errs)
		}
		if err := task.Wait(); err != nil {
			errs = append(errs, err.Error())
			for _, other := range tasks {
				other.Stop()
			}
		}
	}
	if len(errs) > 0 {
		t.Fatalf("tasks failed:\n%s", strings.Join(errs, "\n"))
	}
	return out.String()
}

// TestCompiledQueryRunsOnTheRuntime compiles Nexmark q22 with parallelism 2 and runs it.
func TestCompiledQueryRunsOnTheRuntime(t *testing.T) {
	t.Parallel()
	out := runGraph(t, nexmarkScript(t, "q22", 1000), 2)
	if got := strings.Count(out, "\n"); got != 920 { // 1000 events: 20 epochs of 46 bids
		t.Fatalf("printed %d rows, want 920", got)
	}
}

// finalRows folds a printed changelog into the last row per key (the first n columns).
func finalRows(out string, n int) map[string][]string {
	rows := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		_, body, _ := strings.Cut(line, "> ")
		kind, fields := body[:2], strings.Split(strings.Trim(body[2:], "[]"), ", ")
		key := strings.Join(fields[:n], "|")
		switch kind {
		case "+I", "+U":
			rows[key] = fields
		case "-D":
			delete(rows, key)
		}
	}
	return rows
}

func TestWindowAndGroupAggregatesRun(t *testing.T) {
	t.Parallel()
	// q11 (SESSION windows): every bid falls into exactly one session of its bidder.
	out := runGraph(t, nexmarkScript(t, "q11_tvf", 5000), 2)
	total := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var bidder, count int
		if _, err := fmt.Sscanf(line, "q11_tvf> +I[%d, %d,", &bidder, &count); err != nil {
			t.Fatalf("q11 line %q: %v", line, err)
		}
		total += count
	}
	if total != 4600 {
		t.Fatalf("q11 sessions hold %d bids, want 4600", total)
	}
	// q15 (GROUP BY day, a changelog): the final row counts every bid.
	rows := finalRows(runGraph(t, nexmarkScript(t, "q15", 5000), 2), 1)
	if len(rows) != 1 {
		t.Fatalf("q15 final rows %v, want one day", rows)
	}
	for day, r := range rows {
		if day != "2015-07-15" || r[1] != "4600" {
			t.Fatalf("q15 final row %v, want day 2015-07-15 with 4600 bids", r)
		}
	}
}

func TestValuesRun(t *testing.T) {
	t.Parallel()
	out := runGraph(t, `CREATE TABLE s (a BIGINT, b STRING, c DECIMAL(5, 2)) WITH ('connector' = 'print');
INSERT INTO s VALUES (1, 'one', 1.5), (2, NULL, 2.0);`, 2)
	if out != "+I[1, one, 1.50]\n+I[2, NULL, 2.00]\n" {
		t.Fatalf("printed %q", out)
	}
}

func TestDatagenRuns(t *testing.T) {
	t.Parallel()
	out := runGraph(t, `CREATE TABLE g (id BIGINT, name STRING, score DECIMAL(6, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000',
  'number-of-rows' = '100', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '50',
  'fields.name.length' = '4', 'fields.score.min' = '1', 'fields.score.max' = '2', 'fields.ts.max-past' = '5 s');
CREATE TABLE s (id BIGINT, name STRING, score DECIMAL(6, 2)) WITH ('connector' = 'print');
INSERT INTO s SELECT id, name, score FROM g WHERE score BETWEEN 1 AND 2;`, 2)
	ids := map[int]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var id int
		var name string
		if _, err := fmt.Sscanf(line, "+I[%d, %4s,", &id, &name); err != nil || len(name) != 4 {
			t.Fatalf("line %q: %v", line, err)
		}
		ids[id] = true
	}
	if len(ids) != 50 || !ids[1] || !ids[50] {
		t.Fatalf("datagen produced %d distinct ids, want 1..50", len(ids))
	}
}

// TestStatefulOperatorsOnRecyclingAllocator runs queries whose operators keep strings beyond
// their input batch (Top-N rows, join rows, group keys and MAX of strings) on the workers'
// allocator, which reuses released buffers: the results match those on Go's garbage-collected
// allocator.
func TestStatefulOperatorsOnRecyclingAllocator(t *testing.T) {
	t.Parallel()
	tables := nexmarkScript(t, "q19", 20000)
	tables = tables[:strings.Index(tables, "CREATE TABLE bid")]
	tables = tables[:strings.LastIndex(tables, ";")+1]
	group := tables + `CREATE TABLE out (city VARCHAR, n BIGINT, mx VARCHAR) WITH ('connector' = 'print');
		INSERT INTO out SELECT city, COUNT(*), MAX(name) FROM person GROUP BY city;`
	for _, c := range []struct {
		name, src string
		par       int
	}{{"q19", nexmarkScript(t, "q19", 3000), 1}, {"q20", nexmarkScript(t, "q20", 3000), 1}, {"group", group, 1},
		{"q15", nexmarkScript(t, "q15", 3000), 1}, {"q16", nexmarkScript(t, "q16", 3000), 1}, {"q12", nexmarkScript(t, "q12", 3000), 1}} {
		want := sortedLines(runGraphOn(t, c.src, c.par, Options{}, 20*time.Second, memory.NewGoAllocator()))
		got := sortedLines(runGraphOn(t, c.src, c.par, Options{}, 20*time.Second, batch.NewPoolAllocator()))
		if len(want) < 3 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: %d rows on the pool allocator differ from %d on Go's:\n%s\nwant\n%s", c.name, len(got), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(lines)
	return lines
}
