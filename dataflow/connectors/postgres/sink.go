package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Mode is how a sink writes rows.
type Mode string

// The sink modes.
const (
	// Append inserts every row (retractions are errors); for insert-only streams.
	Append Mode = "append"
	// Upsert applies a changelog by primary key: insert or update, delete on retraction.
	Upsert Mode = "upsert"
)

// Errors of the sink; match with errors.Is.
var (
	// ErrConfig: an invalid sink configuration.
	ErrConfig = errors.New("invalid postgres sink config")
	// ErrFenced: a newer attempt of the job owns this sink subtask; this one must stop.
	ErrFenced = errors.New("sink fenced by a newer attempt")
	// ErrRow: a row that does not fit the sink (arity, kind).
	ErrRow = errors.New("invalid sink row")
)

// SinkConfig configures one subtask of a sink.
type SinkConfig struct {
	// SinkID names the sink for markers and fences; it must be stable across attempts and
	// restores of the job (e.g. "<job>/<operator id>") and unique per target table writer.
	SinkID string
	// Subtask is this subtask's index; markers and fences are per (SinkID, Subtask).
	Subtask int
	// Attempt is the job's attempt number (DESIGN §4); newer attempts fence older ones.
	Attempt int64
	// Table is the target table, "name" or "schema.name".
	Table string
	// Columns are the target columns, in the order of Row.Values.
	Columns []string
	// Mode is Append or Upsert.
	Mode Mode
	// PrimaryKey names the key columns (required for Upsert; a subset of Columns).
	PrimaryKey []string
	// BatchRows bounds the rows of one INSERT or DELETE statement (default 1000).
	BatchRows int
}

func (c *SinkConfig) validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(f, a...)) }
	switch {
	case c.SinkID == "" || c.Subtask < 0 || c.Attempt < 0:
		return bad("sink id, subtask >= 0 and attempt >= 0 are required")
	case len(tableIdent(c.Table)) == 0:
		return bad("table %q", c.Table)
	case len(c.Columns) == 0:
		return bad("no columns")
	case c.Mode != Append && c.Mode != Upsert:
		return bad("mode %q", c.Mode)
	case c.Mode == Upsert && len(c.PrimaryKey) == 0:
		return bad("upsert mode needs a primary key")
	}
	for _, k := range c.PrimaryKey {
		if !slices.Contains(c.Columns, k) {
			return bad("primary key column %q is not a sink column", k)
		}
	}
	if c.BatchRows <= 0 {
		c.BatchRows = 1000
	}
	// PostgreSQL allows 65535 parameters per statement.
	c.BatchRows = max(1, min(c.BatchRows, 65535/len(c.Columns)))
	return nil
}

// tableIdent splits "schema.name" into a pgx identifier, or returns nil if malformed.
func tableIdent(t string) pgx.Identifier {
	parts := strings.Split(t, ".")
	if len(parts) > 2 {
		return nil
	}
	for _, p := range parts {
		if p == "" {
			return nil
		}
	}
	return pgx.Identifier(parts)
}

// owner is the (sink, subtask) whose markers and fence a pending commit is committed under:
// the one that wrote the rows, which after a rescale or a restore into another job is not the
// subtask holding them now.
type owner struct {
	sinkID  string
	subtask int
}

// pendingCommit is the rows of one checkpoint, waiting for the checkpoint to complete.
type pendingCommit struct {
	owner      owner
	checkpoint uint64
	rows       []Row
}

// Sink is the exactly-once commit protocol of one sink subtask. Like an operator it is used
// from one goroutine: Write rows, SnapshotState at each checkpoint barrier, and
// NotifyCheckpointComplete when the coordinator reports a checkpoint complete. After a restore,
// call RestoreState then CommitRestored before writing new rows.
type Sink struct {
	pool    *pgxpool.Pool
	cfg     SinkConfig
	pkIdx   []int
	current []Row
	pending []pendingCommit
	// lastSealed is the newest checkpoint id this sink sealed rows for.
	lastSealed uint64
	// claimed is set once this attempt raised the sink's fence.
	claimed bool
}

func (s *Sink) self() owner { return owner{sinkID: s.cfg.SinkID, subtask: s.cfg.Subtask} }

// NewSink validates cfg and creates the marker and fence tables in the target database if
// they do not exist.
func NewSink(ctx context.Context, pool *pgxpool.Pool, cfg SinkConfig) (*Sink, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Sink{pool: pool, cfg: cfg}
	for _, k := range cfg.PrimaryKey {
		s.pkIdx = append(s.pkIdx, slices.Index(cfg.Columns, k))
	}
	if err := ensureMarkerTables(ctx, pool); err != nil {
		return nil, fmt.Errorf("postgres sink %s: create marker tables: %w", cfg.SinkID, err)
	}
	return s, nil
}

// Write buffers rows for the next checkpoint. Rows are copied.
func (s *Sink) Write(rows ...Row) error {
	for _, r := range rows {
		if err := s.checkRow(r); err != nil {
			return err
		}
		vals := make([]any, len(r.Values))
		for i, v := range r.Values {
			n, err := normalize(v)
			if err != nil {
				return fmt.Errorf("column %q: %w", s.cfg.Columns[i], err)
			}
			vals[i] = n
		}
		s.current = append(s.current, Row{Kind: r.Kind, Values: vals})
	}
	return nil
}

// writeOwned is Write for rows the sink may keep as they are: built by RowsFromBatch or
// RowsByPosition, whose values are fresh and of the stored types already.
func (s *Sink) writeOwned(rows []Row) error {
	for _, r := range rows {
		if err := s.checkRow(r); err != nil {
			return err
		}
		s.current = append(s.current, r)
	}
	return nil
}

func (s *Sink) checkRow(r Row) error {
	if !r.Kind.valid() || (s.cfg.Mode == Append && r.Kind != Insert) {
		return fmt.Errorf("%w: %s row in %s mode", ErrRow, r.Kind, s.cfg.Mode)
	}
	if len(r.Values) != len(s.cfg.Columns) {
		return fmt.Errorf("%w: %d values for %d columns", ErrRow, len(r.Values), len(s.cfg.Columns))
	}
	return nil
}

// SnapshotState seals the rows written since the previous barrier as checkpoint id's and
// returns the encoding of every pending commit, to be stored in the checkpoint.
func (s *Sink) SnapshotState(id uint64) ([]byte, error) {
	if id <= s.lastSealed {
		return nil, fmt.Errorf("postgres sink %s: checkpoint %d after %d", s.cfg.SinkID, id, s.lastSealed)
	}
	s.lastSealed = id
	if len(s.current) > 0 {
		s.pending = append(s.pending, pendingCommit{owner: s.self(), checkpoint: id, rows: s.current})
		s.current = nil
	}
	return encodePending(s.pending), nil
}

// RestoreState adds the pending commits of a checkpoint's sink state and drops rows written
// since. After a rescale, the state of each old subtask must be restored by exactly one new
// subtask (RestoreState may be called once per old state); its commits keep the old subtask's
// markers and fence. Pending commits of another sink id (a job restored from another job's
// savepoint) are committed under that sink's markers, so they are not written twice.
func (s *Sink) RestoreState(data []byte) error {
	pending, err := decodePending(data)
	if err != nil {
		return err
	}
	for _, p := range pending {
		for _, r := range p.rows {
			if len(r.Values) != len(s.cfg.Columns) || (s.cfg.Mode == Append && r.Kind != Insert) {
				return fmt.Errorf("%w: restored row does not fit the sink's columns or mode", ErrCorruptState)
			}
		}
	}
	s.pending, s.current = append(s.pending, pending...), nil
	return nil
}

// Pending returns the number of checkpoints whose rows await commit.
func (s *Sink) Pending() int { return len(s.pending) }

// CommitRestored commits every pending commit restored from a checkpoint: the checkpoint the
// job restored from is complete, so are all its pending commits (the markers skip those that
// had been committed before the failure).
func (s *Sink) CommitRestored(ctx context.Context) (CommitResult, error) {
	return s.commitWhere(ctx, 0, func(pendingCommit) bool { return true })
}

// CommitResult reports one commit.
type CommitResult struct {
	// Checkpoints is the number of pending checkpoints the commit covered.
	Checkpoints int
	// Rows is the number of rows written (upsert mode: after folding per key).
	Rows int
	// Skipped is the number of checkpoints skipped because their marker existed.
	Skipped int
}
