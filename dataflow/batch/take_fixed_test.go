package batch

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestTakeFixedWidthWithoutNulls(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ib := array.NewInt64Builder(mem)
	tb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Millisecond})
	for i := range 10 {
		ib.Append(int64(i * 10))
		tb.Append(arrow.Timestamp(1000 + i))
	}
	ints, stamps := ib.NewArray(), tb.NewArray()
	ib.Release()
	tb.Release()
	defer ints.Release()
	defer stamps.Release()
	sliced := array.NewSlice(ints, 2, 8) // values 20..70: Take reads through the offset
	defer sliced.Release()
	idx := []int32{5, 0, 0, 3}
	for _, tc := range []struct {
		col  arrow.Array
		want []int64
	}{{ints, []int64{50, 0, 0, 30}}, {stamps, []int64{1005, 1000, 1000, 1003}}, {sliced, []int64{70, 20, 20, 50}}} {
		out, err := TakeArray(mem, tc.col, idx)
		if err != nil {
			t.Fatal(err)
		}
		if !arrow.TypeEqual(out.DataType(), tc.col.DataType()) || out.Len() != len(idx) || out.NullN() != 0 {
			t.Fatalf("take gave %s of %d rows with %d NULLs", out.DataType(), out.Len(), out.NullN())
		}
		for i, w := range tc.want {
			var got int64
			switch a := out.(type) {
			case *array.Int64:
				got = a.Value(i)
			case *array.Timestamp:
				got = int64(a.Value(i))
			}
			if got != w {
				t.Fatalf("row %d = %d, want %d", i, got, w)
			}
		}
		out.Release()
	}
	vals := FromValues(mem, arrow.PrimitiveTypes.Int64, []int64{7, 8, 9})
	if a := vals.(*array.Int64); a.Len() != 3 || a.Value(2) != 9 {
		t.Fatalf("FromValues = %v", a)
	}
	vals.Release()
}
