package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/state"
)

// Task errors.
var (
	// ErrInvalidTask: the TaskSpec does not fit its graph (unknown vertex, subtask out of
	// range, missing placement, unknown operator kind).
	ErrInvalidTask = errors.New("invalid task spec")
	// ErrTaskFailed wraps every error a running task ends with (besides being stopped).
	ErrTaskFailed = errors.New("task failed")
)

// DefaultIdleTimeout is how long an input channel may stay silent before it stops holding the
// watermark back.
const DefaultIdleTimeout = 5 * time.Second

// TaskSpec says which subtask of which job attempt to run and where its peers are.
type TaskSpec struct {
	JobID   string
	Attempt uint64
	Graph   *dataflow.JobGraph
	Vertex  dataflow.VertexID
	Subtask int
	// Placement gives, for every vertex of the graph, the data address of the worker running
	// each of its subtasks (index = subtask). Only the neighbours of Vertex are read.
	Placement map[dataflow.VertexID][]string
	// Token is the attempt's data-plane token; peers must present the same one.
	Token []byte
	// Restore names the completed checkpoint to restore state from (assign.Task.Restore); nil
	// starts empty. It is read from Deps.Storage.
	Restore *assign.Checkpoint
}

// Deps are the worker-wide services a task uses.
type Deps struct {
	Exchange  Exchange           // required
	Registry  *operator.Registry // required
	Allocator memory.Allocator   // default memory.DefaultAllocator
	Logger    *slog.Logger       // default slog.Default()
	Collector *Collector         // optional Prometheus export
	// IdleTimeout: DefaultIdleTimeout when zero; negative disables idleness.
	IdleTimeout time.Duration
	// Storage is the checkpoint storage state is written to at barriers and restored from
	// (a checkpoint.RemoteStorage on workers). Required to checkpoint a task with state or to
	// restore one.
	Storage checkpoint.Storage
	// Ack receives the task's checkpoint acks, from a goroutine of the task; it must not block
	// for long (queue the ack for the next heartbeat). Nil drops them.
	Ack func(assign.Ack)
}

// Task is a running subtask. Its goroutine runs the operator chain until the inputs end, an
// error occurs or Stop is called.
type Task struct {
	spec    TaskSpec
	deps    Deps
	log     *slog.Logger
	metrics *Metrics
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
	err     error
	ops     []operator.Operator
	vertex  *dataflow.Vertex
	// inbox receives the input channels' events and the task's control events.
	inbox *Inbox
	// backends[i] is ops[i]'s keyed state.
	backends []*state.Backend
	// writes tracks state uploads in flight; writeCtx ends them when the task is stopped.
	writes      sync.WaitGroup
	writeCtx    context.Context
	writeCancel context.CancelFunc
	ckpt        checkpointStats
}

// StartTask validates spec, instantiates the operator chain and starts the subtask's goroutine.
// Errors in the spec are returned at once (wrapping ErrInvalidTask); errors while running are
// returned by Wait.
func StartTask(ctx context.Context, spec TaskSpec, deps Deps) (*Task, error) {
	if deps.Exchange == nil || deps.Registry == nil || spec.Graph == nil {
		return nil, fmt.Errorf("%w: exchange, registry and graph are required", ErrInvalidTask)
	}
	if deps.Allocator == nil {
		deps.Allocator = memory.DefaultAllocator
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.IdleTimeout == 0 {
		deps.IdleTimeout = DefaultIdleTimeout
	}
	v, ok := spec.Graph.Vertex(spec.Vertex)
	if !ok {
		return nil, fmt.Errorf("%w: vertex %q not in graph", ErrInvalidTask, spec.Vertex)
	}
	if spec.Subtask < 0 || spec.Subtask >= v.Parallelism {
		return nil, fmt.Errorf("%w: subtask %d of vertex %q with parallelism %d", ErrInvalidTask, spec.Subtask, v.ID, v.Parallelism)
	}
	if err := checkPlacement(spec, v); err != nil {
		return nil, err
	}
	t := &Task{
		spec: spec, deps: deps, vertex: v, metrics: newMetrics(), done: make(chan struct{}),
		log: deps.Logger.With("job", spec.JobID, "task", fmt.Sprintf("%s#%d", v.ID, spec.Subtask), "attempt", spec.Attempt),
	}
	for _, os := range v.Operators {
		op, err := deps.Registry.New(os)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidTask, err)
		}
		t.ops = append(t.ops, op)
		b, err := state.NewSubtaskBackend(state.DefaultMaxParallelism, v.Parallelism, spec.Subtask)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidTask, err)
		}
		t.backends = append(t.backends, b)
	}
	if spec.Restore != nil && deps.Storage == nil {
		return nil, fmt.Errorf("%w: restoring checkpoint %d needs checkpoint storage", ErrInvalidTask, spec.Restore.ID)
	}
	if t.IsSource() {
		if _, ok := t.ops[0].(operator.Source); !ok {
			return nil, fmt.Errorf("%w: vertex %q has no inputs but %q is not a source", ErrInvalidTask, v.ID, v.Operators[0].Kind)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	t.cancel = cancel
	t.writeCtx, t.writeCancel = context.WithCancel(context.WithoutCancel(ctx))
	t.inbox = NewInbox()
	if deps.Collector != nil {
		deps.Collector.add(t)
	}
	go t.run(runCtx)
	return t, nil
}

func checkPlacement(spec TaskSpec, v *dataflow.Vertex) error {
	g := spec.Graph
	for _, ei := range append(g.Inputs(v.ID), g.Outputs(v.ID)...) {
		e := g.Edges[ei]
		for _, other := range []dataflow.VertexID{e.From, e.To} {
			ov, _ := g.Vertex(other)
			if len(spec.Placement[other]) != ov.Parallelism {
				return fmt.Errorf("%w: placement of vertex %q has %d addresses, want %d",
					ErrInvalidTask, other, len(spec.Placement[other]), ov.Parallelism)
			}
		}
	}
	return nil
}

// Stop cancels the task and waits for it to end, including its state uploads in flight (which
// are cancelled: the checkpoint they belong to cannot complete without this task's ack). A task
// stopped this way reports context.Canceled from Wait and sends no more acks.
func (t *Task) Stop() {
	t.writeCancel()
	t.cancel()
	<-t.done
}

// Wait blocks until the task ends and returns nil when all its inputs ended and its output was
// flushed, or the error it failed with (wrapping ErrTaskFailed and the cause, e.g. ErrPeerLost).
func (t *Task) Wait() error {
	<-t.done
	return t.err
}

// Done is closed when the task has ended.
func (t *Task) Done() <-chan struct{} { return t.done }

// Metrics returns a snapshot of the task's metrics.
func (t *Task) Metrics() MetricsSnapshot { return t.metrics.Snapshot() }

// Spec returns the spec the task runs.
func (t *Task) Spec() TaskSpec { return t.spec }

func (t *Task) finish(err error) {
	t.once.Do(func() {
		switch {
		case err == nil:
			t.log.Debug("task finished")
		case errors.Is(err, context.Canceled):
			t.err = err
			t.log.Debug("task stopped")
		default:
			t.err = fmt.Errorf("%w: %s#%d: %w", ErrTaskFailed, t.vertex.ID, t.spec.Subtask, err)
			t.log.Warn("task failed", "err", t.err)
		}
		if t.deps.Collector != nil {
			t.deps.Collector.remove(t)
		}
		t.cancel()
		t.writes.Wait() // a finished task still acks the checkpoints it snapshotted
		t.writeCancel()
		close(t.done)
	})
}
