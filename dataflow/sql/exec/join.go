package exec

import (
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/sql/eval"
)

// join is sql.join: both inputs are kept in state by join key. Regular joins emit a changelog
// when updating (retractions of either input retract joined rows); interval joins drop rows
// once the watermark passes their interval (LEFT interval joins then emit unmatched rows);
// temporal joins keep only the latest right row per key and emit on left rows only.
type join struct {
	operator.Base
	cfg     sql.JoinConfig
	cond    *eval.Expr
	mem     memory.Allocator
	out     *arrow.Schema
	state   [2]map[string][]*stored
	pending *array.RecordBuilder
	keyBuf  []byte
	condBuf []any
	size    sizeHint // of the last emitted batch, reserved at the next emit
	reserve bool
	ks      *keyedStore // keyed state for checkpoints (join_state.go)
}

type stored struct {
	row     []any
	matches int
}

func newJoin(spec dataflow.OperatorSpec) (operator.Operator, error) {
	var raw struct {
		sql.JoinConfig
		Condition json.RawMessage `json:"condition"`
	}
	if err := operator.DecodeConfig(spec, &raw); err != nil {
		return nil, err
	}
	j := &join{cfg: raw.JoinConfig, state: [2]map[string][]*stored{{}, {}}}
	if len(raw.Condition) > 0 && string(raw.Condition) != "null" {
		var err error
		if j.cond, err = eval.Decode(raw.Condition, eval.Env{}); err != nil {
			return nil, fmt.Errorf("%w: join condition: %w", operator.ErrConfig, err)
		}
	}
	if j.cfg.Kind != "INNER" && j.cfg.Kind != "LEFT" {
		return nil, fmt.Errorf("%w: %s join", ErrNotImplemented, j.cfg.Kind)
	}
	if len(j.cfg.Columns) != j.cfg.LeftColumns+j.cfg.RightColumns {
		return nil, fmt.Errorf("%w: join has %d columns for %d + %d", operator.ErrConfig, len(j.cfg.Columns), j.cfg.LeftColumns, j.cfg.RightColumns)
	}
	var err error
	if j.out, err = outSchema(j.cfg.Columns, j.cfg.Updating); err != nil {
		return nil, err
	}
	return j, nil
}

// outSchema builds the output schema from the configured columns.
func outSchema(cols []sql.ColumnSpec, changelog bool) (*arrow.Schema, error) {
	var fields []arrow.Field
	for _, c := range cols {
		t, err := dataflow.ParseLogicalType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("%w: column %s: %w", operator.ErrConfig, c.Name, err)
		}
		dt, err := batch.ArrowType(t)
		if err != nil {
			return nil, err
		}
		fields = append(fields, arrow.Field{Name: c.Name, Type: dt, Nullable: true})
	}
	if changelog {
		fields = append(fields, arrow.Field{Name: sql.RowKindColumn, Type: arrow.PrimitiveTypes.Int8})
	}
	return arrow.NewSchema(fields, nil), nil
}

func (j *join) ProcessBatch(input int, rec arrow.RecordBatch, out operator.Emitter) error {
	n := j.cfg.LeftColumns
	if input == 1 {
		n = j.cfg.RightColumns
	}
	kindCol := -1
	if s := rec.Schema(); s.NumFields() > n && s.Field(s.NumFields()-1).Name == sql.RowKindColumn {
		kindCol = s.NumFields() - 1
	}
	rows := newOwnedRows(rec) // the join keeps its rows
	if err := j.ks.keyGroups(rec, j.joinKeys(input)); err != nil {
		return err
	}
	for r := range int(rec.NumRows()) {
		row, err := rows.readFirst(r, n) // kept in state: its own slice, strings owned
		if err != nil {
			return err
		}
		sign := int64(1)
		if kindCol >= 0 {
			k, err := value(rec.Column(kindCol), r)
			if err != nil {
				return err
			}
			if k, _ := k.(int64); k == rowUpdateBefore || k == rowDelete {
				sign = -1
			}
		}
		if err := j.process(input, row, sign, r); err != nil {
			return err
		}
	}
	return j.flush(out)
}

func (j *join) keyOfRow(input int, row []any) (string, bool) {
	keys := j.cfg.LeftKeys
	if input == 1 {
		keys = j.cfg.RightKeys
	}
	kb := j.keyBuf[:0]
	for _, k := range keys {
		if row[k] == nil {
			return "", false // NULL keys never match
		}
		kb = appendKeyValue(kb, row[k])
	}
	j.keyBuf = kb
	return string(kb), true
}

// process adds (sign 1) or retracts (sign -1) a row (row r of its batch) of one input.
func (j *join) process(input int, row []any, sign int64, r int) error {
	key, ok := j.keyOfRow(input, row)
	if ok {
		j.ks.touchRow(key, r)
	}
	if j.cfg.Temporal != nil && input == 1 {
		if ok {
			if sign > 0 {
				j.state[1][key] = []*stored{{row: row}}
			} else {
				delete(j.state[1], key)
			}
		}
		return nil
	}
	other := j.state[1-input]
	var matched []*stored
	if ok {
		for _, o := range other[key] {
			hit, err := j.matches(input, row, o.row)
			if err != nil {
				return err
			}
			if hit {
				matched = append(matched, o)
			}
		}
	}
	if sign < 0 {
		return j.retract(input, key, row, matched)
	}
	s := &stored{row: row, matches: len(matched)}
	if ok && j.cfg.Temporal == nil {
		j.state[input][key] = append(j.state[input][key], s)
	}
	for _, o := range matched {
		if input == 1 && j.cfg.Kind == "LEFT" && o.matches == 0 && j.cfg.Interval == nil {
			j.emit(o.row, nil, rowDelete)
		}
		o.matches++
		if input == 0 {
			j.emit(row, o.row, rowInsert)
		} else {
			j.emit(o.row, row, rowInsert)
		}
	}
	if input == 0 && len(matched) == 0 && j.cfg.Kind == "LEFT" && j.cfg.Interval == nil {
		j.emit(row, nil, rowInsert)
	}
	return nil
}

func (j *join) retract(input int, key string, row []any, matched []*stored) error {
	list := j.state[input][key]
	for i, s := range list {
		if keyOf(s.row) == keyOf(row) {
			j.state[input][key] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	for _, o := range matched {
		o.matches--
		if input == 0 {
			j.emit(row, o.row, rowDelete)
			continue
		}
		j.emit(o.row, row, rowDelete)
		if j.cfg.Kind == "LEFT" && o.matches == 0 {
			j.emit(o.row, nil, rowInsert)
		}
	}
	if input == 0 && len(matched) == 0 && j.cfg.Kind == "LEFT" {
		j.emit(row, nil, rowDelete)
	}
	return nil
}

// matches evaluates the join condition on a left and a right row.
func (j *join) matches(input int, row, other []any) (bool, error) {
	if j.cond == nil {
		return true, nil
	}
	l, r := row, other
	if input == 1 {
		l, r = other, row
	}
	j.condBuf = append(append(j.condBuf[:0], l...), r...)
	v, err := j.cond.Eval(j.condBuf)
	return v == true, err
}

// emit queues a joined row (right nil: padded with NULLs), appending the values straight to
// the pending builder.
func (j *join) emit(l, r []any, kind int64) {
	if j.pending == nil {
		j.pending = array.NewRecordBuilder(j.mem, j.out)
	}
	if !j.cfg.Updating && kind != rowInsert {
		return
	}
	if j.reserve {
		j.reserve = false
		j.size.reserve(j.pending)
	}
	b := j.pending
	i := 0
	for _, v := range l {
		_ = appendValue(b.Field(i), v)
		i++
	}
	if r == nil {
		for range j.cfg.RightColumns {
			b.Field(i).AppendNull()
			i++
		}
	} else {
		for _, v := range r {
			_ = appendValue(b.Field(i), v)
			i++
		}
	}
	if j.cfg.Updating {
		_ = appendValue(b.Field(i), kind)
	}
}

func (j *join) flush(out operator.Emitter) error {
	if j.pending == nil {
		return nil
	}
	rec := j.pending.NewRecordBatch()
	defer rec.Release()
	if rec.NumRows() == 0 {
		return nil
	}
	j.size.note(rec)
	j.reserve = true
	return out.Emit(rec)
}

// ProcessWatermark expires interval-join state the watermark has passed.
func (j *join) ProcessWatermark(wm int64, out operator.Emitter) error {
	if iv := j.cfg.Interval; iv != nil {
		j.expire(0, iv.LeftTime, wm, -iv.LowerMs)
		j.expire(1, iv.RightTime, wm, iv.UpperMs)
		if err := j.flush(out); err != nil {
			return err
		}
	}
	return out.EmitWatermark(wm)
}

// expire drops rows of input whose time + bound is at or before wm.
func (j *join) expire(input, timeCol int, wm, bound int64) {
	for key, list := range j.state[input] {
		kept := list[:0]
		for _, s := range list {
			t, ok := s.row[timeCol].(int64)
			if ok && wm != operator.MaxWatermark && t+bound > wm {
				kept = append(kept, s)
				continue
			}
			if input == 0 && j.cfg.Kind == "LEFT" && s.matches == 0 {
				j.emit(s.row, nil, rowInsert)
			}
		}
		if len(kept) != len(list) {
			j.ks.touch(key)
		}
		if len(kept) == 0 {
			delete(j.state[input], key)
			if len(j.state[1-input][key]) == 0 {
				j.ks.drop(key)
			}
		} else {
			j.state[input][key] = kept
		}
	}
}

func (j *join) Close() error {
	if j.pending != nil {
		j.pending.Release()
	}
	return nil
}
