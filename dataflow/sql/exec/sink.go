package exec

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/sql/eval"
)

// ErrNotImplemented is returned for sink connectors this package does not implement.
var ErrNotImplemented = fmt.Errorf("%w: connector not implemented", operator.ErrConfig)

// printSink writes rows as text lines, one per row, like Flink's print connector:
// "<identifier>> +I[1, abc]".
type printSink struct {
	operator.Base
	w      io.Writer
	prefix string
	types  []*dataflow.LogicalType // per column, parsed once; nil for a type that does not parse
}

type blackholeSink struct{ operator.Base }

func (blackholeSink) ProcessBatch(int, arrow.RecordBatch, operator.Emitter) error { return nil }

func newSink(spec dataflow.OperatorSpec, stdout io.Writer, opts Options) (operator.Operator, error) {
	var cfg sql.SinkConfig
	if err := operator.DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	switch cfg.Connector {
	case sql.PreviewConnector:
		return newCollectSink(cfg, opts.Collect)
	case "blackhole":
		return blackholeSink{}, nil
	case "postgres":
		return newPostgresSink(spec.ID, cfg, opts)
	case "kafka":
		return newKafkaSink(cfg, opts)
	case "filesystem":
		return newFSSink(cfg, opts)
	case "print":
		out := stdout
		if cfg.Options["standard-error"] == "true" {
			out = os.Stderr
		}
		prefix := ""
		if id := cfg.Options["print-identifier"]; id != "" {
			prefix = id + "> "
		}
		return newPrintSink(out, prefix, cfg.Columns), nil
	}
	return nil, fmt.Errorf("%w: sink connector %q", ErrNotImplemented, cfg.Connector)
}

var rowKinds = []string{"+I", "-U", "+U", "-D"}

func (p *printSink) ProcessBatch(_ int, rec arrow.RecordBatch, _ operator.Emitter) error {
	ncols := int(rec.NumCols())
	kindCol := -1
	if ncols > len(p.types) {
		kindCol = ncols - 1
	}
	parts := make([]string, len(p.types))
	for r := range int(rec.NumRows()) {
		kind := "+I"
		for j := range p.types {
			v, err := value(rec.Column(j), r)
			if err != nil {
				return err
			}
			parts[j] = render(v, p.types[j])
		}
		if kindCol >= 0 {
			if k, _ := value(rec.Column(kindCol), r); k != nil && k.(int64) >= 0 && k.(int64) < 4 {
				kind = rowKinds[k.(int64)]
			}
		}
		if _, err := fmt.Fprintf(p.w, "%s%s[%s]\n", p.prefix, kind, strings.Join(parts, ", ")); err != nil {
			return err
		}
	}
	return nil
}

func newPrintSink(w io.Writer, prefix string, cols []sql.ColumnSpec) *printSink {
	p := &printSink{w: w, prefix: prefix, types: make([]*dataflow.LogicalType, len(cols))}
	for j, c := range cols {
		if t, err := dataflow.ParseLogicalType(c.Type); err == nil {
			p.types[j] = &t
		}
	}
	return p
}

// render formats v of type t (nil: a type that did not parse, printed as Go prints it).
func render(v any, t *dataflow.LogicalType) string {
	if v == nil {
		return "NULL"
	}
	if t == nil {
		return fmt.Sprint(v)
	}
	return eval.Format(v, *t)
}
