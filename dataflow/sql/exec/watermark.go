package exec

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql/eval"
)

// watermark emits, after each batch, the largest watermark expression value seen so far
// (sql.watermark): bounded out-of-orderness watermarks per subtask.
type watermark struct {
	operator.Base
	expr    *eval.Expr
	used    []int // the input columns the expression reads
	current int64
	rowBuf  []any
}

func newWatermark(spec dataflow.OperatorSpec) (operator.Operator, error) {
	var cfg struct {
		Rowtime int             `json:"rowtime"`
		Expr    json.RawMessage `json:"expr"`
	}
	if err := operator.DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	e, err := eval.Decode(cfg.Expr, eval.Env{})
	if err != nil {
		return nil, fmt.Errorf("%w: watermark expression: %w", operator.ErrConfig, err)
	}
	used := map[int]bool{}
	if err := addInputs(cfg.Expr, used); err != nil {
		return nil, fmt.Errorf("%w: watermark expression: %w", operator.ErrConfig, err)
	}
	w := &watermark{expr: e, current: math.MinInt64}
	for j := range used {
		w.used = append(w.used, j)
	}
	return w, nil
}

func (w *watermark) ProcessBatch(_ int, rec arrow.RecordBatch, out operator.Emitter) error {
	next := w.current
	ncols := int(rec.NumCols())
	if len(w.rowBuf) < ncols {
		w.rowBuf = make([]any, ncols)
	}
	row := w.rowBuf[:ncols]
	for r := range int(rec.NumRows()) {
		if err := readUsed(rec, r, w.used, row); err != nil {
			return err
		}
		v, err := w.expr.Eval(row)
		if err != nil {
			return err
		}
		if ms, ok := v.(int64); ok && ms > next {
			next = ms
		}
	}
	if err := out.Emit(rec); err != nil {
		return err
	}
	if next > w.current {
		w.current = next
		return out.EmitWatermark(next)
	}
	return nil
}

// ProcessWatermark ignores upstream watermarks except the final one: this operator owns the
// stream's event time.
func (w *watermark) ProcessWatermark(wm int64, out operator.Emitter) error {
	if wm == operator.MaxWatermark {
		return out.EmitWatermark(wm)
	}
	return nil
}
