package exec

import (
	"errors"

	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// Register adds the SQL operator kinds implemented here to r: sql.source (nexmark), sql.calc,
// sql.watermark and sql.sink (print, blackhole).
func Register(r *operator.Registry) error {
	return errors.Join(
		r.Register(sql.KindSource, newSource),
		r.Register(sql.KindCalc, newCalc),
		r.Register(sql.KindWatermark, newWatermark),
		r.Register(sql.KindSink, newSink),
	)
}
