package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestSelectRows(t *testing.T) {
	t.Parallel()
	b := array.NewInt64Builder(memory.DefaultAllocator)
	b.AppendValues([]int64{10, 11, 12, 13}, nil)
	col := b.NewArray()
	defer col.Release()
	for _, c := range []struct {
		sel  []int32
		want []int64
	}{
		{nil, []int64{10, 11, 12, 13}},
		{[]int32{1, 2}, []int64{11, 12}},
		{[]int32{0, 0, 2}, []int64{10, 10, 12}},
		{[]int32{3, 1}, []int64{13, 11}},
	} {
		got, err := selectRows(memory.DefaultAllocator, col, c.sel)
		if err != nil {
			t.Fatal(err)
		}
		vals := got.(*array.Int64).Int64Values()
		if len(vals) != len(c.want) {
			t.Fatalf("selectRows(%v) = %v, want %v", c.sel, vals, c.want)
		}
		for i := range vals {
			if vals[i] != c.want[i] {
				t.Fatalf("selectRows(%v) = %v, want %v", c.sel, vals, c.want)
			}
		}
		got.Release()
	}
}

// TestReadRowOwnsItsStrings: stateful operators keep the rows readRow returns beyond the
// batch, whose buffers the worker's pool allocator reuses: strings must be copies.
func TestReadRowOwnsItsStrings(t *testing.T) {
	t.Parallel()
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"c1", "c2"}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	row, err := readRow(rec, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := rec.Column(0).Data().Buffers()[2].Bytes()
	for i := range data {
		data[i] = 0 // what a reused buffer may hold
	}
	if row[0] != "c2" {
		t.Fatalf("readRow aliases the batch's buffer: %q", row[0])
	}
}

func TestOwnedRowsOfASlicedBatch(t *testing.T) {
	t.Parallel()
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"a", "bb", "", "ccc"}, []bool{true, true, false, true})
	b.Field(1).(*array.Int64Builder).AppendValues([]int64{1, 2, 3, 4}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	sliced := rec.NewSlice(1, 4)
	defer sliced.Release()
	rows := newOwnedRows(sliced)
	var got [][]any
	for r := range 3 {
		row, err := rows.read(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row)
	}
	data := rec.Column(0).Data().Buffers()[2].Bytes()
	for i := range data {
		data[i] = 0
	}
	if got[0][0] != "bb" || got[1][0] != nil || got[2][0] != "ccc" || got[2][1] != int64(4) {
		t.Fatalf("rows = %q", got)
	}
}
