package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const markerDDL = `
CREATE TABLE IF NOT EXISTS flowplane_sink_fences (
    sink_id    text        PRIMARY KEY,
    attempt    bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
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

// ensureMarkerTables creates the marker and fence tables unless both exist (checked first, so a
// role without CREATE privilege works once an administrator has created them).
func ensureMarkerTables(ctx context.Context, pool *pgxpool.Pool) error {
	var exist bool
	err := pool.QueryRow(ctx, `SELECT to_regclass('flowplane_sink_commits') IS NOT NULL
		AND to_regclass('flowplane_sink_fences') IS NOT NULL`).Scan(&exist)
	if err != nil || exist {
		return err
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(markerLockKey)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, markerDDL)
		return err
	})
}

// Claim fences older attempts of the job: from now on every commit of an older attempt, by
// any subtask, fails with ErrFenced. Each subtask of a new attempt calls it when it starts
// (before CommitRestored); it fails with ErrFenced if an even newer attempt has claimed the sink.
func (s *Sink) Claim(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.fence(ctx, tx, true) })
	if err == nil {
		s.claimed = true
	}
	return err
}

// fence checks the sink's fence row: it fails if a newer attempt holds it and raises it to
// this attempt if an older one does. Commits hold the row with a share lock, so they run in
// parallel across subtasks while a Claim (exclusive) waits for the commits in flight and every
// later commit of an older attempt sees the new attempt.
func (s *Sink) fence(ctx context.Context, tx pgx.Tx, exclusive bool) error {
	_, err := tx.Exec(ctx, `INSERT INTO flowplane_sink_fences (sink_id, attempt) VALUES ($1, $2)
		ON CONFLICT (sink_id) DO NOTHING`, s.cfg.SinkID, s.cfg.Attempt)
	if err != nil {
		return err
	}
	lock := "FOR SHARE"
	if exclusive {
		lock = "FOR UPDATE"
	}
	var holder int64
	err = tx.QueryRow(ctx, `SELECT attempt FROM flowplane_sink_fences WHERE sink_id = $1 `+lock, s.cfg.SinkID).Scan(&holder)
	if err != nil {
		return err
	}
	if holder > s.cfg.Attempt {
		return fmt.Errorf("%w: sink %s: attempt %d, fence holds %d", ErrFenced, s.cfg.SinkID, s.cfg.Attempt, holder)
	}
	if holder < s.cfg.Attempt {
		_, err = tx.Exec(ctx, `UPDATE flowplane_sink_fences SET attempt = $2, updated_at = now() WHERE sink_id = $1`,
			s.cfg.SinkID, s.cfg.Attempt)
	}
	return err
}

// NotifyCheckpointComplete commits, in one transaction, the rows of every pending checkpoint
// <= id of this subtask and every restored pending commit of other owners, with a marker per
// owner (the newest checkpoint committed for it); checkpoints a marker shows committed already
// are skipped. Notifications are best
// effort: a later one (or CommitRestored) covers a missed one. On error the pending rows stay
// and the next notification retries them; ErrFenced means this attempt is a zombie and must
// stop.
func (s *Sink) NotifyCheckpointComplete(ctx context.Context, id uint64) (CommitResult, error) {
	me := s.self()
	return s.commitWhere(ctx, id, func(p pendingCommit) bool { return p.owner != me || p.checkpoint <= id })
}

// commitWhere commits the pending commits selected by sel; id names the commit in errors.
func (s *Sink) commitWhere(ctx context.Context, id uint64, sel func(pendingCommit) bool) (CommitResult, error) {
	var chosen, rest []pendingCommit
	for _, p := range s.pending {
		if sel(p) {
			chosen = append(chosen, p)
		} else {
			rest = append(rest, p)
		}
	}
	if len(chosen) == 0 {
		return CommitResult{}, nil
	}
	if !s.claimed {
		// Raise the fence in its own transaction: commits only share-lock it, and two subtasks
		// upgrading their share locks at once would deadlock.
		if err := s.Claim(ctx); err != nil {
			return CommitResult{}, fmt.Errorf("postgres sink %s subtask %d: %w", s.cfg.SinkID, s.cfg.Subtask, err)
		}
	}
	var res CommitResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		res, err = s.commit(ctx, tx, chosen)
		return err
	})
	if err != nil {
		return CommitResult{}, fmt.Errorf("postgres sink %s subtask %d: commit checkpoint %d: %w", s.cfg.SinkID, s.cfg.Subtask, id, err)
	}
	s.pending = rest
	return res, nil
}

// commit writes pending in tx: it share-locks the sink's fence, then per owner (in a fixed
// order, under an advisory lock) skips checkpoints up to the owner's newest marker, writes the
// remaining rows and one new marker per owner.
func (s *Sink) commit(ctx context.Context, tx pgx.Tx, pending []pendingCommit) (CommitResult, error) {
	res := CommitResult{Checkpoints: len(pending)}
	markers := make(map[owner]uint64)
	var owners []owner
	for _, p := range pending {
		if _, ok := markers[p.owner]; !ok {
			owners = append(owners, p.owner)
		}
		markers[p.owner] = max(markers[p.owner], p.checkpoint)
	}
	// Lock owners in one order, so concurrent commits over several owners cannot deadlock.
	slices.SortFunc(owners, func(a, b owner) int {
		return cmp.Or(strings.Compare(a.sinkID, b.sinkID), cmp.Compare(a.subtask, b.subtask))
	})
	if err := s.fence(ctx, tx, false); err != nil {
		return res, err
	}
	committed := make(map[owner]uint64, len(owners))
	for _, o := range owners {
		// Serialise commits per owner (they read its newest marker, then add one).
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1), $2)", o.sinkID, o.subtask); err != nil {
			return res, err
		}
		var c int64
		err := tx.QueryRow(ctx, `SELECT coalesce(max(checkpoint_id), 0) FROM flowplane_sink_commits WHERE sink_id = $1 AND subtask = $2`,
			o.sinkID, o.subtask).Scan(&c)
		if err != nil {
			return res, err
		}
		committed[o] = uint64(c)
	}
	var rows []Row
	for _, p := range pending {
		if p.checkpoint <= committed[p.owner] {
			res.Skipped++
			continue
		}
		rows = append(rows, p.rows...)
	}
	if res.Skipped == len(pending) {
		return res, nil
	}
	var err error
	if s.cfg.Mode == Append {
		res.Rows, err = s.copyRows(ctx, tx, rows)
	} else {
		res.Rows, err = s.upsertRows(ctx, tx, rows)
	}
	if err != nil {
		return res, err
	}
	for _, o := range owners {
		if markers[o] > committed[o] {
			if err := s.mark(ctx, tx, o, markers[o], res.Rows); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// mark records that o's checkpoints up to id are committed and prunes o's old markers.
func (s *Sink) mark(ctx context.Context, tx pgx.Tx, o owner, id uint64, rows int) error {
	_, err := tx.Exec(ctx, `INSERT INTO flowplane_sink_commits (sink_id, subtask, checkpoint_id, attempt, row_count)
		VALUES ($1, $2, $3, $4, $5)`, o.sinkID, o.subtask, int64(id), s.cfg.Attempt, rows)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM flowplane_sink_commits WHERE sink_id = $1 AND subtask = $2 AND checkpoint_id < $3`,
		o.sinkID, o.subtask, int64(id)-markerHistory)
	return err
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
