package exec

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// rowsBatch builds a batch of schema s from rows.
func rowsBatch(t testing.TB, s *arrow.Schema, rows [][]any) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	for _, r := range rows {
		if err := appendRow(b, r); err != nil {
			t.Fatal(err)
		}
	}
	rec := b.NewRecordBatch()
	t.Cleanup(rec.Release)
	return rec
}

var windowedSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.BinaryTypes.String}, {Name: "v", Type: arrow.PrimitiveTypes.Int64},
	{Name: "window_start", Type: arrow.PrimitiveTypes.Int64}, {Name: "window_end", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// windowedRows returns rows of times from..to-1 over 7 keys, in windows of kind (TUMBLE of 10
// ms, or the row's own SESSION of gap 3 ms).
func windowedRows(t testing.TB, kind string, from, to int64) arrow.RecordBatch {
	var rows [][]any
	for ts := from; ts < to; ts++ {
		k := fmt.Sprintf("key%d", ts%7)
		if kind == "SESSION" {
			rows = append(rows, []any{k, ts % 5, ts, ts + 3})
			continue
		}
		rows = append(rows, []any{k, ts % 5, ts - ts%10, ts - ts%10 + 10})
	}
	return rowsBatch(t, windowedSchema, rows)
}

func windowAggFactory(kind string) opFactory {
	return func(t testing.TB) operator.Operator {
		cfg := sql.AggregateConfig{Keys: []int{0, 2, 3}, Aggs: []sql.AggCallSpec{
			{Func: "COUNT", Filter: -1, Type: "BIGINT"},
			{Func: "SUM", Args: []int{1}, Filter: -1, Type: "BIGINT"},
			{Func: "MAX", Args: []int{1}, Filter: -1, Type: "BIGINT"},
			{Func: "COUNT", Args: []int{1}, Distinct: true, Filter: -1, Type: "BIGINT"},
		}, Window: &sql.WindowBounds{Kind: kind, StartKey: 2, EndKey: 3, OutputStart: 1, OutputEnd: 2}}
		raw, _ := json.Marshal(cfg)
		op, err := newWindowAgg(dataflow.OperatorSpec{ID: "w", Kind: sql.KindWindowAggregate, Config: raw}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
}

// Window aggregates restored from a checkpoint, at the same and at another parallelism, emit
// exactly what an uninterrupted run emits: open panes and accumulators (SESSION rows) come
// back, windows fired before the checkpoint are not fired again when replayed rows of them
// arrive (they are late, as in the uninterrupted run), and later windows fire once.
func TestWindowAggregateRestore(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"TUMBLE", "SESSION"} {
		for _, p := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/p%d", kind, p), func(t *testing.T) {
				t.Parallel()
				before := []step{{rec: windowedRows(t, kind, 0, 40)}, {barrier: true}, {wm: 19}, {rec: windowedRows(t, kind, 40, 45)}}
				after := []step{
					{rec: windowedRows(t, kind, 45, 60)},
					{rec: windowedRows(t, kind, 5, 25)}, // partly late: windows up to 20 fired
					{wm: 35},
					{rec: windowedRows(t, kind, 60, 80)},
					{wm: 62},
					{rec: windowedRows(t, kind, 30, 70)},
				}
				checkRestore(t, windowAggFactory(kind), [2][]int{{0}}, before, after, p)
			})
			// Restored subtasks that receive no row before the end of input still fire the
			// windows they restored.
			t.Run(fmt.Sprintf("%s/watermarks-only/p%d", kind, p), func(t *testing.T) {
				t.Parallel()
				before := []step{{rec: windowedRows(t, kind, 0, 40)}, {wm: 19}}
				checkRestore(t, windowAggFactory(kind), [2][]int{{0}}, before, []step{{wm: 25}}, p)
			})
		}
	}
}
