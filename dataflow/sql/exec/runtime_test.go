package exec

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
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

// TestCompiledQueryRunsOnTheRuntime compiles Nexmark q22 with parallelism 2 and runs every
// subtask on the task runtime with an in-memory exchange.
func TestCompiledQueryRunsOnTheRuntime(t *testing.T) {
	t.Parallel()
	g, diags := sql.Compile(nexmarkScript(t, "q22", 1000), sql.CompileOptions{Parallelism: 2})
	if len(diags) > 0 {
		t.Fatalf("Compile: %v", diags)
	}
	var out syncBuffer
	reg := operator.NewRegistry()
	if err := Register(reg, Options{Print: &out}); err != nil {
		t.Fatal(err)
	}
	deps := runtime.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Exchange: runtime.NewMemExchange(2),
		Registry: reg, Allocator: memory.NewGoAllocator()}
	placement := map[dataflow.VertexID][]string{}
	for _, v := range g.Vertices {
		placement[v.ID] = make([]string, v.Parallelism)
	}
	var tasks []*runtime.Task
	for _, v := range g.Vertices {
		for i := range v.Parallelism {
			task, err := runtime.StartTask(context.Background(), runtime.TaskSpec{JobID: "q22", Attempt: 1, Graph: g,
				Vertex: v.ID, Subtask: i, Placement: placement}, deps)
			if err != nil {
				t.Fatalf("StartTask: %v", err)
			}
			tasks = append(tasks, task)
		}
	}
	for _, task := range tasks {
		select {
		case <-task.Done():
		case <-time.After(20 * time.Second):
			t.Fatalf("task did not finish")
		}
		if err := task.Wait(); err != nil {
			t.Fatalf("task: %v", err)
		}
	}
	if got := strings.Count(out.String(), "\n"); got != 920 { // 1000 events: 20 epochs of 46 bids
		t.Fatalf("printed %d rows, want 920", got)
	}
}
