package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/flowplane/flowplane/services/problem"
)

// TableRef is a source or sink table of a version.
type TableRef struct {
	CreateTable   string `json:"create_table"`
	IntegrationID string `json:"integration_id,omitempty"`
}

// Version is an immutable, numbered revision of an application's SQL.
type Version struct {
	ID, ApplicationID string
	Number            int
	Statement         string
	Sources, Sinks    []TableRef
	Meta
}

// NewVersion is what CreateVersion needs.
type NewVersion struct {
	Statement      string
	Sources, Sinks []TableRef
	// Plan is the compiled job graph (JSON) at parallelism 1.
	Plan []byte
}

const versionCols = `id, application_id, number, statement, sources, sinks, created_at, created_by, updated_at`

func scanVersion(r pgx.Row) (Version, error) {
	var v Version
	err := r.Scan(&v.ID, &v.ApplicationID, &v.Number, &v.Statement, &v.Sources, &v.Sinks, &v.CreatedAt, &v.CreatedBy, &v.UpdatedAt)
	return v, err
}

// lockApplication checks the application belongs to the project and service and locks it, so
// version numbers and the one-active-deployment rule are decided one at a time.
func lockApplication(ctx context.Context, tx pgx.Tx, projectID, serviceID, appID string) error {
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM applications WHERE project_id = $1 AND service_id = $2 AND id = $3 FOR UPDATE`,
		projectID, serviceID, appID).Scan(&id)
	return one(err, "application", appID)
}

// CreateVersion stores version N+1 of the application. Integration ids must be the service's.
func (s *Store) CreateVersion(ctx context.Context, a Actor, projectID, serviceID, appID string, n NewVersion) (v Version, err error) {
	if n.Sources == nil {
		n.Sources = []TableRef{}
	}
	if n.Sinks == nil {
		n.Sinks = []TableRef{}
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockApplication(ctx, tx, projectID, serviceID, appID); err != nil {
			return err
		}
		if err := checkIntegrations(ctx, tx, serviceID, "sources", n.Sources); err != nil {
			return err
		}
		if err := checkIntegrations(ctx, tx, serviceID, "sinks", n.Sinks); err != nil {
			return err
		}
		plan := n.Plan
		if plan == nil {
			plan = []byte("{}")
		}
		if v, err = scanVersion(tx.QueryRow(ctx, `INSERT INTO versions (project_id, application_id, number, statement, sources, sinks, plan, created_by)
			VALUES ($1, $2, (SELECT COALESCE(max(number), 0) + 1 FROM versions WHERE application_id = $2), $3, $4, $5, $6, $7)
			RETURNING `+versionCols, projectID, appID, n.Statement, n.Sources, n.Sinks, string(plan), a.UserID)); err != nil {
			return fmt.Errorf("insert version: %w", err)
		}
		return audit(ctx, tx, a, projectID, "version.create", "version", v.ID, map[string]any{"application_id": appID, "number": v.Number})
	})
	return v, err
}

func checkIntegrations(ctx context.Context, tx pgx.Tx, serviceID, field string, refs []TableRef) error {
	var bad []problem.FieldError
	for i, r := range refs {
		if r.IntegrationID == "" {
			continue
		}
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM integrations WHERE service_id = $1 AND id = $2)`, serviceID, r.IntegrationID).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			bad = append(bad, problem.FieldError{Field: fmt.Sprintf("%s[%d].integration_id", field, i), Message: "no such integration in this service"})
		}
	}
	if len(bad) > 0 {
		return &problem.Error{Code: problem.CodeUnprocessable, Detail: "unknown integration " + bad[0].Field, Fields: bad}
	}
	return nil
}

// ListVersions pages through an application's versions, oldest first.
func (s *Store) ListVersions(ctx context.Context, projectID, serviceID, appID string, p Page) ([]Version, string, error) {
	after, err := p.after()
	if err != nil {
		return nil, "", err
	}
	vs, err := collect(ctx, s.pool, func(r pgx.Rows) (Version, error) { return scanVersion(r) },
		`SELECT `+versionCols+` FROM versions v WHERE project_id = $1 AND application_id = $2 AND id > $3
		   AND EXISTS (SELECT 1 FROM applications a WHERE a.id = v.application_id AND a.service_id = $4)
		 ORDER BY id LIMIT $5`, projectID, appID, after, serviceID, p.limit()+1)
	if err != nil {
		return nil, "", fmt.Errorf("list versions: %w", err)
	}
	if len(vs) == 0 && after == "" {
		// Tell an empty list from an unknown application.
		if _, err := s.GetApplication(ctx, projectID, serviceID, appID); err != nil {
			return nil, "", err
		}
	}
	vs, next := cut(vs, p, func(x Version) string { return x.ID })
	return vs, next, nil
}

// LatestVersion loads the application's newest version; ok is false when it has none (an unknown
// application is a not-found error).
func (s *Store) LatestVersion(ctx context.Context, projectID, serviceID, appID string) (v Version, ok bool, err error) {
	if _, err := s.GetApplication(ctx, projectID, serviceID, appID); err != nil {
		return v, false, err
	}
	v, err = scanVersion(s.pool.QueryRow(ctx, `SELECT `+versionCols+` FROM versions WHERE project_id = $1 AND application_id = $2
		ORDER BY number DESC LIMIT 1`, projectID, appID))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, false, nil
	}
	return v, err == nil, err
}

// GetVersion loads one version of the application.
func (s *Store) GetVersion(ctx context.Context, projectID, serviceID, appID, id string) (Version, error) {
	v, err := scanVersion(s.pool.QueryRow(ctx, `SELECT `+versionCols+` FROM versions v WHERE project_id = $1 AND application_id = $2 AND id = $3
		AND EXISTS (SELECT 1 FROM applications a WHERE a.id = v.application_id AND a.service_id = $4)`, projectID, appID, id, serviceID))
	return v, one(err, "version", id)
}

// DeleteVersion deletes a version (and the past deployments of it); refused (409) while an active
// deployment runs it.
func (s *Store) DeleteVersion(ctx context.Context, a Actor, projectID, serviceID, appID, id string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockApplication(ctx, tx, projectID, serviceID, appID); err != nil {
			return err
		}
		var number int
		if err := tx.QueryRow(ctx, `SELECT number FROM versions WHERE application_id = $1 AND id = $2`, appID, id).Scan(&number); err != nil {
			return one(err, "version", id)
		}
		var dep string
		err := tx.QueryRow(ctx, `SELECT id FROM deployments WHERE version_id = $1 AND `+activeDeployment, id).Scan(&dep)
		if err == nil {
			return problem.New(problem.CodeConflict, "version %d is deployed by %s; stop or cancel it first", number, dep)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM versions WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete version: %w", err)
		}
		return audit(ctx, tx, a, projectID, "version.delete", "version", id, map[string]any{"application_id": appID, "number": number})
	})
}
