package batch

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FromValues returns a new array of the fixed-width type dt without NULLs holding a copy of
// vals (T must be dt's value type, e.g. int64 for INT64 and TIMESTAMP). The caller owns it.
func FromValues[T arrow.FixedWidthType](mem memory.Allocator, dt arrow.DataType, vals []T) arrow.Array {
	buf := newValueBuffer[T](mem, len(vals))
	copy(arrow.GetData[T](buf.Bytes()), vals)
	return fixedArray(dt, len(vals), buf)
}

func newValueBuffer[T arrow.FixedWidthType](mem memory.Allocator, n int) *memory.Buffer {
	var zero T
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n * int(sizeOf(zero)))
	return buf
}

func sizeOf[T arrow.FixedWidthType](T) uintptr {
	var a [2]T
	return uintptr(len(arrow.GetBytes(a[:]))) / 2
}

// fixedArray wraps buf (released here) as an array of n values of type dt without NULLs.
func fixedArray(dt arrow.DataType, n int, buf *memory.Buffer) arrow.Array {
	data := array.NewData(dt, n, []*memory.Buffer{nil, buf}, nil, 0, 0)
	buf.Release()
	defer data.Release()
	return array.MakeFromData(data)
}

// takeFixed is TakeArray for a column of fixed-width values without NULLs: one copy per
// row into a buffer, no builder.
func takeFixed[T arrow.FixedWidthType](mem memory.Allocator, dt arrow.DataType, vals []T, idx []int32) arrow.Array {
	buf := newValueBuffer[T](mem, len(idx))
	out := arrow.GetData[T](buf.Bytes())[:len(idx)]
	for i, j := range idx {
		out[i] = vals[j]
	}
	return fixedArray(dt, len(idx), buf)
}

// takeNoNulls returns TakeArray's result for the column types takeFixed handles, or nil.
func takeNoNulls(mem memory.Allocator, col arrow.Array, idx []int32) arrow.Array {
	if col.NullN() != 0 {
		return nil
	}
	switch c := col.(type) {
	case *array.Int64:
		return takeFixed(mem, col.DataType(), c.Int64Values(), idx)
	case *array.Int32:
		return takeFixed(mem, col.DataType(), c.Int32Values(), idx)
	case *array.Float64:
		return takeFixed(mem, col.DataType(), c.Float64Values(), idx)
	case *array.Timestamp:
		return takeFixed(mem, col.DataType(), c.TimestampValues(), idx)
	case *array.Date32:
		return takeFixed(mem, col.DataType(), c.Date32Values(), idx)
	}
	return nil
}
