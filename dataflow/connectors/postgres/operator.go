package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
)

// KindSink is the operator kind of the exactly-once PostgreSQL sink.
const KindSink = "postgres_sink"

// OperatorConfig configures the postgres_sink operator.
type OperatorConfig struct {
	// Connection names the target database for the Pools hook (a service integration's name,
	// or a connection string where the host allows it).
	Connection string `json:"connection"`
	// SinkID names the sink's markers and fence; "<job>/<operator id>" when empty.
	SinkID     string   `json:"sink_id,omitempty"`
	Table      string   `json:"table"`
	Columns    []string `json:"columns"`
	Mode       Mode     `json:"mode,omitempty"` // append (default) or upsert
	PrimaryKey []string `json:"primary_key,omitempty"`
	// KindColumn names the batch column carrying each row's changelog kind (see RowsFromBatch).
	KindColumn string `json:"kind_column,omitempty"`
	// ByPosition takes the batch's first len(Columns) columns as the sink's columns whatever
	// their names, and one more column, if present, as the kind column (RowsByPosition): the
	// SQL planner's sink input.
	ByPosition bool `json:"by_position,omitempty"`
	BatchRows  int  `json:"batch_rows,omitempty"`
	// MaxBufferedRows bounds the rows a subtask buffers between checkpoints (0: unbounded);
	// beyond it the task fails with ErrBufferFull rather than exhausting the worker's memory.
	MaxBufferedRows int `json:"max_buffered_rows,omitempty"`
	// ClosePool makes the operator close the pool the PoolFunc returned when it closes (a pool
	// opened for this sink alone, as the SQL sink does). Not part of a serialised config.
	ClosePool bool `json:"-"`
}

// ErrBufferFull: a sink subtask buffered more than MaxBufferedRows rows without a checkpoint.
var ErrBufferFull = errors.New("postgres sink buffer full")

// finalCheckpoint names the commit made at the end of input: it is above every checkpoint id,
// so once the end of input is committed no replay writes its rows again.
const finalCheckpoint = math.MaxInt64

// PoolFunc returns the connection pool of a sink's Connection; the pool stays owned by the
// caller (the worker shares one per database).
type PoolFunc func(ctx context.Context, connection string) (*pgxpool.Pool, error)

// RegisterSink registers the postgres_sink kind, reaching databases through pools.
func RegisterSink(reg *operator.Registry, pools PoolFunc) error {
	return reg.Register(KindSink, func(spec dataflow.OperatorSpec) (operator.Operator, error) {
		cfg := OperatorConfig{Mode: Append}
		if err := operator.DecodeConfig(spec, &cfg); err != nil {
			return nil, err
		}
		return NewSinkOperator(spec.ID, cfg, pools)
	})
}

// NewSinkOperator returns the exactly-once sink operator of cfg (for operator kinds that
// build it from their own configuration, e.g. the SQL sink's postgres connector). id is the
// operator's id in the graph: the default sink id is "<job>/<id>" (the context's operator id
// when id is empty).
func NewSinkOperator(id dataflow.OperatorID, cfg OperatorConfig, pools PoolFunc) (operator.Operator, error) {
	if cfg.Mode == "" {
		cfg.Mode = Append
	}
	if cfg.Connection == "" || cfg.Table == "" || len(cfg.Columns) == 0 || pools == nil {
		return nil, fmt.Errorf("%w: postgres_sink needs connection, table, columns and a pool provider", operator.ErrConfig)
	}
	return &sinkOperator{cfg: cfg, pools: pools, id: id}, nil
}

// sinkOperator runs Sink as the last operator of a chain: rows are buffered per checkpoint,
// sealed at the barrier (their pending commits are the operator's state) and committed with
// their marker when the checkpoint completes. When the task opens it fences older attempts,
// then commits the pending commits restored from a checkpoint. At the end of a bounded input
// the rows after the last checkpoint are committed under finalCheckpoint, above every id: a
// replay after a later failure finds that marker and skips them (end of input is
// exactly-once too).
type sinkOperator struct {
	operator.Base
	cfg      OperatorConfig
	pools    PoolFunc
	id       dataflow.OperatorID
	sink     *Sink
	ctx      context.Context
	log      *slog.Logger
	restored [][]byte
	pool     *pgxpool.Pool
	buffered int // rows written since the last barrier
}

func (o *sinkOperator) Open(octx *operator.Context) error {
	o.ctx, o.log = octx.Ctx, octx.Logger
	if o.ctx == nil {
		o.ctx = context.Background()
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	pool, err := o.pools(o.ctx, o.cfg.Connection)
	if err != nil {
		return fmt.Errorf("postgres sink connection %q: %w", o.cfg.Connection, err)
	}
	if o.cfg.ClosePool {
		o.pool = pool
	}
	id := o.cfg.SinkID
	if id == "" {
		op := o.id
		if op == "" {
			op = octx.Operator
		}
		id = octx.JobID + "/" + string(op)
	}
	o.sink, err = NewSink(o.ctx, pool, SinkConfig{SinkID: id, Subtask: octx.Subtask, Attempt: int64(octx.Attempt),
		Table: o.cfg.Table, Columns: o.cfg.Columns, Mode: o.cfg.Mode, PrimaryKey: o.cfg.PrimaryKey, BatchRows: o.cfg.BatchRows})
	if err != nil {
		return fmt.Errorf("postgres sink %s: %w", o.cfg.Connection, err)
	}
	for _, blob := range o.restored {
		if err := o.sink.RestoreState(blob); err != nil {
			return fmt.Errorf("postgres sink %s: %w", o.cfg.Connection, err)
		}
	}
	o.restored = nil
	// Fence older attempts before anything of this one is written, then finish the commits
	// the restored checkpoint sealed (markers skip those committed before the failure).
	if err := o.sink.Claim(o.ctx); err != nil {
		return err
	}
	if _, err := o.sink.CommitRestored(o.ctx); err != nil {
		return err
	}
	return nil
}

func (o *sinkOperator) ProcessBatch(_ int, rec arrow.RecordBatch, _ operator.Emitter) error {
	var rows []Row
	var err error
	if o.cfg.ByPosition {
		rows, err = RowsByPosition(rec, o.cfg.Columns)
	} else {
		rows, err = RowsFromBatch(rec, o.cfg.Columns, o.cfg.KindColumn)
	}
	if err != nil {
		return fmt.Errorf("postgres sink %s: %w", o.cfg.Connection, err)
	}
	o.buffered += len(rows)
	if o.cfg.MaxBufferedRows > 0 && o.buffered > o.cfg.MaxBufferedRows {
		return fmt.Errorf("%w: %s holds %d rows since the last checkpoint (rows are committed on checkpoint completion; checkpoint more often)",
			ErrBufferFull, o.cfg.Connection, o.buffered)
	}
	return o.sink.writeOwned(rows)
}

// ProcessWatermark swallows watermarks: nothing is downstream of a sink.
func (o *sinkOperator) ProcessWatermark(int64, operator.Emitter) error { return nil }

// SnapshotState seals the rows since the last barrier as checkpoint id's.
func (o *sinkOperator) SnapshotState(id uint64, w io.Writer) error {
	b, err := o.sink.SnapshotState(id)
	if err != nil {
		return err
	}
	o.buffered = 0
	_, err = w.Write(b)
	return err
}

// RestoreState keeps a restored state until Open connects the sink.
func (o *sinkOperator) RestoreState(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	o.restored = append(o.restored, b)
	return nil
}

// NotifyCheckpointComplete commits every sealed checkpoint up to id. A failed commit stays
// pending and is retried by the next notification (or after a restore); only a fenced sink
// (a newer attempt took over) fails the task.
func (o *sinkOperator) NotifyCheckpointComplete(ctx context.Context, id uint64) error {
	_, err := o.sink.NotifyCheckpointComplete(ctx, id)
	if errors.Is(err, ErrFenced) {
		return err
	}
	if err != nil && ctx.Err() == nil {
		o.log.Warn("postgres sink commit failed; retried at the next checkpoint", "checkpoint", id, "err", err)
	}
	return nil
}

// Finish commits what is left at the end of a bounded input, under finalCheckpoint; unlike a
// notification, a failed commit fails the task (nothing would retry it).
func (o *sinkOperator) Finish(operator.Emitter) error {
	if _, err := o.sink.SnapshotState(finalCheckpoint); err != nil {
		return err
	}
	_, err := o.sink.NotifyCheckpointComplete(o.ctx, finalCheckpoint)
	return err
}

// Close closes the pool when the operator owns it (ClosePool).
func (o *sinkOperator) Close() error {
	if o.pool != nil {
		o.pool.Close()
		o.pool = nil
	}
	return nil
}
