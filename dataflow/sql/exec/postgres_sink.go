package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5/pgxpool"

	pg "github.com/flowplane/flowplane/dataflow/connectors/postgres"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// maxUncheckpointedRows bounds the rows a postgres sink subtask buffers between checkpoints;
// beyond it the sink fails (ErrSinkBuffer) rather than exhausting the worker's memory.
const maxUncheckpointedRows = 2_000_000

// ErrSinkBuffer: a postgres sink buffered too many rows without a checkpoint.
var ErrSinkBuffer = errors.New("postgres sink buffer full")

// finalCheckpoint names the commit made at the end of input: it is above every checkpoint
// id, so once the end of input is committed no replay writes its rows again.
const finalCheckpoint = math.MaxInt64

// pgSink is sql.sink for the postgres connector, on the exactly-once sink of package
// connectors/postgres: rows are buffered per checkpoint and written, with a commit marker,
// when the checkpoint completes (NotifyCheckpointComplete) and at the end of input. A table
// with a PRIMARY KEY is upserted (the changelog folded per key, retractions delete), one
// without is appended with COPY.
type pgSink struct {
	operator.Base
	opts     Options
	cfg      sql.SinkConfig
	names    []string
	pool     *pgxpool.Pool
	sink     *pg.Sink
	restored [][]byte
	schema   *arrow.Schema // the input schema renamed to the sink's columns
	in       *arrow.Schema
	buffered int // rows written since the last checkpoint
}

func newPostgresSink(cfg sql.SinkConfig, opts Options) (operator.Operator, error) {
	if cfg.Options["table-name"] == "" {
		return nil, fmt.Errorf("%w: postgres sink %s has no 'table-name'", operator.ErrConfig, cfg.Table)
	}
	s := &pgSink{opts: opts, cfg: cfg}
	for _, c := range cfg.Columns {
		s.names = append(s.names, c.Name)
	}
	return s, nil
}

func (s *pgSink) Open(octx *operator.Context) error {
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	var err error
	if s.pool, err = pgPool(ctx, s.cfg.Options, s.opts); err != nil {
		return fmt.Errorf("postgres sink %s: %w", s.cfg.Table, err)
	}
	mode := pg.Append
	if len(s.cfg.PrimaryKey) > 0 {
		mode = pg.Upsert
	}
	s.sink, err = pg.NewSink(ctx, s.pool, pg.SinkConfig{
		SinkID: octx.JobID + "/" + string(octx.Operator), Subtask: octx.Subtask, Attempt: int64(octx.Attempt),
		Table: s.cfg.Options["table-name"], Columns: s.names, Mode: mode, PrimaryKey: s.cfg.PrimaryKey,
		BatchRows: parseIntOption(s.cfg.Options, "sink.buffer-flush.max-rows", 0),
	})
	if err != nil {
		return fmt.Errorf("postgres sink %s: %w", s.cfg.Table, err)
	}
	for _, data := range s.restored {
		if err := s.sink.RestoreState(data); err != nil {
			return fmt.Errorf("postgres sink %s: %w", s.cfg.Table, err)
		}
	}
	if len(s.restored) > 0 {
		if _, err := s.sink.CommitRestored(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (s *pgSink) ProcessBatch(_ int, rec arrow.RecordBatch, _ operator.Emitter) error {
	if s.in == nil || !s.in.Equal(rec.Schema()) {
		fields := rec.Schema().Fields()
		if len(fields) < len(s.names) {
			return fmt.Errorf("%w: postgres sink %s: %d input columns for %d", operator.ErrConfig, s.cfg.Table, len(fields), len(s.names))
		}
		for i, n := range s.names {
			fields[i].Name = n
		}
		s.in, s.schema = rec.Schema(), arrow.NewSchema(fields, nil)
	}
	kind := ""
	if s.schema.NumFields() > len(s.names) {
		kind = s.schema.Field(len(s.names)).Name
	}
	renamed := array.NewRecordBatch(s.schema, rec.Columns(), rec.NumRows())
	defer renamed.Release()
	rows, err := pg.RowsFromBatch(renamed, s.names, kind)
	if err != nil {
		return fmt.Errorf("postgres sink %s: %w", s.cfg.Table, err)
	}
	if s.buffered += len(rows); s.buffered > maxUncheckpointedRows {
		return fmt.Errorf("%w: %s holds %d rows since the last checkpoint (rows are committed on checkpoint completion; checkpoint more often)",
			ErrSinkBuffer, s.cfg.Table, s.buffered)
	}
	return s.sink.Write(rows...)
}

// SnapshotState seals the rows since the previous checkpoint as checkpoint id's and writes
// every pending commit.
func (s *pgSink) SnapshotState(id uint64, w io.Writer) error {
	data, err := s.sink.SnapshotState(id)
	if err != nil {
		return err
	}
	s.buffered = 0
	_, err = w.Write(data)
	return err
}

// RestoreState keeps the pending commits of a checkpoint; Open commits them.
func (s *pgSink) RestoreState(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.restored = append(s.restored, data)
	return nil
}

// NotifyCheckpointComplete commits the rows of every pending checkpoint up to id.
func (s *pgSink) NotifyCheckpointComplete(ctx context.Context, id uint64) error {
	_, err := s.sink.NotifyCheckpointComplete(ctx, id)
	return err
}

// Finish commits everything written since the last checkpoint.
func (s *pgSink) Finish(operator.Emitter) error {
	if _, err := s.sink.SnapshotState(finalCheckpoint); err != nil {
		return err
	}
	return s.NotifyCheckpointComplete(context.Background(), finalCheckpoint)
}

func (s *pgSink) Close() error {
	if s.pool != nil {
		s.pool.Close()
	}
	return nil
}
