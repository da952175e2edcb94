package eval

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/flowplane/flowplane/dataflow"
)

func isIntegerKind(k dataflow.TypeKind) bool {
	switch k {
	case dataflow.TypeTinyInt, dataflow.TypeSmallInt, dataflow.TypeInt, dataflow.TypeBigInt:
		return true
	}
	return false
}

// toRat converts a numeric value to an exact rational.
func toRat(v any) (*big.Rat, bool) {
	switch v := v.(type) {
	case int64:
		return new(big.Rat).SetInt64(v), true
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(v), true
	case *big.Rat:
		return v, true
	}
	return nil, false
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	case *big.Rat:
		f, _ := v.Float64()
		return f, true
	}
	return 0, false
}

func toInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case float64:
		return int64(v), true
	case *big.Rat:
		q := new(big.Int).Quo(v.Num(), v.Denom())
		return q.Int64(), q.IsInt64()
	}
	return 0, false
}

// pow10s caches 10^n for the decimal scales and precisions (read-only).
var pow10s, pow10Rats = func() ([]*big.Int, []*big.Rat) {
	ints, rats := make([]*big.Int, 2*dataflow.MaxDecimalPrecision+1), make([]*big.Rat, 2*dataflow.MaxDecimalPrecision+1)
	for i := range ints {
		ints[i] = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(i)), nil)
		rats[i] = new(big.Rat).SetInt(ints[i])
	}
	return ints, rats
}()

// pow10 returns 10^n; the result must not be modified.
func pow10(n int) *big.Int {
	if n >= 0 && n < len(pow10s) {
		return pow10s[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// pow10Rat returns 10^n as a rational; the result must not be modified.
func pow10Rat(n int) *big.Rat {
	if n >= 0 && n < len(pow10Rats) {
		return pow10Rats[n]
	}
	return new(big.Rat).SetInt(pow10(n))
}

// roundRat rounds r half-up (away from zero) to scale digits.
func roundRat(r *big.Rat, scale int) *big.Rat {
	if r.IsInt() {
		return new(big.Rat).Set(r)
	}
	pow := pow10(scale)
	scaled := new(big.Rat).Mul(r, pow10Rat(scale))
	num, den := scaled.Num(), scaled.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
	if twice.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return new(big.Rat).SetFrac(q, pow)
}

// normalize converts a computed numeric value to the representation of type t.
func normalize(v any, t dataflow.LogicalType) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch {
	case isIntegerKind(t.Kind):
		if i, ok := toInt(v); ok {
			return i, nil
		}
	case t.Kind == dataflow.TypeFloat || t.Kind == dataflow.TypeDouble:
		if f, ok := toFloat(v); ok {
			return f, nil
		}
	case t.Kind == dataflow.TypeDecimal:
		if r, ok := toRat(v); ok {
			r = roundRat(r, t.Scale)
			limit := pow10Rat(t.Precision - t.Scale)
			if new(big.Rat).Abs(r).Cmp(limit) >= 0 {
				return nil, fmt.Errorf("%w: %s overflows %s", ErrEval, r.FloatString(t.Scale), t)
			}
			return r, nil
		}
	default:
		return v, nil
	}
	return nil, fmt.Errorf("%w: %v (%T) is not a %s", ErrEval, v, v, t)
}

// compare orders two non-NULL values of comparable types: -1, 0 or 1.
func compare(a, b any) (int, error) {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmpOrdered(x, y), nil
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmpOrdered(boolInt(x), boolInt(y)), nil
		}
	case []byte:
		if y, ok := b.([]byte); ok {
			return bytes.Compare(x, y), nil
		}
	}
	_, af := a.(float64)
	_, bf := b.(float64)
	if af || bf {
		x, ok1 := toFloat(a)
		y, ok2 := toFloat(b)
		if ok1 && ok2 {
			return cmpOrdered(x, y), nil
		}
	}
	x, ok1 := toRat(a)
	y, ok2 := toRat(b)
	if ok1 && ok2 {
		return x.Cmp(y), nil
	}
	return 0, fmt.Errorf("%w: cannot compare %T with %T", ErrEval, a, b)
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Normalize converts a computed value to the representation of type t (integers to int64,
// decimals rounded to t's scale, ...); nil stays nil.
func Normalize(v any, t dataflow.LogicalType) (any, error) { return normalize(v, t) }

// Compare orders two non-NULL values of comparable types: -1, 0 or 1.
func Compare(a, b any) (int, error) { return compare(a, b) }
