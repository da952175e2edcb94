package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/flowplane/flowplane/services/problem"
)

// Project is a tenant.
type Project struct {
	ID          string
	Name        string
	Description string
	Meta
}

const projectCols = `id, name, description, created_at, created_by, updated_at`

func scanProject(r pgx.Row) (Project, error) {
	var p Project
	err := r.Scan(&p.ID, &p.Name, &p.Description, &p.CreatedAt, &p.CreatedBy, &p.UpdatedAt)
	return p, err
}

// CreateProject creates a project whose first admin is the actor.
func (s *Store) CreateProject(ctx context.Context, a Actor, name, description string) (p Project, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		p, err = scanProject(tx.QueryRow(ctx, `INSERT INTO projects (name, description, created_by) VALUES ($1, $2, $3)
			RETURNING `+projectCols, name, description, a.UserID))
		if isUnique(err, "") {
			return problem.New(problem.CodeConflict, "a project named %q exists", name)
		}
		if err != nil {
			return fmt.Errorf("insert project: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO members (project_id, user_id, role, created_by) VALUES ($1, $2, 'admin', $2)`, p.ID, a.UserID); err != nil {
			return fmt.Errorf("insert first member: %w", err)
		}
		return audit(ctx, tx, a, p.ID, "project.create", "project", p.ID, map[string]any{"name": name})
	})
	return p, err
}

// ProjectAccess loads the project called name and the user's role in it ("" when not a member).
func (s *Store) ProjectAccess(ctx context.Context, userID, name string) (Project, string, error) {
	var p Project
	var role string
	err := s.pool.QueryRow(ctx, `SELECT p.id, p.name, p.description, p.created_at, p.created_by, p.updated_at, COALESCE(m.role, '')
		FROM projects p LEFT JOIN members m ON m.project_id = p.id AND m.user_id = $2 WHERE p.name = $1`, name, userID).Scan(
		&p.ID, &p.Name, &p.Description, &p.CreatedAt, &p.CreatedBy, &p.UpdatedAt, &role)
	return p, role, one(err, "project", name)
}

// ProjectFilter narrows ListProjects.
type ProjectFilter struct {
	MemberID  string // only projects this user is a member of ("" = all)
	ProjectID string // only this project ("" = any)
}

// ListProjects pages through the projects matching f.
func (s *Store) ListProjects(ctx context.Context, f ProjectFilter, p Page) ([]Project, string, error) {
	after, err := p.after()
	if err != nil {
		return nil, "", err
	}
	ps, err := collect(ctx, s.pool, func(r pgx.Rows) (Project, error) { return scanProject(r) },
		`SELECT `+projectCols+` FROM projects p
		 WHERE id > $1 AND ($2 = '' OR EXISTS (SELECT 1 FROM members m WHERE m.project_id = p.id AND m.user_id = $2))
		   AND ($3 = '' OR id = $3)
		 ORDER BY id LIMIT $4`, after, f.MemberID, f.ProjectID, p.limit()+1)
	if err != nil {
		return nil, "", fmt.Errorf("list projects: %w", err)
	}
	ps, next := cut(ps, p, func(x Project) string { return x.ID })
	return ps, next, nil
}

// UpdateProject changes a project's description; ifMatch (may be "") guards against lost updates.
func (s *Store) UpdateProject(ctx context.Context, a Actor, projectID, ifMatch string, description *string) (p Project, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if p, err = scanProject(tx.QueryRow(ctx, `SELECT `+projectCols+` FROM projects WHERE id = $1 FOR UPDATE`, projectID)); err != nil {
			return one(err, "project", projectID)
		}
		if err := checkIfMatch(ifMatch, p.Meta); err != nil {
			return err
		}
		if description != nil {
			p.Description = *description
		}
		if p, err = scanProject(tx.QueryRow(ctx, `UPDATE projects SET description = $2, updated_at = clock_timestamp()
			WHERE id = $1 RETURNING `+projectCols, projectID, p.Description)); err != nil {
			return fmt.Errorf("update project: %w", err)
		}
		return audit(ctx, tx, a, projectID, "project.update", "project", projectID, nil)
	})
	return p, err
}

// DeleteProject deletes an empty project (409 while it has services).
func (s *Store) DeleteProject(ctx context.Context, a Actor, projectID string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM projects WHERE id = $1 FOR UPDATE`, projectID).Scan(&name); err != nil {
			return one(err, "project", projectID)
		}
		var services int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM services WHERE project_id = $1`, projectID).Scan(&services); err != nil {
			return err
		}
		if services > 0 {
			return problem.New(problem.CodeConflict, "project %q still has %d service(s); delete them first", name, services)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM projects WHERE id = $1`, projectID); err != nil {
			return fmt.Errorf("delete project: %w", err)
		}
		return audit(ctx, tx, a, projectID, "project.delete", "project", projectID, map[string]any{"name": name})
	})
}
