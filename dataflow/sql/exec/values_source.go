package exec

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/sql/eval"
)

// valuesSource is sql.values: it emits its constant rows once (from subtask 0) and ends.
type valuesSource struct {
	operator.Base
	rows   [][]*eval.Expr
	schema *arrow.Schema
	mem    memory.Allocator
	done   bool
}

func newValues(spec dataflow.OperatorSpec) (operator.Operator, error) {
	var cfg struct {
		Rows    [][]json.RawMessage `json:"rows"`
		Columns []sql.ColumnSpec    `json:"columns"`
	}
	if err := operator.DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	v := &valuesSource{}
	var err error
	if v.schema, err = outSchema(cfg.Columns, false); err != nil {
		return nil, err
	}
	for _, row := range cfg.Rows {
		if len(row) != len(cfg.Columns) {
			return nil, fmt.Errorf("%w: VALUES row of %d values for %d columns", operator.ErrConfig, len(row), len(cfg.Columns))
		}
		var exprs []*eval.Expr
		for _, raw := range row {
			e, err := eval.Decode(raw, eval.Env{})
			if err != nil {
				return nil, fmt.Errorf("%w: %w", operator.ErrConfig, err)
			}
			exprs = append(exprs, e)
		}
		v.rows = append(v.rows, exprs)
	}
	return v, nil
}

func (v *valuesSource) Open(ctx *operator.Context) error {
	v.mem = allocator(ctx)
	v.done = ctx.Subtask > 0
	return nil
}

func (v *valuesSource) Poll(_ context.Context, out operator.Emitter) error {
	if v.done {
		return operator.ErrEndOfInput
	}
	v.done = true
	if v.schema.NumFields() == 0 { // SELECT without FROM: rows of no columns, projected later
		rec := array.NewRecordBatch(v.schema, nil, int64(len(v.rows)))
		defer rec.Release()
		return out.Emit(rec)
	}
	b := array.NewRecordBuilder(v.mem, v.schema)
	defer b.Release()
	for _, row := range v.rows {
		for j, e := range row {
			val, err := e.Eval(nil)
			if err == nil {
				val, err = eval.Normalize(val, e.Type)
			}
			if err == nil {
				err = appendValue(b.Field(j), castForColumn(val, v.schema.Field(j).Type))
			}
			if err != nil {
				return err
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return out.Emit(rec)
}

// castForColumn widens an integer literal for a floating-point column (VALUES rows unify
// their types but keep each literal's own representation).
func castForColumn(v any, dt arrow.DataType) any {
	if i, ok := v.(int64); ok && (dt.ID() == arrow.FLOAT64 || dt.ID() == arrow.FLOAT32) {
		return float64(i)
	}
	return v
}

func (v *valuesSource) ProcessBatch(int, arrow.RecordBatch, operator.Emitter) error {
	return fmt.Errorf("%w: a source has no inputs", operator.ErrConfig)
}
