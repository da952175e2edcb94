package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const markerDDL = `
CREATE TABLE IF NOT EXISTS flowplane_sink_fences (
    sink_id    text        NOT NULL,
    subtask    integer     NOT NULL,
    attempt    bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sink_id, subtask)
);
CREATE TABLE IF NOT EXISTS flowplane_sink_commits (
    sink_id       text        NOT NULL,
    subtask       integer     NOT NULL,
    checkpoint_id bigint      NOT NULL,
    attempt       bigint      NOT NULL,
    row_count     bigint      NOT NULL,
    committed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sink_id, subtask, checkpoint_id)
);`

// markerLockKey serialises creation of the marker tables by concurrent sinks.
const markerLockKey = 0x666c6f77_736e6b31 // "flowsnk1"

// markerHistory is how many checkpoint ids of markers are kept below the newest one; older
// markers are pruned (the newest alone decides what was committed).
const markerHistory = 100

func ensureMarkerTables(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(markerLockKey)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, markerDDL)
		return err
	})
}

// Claim fences older attempts: from now on their commits fail with ErrFenced. A new attempt
// calls it when it starts (before CommitRestored); it fails with ErrFenced if an even newer
// attempt has claimed the sink.
func (s *Sink) Claim(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.fence(ctx, tx) })
}

// fence locks the (sink, subtask) fence row, fails if a newer attempt holds it, and raises it
// to this attempt.
func (s *Sink) fence(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `INSERT INTO flowplane_sink_fences (sink_id, subtask, attempt) VALUES ($1, $2, $3)
		ON CONFLICT (sink_id, subtask) DO NOTHING`, s.cfg.SinkID, s.cfg.Subtask, s.cfg.Attempt)
	if err != nil {
		return err
	}
	var holder int64
	err = tx.QueryRow(ctx, `SELECT attempt FROM flowplane_sink_fences WHERE sink_id = $1 AND subtask = $2 FOR UPDATE`,
		s.cfg.SinkID, s.cfg.Subtask).Scan(&holder)
	if err != nil {
		return err
	}
	if holder > s.cfg.Attempt {
		return fmt.Errorf("%w: sink %s subtask %d: attempt %d, fence holds %d", ErrFenced, s.cfg.SinkID, s.cfg.Subtask, s.cfg.Attempt, holder)
	}
	if holder < s.cfg.Attempt {
		_, err = tx.Exec(ctx, `UPDATE flowplane_sink_fences SET attempt = $3, updated_at = now() WHERE sink_id = $1 AND subtask = $2`,
			s.cfg.SinkID, s.cfg.Subtask, s.cfg.Attempt)
	}
	return err
}

// NotifyCheckpointComplete commits the rows of every pending checkpoint <= id in one
// transaction with the marker of id, skipping checkpoints a marker shows committed already.
// Notifications are best effort: a later one (or CommitRestored) covers a missed one. On error
// the pending rows stay and the next notification retries them; ErrFenced means this attempt
// is a zombie and must stop.
func (s *Sink) NotifyCheckpointComplete(ctx context.Context, id uint64) (CommitResult, error) {
	n := 0
	for n < len(s.pending) && s.pending[n].checkpoint <= id {
		n++
	}
	if n == 0 {
		return CommitResult{}, nil
	}
	var res CommitResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		res, err = s.commit(ctx, tx, s.pending[:n], id)
		return err
	})
	if err != nil {
		return CommitResult{}, fmt.Errorf("postgres sink %s subtask %d: commit checkpoint %d: %w", s.cfg.SinkID, s.cfg.Subtask, id, err)
	}
	s.pending = append(s.pending[:0], s.pending[n:]...)
	return res, nil
}

func (s *Sink) commit(ctx context.Context, tx pgx.Tx, pending []pendingCommit, id uint64) (CommitResult, error) {
	res := CommitResult{Checkpoints: len(pending)}
	if err := s.fence(ctx, tx); err != nil {
		return res, err
	}
	var committed int64
	err := tx.QueryRow(ctx, `SELECT coalesce(max(checkpoint_id), 0) FROM flowplane_sink_commits WHERE sink_id = $1 AND subtask = $2`,
		s.cfg.SinkID, s.cfg.Subtask).Scan(&committed)
	if err != nil {
		return res, err
	}
	var rows []Row
	for _, p := range pending {
		if p.checkpoint <= uint64(committed) {
			res.Skipped++
			continue
		}
		rows = append(rows, p.rows...)
	}
	if res.Skipped == len(pending) {
		return res, nil
	}
	if s.cfg.Mode == Append {
		res.Rows, err = s.copyRows(ctx, tx, rows)
	} else {
		res.Rows, err = s.upsertRows(ctx, tx, rows)
	}
	if err != nil {
		return res, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO flowplane_sink_commits (sink_id, subtask, checkpoint_id, attempt, row_count)
		VALUES ($1, $2, $3, $4, $5)`, s.cfg.SinkID, s.cfg.Subtask, int64(id), s.cfg.Attempt, res.Rows)
	if err != nil {
		return res, err
	}
	_, err = tx.Exec(ctx, `DELETE FROM flowplane_sink_commits WHERE sink_id = $1 AND subtask = $2 AND checkpoint_id < $3`,
		s.cfg.SinkID, s.cfg.Subtask, int64(id)-markerHistory)
	return res, err
}

func (s *Sink) copyRows(ctx context.Context, tx pgx.Tx, rows []Row) (int, error) {
	n, err := tx.CopyFrom(ctx, tableIdent(s.cfg.Table), s.cfg.Columns, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		return rows[i].Values, nil
	}))
	return int(n), err
}

// upsertRows folds rows per primary key (the last change of a key wins) and writes the
// survivors: deletes for retracted keys, one INSERT … ON CONFLICT DO UPDATE for the others.
func (s *Sink) upsertRows(ctx context.Context, tx pgx.Tx, rows []Row) (int, error) {
	last := make(map[string]int, len(rows))
	var order []string
	var key []byte
	for i, r := range rows {
		key = key[:0]
		for _, k := range s.pkIdx {
			key = appendValue(key, r.Values[k])
		}
		if _, ok := last[string(key)]; !ok {
			order = append(order, string(key))
		}
		last[string(key)] = i
	}
	var upserts, deletes []Row
	for _, k := range order {
		r := rows[last[k]]
		if r.Kind.retracts() {
			deletes = append(deletes, r)
		} else {
			upserts = append(upserts, r)
		}
	}
	for b := range chunks(deletes, s.cfg.BatchRows) {
		if _, err := tx.Exec(ctx, s.deleteSQL(len(b)), s.args(b, s.pkIdx)...); err != nil {
			return 0, err
		}
	}
	all := make([]int, len(s.cfg.Columns))
	for i := range all {
		all[i] = i
	}
	for b := range chunks(upserts, s.cfg.BatchRows) {
		if _, err := tx.Exec(ctx, s.upsertSQL(len(b)), s.args(b, all)...); err != nil {
			return 0, err
		}
	}
	return len(upserts) + len(deletes), nil
}

func chunks(rows []Row, size int) func(func([]Row) bool) {
	return func(yield func([]Row) bool) {
		for len(rows) > 0 {
			n := min(size, len(rows))
			if !yield(rows[:n]) {
				return
			}
			rows = rows[n:]
		}
	}
}

func (s *Sink) args(rows []Row, cols []int) []any {
	out := make([]any, 0, len(rows)*len(cols))
	for _, r := range rows {
		for _, c := range cols {
			out = append(out, r.Values[c])
		}
	}
	return out
}

// tuples writes n parenthesised tuples of width placeholders: ($1,$2),($3,$4)...
func tuples(sb *strings.Builder, n, width int) {
	p := 1
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for j := range width {
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(sb, "$%d", p)
			p++
		}
		sb.WriteByte(')')
	}
}

func idents(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = pgx.Identifier{n}.Sanitize()
	}
	return strings.Join(q, ", ")
}

func (s *Sink) deleteSQL(n int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "DELETE FROM %s WHERE (%s) IN (", tableIdent(s.cfg.Table).Sanitize(), idents(s.cfg.PrimaryKey))
	tuples(&sb, n, len(s.pkIdx))
	sb.WriteByte(')')
	return sb.String()
}

func (s *Sink) upsertSQL(n int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "INSERT INTO %s (%s) VALUES ", tableIdent(s.cfg.Table).Sanitize(), idents(s.cfg.Columns))
	tuples(&sb, n, len(s.cfg.Columns))
	fmt.Fprintf(&sb, " ON CONFLICT (%s) DO ", idents(s.cfg.PrimaryKey))
	var sets []string
	for _, c := range s.cfg.Columns {
		if !slices.Contains(s.cfg.PrimaryKey, c) {
			q := pgx.Identifier{c}.Sanitize()
			sets = append(sets, q+" = EXCLUDED."+q)
		}
	}
	if len(sets) == 0 {
		sb.WriteString("NOTHING")
	} else {
		sb.WriteString("UPDATE SET " + strings.Join(sets, ", "))
	}
	return sb.String()
}
