package exec

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/sql/eval"
)

// This file holds the window aggregate's typed path: keys are encoded straight from the
// Arrow columns into a reused buffer (the same bytes keyOf gives for the boxed values, so a
// group's map key and sort order do not change), and integer arguments reach accumulators
// as int64s. Values are boxed only when a group is created or a column type has no typed
// reader.

// keyAppender returns the function appending row r of col to a key, as keyOf encodes the
// value package eval reads from that row.
func keyAppender(col arrow.Array) func(b []byte, r int) []byte {
	switch c := col.(type) {
	case *array.String:
		return func(b []byte, r int) []byte {
			if c.IsNull(r) {
				return append(b, 'N')
			}
			s := c.Value(r)
			return append(binary.AppendUvarint(append(b, 'S'), uint64(len(s))), s...)
		}
	case *array.Boolean:
	default:
		if read := columnReader(col); read != nil {
			return func(b []byte, r int) []byte {
				v, ok := read(r)
				if !ok {
					return append(b, 'N')
				}
				return binary.BigEndian.AppendUint64(append(b, 'I'), uint64(v))
			}
		}
	}
	return func(b []byte, r int) []byte {
		v, _ := value(col, r) // keyOf encodes an unreadable value like NULL, as readRow's caller did not
		return append(b, keyOf([]any{v})...)
	}
}

// intAdder is an accumulator that takes non-NULL integer values without boxing (sign +1).
type intAdder interface {
	addInt(v int64)
}

func (c *countAcc) addInt(int64) { c.n++ }

func (s *sumAcc) addInt(v int64) { s.add(v, 1) }

// bestAcc is MIN or MAX of an input without retractions (a window): it keeps only the
// current extreme.
type bestAcc struct {
	max  bool
	best any
	ib   int64 // the extreme of the values added by addInt, if iset
	iset bool
}

func (b *bestAcc) add(v any, sign int64) {
	if v == nil || sign < 0 {
		return
	}
	if b.best == nil || b.beats(v, b.best) {
		b.best = v
	}
}

func (b *bestAcc) beats(v, best any) bool {
	cmp, err := eval.Compare(v, best)
	return err == nil && cmp != 0 && (cmp > 0) == b.max
}

func (b *bestAcc) addInt(v int64) {
	if !b.iset || (v > b.ib) == b.max && v != b.ib {
		b.ib, b.iset = v, true
	}
}

func (b *bestAcc) result() any {
	switch {
	case !b.iset:
		return b.best
	case b.best == nil || b.beats(b.ib, b.best):
		return b.ib
	}
	return b.best
}

// newWindowAccs returns the accumulators of a window pane, whose input is never retracted.
func (a *aggBase) newWindowAccs() []accumulator {
	accs := make([]accumulator, len(a.cfg.Aggs))
	for i, c := range a.cfg.Aggs {
		if (c.Func == "MIN" || c.Func == "MAX") && !c.Distinct {
			accs[i] = &bestAcc{max: c.Func == "MAX"}
			continue
		}
		accs[i] = newAccumulator(c, a.types[i])
	}
	return accs
}

// aggInput reads one aggregate call's argument and filter from a batch.
type aggInput struct {
	call   sql.AggCallSpec
	star   bool                      // COUNT(*): no argument
	filter func(r int) (int64, bool) // the BOOLEAN FILTER column, or nil (boxed by value())
	ints   func(r int) (int64, bool) // the argument as an int64, or nil (boxed by value())
	col    arrow.Array               // the argument column
}

// bindAggInputs prepares every aggregate call's readers for rec.
func (a *aggBase) bindAggInputs(rec arrow.RecordBatch, buf []aggInput) []aggInput {
	buf = buf[:0]
	for i, c := range a.cfg.Aggs {
		in := aggInput{call: c, star: len(c.Args) == 0}
		if c.Filter >= 0 {
			if _, ok := rec.Column(c.Filter).(*array.Boolean); ok {
				in.filter = columnReader(rec.Column(c.Filter))
			}
		}
		if !in.star {
			in.col = rec.Column(c.Args[0])
			typed := c.Func == "COUNT" || c.Func == "SUM" && isIntKind(a.types[i].Kind) ||
				(c.Func == "MIN" || c.Func == "MAX") && int64Kind(a.types[i].Kind)
			if _, isBool := in.col.(*array.Boolean); typed && !isBool && !c.Distinct {
				in.ints = columnReader(in.col)
			}
		}
		buf = append(buf, in)
	}
	return buf
}

// foldRow adds row r of the batch to accs (sign +1).
func foldRow(accs []accumulator, ins []aggInput, rec arrow.RecordBatch, r int) error {
	for i := range ins {
		in := &ins[i]
		if in.call.Filter >= 0 {
			if in.filter == nil {
				v, err := value(rec.Column(in.call.Filter), r)
				if err != nil {
					return err
				}
				if v != true {
					continue
				}
			} else if v, ok := in.filter(r); !ok || v != 1 {
				continue
			}
		}
		if in.star {
			accs[i].add(true, 1)
			continue
		}
		if in.ints != nil {
			if ia, ok := accs[i].(intAdder); ok {
				if v, valid := in.ints(r); valid {
					ia.addInt(v)
				}
				continue
			}
		}
		v, err := ownedValue(in.col, r) // MAX, MIN, FIRST_VALUE... keep what they are given
		if err != nil {
			return err
		}
		accs[i].add(v, 1)
	}
	return nil
}
