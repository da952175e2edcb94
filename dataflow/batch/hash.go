package batch

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// HashRows sets out[i] to a hash of row i's values in the key columns keys. The hash is stable
// across processes and versions (it routes rows to subtasks and key groups of state), so it must
// never change. out must have rec.NumRows() entries.
func HashRows(rec arrow.RecordBatch, keys []int, out []uint64) error {
	for i := range out {
		out[i] = 0x9e3779b97f4a7c15
	}
	for _, k := range keys {
		if err := hashColumn(rec.Column(k), out); err != nil {
			return fmt.Errorf("key column %q: %w", rec.ColumnName(k), err)
		}
	}
	return nil
}

func mix(h, v uint64) uint64 {
	h ^= v + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
	// splitmix64 finaliser
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ (h >> 31)
}

const nullHash = 0x5bd1e9955bd1e995

func hashInts[T int8 | int16 | int32 | int64 | arrow.Date32 | arrow.Time32 | arrow.Timestamp | arrow.Duration | arrow.MonthInterval](col interface {
	IsNull(int) bool
	Values() []T
}, out []uint64) {
	vals := col.Values()
	for i := range out {
		v := uint64(vals[i])
		if col.IsNull(i) {
			v = nullHash
		}
		out[i] = mix(out[i], v)
	}
}

func fnv(s []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range s {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

func hashColumn(col arrow.Array, out []uint64) error {
	switch c := col.(type) {
	case *array.Int8:
		hashInts[int8](c, out)
	case *array.Int16:
		hashInts[int16](c, out)
	case *array.Int32:
		hashInts[int32](c, out)
	case *array.Int64:
		hashInts[int64](c, out)
	case *array.Date32:
		hashInts[arrow.Date32](c, out)
	case *array.Time32:
		hashInts[arrow.Time32](c, out)
	case *array.Timestamp:
		hashInts[arrow.Timestamp](c, out)
	case *array.Duration:
		hashInts[arrow.Duration](c, out)
	case *array.MonthInterval:
		hashInts[arrow.MonthInterval](c, out)
	case *array.String:
		for i := range out {
			v := uint64(nullHash)
			if !c.IsNull(i) {
				v = fnv([]byte(c.Value(i)))
			}
			out[i] = mix(out[i], v)
		}
	case *array.Binary:
		for i := range out {
			v := uint64(nullHash)
			if !c.IsNull(i) {
				v = fnv(c.Value(i))
			}
			out[i] = mix(out[i], v)
		}
	case *array.Boolean:
		for i := range out {
			v := uint64(nullHash)
			if !c.IsNull(i) && c.Value(i) {
				v = 1
			} else if !c.IsNull(i) {
				v = 0
			}
			out[i] = mix(out[i], v)
		}
	case *array.Float64:
		for i := range out {
			v := uint64(nullHash)
			if !c.IsNull(i) {
				v = math.Float64bits(c.Value(i) + 0) // +0 folds -0 into 0
			}
			out[i] = mix(out[i], v)
		}
	case *array.Decimal128:
		for i := range out {
			v := uint64(nullHash)
			if !c.IsNull(i) {
				n := c.Value(i)
				v = mix(uint64(n.HighBits()), n.LowBits())
			}
			out[i] = mix(out[i], v)
		}
	default:
		return fmt.Errorf("%w: cannot hash %s", ErrUnsupportedType, col.DataType())
	}
	return nil
}
