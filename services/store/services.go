package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowplane/flowplane/services/plans"
	"github.com/flowplane/flowplane/services/problem"
)

// activeDeployment is the SQL condition of a deployment that holds slots (matches the partial
// unique index deployments_one_active).
const activeDeployment = `status NOT IN ('FAILED', 'CANCELED', 'FINISHED', 'SUSPENDED')`

// Service is a logical cluster with a plan of task slots.
type Service struct {
	ID, ProjectID, Name, Plan string
	Slots                     int
	Powered                   bool
	State                     string
	Meta
}

const serviceCols = `id, project_id, name, plan, plan_slots, powered, state, created_at, created_by, updated_at`

func scanService(r pgx.Row) (Service, error) {
	var s Service
	err := r.Scan(&s.ID, &s.ProjectID, &s.Name, &s.Plan, &s.Slots, &s.Powered, &s.State, &s.CreatedAt, &s.CreatedBy, &s.UpdatedAt)
	return s, err
}

// CreateService creates a running service on plan.
func (s *Store) CreateService(ctx context.Context, a Actor, projectID, name string, plan plans.Plan) (svc Service, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		svc, err = scanService(tx.QueryRow(ctx, `INSERT INTO services (project_id, name, plan, plan_slots, created_by)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+serviceCols, projectID, name, plan.Name, plan.Slots, a.UserID))
		if isUnique(err, "") {
			return problem.New(problem.CodeConflict, "a service named %q exists in this project", name)
		}
		if err != nil {
			return fmt.Errorf("insert service: %w", err)
		}
		return audit(ctx, tx, a, projectID, "service.create", "service", svc.ID, map[string]any{"name": name, "plan": plan.Name})
	})
	return svc, err
}

// ListServices pages through a project's services.
func (s *Store) ListServices(ctx context.Context, projectID string, p Page) ([]Service, string, error) {
	after, err := p.after()
	if err != nil {
		return nil, "", err
	}
	svcs, err := collect(ctx, s.pool, func(r pgx.Rows) (Service, error) { return scanService(r) },
		`SELECT `+serviceCols+` FROM services WHERE project_id = $1 AND id > $2 ORDER BY id LIMIT $3`, projectID, after, p.limit()+1)
	if err != nil {
		return nil, "", fmt.Errorf("list services: %w", err)
	}
	svcs, next := cut(svcs, p, func(x Service) string { return x.ID })
	return svcs, next, nil
}

// ServiceAccess loads, in one round trip, the project called projectName, the user's role in it
// ("" when not a member) and its service called serviceName. A missing service is reported after the
// project (found is false), so the caller can check access first and answer 404 for either.
func (s *Store) ServiceAccess(ctx context.Context, userID, projectName, serviceName string) (p Project, role string, svc Service, found bool, err error) {
	var id, plan, state *string
	var slots *int
	var powered *bool
	var created, updated *time.Time
	var createdBy *string
	err = s.pool.QueryRow(ctx, `SELECT p.id, p.name, p.description, p.created_at, p.created_by, p.updated_at, COALESCE(m.role, ''),
			s.id, s.plan, s.plan_slots, s.powered, s.state, s.created_at, s.created_by, s.updated_at
		FROM projects p LEFT JOIN members m ON m.project_id = p.id AND m.user_id = $2
		LEFT JOIN services s ON s.project_id = p.id AND s.name = $3 WHERE p.name = $1`, projectName, userID, serviceName).Scan(
		&p.ID, &p.Name, &p.Description, &p.CreatedAt, &p.CreatedBy, &p.UpdatedAt, &role,
		&id, &plan, &slots, &powered, &state, &created, &createdBy, &updated)
	if err != nil {
		return p, "", svc, false, one(err, "project", projectName)
	}
	if id == nil {
		return p, role, svc, false, nil
	}
	svc = Service{ID: *id, ProjectID: p.ID, Name: serviceName, Plan: *plan, Slots: *slots, Powered: *powered, State: *state,
		Meta: Meta{CreatedAt: *created, CreatedBy: *createdBy, UpdatedAt: *updated}}
	return p, role, svc, true, nil
}

// ServiceUpdate is a PATCH of a service; nil fields stay.
type ServiceUpdate struct {
	Plan    *plans.Plan
	Powered *bool
}

// UpdateService changes the plan or powers the service off or on. A plan too small for the active
// deployments is refused (422). Powering off or on re-announces every active deployment so the
// scheduler suspends or resumes them.
func (s *Store) UpdateService(ctx context.Context, a Actor, projectID, name, ifMatch string, u ServiceUpdate) (svc Service, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if svc, err = scanService(tx.QueryRow(ctx, `SELECT `+serviceCols+` FROM services WHERE project_id = $1 AND name = $2 FOR UPDATE`, projectID, name)); err != nil {
			return one(err, "service", name)
		}
		if err := checkIfMatch(ifMatch, svc.Meta); err != nil {
			return err
		}
		details := map[string]any{}
		if u.Plan != nil && u.Plan.Name != svc.Plan {
			var used int
			if err := tx.QueryRow(ctx, `SELECT COALESCE(sum(parallelism), 0) FROM deployments WHERE service_id = $1 AND `+activeDeployment, svc.ID).Scan(&used); err != nil {
				return err
			}
			if used > u.Plan.Slots {
				return problem.New(problem.CodeUnprocessable, "plan %s has %d slots but the active deployments use %d", u.Plan.Name, u.Plan.Slots, used)
			}
			svc.Plan, svc.Slots = u.Plan.Name, u.Plan.Slots
			details["plan"] = u.Plan.Name
		}
		powerChanged := u.Powered != nil && *u.Powered != svc.Powered
		if powerChanged {
			svc.Powered = *u.Powered
			svc.State = "RUNNING"
			if !svc.Powered {
				svc.State = "POWEROFF"
			}
			details["powered"] = svc.Powered
		}
		if svc, err = scanService(tx.QueryRow(ctx, `UPDATE services SET plan = $2, plan_slots = $3, powered = $4, state = $5, updated_at = clock_timestamp()
			WHERE id = $1 RETURNING `+serviceCols, svc.ID, svc.Plan, svc.Slots, svc.Powered, svc.State)); err != nil {
			return fmt.Errorf("update service: %w", err)
		}
		if powerChanged {
			if _, err := tx.Exec(ctx, `UPDATE deployments SET desired_generation = desired_generation + 1, updated_at = clock_timestamp()
				WHERE service_id = $1 AND `+activeDeployment, svc.ID); err != nil {
				return fmt.Errorf("announce power change: %w", err)
			}
		}
		return audit(ctx, tx, a, projectID, "service.update", "service", svc.ID, details)
	})
	return svc, err
}

// DeleteService deletes a service and everything under it. While deployments are active it is
// refused (409) unless force, which first asks the scheduler to cancel them.
func (s *Store) DeleteService(ctx context.Context, a Actor, projectID, name string, force bool) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var id string
		if err := tx.QueryRow(ctx, `SELECT id FROM services WHERE project_id = $1 AND name = $2 FOR UPDATE`, projectID, name).Scan(&id); err != nil {
			return one(err, "service", name)
		}
		var active int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM deployments WHERE service_id = $1 AND `+activeDeployment, id).Scan(&active); err != nil {
			return err
		}
		if active > 0 && !force {
			return problem.New(problem.CodeConflict, "service %q has %d active deployment(s); stop them or pass force=true", name, active)
		}
		if active > 0 {
			if _, err := tx.Exec(ctx, `UPDATE deployments SET desired_action = 'cancel', desired_generation = desired_generation + 1
				WHERE service_id = $1 AND `+activeDeployment, id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM services WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete service: %w", err)
		}
		return audit(ctx, tx, a, projectID, "service.delete", "service", id, map[string]any{"name": name, "force": force, "active_deployments": active})
	})
}

// Overview is a service's capacity and its deployments by status.
type Overview struct {
	ServiceID      string
	Powered        bool
	TaskManagers   int
	SlotsTotal     int
	SlotsAvailable int
	JobsByState    map[string]int
}

// ServiceOverview computes the overview of svc (as ServiceAccess loaded it) from PostgreSQL: slots
// reserved by active deployments. The API replaces task managers and used slots with the
// scheduler's live figures when it runs one.
func (s *Store) ServiceOverview(ctx context.Context, svc Service) (Overview, error) {
	o := Overview{ServiceID: svc.ID, Powered: svc.Powered, SlotsTotal: svc.Slots, JobsByState: map[string]int{}}
	rows, err := s.pool.Query(ctx, `SELECT status, count(*), sum(parallelism) FROM deployments WHERE service_id = $1 GROUP BY status`, svc.ID)
	if err != nil {
		return o, fmt.Errorf("overview: %w", err)
	}
	defer rows.Close()
	used := 0
	for rows.Next() {
		var status string
		var n, par int
		if err := rows.Scan(&status, &n, &par); err != nil {
			return o, err
		}
		o.JobsByState[status] = n
		switch status {
		case "FAILED", "CANCELED", "FINISHED", "SUSPENDED":
		default:
			used += par
		}
	}
	o.SlotsAvailable = max(o.SlotsTotal-used, 0)
	if !svc.Powered {
		o.SlotsAvailable = 0
	}
	return o, rows.Err()
}
