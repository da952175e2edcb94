package exec

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// rowsOut is an Emitter keeping every row as text.
type rowsOut struct{ rows []string }

func (c *rowsOut) Emit(rec arrow.RecordBatch) error {
	for r := range int(rec.NumRows()) {
		row, err := readRow(rec, r, nil)
		if err != nil {
			return err
		}
		c.rows = append(c.rows, fmt.Sprint(row...))
	}
	return nil
}

func (c *rowsOut) EmitWatermark(int64) error { return nil }

// TestWindowAggTypedMatchesBoxed feeds the same windows to the typed path and to the boxed
// one (processRows) and expects the same output: string and integer keys with NULLs, COUNT(*),
// COUNT, SUM, MIN, MAX with NULL arguments, a FILTER, COUNT DISTINCT and MAX of a string.
func TestWindowAggTypedMatchesBoxed(t *testing.T) {
	t.Parallel()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "ws", Type: &arrow.TimestampType{Unit: arrow.Millisecond}},
		{Name: "we", Type: &arrow.TimestampType{Unit: arrow.Millisecond}},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range 500 {
		if i%17 == 0 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("key-%d", i%7))
		}
		if i%13 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.Int64Builder).Append(int64(i%3 - 1))
		}
		ws := int64(i%4) * 1000
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(ws))
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(ws + 1000))
		if i%5 == 0 {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.Int64Builder).Append(int64((i*7919)%1000 - 500))
		}
		if i%11 == 0 {
			b.Field(5).AppendNull()
		} else {
			b.Field(5).(*array.BooleanBuilder).Append(i%2 == 0)
		}
		b.Field(6).(*array.StringBuilder).Append(fmt.Sprintf("s%03d", (i*31)%200))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	cfg := sql.AggregateConfig{Keys: []int{0, 1, 2, 3}, Aggs: []sql.AggCallSpec{
		{Func: "COUNT", Filter: -1, Type: "BIGINT"},
		{Func: "COUNT", Args: []int{4}, Filter: -1, Type: "BIGINT"},
		{Func: "SUM", Args: []int{4}, Filter: -1, Type: "BIGINT"},
		{Func: "MIN", Args: []int{4}, Filter: -1, Type: "BIGINT"},
		{Func: "MAX", Args: []int{4}, Filter: 5, Type: "BIGINT"},
		{Func: "COUNT", Args: []int{4}, Distinct: true, Filter: -1, Type: "BIGINT"},
		{Func: "MAX", Args: []int{6}, Filter: -1, Type: "STRING"},
		{Func: "MIN", Args: []int{2}, Filter: -1, Type: "TIMESTAMP(3)"},
	}, Window: &sql.WindowBounds{Kind: "TUMBLE", StartKey: 2, EndKey: 3, OutputStart: 2, OutputEnd: 3}}
	raw, _ := json.Marshal(cfg)
	run := func(typed bool) []string {
		op, err := newWindowAgg(dataflow.OperatorSpec{ID: "w", Kind: sql.KindWindowAggregate, Config: raw}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Open(&operator.Context{Allocator: memory.DefaultAllocator, Parallelism: 1}); err != nil {
			t.Fatal(err)
		}
		w := op.(*windowAgg)
		if typed {
			err = w.ProcessBatch(0, rec, nil)
		} else if err = w.schema(rec.Schema(), false); err == nil {
			err = w.processRows(rec)
		}
		if err != nil {
			t.Fatal(err)
		}
		var out rowsOut
		if err := w.Finish(&out); err != nil {
			t.Fatal(err)
		}
		return out.rows
	}
	typed, boxed := run(true), run(false)
	if len(typed) < 50 || !slices.Equal(typed, boxed) {
		t.Fatalf("typed path gave %d rows\n%v\nboxed path %d rows\n%v", len(typed), typed, len(boxed), boxed)
	}
}

func TestSameValuesIsKeyOfEquality(t *testing.T) {
	t.Parallel()
	negZero := math.Copysign(0, -1)
	vals := []any{nil, true, false, int64(0), int64(1), int64(-1), 0.0, negZero, 1.5, math.NaN(), "", "a", "ab",
		big.NewRat(1, 2), big.NewRat(2, 4), big.NewRat(1, 3), []byte("a")}
	for _, a := range vals {
		for _, b := range vals {
			for _, pre := range [][]any{nil, {int64(7), "x"}} {
				x, y := append(append([]any(nil), pre...), a), append(append([]any(nil), pre...), b)
				if got, want := sameValues(x, y), keyOf(x) == keyOf(y); got != want {
					t.Fatalf("sameValues(%v, %v) = %v, keyOf equality %v", x, y, got, want)
				}
			}
		}
	}
	if sameValues([]any{int64(1)}, []any{int64(1), int64(2)}) {
		t.Fatal("rows of different lengths are the same")
	}
}

// A window aggregate keeps the strings it reads (group keys, MAX of a string) beyond the
// batch: the runtime's pooled allocator reuses a released batch's buffers, which is simulated
// here by overwriting the string column after ProcessBatch.
func TestWindowAggregateOwnsStringsItKeeps(t *testing.T) {
	t.Parallel()
	cfg := sql.AggregateConfig{Keys: []int{0, 2, 3}, Aggs: []sql.AggCallSpec{
		{Func: "MAX", Args: []int{0}, Filter: -1, Type: "STRING"},
		{Func: "FIRST_VALUE", Args: []int{0}, Filter: -1, Type: "STRING"},
	}, Window: &sql.WindowBounds{Kind: "TUMBLE", StartKey: 2, EndKey: 3, OutputStart: 1, OutputEnd: 2}}
	raw, _ := json.Marshal(cfg)
	op, err := newWindowAgg(dataflow.OperatorSpec{ID: "w", Kind: sql.KindWindowAggregate, Config: raw}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Open(&operator.Context{Allocator: memory.DefaultAllocator}); err != nil {
		t.Fatal(err)
	}
	rec := windowedRows(t, "TUMBLE", 0, 7)
	if err := op.ProcessBatch(0, rec, &rowsOut{}); err != nil {
		t.Fatal(err)
	}
	buf := rec.Column(0).Data().Buffers()[2].Bytes()
	for i := range buf {
		buf[i] = 'X'
	}
	var out rowsOut
	if err := op.ProcessWatermark(100, &out); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out.rows)
	var want []string
	for k := range 7 {
		want = append(want, fmt.Sprint(fmt.Sprintf("key%d", k), int64(0), int64(10), fmt.Sprintf("key%d", k), fmt.Sprintf("key%d", k)))
	}
	if !slices.Equal(out.rows, want) {
		t.Fatalf("got %q, want %q", out.rows, want)
	}
}
