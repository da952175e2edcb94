package exec

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/state"
)

// step is one input event of a restore test: a batch of an input, a checkpoint barrier
// (whose snapshot is not kept), or (rec nil) a watermark.
type step struct {
	input   int
	rec     arrow.RecordBatch
	wm      int64
	barrier bool
}

// rowLog collects every emitted row, rendered, ignoring watermarks.
type rowLog struct{ rows []string }

func (l *rowLog) Emit(rec arrow.RecordBatch) error {
	for r := range int(rec.NumRows()) {
		row, err := readRow(rec, r, nil)
		if err != nil {
			return err
		}
		l.rows = append(l.rows, fmt.Sprint(row))
	}
	return nil
}
func (*rowLog) EmitWatermark(int64) error { return nil }

// opFactory returns a new operator, not opened yet.
type opFactory func(t testing.TB) operator.Operator

// openOp opens an operator with keyed state b (nil: none) as subtask i of parallelism p,
// after restoring its non-keyed state opState if any.
func openOp(t testing.TB, newOp opFactory, b *state.Backend, p, i int, mem memory.Allocator, opState ...[]byte) operator.Operator {
	t.Helper()
	op := newOp(t)
	for _, s := range opState {
		if err := op.RestoreState(bytes.NewReader(s)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := &operator.Context{Allocator: mem, Subtask: i, Parallelism: p, State: b}
	if len(opState) > 0 {
		ctx.Restored = 1
	}
	if err := op.Open(ctx); err != nil {
		t.Fatal(err)
	}
	return op
}

func run(t testing.TB, op operator.Operator, steps []step, out operator.Emitter) {
	t.Helper()
	for _, s := range steps {
		var err error
		if s.barrier {
			err = op.SnapshotState(0, io.Discard)
		} else if s.rec == nil {
			err = op.ProcessWatermark(s.wm, out)
		} else {
			err = op.ProcessBatch(s.input, s.rec, out)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkRestore runs an operator uninterrupted over before then after, and again checkpointed
// after before at parallelism 1, fed the after steps (lost: their output is discarded, as
// after a failure), and restored from the checkpoint at parallelism p, each subtask fed the
// rows of its key groups (hashed on keys[input], as the edges route them) of the after steps
// again, as replaying sources do. The output before the checkpoint plus the restored
// subtasks' output must be the uninterrupted output (as multisets). Operators use a checked
// allocator: nothing may leak.
func checkRestore(t *testing.T, newOp opFactory, keys [2][]int, before, after []step, p int) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	want := &rowLog{}
	ref := openOp(t, newOp, nil, 1, 0, mem)
	run(t, ref, append(append([]step(nil), before...), after...), want)
	if err := ref.Finish(want); err != nil {
		t.Fatal(err)
	}
	closeOp(t, ref)

	got := &rowLog{}
	b1, _ := state.NewSubtaskBackend(state.DefaultMaxParallelism, 1, 0)
	op1 := openOp(t, newOp, b1, 1, 0, mem)
	run(t, op1, before, got)
	var opState bytes.Buffer
	if err := op1.SnapshotState(1, &opState); err != nil {
		t.Fatal(err)
	}
	snap := b1.Snapshot()
	blob := snap.Encode()
	snap.Release()
	run(t, op1, after, &rowLog{}) // lost with the failed attempt
	closeOp(t, op1)

	for i := range p {
		b, _ := state.NewSubtaskBackend(state.DefaultMaxParallelism, p, i)
		if err := b.Restore(blob); err != nil {
			t.Fatal(err)
		}
		op := openOp(t, newOp, b, p, i, mem, opState.Bytes())
		run(t, op, subtaskSteps(t, after, keys, p, i), got)
		if err := op.Finish(got); err != nil {
			t.Fatal(err)
		}
		closeOp(t, op)
	}
	if len(want.rows) == 0 {
		t.Fatal("the uninterrupted run emitted nothing")
	}
	slices.Sort(want.rows)
	slices.Sort(got.rows)
	if !slices.Equal(got.rows, want.rows) {
		t.Fatalf("restored at parallelism %d:\n%v\nwant (uninterrupted)\n%v", p, got.rows, want.rows)
	}
}

func closeOp(t *testing.T, op operator.Operator) {
	t.Helper()
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
}

// subtaskSteps keeps the rows of subtask i of parallelism p in every batch, and every watermark.
func subtaskSteps(t *testing.T, steps []step, keys [2][]int, p, i int) []step {
	t.Helper()
	var out []step
	for _, s := range steps {
		if s.rec == nil {
			out = append(out, s)
			continue
		}
		hashes := make([]uint64, s.rec.NumRows())
		if err := batch.HashRows(s.rec, keys[s.input], hashes); err != nil {
			t.Fatal(err)
		}
		var sel []int32
		for r, h := range hashes {
			if state.OperatorIndexOf(state.KeyGroupOf(h, state.DefaultMaxParallelism), state.DefaultMaxParallelism, p) == i {
				sel = append(sel, int32(r))
			}
		}
		part, err := batch.Take(memory.DefaultAllocator, s.rec, sel)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(part.Release)
		out = append(out, step{input: s.input, rec: part})
	}
	return out
}
