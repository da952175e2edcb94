package exec

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/sql/eval"
)

// Row is one row a preview sink collected, ready for JSON: Values holds, per column, nil, a
// bool, an int64 (integer types), a float64 (FLOAT and DOUBLE, finite) or the value's SQL text
// (every other type, and non-finite floats). Kind is +I, -U, +U or -D.
type Row struct {
	Kind   string
	Values []any
}

// ErrNoCollector is returned for a preview sink when Options.Collect is nil.
var ErrNoCollector = fmt.Errorf("%w: preview sink without a collector", operator.ErrConfig)

// collectSink is sql.sink for sql.PreviewConnector: it hands each batch's rows to the collector.
type collectSink struct {
	operator.Base
	collect func([]Row) error
	types   []dataflow.LogicalType
}

func newCollectSink(cfg sql.SinkConfig, collect func([]Row) error) (operator.Operator, error) {
	if collect == nil {
		return nil, ErrNoCollector
	}
	s := &collectSink{collect: collect}
	for _, c := range cfg.Columns {
		t, err := dataflow.ParseLogicalType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("%w: column %s: %w", operator.ErrConfig, c.Name, err)
		}
		s.types = append(s.types, t)
	}
	return s, nil
}

func (s *collectSink) ProcessBatch(_ int, rec arrow.RecordBatch, _ operator.Emitter) error {
	kindCol := -1
	if int(rec.NumCols()) > len(s.types) {
		kindCol = int(rec.NumCols()) - 1
	}
	rows := make([]Row, rec.NumRows())
	for r := range rows {
		row := Row{Kind: "+I", Values: make([]any, len(s.types))}
		for j, t := range s.types {
			v, err := ownedValue(rec.Column(j), r)
			if err != nil {
				return err
			}
			row.Values[j] = jsonValue(v, t)
		}
		if kindCol >= 0 {
			if k, _ := value(rec.Column(kindCol), r); k != nil && k.(int64) >= 0 && k.(int64) < 4 {
				row.Kind = rowKinds[k.(int64)]
			}
		}
		rows[r] = row
	}
	return s.collect(rows)
}

func jsonValue(v any, t dataflow.LogicalType) any {
	if v == nil {
		return nil
	}
	switch t.Kind {
	case dataflow.TypeBoolean, dataflow.TypeTinyInt, dataflow.TypeSmallInt, dataflow.TypeInt, dataflow.TypeBigInt:
		return v
	case dataflow.TypeFloat, dataflow.TypeDouble:
		if f, ok := v.(float64); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f
		}
	}
	return eval.Format(v, t)
}
