package exec

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/connectors/egress"
	"github.com/flowplane/flowplane/dataflow/connectors/endpoint"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// Options configure the operators.
type Options struct {
	// Collect receives the rows of preview sinks (sql.PreviewConnector), one batch at a time,
	// from concurrent subtasks; an error fails the subtask. Nil refuses preview sinks.
	Collect func([]Row) error
	// Print receives the lines of print sinks (default os.Stdout; 'standard-error' = 'true'
	// uses os.Stderr). Writes from concurrent subtasks are serialised, one line at a time.
	Print io.Writer
	// Endpoints resolves the 'integration' option of postgres and kafka tables (nil: only
	// inline endpoints work).
	Endpoints endpoint.Resolver
	// Dial is how connectors open TCP connections: an SSRF-guarded dialer, normally the
	// worker's egress.Policy dialer. Nil means egress.Policy{} (no loopback, private,
	// link-local or metadata addresses).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// FileRoot is the storage directory filesystem tables' paths resolve in ("" refuses
	// filesystem tables).
	FileRoot string
	// Metrics receives counters no runtime metric covers yet (late rows); may be nil.
	Metrics *Metrics
}

// Register adds the SQL operator kinds implemented here to r: sql.source (nexmark, datagen,
// postgres, kafka), sql.calc,
// sql.watermark, sql.window_assign, sql.window_aggregate, sql.group_aggregate, sql.join,
// sql.rank, sql.union, sql.values and sql.sink (print, blackhole, postgres, kafka).
func Register(r *operator.Registry, opts Options) error {
	if opts.Print == nil {
		opts.Print = os.Stdout
	}
	out := &lockedWriter{w: opts.Print}
	return errors.Join(
		r.Register(sql.KindSource, func(spec dataflow.OperatorSpec) (operator.Operator, error) { return newSource(spec, opts) }),
		r.Register(sql.KindCalc, newCalc),
		r.Register(sql.KindWatermark, newWatermark),
		r.Register(sql.KindWindowAssign, newWindowAssign),
		r.Register(sql.KindWindowAggregate, func(spec dataflow.OperatorSpec) (operator.Operator, error) { return newWindowAgg(spec, opts.Metrics) }),
		r.Register(sql.KindGroupAggregate, newGroupAgg),
		r.Register(sql.KindUnion, newUnion),
		r.Register(sql.KindJoin, newJoin),
		r.Register(sql.KindRank, newRank),
		r.Register(sql.KindValues, newValues),
		r.Register(sql.KindSink, func(spec dataflow.OperatorSpec) (operator.Operator, error) { return newSink(spec, out, opts) }),
	)
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (o Options) dial() func(ctx context.Context, network, addr string) (net.Conn, error) {
	if o.Dial != nil {
		return o.Dial
	}
	return egress.Policy{}.Dialer(&net.Dialer{Timeout: connectTimeout}).DialContext
}
