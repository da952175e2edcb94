package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// Row kinds of changelog streams.
const (
	rowInsert       int64 = 0
	rowUpdateBefore int64 = 1
	rowUpdateAfter  int64 = 2
	rowDelete       int64 = 3
)

// groupAgg is sql.group_aggregate: it keeps accumulators per key and emits a changelog as
// results change (+I for a new group, -U/+U for an update, -D when a group empties). Like
// Flink's mini-batch aggregation, it folds a whole input batch first and then emits one
// change per group the batch touched.
type groupAgg struct {
	aggBase
	groups  map[string]*group
	touched []string // keys of the groups the current batch changed, in first-touch order
	rowBuf  []any
}

type group struct {
	key     []any
	accs    []accumulator
	rows    int64
	last    []any // the last emitted result, nil if none
	touched bool
}

func newGroupAgg(spec dataflow.OperatorSpec) (operator.Operator, error) {
	base, err := newAggBase(spec)
	if err != nil {
		return nil, err
	}
	return &groupAgg{aggBase: base, groups: map[string]*group{}}, nil
}

func (g *groupAgg) ProcessBatch(_ int, rec arrow.RecordBatch, out operator.Emitter) error {
	if err := g.schema(rec.Schema(), true); err != nil {
		return err
	}
	in := rec.Schema()
	kindCol := -1
	if n := in.NumFields(); n > 0 && in.Field(n-1).Name == sql.RowKindColumn {
		kindCol = n - 1
	}
	b := array.NewRecordBuilder(g.mem, g.out)
	defer b.Release()
	for r := range int(rec.NumRows()) {
		row, err := readRow(rec, r, g.rowBuf)
		if err != nil {
			return err
		}
		g.rowBuf = row
		sign := int64(1)
		if kindCol >= 0 {
			if k, _ := row[kindCol].(int64); k == rowUpdateBefore || k == rowDelete {
				sign = -1
			}
		}
		g.apply(row, sign)
	}
	if err := g.emitTouched(b); err != nil {
		return err
	}
	res := b.NewRecordBatch()
	defer res.Release()
	if res.NumRows() == 0 {
		return nil
	}
	return out.Emit(res)
}

func (g *groupAgg) apply(row []any, sign int64) {
	key := make([]any, len(g.cfg.Keys))
	for i, k := range g.cfg.Keys {
		key[i] = row[k]
	}
	k := keyOf(key)
	grp := g.groups[k]
	if grp == nil {
		if sign < 0 {
			return // retraction of a row never seen (e.g. after restore): ignore
		}
		grp = &group{key: key, accs: g.newAccs()}
		g.groups[k] = grp
	}
	g.fold(grp.accs, row, sign)
	grp.rows += sign
	if !grp.touched {
		grp.touched = true
		g.touched = append(g.touched, k)
	}
}

// emitTouched emits the change of every group the batch touched.
func (g *groupAgg) emitTouched(b *array.RecordBuilder) error {
	defer func() { g.touched = g.touched[:0] }()
	for _, k := range g.touched {
		grp := g.groups[k]
		grp.touched = false
		if grp.rows <= 0 {
			delete(g.groups, k)
			if grp.last != nil {
				if err := appendRow(b, append(grp.last, rowDelete)); err != nil {
					return err
				}
			}
			continue
		}
		if err := g.emitGroup(b, grp); err != nil {
			return err
		}
	}
	return nil
}

// emitGroup emits +I for a group's first result and -U/+U when its result changed.
func (g *groupAgg) emitGroup(b *array.RecordBuilder, grp *group) error {
	result := append([]any(nil), grp.key...)
	for _, a := range grp.accs {
		result = append(result, a.result())
	}
	prev := grp.last
	grp.last = result
	switch {
	case prev == nil:
		return appendRow(b, append(append([]any(nil), result...), rowInsert))
	case keyOf(prev) == keyOf(result):
		return nil
	}
	if err := appendRow(b, append(prev, rowUpdateBefore)); err != nil {
		return err
	}
	return appendRow(b, append(append([]any(nil), result...), rowUpdateAfter))
}
