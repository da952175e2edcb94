package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/flowplane/flowplane/services/problem"
)

// Application is a named SQL program of a service; its versions hold the SQL.
type Application struct {
	ID, ServiceID, Name, Description string
	Meta
}

const applicationCols = `id, service_id, name, description, created_at, created_by, updated_at`

func scanApplication(r pgx.Row) (Application, error) {
	var a Application
	err := r.Scan(&a.ID, &a.ServiceID, &a.Name, &a.Description, &a.CreatedAt, &a.CreatedBy, &a.UpdatedAt)
	return a, err
}

// CreateApplication adds an application to the service.
func (s *Store) CreateApplication(ctx context.Context, a Actor, projectID, serviceID, name, description string) (app Application, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		app, err = scanApplication(tx.QueryRow(ctx, `INSERT INTO applications (project_id, service_id, name, description, created_by)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+applicationCols, projectID, serviceID, name, description, a.UserID))
		if isUnique(err, "") {
			return problem.New(problem.CodeConflict, "an application named %q exists in this service", name)
		}
		if err != nil {
			return fmt.Errorf("insert application: %w", err)
		}
		return audit(ctx, tx, a, projectID, "application.create", "application", app.ID, map[string]any{"name": name})
	})
	return app, err
}

// ListApplications pages through a service's applications.
func (s *Store) ListApplications(ctx context.Context, projectID, serviceID string, p Page) ([]Application, string, error) {
	after, err := p.after()
	if err != nil {
		return nil, "", err
	}
	apps, err := collect(ctx, s.pool, func(r pgx.Rows) (Application, error) { return scanApplication(r) },
		`SELECT `+applicationCols+` FROM applications WHERE project_id = $1 AND service_id = $2 AND id > $3 ORDER BY id LIMIT $4`,
		projectID, serviceID, after, p.limit()+1)
	if err != nil {
		return nil, "", fmt.Errorf("list applications: %w", err)
	}
	apps, next := cut(apps, p, func(x Application) string { return x.ID })
	return apps, next, nil
}

// GetApplication loads one application of the service.
func (s *Store) GetApplication(ctx context.Context, projectID, serviceID, id string) (Application, error) {
	app, err := scanApplication(s.pool.QueryRow(ctx, `SELECT `+applicationCols+` FROM applications
		WHERE project_id = $1 AND service_id = $2 AND id = $3`, projectID, serviceID, id))
	return app, one(err, "application", id)
}

// ApplicationUpdate is a PATCH of an application; nil fields stay.
type ApplicationUpdate struct {
	Name, Description *string
}

// UpdateApplication renames or re-describes an application.
func (s *Store) UpdateApplication(ctx context.Context, a Actor, projectID, serviceID, id, ifMatch string, u ApplicationUpdate) (app Application, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if app, err = scanApplication(tx.QueryRow(ctx, `SELECT `+applicationCols+` FROM applications
			WHERE project_id = $1 AND service_id = $2 AND id = $3 FOR UPDATE`, projectID, serviceID, id)); err != nil {
			return one(err, "application", id)
		}
		if err := checkIfMatch(ifMatch, app.Meta); err != nil {
			return err
		}
		if u.Name != nil {
			app.Name = *u.Name
		}
		if u.Description != nil {
			app.Description = *u.Description
		}
		app, err = scanApplication(tx.QueryRow(ctx, `UPDATE applications SET name = $2, description = $3, updated_at = clock_timestamp()
			WHERE id = $1 RETURNING `+applicationCols, id, app.Name, app.Description))
		if isUnique(err, "") {
			return problem.New(problem.CodeConflict, "an application named %q exists in this service", *u.Name)
		}
		if err != nil {
			return fmt.Errorf("update application: %w", err)
		}
		return audit(ctx, tx, a, projectID, "application.update", "application", id, map[string]any{"name": app.Name})
	})
	return app, err
}

// DeleteApplication deletes an application with its versions and past deployments; refused (409)
// while a deployment is active.
func (s *Store) DeleteApplication(ctx context.Context, a Actor, projectID, serviceID, id string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var active bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deployments d WHERE d.application_id = a.id AND d.`+activeDeployment+`)
			FROM applications a WHERE a.project_id = $1 AND a.service_id = $2 AND a.id = $3 FOR UPDATE`, projectID, serviceID, id).Scan(&active)
		if err != nil {
			return one(err, "application", id)
		}
		if active {
			return problem.New(problem.CodeConflict, "application %s has an active deployment; stop or cancel it first", id)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM applications WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete application: %w", err)
		}
		return audit(ctx, tx, a, projectID, "application.delete", "application", id, nil)
	})
}
