package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowplane/flowplane/services/problem"
)

// The read models below are written by the scheduler (jobs, deployment_events, checkpoints,
// savepoint completion) and only read here, always through the deployment's parents.

// Event is one entry of a deployment's history.
type Event struct {
	ID, DeploymentID string
	Attempt          *int
	Type, Status     string
	Message          string
	CreatedAt        time.Time
}

// Job is one attempt of a deployment as the scheduler reported it.
type Job struct {
	ID, DeploymentID     string
	Attempt              int
	Status               string
	Graph                json.RawMessage
	StartedAt, EndedAt   *time.Time
	Failure              string
	CreatedAt, UpdatedAt time.Time
}

// Checkpoint is a completed or failed checkpoint.
type Checkpoint struct {
	ID, DeploymentID, JobID string
	CheckpointID            int64
	Status, Location        string
	IsSavepoint             bool
	SizeBytes               int64
	TriggeredAt             time.Time
	CompletedAt             *time.Time
	FailureMessage          string
}

// Savepoint is a user-owned snapshot of a deployment.
type Savepoint struct {
	ID, DeploymentID, ApplicationID string
	Status, Reason, Location        string
	SizeBytes                       *int64
	CheckpointID                    *int64 // of a COMPLETED savepoint
	Failure                         string
	CompletedAt                     *time.Time
	Meta
}

// ownedDeployment is the condition that $1..$4 address an existing deployment of the project.
const ownedDeployment = `EXISTS (SELECT 1 FROM deployments d WHERE ` + deploymentWhere + `)`

// listUnder pages rows of a table keyed by deployment, 404 when the deployment is not the caller's.
func listUnder[T any](ctx context.Context, s *Store, k DeploymentKey, p Page, sql string, scan func(pgx.Rows) (T, error), key func(T) string) ([]T, string, error) {
	after, err := p.after()
	if err != nil {
		return nil, "", err
	}
	var owned bool
	if err := s.pool.QueryRow(ctx, `SELECT `+ownedDeployment, k.args()...).Scan(&owned); err != nil {
		return nil, "", err
	}
	if !owned {
		return nil, "", notFound("deployment", k.ID)
	}
	items, err := collect(ctx, s.pool, scan, sql, k.ID, after, p.limit()+1)
	if err != nil {
		return nil, "", fmt.Errorf("list: %w", err)
	}
	items, next := cut(items, p, key)
	return items, next, nil
}

// ListEvents pages through a deployment's events, oldest first.
func (s *Store) ListEvents(ctx context.Context, k DeploymentKey, p Page) ([]Event, string, error) {
	return listUnder(ctx, s, k, p, `SELECT id, deployment_id, attempt, type, COALESCE(status, ''), message, created_at
		FROM deployment_events WHERE deployment_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		func(r pgx.Rows) (Event, error) {
			var e Event
			return e, r.Scan(&e.ID, &e.DeploymentID, &e.Attempt, &e.Type, &e.Status, &e.Message, &e.CreatedAt)
		}, func(e Event) string { return e.ID })
}

// ListCheckpoints pages through a deployment's checkpoints, oldest first.
func (s *Store) ListCheckpoints(ctx context.Context, k DeploymentKey, p Page) ([]Checkpoint, string, error) {
	return listUnder(ctx, s, k, p, `SELECT id, deployment_id, COALESCE(job_id, ''), checkpoint_id, status, COALESCE(location, ''), is_savepoint,
		size_bytes, triggered_at, completed_at, COALESCE(failure_message, '') FROM checkpoints WHERE deployment_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		func(r pgx.Rows) (Checkpoint, error) {
			var c Checkpoint
			return c, r.Scan(&c.ID, &c.DeploymentID, &c.JobID, &c.CheckpointID, &c.Status, &c.Location, &c.IsSavepoint, &c.SizeBytes,
				&c.TriggeredAt, &c.CompletedAt, &c.FailureMessage)
		}, func(c Checkpoint) string { return c.ID })
}

const savepointCols = `id, deployment_id, application_id, status, reason, COALESCE(location, ''), size_bytes, checkpoint_id, COALESCE(failure, ''),
	completed_at, created_at, created_by, updated_at`

func scanSavepoint(r pgx.Row) (Savepoint, error) {
	var sp Savepoint
	err := r.Scan(&sp.ID, &sp.DeploymentID, &sp.ApplicationID, &sp.Status, &sp.Reason, &sp.Location, &sp.SizeBytes, &sp.CheckpointID, &sp.Failure,
		&sp.CompletedAt, &sp.CreatedAt, &sp.CreatedBy, &sp.UpdatedAt)
	return sp, err
}

// ListSavepoints pages through a deployment's savepoints, oldest first.
func (s *Store) ListSavepoints(ctx context.Context, k DeploymentKey, p Page) ([]Savepoint, string, error) {
	return listUnder(ctx, s, k, p, `SELECT `+savepointCols+` FROM savepoints WHERE deployment_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		func(r pgx.Rows) (Savepoint, error) { return scanSavepoint(r) }, func(sp Savepoint) string { return sp.ID })
}

// CreateSavepoint requests a savepoint of a running deployment; the insert NOTIFYs the scheduler.
func (s *Store) CreateSavepoint(ctx context.Context, a Actor, k DeploymentKey) (sp Savepoint, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		var status string
		if err := tx.QueryRow(ctx, `SELECT d.status FROM deployments d WHERE `+deploymentWhere+` FOR UPDATE`, k.args()...).Scan(&status); err != nil {
			return one(err, "deployment", k.ID)
		}
		if status != "RUNNING" {
			return problem.New(problem.CodeConflict, "deployment %s is %s; savepoints are taken of RUNNING deployments", k.ID, status)
		}
		if sp, err = scanSavepoint(tx.QueryRow(ctx, `INSERT INTO savepoints (project_id, application_id, deployment_id, created_by)
			VALUES ($1, $2, $3, $4) RETURNING `+savepointCols, k.ProjectID, k.ApplicationID, k.ID, a.UserID)); err != nil {
			return fmt.Errorf("insert savepoint: %w", err)
		}
		if err := event(ctx, tx, k.ProjectID, k.ID, "savepoint_requested", "", "savepoint "+sp.ID+" requested"); err != nil {
			return err
		}
		return audit(ctx, tx, a, k.ProjectID, "savepoint.create", "savepoint", sp.ID, map[string]any{"deployment_id": k.ID})
	})
	return sp, err
}

// GetSavepoint returns one savepoint of the deployment.
func (s *Store) GetSavepoint(ctx context.Context, k DeploymentKey, id string) (Savepoint, error) {
	sp, err := scanSavepoint(s.pool.QueryRow(ctx, `SELECT `+savepointCols+` FROM savepoints WHERE deployment_id = $4 AND id = $5 AND `+ownedDeployment,
		append(k.args(), id)...))
	return sp, one(err, "savepoint", id)
}

// GetApplicationSavepoint returns a savepoint of an application (any of its deployments).
func (s *Store) GetApplicationSavepoint(ctx context.Context, projectID, appID, id string) (Savepoint, error) {
	sp, err := scanSavepoint(s.pool.QueryRow(ctx, `SELECT `+savepointCols+` FROM savepoints WHERE project_id = $1 AND application_id = $2 AND id = $3`,
		projectID, appID, id))
	return sp, one(err, "savepoint", id)
}

// DeleteSavepoint deletes a savepoint that is neither PENDING nor the starting point of a
// deployment; drop (e.g. deleting its state from checkpoint storage) runs before the deletion
// commits, and its error aborts it.
func (s *Store) DeleteSavepoint(ctx context.Context, a Actor, k DeploymentKey, id string, drop func(Savepoint) error) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		sp, err := scanSavepoint(tx.QueryRow(ctx, `SELECT `+savepointCols+` FROM savepoints WHERE deployment_id = $4 AND id = $5 AND `+ownedDeployment+` FOR UPDATE`,
			append(k.args(), id)...))
		if err != nil {
			return one(err, "savepoint", id)
		}
		if sp.Status == "PENDING" {
			return problem.New(problem.CodeConflict, "savepoint %s is still PENDING", id)
		}
		var dep string
		err = tx.QueryRow(ctx, `SELECT id FROM deployments WHERE starting_savepoint_id = $1 LIMIT 1`, id).Scan(&dep)
		if err == nil {
			return problem.New(problem.CodeConflict, "savepoint %s is the starting point of deployment %s", id, dep)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM savepoints WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete savepoint: %w", err)
		}
		if err := audit(ctx, tx, a, k.ProjectID, "savepoint.delete", "savepoint", id, map[string]any{"deployment_id": k.ID}); err != nil {
			return err
		}
		if sp.Status == "COMPLETED" && drop != nil {
			return drop(sp)
		}
		return nil
	})
}

// CurrentJob returns the deployment's latest attempt.
func (s *Store) CurrentJob(ctx context.Context, k DeploymentKey) (Job, error) {
	var j Job
	var failure *string
	err := s.pool.QueryRow(ctx, `SELECT j.id, j.deployment_id, j.attempt, j.status, j.graph, j.started_at, j.ended_at, j.failure, j.created_at, j.updated_at
		FROM jobs j JOIN deployments d ON d.id = j.deployment_id WHERE `+deploymentWhere+` ORDER BY j.attempt DESC LIMIT 1`, k.args()...).Scan(
		&j.ID, &j.DeploymentID, &j.Attempt, &j.Status, &j.Graph, &j.StartedAt, &j.EndedAt, &failure, &j.CreatedAt, &j.UpdatedAt)
	if failure != nil {
		j.Failure = *failure
	}
	return j, one(err, "job of deployment", k.ID)
}

// DeploymentPlan returns the job graph (JSON) the deployment runs, as compiled when it was created
// ('{}' for deployments created before plans were kept).
func (s *Store) DeploymentPlan(ctx context.Context, k DeploymentKey) (json.RawMessage, error) {
	var plan json.RawMessage
	err := s.pool.QueryRow(ctx, `SELECT d.plan FROM deployments d WHERE `+deploymentWhere, k.args()...).Scan(&plan)
	return plan, one(err, "deployment", k.ID)
}

// AuditEntry is one audit row.
type AuditEntry struct {
	ID, Action, ActorID, TokenID, TargetType, TargetID, RequestID string
	Details                                                       map[string]any
	CreatedAt                                                     time.Time
}

// ListAudit pages through a project's audit trail, oldest first.
func (s *Store) ListAudit(ctx context.Context, projectID string, p Page) ([]AuditEntry, string, error) {
	after, err := p.after()
	if err != nil {
		return nil, "", err
	}
	es, err := collect(ctx, s.pool, func(r pgx.Rows) (AuditEntry, error) {
		var e AuditEntry
		return e, r.Scan(&e.ID, &e.Action, &e.ActorID, &e.TokenID, &e.TargetType, &e.TargetID, &e.RequestID, &e.Details, &e.CreatedAt)
	}, `SELECT id, action, COALESCE(actor_id, ''), COALESCE(token_id, ''), target_type, target_id, request_id, details, created_at
		FROM audit_log WHERE project_id = $1 AND id > $2 ORDER BY id LIMIT $3`, projectID, after, p.limit()+1)
	if err != nil {
		return nil, "", fmt.Errorf("list audit: %w", err)
	}
	es, next := cut(es, p, func(e AuditEntry) string { return e.ID })
	return es, next, nil
}
