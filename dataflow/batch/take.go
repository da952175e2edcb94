package batch

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Take returns a new batch holding rows idx of rec, in that order. The caller owns the result.
func Take(mem memory.Allocator, rec arrow.RecordBatch, idx []int32) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, rec.NumCols())
	release := func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}
	for i, col := range rec.Columns() {
		c, err := TakeArray(mem, col, idx)
		if err != nil {
			release()
			return nil, fmt.Errorf("column %q: %w", rec.ColumnName(i), err)
		}
		cols[i] = c
	}
	out := array.NewRecordBatch(rec.Schema(), cols, int64(len(idx)))
	release()
	return out, nil
}

// TakeArray returns a new array holding values idx of col.
func TakeArray(mem memory.Allocator, col arrow.Array, idx []int32) (arrow.Array, error) {
	if out := takeNoNulls(mem, col, idx); out != nil {
		return out, nil
	}
	b := array.NewBuilder(mem, col.DataType())
	defer b.Release()
	b.Reserve(len(idx))
	var ok bool
	switch c := col.(type) {
	case *array.Boolean:
		ok = takeTyped[bool](c, b, idx)
	case *array.Int8:
		ok = takeTyped[int8](c, b, idx)
	case *array.Int16:
		ok = takeTyped[int16](c, b, idx)
	case *array.Int32:
		ok = takeTyped[int32](c, b, idx)
	case *array.Int64:
		ok = takeTyped[int64](c, b, idx)
	case *array.Float32:
		ok = takeTyped[float32](c, b, idx)
	case *array.Float64:
		ok = takeTyped[float64](c, b, idx)
	case *array.Decimal128:
		ok = takeTyped[decimal128.Num](c, b, idx)
	case *array.String:
		total := 0
		for _, i := range idx {
			total += c.ValueLen(int(i))
		}
		b.(*array.StringBuilder).ReserveData(total) // one allocation, no growth by copying
		ok = takeTyped[string](c, b, idx)
	case *array.Binary:
		ok = takeTyped[[]byte](c, b, idx)
	case *array.Date32:
		ok = takeTyped[arrow.Date32](c, b, idx)
	case *array.Time32:
		ok = takeTyped[arrow.Time32](c, b, idx)
	case *array.Timestamp:
		ok = takeTyped[arrow.Timestamp](c, b, idx)
	case *array.Duration:
		ok = takeTyped[arrow.Duration](c, b, idx)
	case *array.MonthInterval:
		ok = takeTyped[arrow.MonthInterval](c, b, idx)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedType, col.DataType())
	}
	return b.NewArray(), nil
}

type valuer[T any] interface {
	IsNull(int) bool
	Value(int) T
}

type appender[T any] interface {
	Append(T)
	AppendNull()
}

func takeTyped[T any](col valuer[T], b array.Builder, idx []int32) bool {
	ab, ok := b.(appender[T])
	if !ok {
		return false
	}
	for _, i := range idx {
		if col.IsNull(int(i)) {
			ab.AppendNull()
		} else {
			ab.Append(col.Value(int(i)))
		}
	}
	return true
}
