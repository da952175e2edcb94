package exec

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
)

// union forwards the batches of all its inputs (sql.union).
type union struct{ operator.Base }

func newUnion(dataflow.OperatorSpec) (operator.Operator, error) { return union{}, nil }

func (union) ProcessBatch(_ int, rec arrow.RecordBatch, out operator.Emitter) error {
	return out.Emit(rec)
}
