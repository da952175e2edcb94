package exec

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// ownedValue is value for operators that keep what they read (aggregates, joins, Top-N,
// collected previews): a string is copied, since value's aliases the batch's buffer, which
// the allocator reuses once the batch is released.
func ownedValue(a arrow.Array, i int) (any, error) {
	v, err := value(a, i)
	if s, ok := v.(string); ok {
		v = strings.Clone(s)
	}
	return v, err
}

// readValues reads the first n columns of row r of rec into buf, strings aliasing the batch
// (sinks that encode the row before the next one).
func readValues(rec arrow.RecordBatch, r, n int, buf []any) ([]any, error) {
	buf = buf[:0]
	for j := range n {
		v, err := value(rec.Column(j), r)
		if err != nil {
			return nil, err
		}
		buf = append(buf, v)
	}
	return buf, nil
}

// value reads row i of column a in the value convention of package eval. A string aliases the
// batch's buffer: use ownedValue for values kept beyond the batch.
func value(a arrow.Array, i int) (any, error) {
	if a.IsNull(i) {
		return nil, nil
	}
	switch a := a.(type) {
	case *array.Boolean:
		return a.Value(i), nil
	case *array.Int8:
		return int64(a.Value(i)), nil
	case *array.Int16:
		return int64(a.Value(i)), nil
	case *array.Int32:
		return int64(a.Value(i)), nil
	case *array.Int64:
		return a.Value(i), nil
	case *array.Float32:
		return float64(a.Value(i)), nil
	case *array.Float64:
		return a.Value(i), nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return new(big.Rat).SetFrac(a.Value(i).BigInt(), pow10(int(scale))), nil
	case *array.String:
		return a.Value(i), nil
	case *array.Binary:
		return append([]byte(nil), a.Value(i)...), nil
	case *array.Date32:
		return int64(a.Value(i)), nil
	case *array.Time32:
		return int64(a.Value(i)), nil
	case *array.Timestamp:
		return toMillis(int64(a.Value(i)), a.DataType().(*arrow.TimestampType).Unit), nil
	case *array.Duration:
		return toMillis(int64(a.Value(i)), a.DataType().(*arrow.DurationType).Unit), nil
	case *array.MonthInterval:
		return int64(a.Value(i)), nil
	}
	return nil, fmt.Errorf("exec: unsupported column type %s", a.DataType())
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

func toMillis(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1000
	case arrow.Microsecond:
		return v / 1000
	case arrow.Nanosecond:
		return v / 1000000
	}
	return v
}

func fromMillis(ms int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return ms / 1000
	case arrow.Microsecond:
		return ms * 1000
	case arrow.Nanosecond:
		return ms * 1000000
	}
	return ms
}

// appendValue appends v (eval's convention, nil for NULL) to builder b.
func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	bad := func() error { return fmt.Errorf("exec: cannot write %T to a %s column", v, b.Type()) }
	switch b := b.(type) {
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Float32Builder:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		b.Append(float32(x))
	case *array.Float64Builder:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Decimal128Builder:
		r, ok := v.(*big.Rat)
		if !ok {
			return bad()
		}
		scale := b.Type().(*arrow.Decimal128Type).Scale
		n := new(big.Int).Mul(r.Num(), pow10(int(scale)))
		b.Append(decimal128.FromBigInt(n.Quo(n, r.Denom())))
	case *array.StringBuilder:
		x, ok := v.(string)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.BinaryBuilder:
		x, ok := v.([]byte)
		if !ok {
			return bad()
		}
		b.Append(x)
	default:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		return appendInt(b, x)
	}
	return nil
}

func appendInt(b array.Builder, x int64) error {
	switch b := b.(type) {
	case *array.Int8Builder:
		b.Append(int8(x))
	case *array.Int16Builder:
		b.Append(int16(x))
	case *array.Int32Builder:
		b.Append(int32(x))
	case *array.Int64Builder:
		b.Append(x)
	case *array.Date32Builder:
		b.Append(arrow.Date32(x))
	case *array.Time32Builder:
		b.Append(arrow.Time32(x))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(fromMillis(x, b.Type().(*arrow.TimestampType).Unit)))
	case *array.DurationBuilder:
		b.Append(arrow.Duration(fromMillis(x, b.Type().(*arrow.DurationType).Unit)))
	case *array.MonthIntervalBuilder:
		b.Append(arrow.MonthInterval(x))
	default:
		return fmt.Errorf("exec: cannot write an integer to a %s column", b.Type())
	}
	return nil
}
