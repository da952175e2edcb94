package preview

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/connectors/endpoint"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/runtime"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/sql/exec"
)

// ErrFailed marks a preview whose query failed while running (the cause is wrapped).
var ErrFailed = errors.New("preview failed")

// Limits bound a run.
type Limits struct {
	MaxRows int           // stop after this many rows (at least 1)
	Timeout time.Duration // stop after this long (at least a millisecond)
}

// Connect is how a run's postgres and kafka sources reach their endpoints.
type Connect struct {
	// Endpoints resolves the tables' 'integration' ids (nil: only inline endpoints).
	Endpoints endpoint.Resolver
	// Dial opens TCP connections under the server's egress policy (nil: egress.Policy{}).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Result is what a run collected.
type Result struct {
	Rows []exec.Row
	// Ended says the input ended before a limit was reached: Rows are all the query's rows.
	Ended bool
	// TimedOut says the time limit stopped the run.
	TimedOut bool
}

// collector keeps the first max rows and signals when it has them.
type collector struct {
	mu   sync.Mutex
	max  int
	rows []exec.Row
	full chan struct{}
}

func (c *collector) add(rows []exec.Row) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.rows) >= c.max {
		return nil
	}
	n := min(len(rows), c.max-len(c.rows))
	c.rows = append(c.rows, rows[:n]...)
	if len(c.rows) >= c.max {
		close(c.full)
	}
	return nil
}

// Run executes the compiled preview until a limit is reached or its input ends.
// Its sources connect as conn says.
func Run(ctx context.Context, pv *sql.Preview, lim Limits, conn Connect, log *slog.Logger) (Result, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	col := &collector{max: max(lim.MaxRows, 1), full: make(chan struct{})}
	reg := operator.NewRegistry()
	if err := exec.Register(reg, exec.Options{Print: discard{}, Collect: col.add, Endpoints: conn.Endpoints, Dial: conn.Dial}); err != nil {
		return Result{}, err
	}
	deps := runtime.Deps{Logger: log, Exchange: runtime.NewMemExchange(2), Registry: reg, Allocator: memory.NewGoAllocator()}
	g := pv.Graph
	placement := map[dataflow.VertexID][]string{}
	for _, v := range g.Vertices {
		placement[v.ID] = make([]string, v.Parallelism)
	}
	runCtx, cancel := context.WithTimeout(ctx, max(lim.Timeout, time.Millisecond))
	defer cancel()
	var tasks []*runtime.Task
	stopAll := func() {
		for _, t := range tasks {
			t.Stop()
		}
	}
	for _, v := range g.Vertices {
		for i := range v.Parallelism {
			t, err := runtime.StartTask(runCtx, runtime.TaskSpec{JobID: "preview", Attempt: 1, Graph: g, Vertex: v.ID, Subtask: i,
				Placement: placement}, deps)
			if err != nil {
				stopAll()
				return Result{}, fmt.Errorf("%w: %w", ErrFailed, err)
			}
			tasks = append(tasks, t)
		}
	}
	res, err := wait(ctx, runCtx, tasks, col.full)
	stopAll()
	if err != nil {
		return Result{}, err
	}
	col.mu.Lock()
	res.Rows = col.rows
	col.mu.Unlock()
	return res, nil
}

// wait returns when every task has finished, one has failed, the collector is full or the run's
// time is up.
func wait(ctx, runCtx context.Context, tasks []*runtime.Task, full <-chan struct{}) (Result, error) {
	ends := make(chan error, len(tasks))
	for _, t := range tasks {
		go func() { ends <- t.Wait() }()
	}
	for left := len(tasks); ; {
		select {
		case err := <-ends:
			if err != nil && runCtx.Err() == nil {
				return Result{}, fmt.Errorf("%w: %w", ErrFailed, err)
			}
			if left--; left == 0 && runCtx.Err() == nil {
				return Result{Ended: true}, nil
			}
		case <-full:
			return Result{}, nil
		case <-runCtx.Done():
			if err := ctx.Err(); err != nil {
				return Result{}, err
			}
			return Result{TimedOut: true}, nil
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
