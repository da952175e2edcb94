package operator

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
)

// Watermarks are event times in milliseconds since the epoch.
const (
	// MinWatermark is the watermark before any was received.
	MinWatermark int64 = math.MinInt64
	// MaxWatermark is emitted at the end of input: no later event will arrive.
	MaxWatermark int64 = math.MaxInt64
)

// ErrEndOfInput is returned by Source.Poll when the source is exhausted (it is io.EOF, so
// readers' conventions apply).
var ErrEndOfInput = io.EOF

// ErrConfig is wrapped by every operator configuration error.
var ErrConfig = errors.New("invalid operator config")

// Context is what an operator learns about its place in the job when it is opened.
type Context struct {
	Allocator   memory.Allocator
	Logger      *slog.Logger
	JobID       string
	Vertex      dataflow.VertexID
	Operator    dataflow.OperatorID
	Subtask     int
	Parallelism int
	// Attempt is the job attempt the subtask runs in (sinks fence older attempts with it).
	Attempt uint64
}

// Emitter receives an operator's output: the next operator of the chain or the output writers.
type Emitter interface {
	// Emit passes a batch downstream. It borrows rec; the caller still releases it.
	Emit(rec arrow.RecordBatch) error
	// EmitWatermark passes a watermark downstream; watermarks must not decrease.
	EmitWatermark(wm int64) error
}

// Operator is one step of a vertex's chain.
type Operator interface {
	// Open prepares the operator before the first batch.
	Open(ctx *Context) error
	// ProcessBatch handles a batch of input number input (0 for chained operators).
	ProcessBatch(input int, rec arrow.RecordBatch, out Emitter) error
	// ProcessWatermark handles the combined input watermark (the minimum over all inputs).
	ProcessWatermark(wm int64, out Emitter) error
	// Finish is called once when every input has ended, before Close; operators flush here.
	Finish(out Emitter) error
	// SnapshotState writes the operator's state for checkpoint id (a hook for checkpointing).
	SnapshotState(checkpoint uint64, w io.Writer) error
	// RestoreState restores state written by SnapshotState.
	RestoreState(r io.Reader) error
	// Close releases resources; it is called once, also after errors.
	Close() error
}

// Source is an operator that produces batches without input; it heads a source vertex's chain.
type Source interface {
	Operator
	// Poll emits the next batch and any watermark; it returns ErrEndOfInput when exhausted. It
	// should return promptly (one batch per call) so the runtime can interleave other work.
	Poll(ctx context.Context, out Emitter) error
}

// Base gives default implementations: no-op open, snapshot, restore, finish and close, and a
// ProcessWatermark that forwards the watermark unchanged. Embed it in operators.
type Base struct{}

// Open does nothing.
func (Base) Open(*Context) error { return nil }

// ProcessWatermark forwards wm.
func (Base) ProcessWatermark(wm int64, out Emitter) error { return out.EmitWatermark(wm) }

// Finish does nothing.
func (Base) Finish(Emitter) error { return nil }

// SnapshotState writes nothing.
func (Base) SnapshotState(uint64, io.Writer) error { return nil }

// RestoreState reads nothing.
func (Base) RestoreState(io.Reader) error { return nil }

// Close does nothing.
func (Base) Close() error { return nil }

// columnIndex finds a column by name or returns a config error.
func columnIndex(s *arrow.Schema, name string) (int, error) {
	idx := s.FieldIndices(name)
	if len(idx) == 0 {
		return -1, errors.Join(ErrConfig, errors.New("no column "+name+" in input "+s.String()))
	}
	return idx[0], nil
}
