package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/flowplane/flowplane/services/plans"
	"github.com/flowplane/flowplane/services/problem"
)

// Deployment is the desired state of one run of an application version, plus the status the
// scheduler observed.
type Deployment struct {
	ID, ServiceID, ApplicationID, VersionID string
	VersionNumber                           int
	Parallelism                             int
	RestartStrategy                         json.RawMessage
	StartingSavepointID                     string
	CheckpointIntervalMS                    *int64 // nil: the server's default
	DesiredAction                           string
	Status, StatusMessage                   string
	Meta
}

// NewDeployment is what CreateDeployment needs.
type NewDeployment struct {
	VersionID           string
	Parallelism         int
	RestartStrategy     json.RawMessage
	StartingSavepointID string
	// CheckpointIntervalMS is the interval between checkpoints (nil: the server's default).
	CheckpointIntervalMS *int64
	// Plan is the job graph (JSON) the deployment runs: its version compiled with Parallelism.
	Plan []byte
}

const deploymentCols = `d.id, d.service_id, d.application_id, d.version_id, v.number, d.parallelism, d.restart_strategy,
	COALESCE(d.starting_savepoint_id, ''), d.checkpoint_interval_ms, d.desired_action, d.status, d.status_message, d.created_at, d.created_by, d.updated_at`

const deploymentFrom = ` FROM deployments d JOIN versions v ON v.id = d.version_id `

func scanDeployment(r pgx.Row) (Deployment, error) {
	var d Deployment
	err := r.Scan(&d.ID, &d.ServiceID, &d.ApplicationID, &d.VersionID, &d.VersionNumber, &d.Parallelism, &d.RestartStrategy,
		&d.StartingSavepointID, &d.CheckpointIntervalMS, &d.DesiredAction, &d.Status, &d.StatusMessage, &d.CreatedAt, &d.CreatedBy, &d.UpdatedAt)
	return d, err
}

func unprocessable(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &problem.Error{Code: problem.CodeUnprocessable, Detail: msg, Fields: []problem.FieldError{{Field: field, Message: msg}}}
}

// CreateDeployment asks the scheduler to run a version. Parallelism must fit the plan and the slots
// the service's other active deployments leave free; an application has one active deployment.
func (s *Store) CreateDeployment(ctx context.Context, a Actor, projectID, serviceID, appID string, n NewDeployment) (d Deployment, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockApplication(ctx, tx, projectID, serviceID, appID); err != nil {
			return err
		}
		if err := checkCapacity(ctx, tx, serviceID, n.Parallelism); err != nil {
			return err
		}
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM versions WHERE application_id = $1 AND id = $2)`, appID, n.VersionID).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return unprocessable("version_id", "version %s is not a version of this application", n.VersionID)
		}
		if n.StartingSavepointID != "" {
			var status string
			err := tx.QueryRow(ctx, `SELECT status FROM savepoints WHERE application_id = $1 AND id = $2`, appID, n.StartingSavepointID).Scan(&status)
			if errors.Is(err, pgx.ErrNoRows) {
				return unprocessable("starting_savepoint_id", "savepoint %s is not a savepoint of this application", n.StartingSavepointID)
			}
			if err != nil {
				return err
			}
			if status != "COMPLETED" {
				return unprocessable("starting_savepoint_id", "savepoint %s is %s, not COMPLETED", n.StartingSavepointID, status)
			}
		}
		var id string
		plan := n.Plan
		if plan == nil {
			plan = []byte("{}")
		}
		err := tx.QueryRow(ctx, `INSERT INTO deployments (project_id, service_id, application_id, version_id, parallelism, restart_strategy,
				starting_savepoint_id, plan, created_by, checkpoint_interval_ms)
			VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, ''), $8, $9, $10) RETURNING id`,
			projectID, serviceID, appID, n.VersionID, n.Parallelism, n.RestartStrategy, n.StartingSavepointID, string(plan), a.UserID,
			n.CheckpointIntervalMS).Scan(&id)
		if isUnique(err, "deployments_one_active") {
			return problem.New(problem.CodeConflict, "application %s already has an active deployment; stop or cancel it first", appID)
		}
		if err != nil {
			return fmt.Errorf("insert deployment: %w", err)
		}
		if err := event(ctx, tx, projectID, id, "created", "CREATED", fmt.Sprintf("deployment of version %s with parallelism %d requested", n.VersionID, n.Parallelism)); err != nil {
			return err
		}
		if d, err = scanDeployment(tx.QueryRow(ctx, `SELECT `+deploymentCols+deploymentFrom+`WHERE d.id = $1`, id)); err != nil {
			return err
		}
		return audit(ctx, tx, a, projectID, "deployment.create", "deployment", id, map[string]any{"application_id": appID, "version_id": n.VersionID, "parallelism": n.Parallelism})
	})
	return d, err
}

// checkCapacity refuses a parallelism above the plan or above the service's free slots.
func checkCapacity(ctx context.Context, tx pgx.Tx, serviceID string, parallelism int) error {
	var planName string
	var slots, used int
	var powered bool
	err := tx.QueryRow(ctx, `SELECT plan, plan_slots, powered, (SELECT COALESCE(sum(parallelism), 0) FROM deployments
		WHERE service_id = s.id AND `+activeDeployment+`) FROM services s WHERE id = $1 FOR UPDATE`, serviceID).Scan(&planName, &slots, &powered, &used)
	if err != nil {
		return one(err, "service", serviceID)
	}
	if !powered {
		return problem.New(problem.CodeConflict, "the service is powered off; power it on first")
	}
	maxPar := slots
	if p, ok := plans.Get(planName); ok {
		maxPar = p.MaxParallelism
	}
	if parallelism > maxPar {
		return unprocessable("parallelism", "parallelism %d is above the %s plan's maximum of %d", parallelism, planName, maxPar)
	}
	if parallelism > slots-used {
		return unprocessable("parallelism", "parallelism %d needs %d slots but only %d of the service's %d are free", parallelism, parallelism, slots-used, slots)
	}
	return nil
}

// event appends a deployment event inside tx.
func event(ctx context.Context, tx pgx.Tx, projectID, deploymentID, typ, status, message string) error {
	_, err := tx.Exec(ctx, `INSERT INTO deployment_events (project_id, deployment_id, type, status, message) VALUES ($1, $2, $3, NULLIF($4, ''), $5)`,
		projectID, deploymentID, typ, status, message)
	if err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	return nil
}

// DeploymentKey addresses a deployment through its parents.
type DeploymentKey struct {
	ProjectID, ServiceID, ApplicationID, ID string
}

const deploymentWhere = `d.project_id = $1 AND d.service_id = $2 AND d.application_id = $3 AND d.id = $4`

func (k DeploymentKey) args() []any { return []any{k.ProjectID, k.ServiceID, k.ApplicationID, k.ID} }

// GetDeployment loads one deployment.
func (s *Store) GetDeployment(ctx context.Context, k DeploymentKey) (Deployment, error) {
	d, err := scanDeployment(s.pool.QueryRow(ctx, `SELECT `+deploymentCols+deploymentFrom+`WHERE `+deploymentWhere, k.args()...))
	return d, one(err, "deployment", k.ID)
}

// ListDeployments pages through an application's deployments, oldest first.
func (s *Store) ListDeployments(ctx context.Context, projectID, serviceID, appID string, p Page) ([]Deployment, string, error) {
	after, err := p.after()
	if err != nil {
		return nil, "", err
	}
	ds, err := collect(ctx, s.pool, func(r pgx.Rows) (Deployment, error) { return scanDeployment(r) },
		`SELECT `+deploymentCols+deploymentFrom+`WHERE d.project_id = $1 AND d.service_id = $2 AND d.application_id = $3 AND d.id > $4
		 ORDER BY d.id LIMIT $5`, projectID, serviceID, appID, after, p.limit()+1)
	if err != nil {
		return nil, "", fmt.Errorf("list deployments: %w", err)
	}
	if len(ds) == 0 && after == "" {
		if _, err := s.GetApplication(ctx, projectID, serviceID, appID); err != nil {
			return nil, "", err
		}
	}
	ds, next := cut(ds, p, func(x Deployment) string { return x.ID })
	return ds, next, nil
}

// Action is a change of a deployment's intent.
type Action string

// The actions of POST …/stop, /cancel and /restart.
const (
	ActionStop    Action = "stop"
	ActionCancel  Action = "cancel"
	ActionRestart Action = "restart"
)

func isTerminal(status string) bool {
	switch status {
	case "FAILED", "CANCELED", "FINISHED", "SUSPENDED":
		return true
	}
	return false
}

// ChangeDeployment records a stop (with savepoint), cancel or restart request: desired_action and
// desired_generation change (which NOTIFYs the scheduler), the status shows the transition, and an
// event is appended. Asking again for the transition already under way changes nothing.
func (s *Store) ChangeDeployment(ctx context.Context, a Actor, k DeploymentKey, act Action) (d Deployment, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if d, err = scanDeployment(tx.QueryRow(ctx, `SELECT `+deploymentCols+deploymentFrom+`WHERE `+deploymentWhere+` FOR UPDATE OF d`, k.args()...)); err != nil {
			return one(err, "deployment", k.ID)
		}
		if isTerminal(d.Status) {
			return problem.New(problem.CodeConflict, "deployment %s is %s; nothing to %s", d.ID, d.Status, act)
		}
		desired, status := "run", "RESTARTING"
		switch act {
		case ActionStop:
			desired, status = "stop", "SAVING_AND_STOP"
		case ActionCancel:
			desired, status = "cancel", "CANCELLING"
		}
		if d.DesiredAction == desired && act != ActionRestart {
			return nil
		}
		if d.DesiredAction != "run" {
			return problem.New(problem.CodeConflict, "deployment %s is already being %s", d.ID, map[string]string{"stop": "stopped", "cancel": "canceled"}[d.DesiredAction])
		}
		if _, err := tx.Exec(ctx, `UPDATE deployments SET desired_action = $2, desired_generation = desired_generation + 1, status = $3,
			updated_at = clock_timestamp() WHERE id = $1`, d.ID, desired, status); err != nil {
			return fmt.Errorf("update deployment: %w", err)
		}
		if act == ActionStop {
			if _, err := tx.Exec(ctx, `INSERT INTO savepoints (project_id, application_id, deployment_id, reason, created_by) VALUES ($1, $2, $3, 'stop', $4)`,
				k.ProjectID, d.ApplicationID, d.ID, a.UserID); err != nil {
				return fmt.Errorf("insert savepoint: %w", err)
			}
		}
		if err := event(ctx, tx, k.ProjectID, d.ID, string(act)+"_requested", status, string(act)+" requested by "+a.UserID); err != nil {
			return err
		}
		if d, err = scanDeployment(tx.QueryRow(ctx, `SELECT `+deploymentCols+deploymentFrom+`WHERE d.id = $1`, d.ID)); err != nil {
			return err
		}
		return audit(ctx, tx, a, k.ProjectID, "deployment."+string(act), "deployment", d.ID, nil)
	})
	return d, err
}
