package exec

import (
	"encoding/binary"
	"fmt"
	"io"

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
//
// Its groups live in memory; under the task runtime they are also kept in keyed state
// (operator.Context.State, value state "groups" keyed by the group key in the key group its
// rows are routed by), written back at each checkpoint barrier for the groups changed since
// the last one, and loaded from it when the task is restored, at any parallelism.
type groupAgg struct {
	aggBase
	groups  map[string]*group
	touched []string // keys of the groups the current batch changed, in first-touch order
	rowBuf  []any
	keyBuf  []byte
	ks      *keyedStore // nil without a runtime backend
}

type group struct {
	id      string // keyOf(key), the group's map key
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

// Open loads the groups restored into keyed state.
func (g *groupAgg) Open(ctx *operator.Context) error {
	if err := g.aggBase.Open(ctx); err != nil {
		return err
	}
	var err error
	if g.ks, err = openKeyedStore(ctx, "groups"); err != nil {
		return err
	}
	return g.ks.load(func(k string, v []byte) error {
		grp, err := g.decodeGroup(v)
		if err != nil {
			return fmt.Errorf("restore group aggregate: %w", err)
		}
		grp.id = k
		g.groups[k] = grp
		return nil
	})
}

// SnapshotState writes the groups changed since the last barrier back to keyed state (which
// the runtime snapshots next); there is no operator state besides.
func (g *groupAgg) SnapshotState(uint64, io.Writer) error {
	return g.ks.flush(func(k string) ([]byte, bool, error) {
		grp, ok := g.groups[k]
		if !ok {
			return nil, false, nil
		}
		v, err := g.encodeGroup(grp)
		return v, err == nil, err
	})
}

func (g *groupAgg) ProcessBatch(_ int, rec arrow.RecordBatch, out operator.Emitter) error {
	if err := g.schema(rec.Schema(), true); err != nil {
		return err
	}
	if err := g.ks.keyGroups(rec, g.cfg.Keys); err != nil {
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
		g.apply(row, sign, r)
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

// apply folds row r of the batch (read into row) into its group.
func (g *groupAgg) apply(row []any, sign int64, r int) {
	kb := g.keyBuf[:0]
	for _, k := range g.cfg.Keys {
		kb = appendKeyValue(kb, row[k])
	}
	g.keyBuf = kb
	grp := g.groups[string(kb)] // no allocation for an existing group
	if grp == nil {
		if sign < 0 {
			g.ks.touchRowBytes(kb, r)
			return // retraction of a row never seen (e.g. after restore): ignore
		}
		key := make([]any, len(g.cfg.Keys))
		for i, k := range g.cfg.Keys {
			key[i] = row[k]
		}
		grp = &group{id: string(kb), key: key, accs: g.newAccs()}
		g.groups[grp.id] = grp
	}
	g.ks.touchRow(grp.id, r)
	g.fold(grp.accs, row, sign)
	grp.rows += sign
	if !grp.touched {
		grp.touched = true
		g.touched = append(g.touched, grp.id)
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
	// one spare slot: the row kind is appended in place when the result is emitted
	result := make([]any, 0, len(grp.key)+len(grp.accs)+1)
	result = append(result, grp.key...)
	for _, a := range grp.accs {
		result = append(result, a.result())
	}
	prev := grp.last
	switch {
	case prev == nil:
		grp.last = result
		return appendRow(b, append(result, rowInsert))
	case sameValues(prev, result):
		return nil
	}
	grp.last = result
	if err := appendRow(b, append(prev, rowUpdateBefore)); err != nil {
		return err
	}
	return appendRow(b, append(result, rowUpdateAfter))
}

// encodeGroup encodes a group's key, row count, last result and accumulators.
func (g *groupAgg) encodeGroup(grp *group) ([]byte, error) {
	b := binary.AppendUvarint(nil, uint64(len(grp.key)))
	var err error
	for _, v := range grp.key {
		if b, err = appendStateValue(b, v); err != nil {
			return nil, err
		}
	}
	b = binary.AppendVarint(b, grp.rows)
	b = append(b, boolByte(grp.last != nil))
	b = binary.AppendUvarint(b, uint64(len(grp.last)))
	for _, v := range grp.last {
		if b, err = appendStateValue(b, v); err != nil {
			return nil, err
		}
	}
	for _, a := range grp.accs {
		if b, err = appendAccState(b, a); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (g *groupAgg) decodeGroup(data []byte) (*group, error) {
	r := &stateReader{b: data}
	grp := &group{accs: g.newAccs()}
	n := r.uvarint()
	if n != uint64(len(g.cfg.Keys)) {
		return nil, fmt.Errorf("%w: group key of %d values, want %d", errCorruptState, n, len(g.cfg.Keys))
	}
	for range n {
		grp.key = append(grp.key, r.value())
	}
	grp.rows = r.varint()
	hasLast := len(r.b) > 0 && r.b[0] == 1
	if len(r.b) > 0 {
		r.b = r.b[1:]
	}
	m := r.uvarint()
	for i := uint64(0); i < m && r.err == nil; i++ {
		grp.last = append(grp.last, r.value())
	}
	if hasLast && grp.last == nil {
		grp.last = []any{}
	}
	for _, a := range grp.accs {
		readAccState(r, a)
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail()
	}
	return grp, r.err
}
