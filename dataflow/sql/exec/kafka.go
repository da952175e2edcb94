package exec

import (
	"fmt"

	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

func newKafkaSource(cfg sql.SourceConfig, opts Options) (operator.Operator, error) {
	return nil, fmt.Errorf("%w: kafka", ErrNotImplemented)
}

func newKafkaSink(cfg sql.SinkConfig, opts Options) (operator.Operator, error) {
	return nil, fmt.Errorf("%w: kafka", ErrNotImplemented)
}
