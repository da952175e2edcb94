package exec

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/sql/eval"
)

// accumulator folds the values of one aggregate call; sign is +1 to add, -1 to retract.
type accumulator interface {
	add(v any, sign int64)
	result() any
}

// newAccumulator returns the accumulator of an aggregate call with result type t.
func newAccumulator(call sql.AggCallSpec, t dataflow.LogicalType) accumulator {
	var a accumulator
	switch call.Func {
	case "COUNT":
		a = &countAcc{star: len(call.Args) == 0}
	case "SUM":
		a = &sumAcc{t: t}
	case "AVG":
		a = &sumAcc{t: t, avg: true}
	case "MIN", "MAX":
		a = &extremeAcc{max: call.Func == "MAX", values: map[string]*counted{}}
	case "FIRST_VALUE":
		a = &firstLastAcc{first: true}
	default:
		a = &firstLastAcc{}
	}
	if call.Distinct {
		a = &distinctAcc{inner: a, seen: map[string]*int64{}}
	}
	return a
}

type countAcc struct {
	star bool
	n    int64
}

func (c *countAcc) add(v any, sign int64) {
	if c.star || v != nil {
		c.n += sign
	}
}
func (c *countAcc) result() any { return c.n }

// sumAcc sums exactly (rationals) and divides for AVG; integer AVG truncates like Flink.
// Integers are summed in an int64 until it would overflow, then carried into the rational.
type sumAcc struct {
	t    dataflow.LogicalType
	avg  bool
	rat  big.Rat // the sum is rat + ints
	ints int64
	n    int64
}

// total returns the exact sum and the count of values summed (for state snapshots).
func (s *sumAcc) total() (*big.Rat, int64) {
	return new(big.Rat).Add(&s.rat, new(big.Rat).SetInt64(s.ints)), s.n
}

// restore sets the sum and count returned by total.
func (s *sumAcc) restore(sum *big.Rat, n int64) {
	s.rat.Set(sum)
	s.ints, s.n = 0, n
}

func (s *sumAcc) add(v any, sign int64) {
	if v == nil {
		return
	}
	var r *big.Rat
	switch x := v.(type) {
	case int64:
		if x != math.MinInt64 {
			d := x * sign
			if next := s.ints + d; (d > 0 && next < s.ints) || (d < 0 && next > s.ints) {
				s.rat.Add(&s.rat, new(big.Rat).SetInt64(s.ints)) // overflow: carry
				s.ints = d
			} else {
				s.ints = next
			}
			s.n += sign
			return
		}
		r = new(big.Rat).SetInt64(x)
	case float64:
		r = new(big.Rat).SetFloat64(x)
	case *big.Rat:
		r = x
	default:
		return
	}
	if sign < 0 {
		s.rat.Sub(&s.rat, r)
	} else {
		s.rat.Add(&s.rat, r)
	}
	s.n += sign
}

func (s *sumAcc) result() any {
	if s.n <= 0 {
		return nil
	}
	if s.rat.Sign() == 0 && !s.avg && s.t.Kind != dataflow.TypeDecimal && s.t.Kind != dataflow.TypeFloat && s.t.Kind != dataflow.TypeDouble {
		return s.ints
	}
	r, _ := s.total()
	if s.avg {
		r.Quo(r, new(big.Rat).SetInt64(s.n))
	}
	if s.t.Kind == dataflow.TypeFloat || s.t.Kind == dataflow.TypeDouble {
		f, _ := r.Float64()
		return f
	}
	if s.t.Kind != dataflow.TypeDecimal {
		q := new(big.Int).Quo(r.Num(), r.Denom())
		return q.Int64()
	}
	v, err := eval.Normalize(r, s.t)
	if err != nil {
		return nil
	}
	return v
}

type counted struct {
	v any
	n int64
}

// extremeAcc keeps a multiset so MIN and MAX survive retractions, and caches the current
// extreme (recomputed after it is retracted, or when values were restored without it).
type extremeAcc struct {
	max    bool
	values map[string]*counted
	best   any
	stale  bool
}

func (e *extremeAcc) add(v any, sign int64) {
	if v == nil {
		return
	}
	var buf [64]byte
	kb := appendKeyValue(buf[:0], v)
	c := e.values[string(kb)] // no allocation for a value already present
	if c == nil {
		c = &counted{v: v}
		e.values[string(kb)] = c
	}
	if c.n += sign; c.n <= 0 {
		delete(e.values, string(kb))
		e.stale = true // the extreme may be gone
		return
	}
	if sign > 0 && !e.stale && e.better(v) {
		e.best = v
	}
}

// better reports whether v beats the cached extreme.
func (e *extremeAcc) better(v any) bool {
	if e.best == nil {
		return true
	}
	cmp, err := eval.Compare(v, e.best)
	return err == nil && cmp != 0 && (cmp > 0) == e.max
}

func (e *extremeAcc) result() any {
	if !e.stale && (e.best != nil || len(e.values) == 0) {
		return e.best
	}
	e.best, e.stale = e.scan(), false
	return e.best
}

// scan finds the extreme of the multiset.
func (e *extremeAcc) scan() any {
	var best any
	for _, c := range e.values {
		if best == nil {
			best = c.v
			continue
		}
		cmp, err := eval.Compare(c.v, best)
		if err == nil && (cmp > 0) == e.max && cmp != 0 {
			best = c.v
		}
	}
	return best
}

type firstLastAcc struct {
	first bool
	set   bool
	v     any
}

func (f *firstLastAcc) add(v any, sign int64) {
	if v == nil || sign < 0 || f.first && f.set {
		return
	}
	f.v, f.set = v, true
}
func (f *firstLastAcc) result() any { return f.v }

// distinctAcc passes each distinct value to its inner accumulator once. It counts each
// value's rows: integers in ints, other values in seen by keyOf encoding (through pointers,
// so a value already seen is counted without allocating a key).
type distinctAcc struct {
	inner accumulator
	seen  map[string]*int64
	ints  map[int64]*int64
}

func (d *distinctAcc) add(v any, sign int64) {
	if v == nil {
		return
	}
	var n *int64
	if i, ok := v.(int64); ok {
		if n = d.ints[i]; n == nil {
			if d.ints == nil {
				d.ints = map[int64]*int64{}
			}
			n = new(int64)
			d.ints[i] = n
		}
	} else {
		var buf [64]byte
		kb := appendKeyValue(buf[:0], v)
		if n = d.seen[string(kb)]; n == nil {
			n = new(int64)
			d.seen[string(kb)] = n
		}
	}
	before := *n
	*n = before + sign
	switch {
	case before == 0 && sign > 0:
		d.inner.add(v, 1)
	case before == 1 && sign < 0:
		d.inner.add(v, -1)
		if i, ok := v.(int64); ok {
			delete(d.ints, i)
		} else {
			delete(d.seen, keyOf([]any{v}))
		}
	}
}

// counts calls f with every counted value's keyOf encoding and count.
func (d *distinctAcc) counts(f func(key string, n int64)) {
	for k, n := range d.seen {
		f(k, *n)
	}
	for i, n := range d.ints {
		f(keyOf([]any{i}), *n)
	}
}

// restoreCount sets a value's count from its keyOf encoding.
func (d *distinctAcc) restoreCount(key string, n int64) {
	if len(key) == 9 && key[0] == 'I' {
		if d.ints == nil {
			d.ints = map[int64]*int64{}
		}
		d.ints[int64(binary.BigEndian.Uint64([]byte(key[1:])))] = &n
		return
	}
	if d.seen == nil {
		d.seen = map[string]*int64{}
	}
	d.seen[key] = &n
}

func (d *distinctAcc) result() any { return d.inner.result() }

// keyOf encodes values as a map key; equal SQL values give equal keys (a type tag, then the
// value's bytes; strings length-prefixed).
func keyOf(vals []any) string {
	var buf [64]byte
	b := buf[:0]
	for _, v := range vals {
		b = appendKeyValue(b, v)
	}
	return string(b)
}

// appendKeyValue appends keyOf's encoding of one value.
func appendKeyValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		b = append(b, 'N')
	case int64:
		b = binary.BigEndian.AppendUint64(append(b, 'I'), uint64(x))
	case float64:
		if x == 0 {
			x = 0 // -0 and 0 are one key
		}
		b = binary.BigEndian.AppendUint64(append(b, 'F'), math.Float64bits(x))
	case bool:
		if x {
			b = append(b, 'T')
		} else {
			b = append(b, 'B')
		}
	case string:
		b = binary.AppendUvarint(append(b, 'S'), uint64(len(x)))
		b = append(b, x...)
	case *big.Rat:
		r := x.RatString()
		b = binary.AppendUvarint(append(b, 'R'), uint64(len(r)))
		b = append(b, r...)
	default:
		r := fmt.Sprintf("%T%v", v, v)
		b = binary.AppendUvarint(append(b, 'O'), uint64(len(r)))
		b = append(b, r...)
	}
	return b
}

// sameValues reports whether keyOf(a) == keyOf(b), without encoding either.
func sameValues(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i, x := range a {
		switch x := x.(type) {
		case nil, bool, int64, string:
			if b[i] != x {
				return false
			}
		case float64:
			y, ok := b[i].(float64)
			if x == 0 {
				x = 0
			}
			if y == 0 {
				y = 0
			}
			if !ok || math.Float64bits(x) != math.Float64bits(y) {
				return false
			}
		default:
			if string(appendKeyValue(nil, x)) != string(appendKeyValue(nil, b[i])) {
				return false
			}
		}
	}
	return true
}
