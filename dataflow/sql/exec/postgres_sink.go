package exec

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow"
	pg "github.com/flowplane/flowplane/dataflow/connectors/postgres"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// maxUncheckpointedRows bounds the rows a postgres sink subtask buffers between checkpoints;
// beyond it the sink fails (postgres.ErrBufferFull) rather than exhausting the worker's memory.
const maxUncheckpointedRows = 2_000_000

// newPostgresSink is sql.sink for the postgres connector: the exactly-once sink operator of
// package connectors/postgres (the one the runtime's postgres_sink kind runs), configured from
// the table's options. Rows are buffered per checkpoint and written, with a commit marker, when
// the checkpoint completes and at the end of input. A table with a PRIMARY KEY is upserted (the
// changelog folded per key, retractions delete), one without is appended with COPY. The
// operator opens its own pool to the table's endpoint, through the SSRF-guarded dialer, and
// closes it when it closes.
func newPostgresSink(id dataflow.OperatorID, cfg sql.SinkConfig, opts Options) (operator.Operator, error) {
	table := cfg.Options["table-name"]
	if table == "" {
		return nil, fmt.Errorf("%w: postgres sink %s has no 'table-name'", operator.ErrConfig, cfg.Table)
	}
	oc := pg.OperatorConfig{
		Connection: cfg.Table, Table: table, Mode: pg.Append, PrimaryKey: cfg.PrimaryKey,
		ByPosition: true, BatchRows: parseIntOption(cfg.Options, "sink.buffer-flush.max-rows", 0),
		MaxBufferedRows: maxUncheckpointedRows, ClosePool: true,
	}
	for _, c := range cfg.Columns {
		oc.Columns = append(oc.Columns, c.Name)
	}
	if len(cfg.PrimaryKey) > 0 {
		oc.Mode = pg.Upsert
	}
	pools := func(ctx context.Context, _ string) (*pgxpool.Pool, error) {
		ctx, cancel := context.WithTimeout(ctx, connectTimeout)
		defer cancel()
		return pgPool(ctx, cfg.Options, opts)
	}
	return pg.NewSinkOperator(id, oc, pools)
}
