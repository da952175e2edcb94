package exec

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/state"
)

// lastResults folds a group aggregate's changelog into the current row per group key.
type lastResults map[string]string

func (l lastResults) Emit(rec arrow.RecordBatch) error {
	for r := range int(rec.NumRows()) {
		row, err := readRow(rec, r, nil)
		if err != nil {
			return err
		}
		k := fmt.Sprint(row[0])
		switch row[len(row)-1] {
		case rowInsert, rowUpdateAfter:
			l[k] = fmt.Sprint(row[:len(row)-1])
		case rowDelete:
			delete(l, k)
		}
	}
	return nil
}
func (lastResults) EmitWatermark(int64) error { return nil }

var kvSchema = arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.BinaryTypes.String}, {Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)

func kvBatch(from, to int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, kvSchema)
	defer b.Release()
	for i := from; i < to; i++ {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("key%d", i%13))
		b.Field(1).(*array.Int64Builder).Append(int64(i % 7))
	}
	return b.NewRecordBatch()
}

func newGroupAggOp(t *testing.T, b *state.Backend, p, i int) operator.Operator {
	t.Helper()
	cfg := sql.AggregateConfig{Keys: []int{0}, Aggs: []sql.AggCallSpec{
		{Func: "COUNT", Filter: -1, Type: "BIGINT"},
		{Func: "SUM", Args: []int{1}, Filter: -1, Type: "BIGINT"},
		{Func: "AVG", Args: []int{1}, Filter: -1, Type: "DOUBLE"},
		{Func: "MAX", Args: []int{1}, Filter: -1, Type: "BIGINT"},
		{Func: "COUNT", Args: []int{1}, Distinct: true, Filter: -1, Type: "BIGINT"},
		{Func: "FIRST_VALUE", Args: []int{1}, Filter: -1, Type: "BIGINT"},
	}}
	raw, _ := json.Marshal(cfg)
	op, err := newGroupAgg(dataflow.OperatorSpec{ID: "agg", Kind: sql.KindGroupAggregate, Config: raw})
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Open(&operator.Context{Allocator: memory.DefaultAllocator, Subtask: i, Parallelism: p, State: b}); err != nil {
		t.Fatal(err)
	}
	return op
}

func feed(t *testing.T, op operator.Operator, rec arrow.RecordBatch, out operator.Emitter) {
	t.Helper()
	if err := op.ProcessBatch(0, rec, out); err != nil {
		t.Fatal(err)
	}
}

// A group aggregate checkpointed at parallelism 1 and restored at parallelism 2 continues
// every group's aggregates exactly as an uninterrupted one does.
func TestGroupAggregateRestoresKeyGroupsAtAnotherParallelism(t *testing.T) {
	t.Parallel()
	b1, _ := state.NewSubtaskBackend(state.DefaultMaxParallelism, 1, 0)
	op1 := newGroupAggOp(t, b1, 1, 0)
	ref := newGroupAggOp(t, nil, 1, 0)
	want, got := lastResults{}, lastResults{}
	before, lost, after := kvBatch(0, 500), kvBatch(500, 700), kvBatch(700, 1000)
	defer before.Release()
	defer lost.Release()
	defer after.Release()
	feed(t, op1, before, lastResults{})
	feed(t, ref, before, want)
	if err := op1.SnapshotState(1, nil); err != nil {
		t.Fatal(err)
	}
	snap := b1.Snapshot()
	blob := snap.Encode()
	snap.Release()
	feed(t, op1, lost, lastResults{}) // after the checkpoint: replayed by the source

	hashes := make([]uint64, after.NumRows())
	if err := batch.HashRows(after, []int{0}, hashes); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		b, _ := state.NewSubtaskBackend(state.DefaultMaxParallelism, 2, i)
		if err := b.Restore(blob); err != nil {
			t.Fatal(err)
		}
		op := newGroupAggOp(t, b, 2, i)
		var sel []int32
		for r, h := range hashes {
			if state.OperatorIndexOf(state.KeyGroupOf(h, state.DefaultMaxParallelism), state.DefaultMaxParallelism, 2) == i {
				sel = append(sel, int32(r))
			}
		}
		part, err := batch.Take(memory.DefaultAllocator, after, sel)
		if err != nil {
			t.Fatal(err)
		}
		feed(t, op, part, got)
		part.Release()
		// A row of the other subtask's key groups is refused, not mixed in.
		if len(sel) < int(after.NumRows()) {
			if err := op.ProcessBatch(0, after, lastResults{}); err == nil {
				t.Fatal("misrouted rows accepted")
			}
		}
	}
	feed(t, ref, after, want)
	if fmt.Sprint(got) != fmt.Sprint(want) || len(want) != 13 {
		t.Fatalf("restored results\n%v\nwant\n%v", got, want)
	}
}
