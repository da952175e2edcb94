package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Query is an interactive preview of a SELECT and, once it finished, its sample rows.
type Query struct {
	ID, ApplicationID, Statement string
	MaxRows                      int
	Status                       string // RUNNING, COMPLETED, FAILED
	Columns, Rows                json.RawMessage
	Changelog, Ended, TimedOut   bool
	Error                        string
	RunDeadline, ExpiresAt       time.Time
	FinishedAt                   *time.Time
	Meta
}

// NewQuery is what CreateQuery needs.
type NewQuery struct {
	Statement   string
	MaxRows     int
	Columns     json.RawMessage // the SELECT's columns, known once it compiled
	Changelog   bool
	RunDeadline time.Duration // after this a RUNNING query is reported FAILED (its server stopped)
	TTL         time.Duration
}

// QueryResult is what a finished run reports.
type QueryResult struct {
	Status          string // COMPLETED or FAILED
	Rows            json.RawMessage
	Ended, TimedOut bool
	Error           string
}

// ErrQueryLost is the Error of a RUNNING query whose server stopped before it finished.
const ErrQueryLost = "the server running the query stopped before it finished; run it again"

const queryCols = `id, application_id, statement, max_rows, status, columns, rows, changelog, ended, timed_out, error,
	run_deadline, expires_at, finished_at, created_at, created_by, updated_at`

func scanQuery(r pgx.Row) (Query, error) {
	var q Query
	err := r.Scan(&q.ID, &q.ApplicationID, &q.Statement, &q.MaxRows, &q.Status, &q.Columns, &q.Rows, &q.Changelog, &q.Ended, &q.TimedOut,
		&q.Error, &q.RunDeadline, &q.ExpiresAt, &q.FinishedAt, &q.CreatedAt, &q.CreatedBy, &q.UpdatedAt)
	if err == nil && q.Status == "RUNNING" && time.Now().After(q.RunDeadline) {
		q.Status, q.Error = "FAILED", ErrQueryLost
	}
	return q, err
}

// CreateQuery records a RUNNING preview of the application and drops expired ones.
func (s *Store) CreateQuery(ctx context.Context, a Actor, projectID, serviceID, appID string, n NewQuery) (q Query, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		var id string
		err := tx.QueryRow(ctx, `SELECT id FROM applications WHERE project_id = $1 AND service_id = $2 AND id = $3`,
			projectID, serviceID, appID).Scan(&id)
		if err := one(err, "application", appID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sql_queries WHERE expires_at < now()`); err != nil {
			return fmt.Errorf("drop expired queries: %w", err)
		}
		if q, err = scanQuery(tx.QueryRow(ctx, `INSERT INTO sql_queries (project_id, application_id, statement, max_rows, columns, changelog,
			run_deadline, expires_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, now() + $7 * interval '1 millisecond', now() + $8 * interval '1 millisecond', $9) RETURNING `+queryCols,
			projectID, appID, n.Statement, n.MaxRows, string(n.Columns), n.Changelog, n.RunDeadline.Milliseconds(), n.TTL.Milliseconds(), a.UserID)); err != nil {
			return fmt.Errorf("insert query: %w", err)
		}
		return audit(ctx, tx, a, projectID, "query.create", "query", q.ID, map[string]any{"application_id": appID})
	})
	return q, err
}

// FinishQuery stores a run's outcome. It is called by the server that ran the query, not on behalf
// of a caller, so it is keyed by id alone.
func (s *Store) FinishQuery(ctx context.Context, id string, r QueryResult) error {
	rows := r.Rows
	if rows == nil {
		rows = json.RawMessage("[]")
	}
	_, err := s.pool.Exec(ctx, `UPDATE sql_queries SET status = $2, rows = $3, ended = $4, timed_out = $5, error = $6,
		finished_at = clock_timestamp(), updated_at = clock_timestamp() WHERE id = $1`, id, r.Status, string(rows), r.Ended, r.TimedOut, r.Error)
	if err != nil {
		return fmt.Errorf("finish query %s: %w", id, err)
	}
	return nil
}

// GetQuery loads an unexpired preview of the application.
func (s *Store) GetQuery(ctx context.Context, projectID, serviceID, appID, id string) (Query, error) {
	q, err := scanQuery(s.pool.QueryRow(ctx, `SELECT `+queryCols+` FROM sql_queries q WHERE project_id = $1 AND application_id = $2 AND id = $3
		AND expires_at > now() AND EXISTS (SELECT 1 FROM applications a WHERE a.id = q.application_id AND a.service_id = $4)`,
		projectID, appID, id, serviceID))
	return q, one(err, "query", id)
}
