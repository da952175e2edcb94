package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The functions in this file are the scheduler's side of the contract (DESIGN §3): it reads the
// desired state and writes what it observed. They are not tenant-scoped: only the trusted scheduler
// tier calls them, never an API handler.

// DesiredDeployment is everything the scheduler needs to converge one deployment.
type DesiredDeployment struct {
	ID, ProjectID, ServiceID, ApplicationID string
	VersionID                               string
	VersionNumber                           int
	Statement                               string
	Sources, Sinks                          []TableRef
	Parallelism                             int
	RestartStrategy                         json.RawMessage
	StartingSavepointID                     string
	StartingSavepointLocation               string
	DesiredAction                           string // run, stop or cancel
	DesiredGeneration, ObservedGeneration   int64
	Status                                  string
	ServiceSlots                            int
	ServicePowered                          bool
	// Plan is the job graph to run (dataflow.DecodeGraph): the version compiled with Parallelism
	// when the deployment was created. Source and sink operators name their integration by id
	// (option 'integration'); IntegrationSecret and the integration's config resolve it.
	Plan json.RawMessage
}

const desiredCols = `d.id, d.project_id, d.service_id, d.application_id, d.version_id, v.number, v.statement, v.sources, v.sinks,
	d.parallelism, d.restart_strategy, COALESCE(d.starting_savepoint_id, ''), COALESCE(sp.location, ''), d.desired_action,
	d.desired_generation, d.observed_generation, d.status, s.plan_slots, s.powered, d.plan
	FROM deployments d JOIN versions v ON v.id = d.version_id JOIN services s ON s.id = d.service_id
	LEFT JOIN savepoints sp ON sp.id = d.starting_savepoint_id`

func scanDesired(r pgx.Row) (DesiredDeployment, error) {
	var d DesiredDeployment
	err := r.Scan(&d.ID, &d.ProjectID, &d.ServiceID, &d.ApplicationID, &d.VersionID, &d.VersionNumber, &d.Statement, &d.Sources, &d.Sinks,
		&d.Parallelism, &d.RestartStrategy, &d.StartingSavepointID, &d.StartingSavepointLocation, &d.DesiredAction,
		&d.DesiredGeneration, &d.ObservedGeneration, &d.Status, &d.ServiceSlots, &d.ServicePowered, &d.Plan)
	return d, err
}

// DesiredDeployments returns every deployment the scheduler must act on: the active ones and any
// whose desired generation it has not observed yet (the periodic reconcile).
func (s *Store) DesiredDeployments(ctx context.Context) ([]DesiredDeployment, error) {
	return collect(ctx, s.pool, func(r pgx.Rows) (DesiredDeployment, error) { return scanDesired(r) },
		`SELECT `+desiredCols+` WHERE d.`+activeDeployment+` OR d.desired_generation > d.observed_generation ORDER BY d.id`)
}

// DesiredDeploymentByID loads one deployment named by a deployments_changed notification.
func (s *Store) DesiredDeploymentByID(ctx context.Context, id string) (DesiredDeployment, error) {
	d, err := scanDesired(s.pool.QueryRow(ctx, `SELECT `+desiredCols+` WHERE d.id = $1`, id))
	return d, one(err, "deployment", id)
}

// ReportDeployment records the status the scheduler observed after acting on generation. A report
// for an older generation than the last one recorded does not move observed_generation back. A
// change of status appends a status_changed event.
func (s *Store) ReportDeployment(ctx context.Context, id string, generation int64, status, message string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var projectID, old string
		if err := tx.QueryRow(ctx, `SELECT project_id, status FROM deployments WHERE id = $1 FOR UPDATE`, id).Scan(&projectID, &old); err != nil {
			return one(err, "deployment", id)
		}
		if _, err := tx.Exec(ctx, `UPDATE deployments SET status = $2, status_message = $3,
			observed_generation = GREATEST(observed_generation, $4), updated_at = clock_timestamp() WHERE id = $1`,
			id, status, message, generation); err != nil {
			return fmt.Errorf("report deployment: %w", err)
		}
		if old == status {
			return nil
		}
		return event(ctx, tx, projectID, id, "status_changed", status, fmt.Sprintf("%s -> %s %s", old, status, message))
	})
}

// AppendEvent adds a scheduler event (task failed, restarted, ...) to a deployment's history.
func (s *Store) AppendEvent(ctx context.Context, deploymentID string, attempt int, typ, message string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO deployment_events (project_id, deployment_id, attempt, type, message)
		SELECT project_id, id, $2, $3, $4 FROM deployments WHERE id = $1`, deploymentID, attempt, typ, message)
	return err
}

// JobReport is one attempt of a deployment as the scheduler runs it.
type JobReport struct {
	DeploymentID       string
	Attempt            int
	Status             string
	Graph              json.RawMessage // nil keeps the stored graph
	StartedAt, EndedAt *time.Time
	Failure            string
}

// ReportJob creates or updates the job row of (deployment, attempt) and returns its id.
func (s *Store) ReportJob(ctx context.Context, j JobReport) (string, error) {
	var id string
	err := s.pool.QueryRow(ctx, `INSERT INTO jobs (project_id, deployment_id, attempt, status, graph, started_at, ended_at, failure)
		SELECT project_id, id, $2, $3, COALESCE($4::jsonb, '{}'), $5, $6, NULLIF($7, '') FROM deployments WHERE id = $1
		ON CONFLICT (deployment_id, attempt) DO UPDATE SET status = EXCLUDED.status,
			graph = CASE WHEN $4::jsonb IS NULL THEN jobs.graph ELSE EXCLUDED.graph END,
			started_at = COALESCE(EXCLUDED.started_at, jobs.started_at), ended_at = COALESCE(EXCLUDED.ended_at, jobs.ended_at),
			failure = COALESCE(EXCLUDED.failure, jobs.failure), updated_at = clock_timestamp()
		RETURNING id`, j.DeploymentID, j.Attempt, j.Status, nullJSON(j.Graph), j.StartedAt, j.EndedAt, j.Failure).Scan(&id)
	return id, one(err, "deployment", j.DeploymentID)
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// CheckpointReport is a completed (or failed) checkpoint.
type CheckpointReport struct {
	DeploymentID, JobID string
	CheckpointID        int64
	Status              string // COMPLETED or FAILED
	Location            string
	SizeBytes           int64
	TriggeredAt         time.Time
	CompletedAt         *time.Time
}

// RecordCheckpoint stores a checkpoint once; recording the same (deployment, checkpoint id) again
// changes nothing, so a retried report after a leader change is harmless.
func (s *Store) RecordCheckpoint(ctx context.Context, c CheckpointReport) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO checkpoints (project_id, deployment_id, job_id, checkpoint_id, status, location, size_bytes, triggered_at, completed_at)
		SELECT project_id, id, NULLIF($2, ''), $3, $4, NULLIF($5, ''), $6, $7, $8 FROM deployments WHERE id = $1
		ON CONFLICT (deployment_id, checkpoint_id) DO NOTHING`,
		c.DeploymentID, c.JobID, c.CheckpointID, c.Status, c.Location, c.SizeBytes, c.TriggeredAt, c.CompletedAt)
	return err
}

// PendingSavepoints lists the savepoints requested (by API or by stop) and not yet taken.
func (s *Store) PendingSavepoints(ctx context.Context) ([]Savepoint, error) {
	return collect(ctx, s.pool, func(r pgx.Rows) (Savepoint, error) { return scanSavepoint(r) },
		`SELECT `+savepointCols+` FROM savepoints WHERE status = 'PENDING' ORDER BY id`)
}

// CompleteSavepoint records a savepoint's outcome: status COMPLETED with location and size, or
// FAILED with failure. Completing one that is no longer PENDING changes nothing.
func (s *Store) CompleteSavepoint(ctx context.Context, id, status, location string, sizeBytes int64, failure string) error {
	_, err := s.pool.Exec(ctx, `UPDATE savepoints SET status = $2, location = NULLIF($3, ''), size_bytes = $4, failure = NULLIF($5, ''),
		completed_at = now(), updated_at = clock_timestamp() WHERE id = $1 AND status = 'PENDING'`, id, status, location, sizeBytes, failure)
	return err
}
