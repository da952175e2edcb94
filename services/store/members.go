package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/flowplane/flowplane/services/problem"
)

// Member is a user's role in a project.
type Member struct {
	UserID, Email, Name, Role string
	Meta
}

// Membership is one project a user belongs to.
type Membership struct {
	ProjectName, Role string
}

const memberCols = `m.user_id, u.email, u.name, m.role, m.created_at, m.created_by, m.updated_at`

func scanMember(r pgx.Row) (Member, error) {
	var m Member
	err := r.Scan(&m.UserID, &m.Email, &m.Name, &m.Role, &m.CreatedAt, &m.CreatedBy, &m.UpdatedAt)
	return m, err
}

// ListMembers pages through a project's members, by user id.
func (s *Store) ListMembers(ctx context.Context, projectID string, p Page) ([]Member, string, error) {
	after, err := p.after()
	if err != nil {
		return nil, "", err
	}
	ms, err := collect(ctx, s.pool, func(r pgx.Rows) (Member, error) { return scanMember(r) },
		`SELECT `+memberCols+` FROM members m JOIN users u ON u.id = m.user_id
		 WHERE m.project_id = $1 AND m.user_id > $2 ORDER BY m.user_id LIMIT $3`, projectID, after, p.limit()+1)
	if err != nil {
		return nil, "", fmt.Errorf("list members: %w", err)
	}
	ms, next := cut(ms, p, func(m Member) string { return m.UserID })
	return ms, next, nil
}

// Memberships lists the projects a user belongs to.
func (s *Store) Memberships(ctx context.Context, userID string) ([]Membership, error) {
	return collect(ctx, s.pool, func(r pgx.Rows) (Membership, error) {
		var m Membership
		return m, r.Scan(&m.ProjectName, &m.Role)
	}, `SELECT p.name, m.role FROM members m JOIN projects p ON p.id = m.project_id WHERE m.user_id = $1 ORDER BY p.name`, userID)
}

// AddMember adds the user with email to the project.
func (s *Store) AddMember(ctx context.Context, a Actor, projectID, email, role string) (m Member, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		var userID string
		if err := tx.QueryRow(ctx, `SELECT id FROM users WHERE lower(email) = lower($1)`, email).Scan(&userID); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return &problem.Error{Code: problem.CodeUnprocessable, Detail: fmt.Sprintf("no user has the email %q", email),
					Fields: []problem.FieldError{{Field: "email", Message: "unknown user"}}}
			}
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO members (project_id, user_id, role, created_by) VALUES ($1, $2, $3, $4)`, projectID, userID, role, a.UserID)
		if isUnique(err, "") {
			return problem.New(problem.CodeConflict, "%s is already a member", email)
		}
		if err != nil {
			return fmt.Errorf("insert member: %w", err)
		}
		if m, err = scanMember(tx.QueryRow(ctx, `SELECT `+memberCols+` FROM members m JOIN users u ON u.id = m.user_id
			WHERE m.project_id = $1 AND m.user_id = $2`, projectID, userID)); err != nil {
			return err
		}
		return audit(ctx, tx, a, projectID, "member.add", "user", userID, map[string]any{"role": role})
	})
	return m, err
}

// lockMember loads a membership for update and checks that changing it keeps an admin.
func lockMember(ctx context.Context, tx pgx.Tx, projectID, userID string, demote bool) (Member, error) {
	m, err := scanMember(tx.QueryRow(ctx, `SELECT `+memberCols+` FROM members m JOIN users u ON u.id = m.user_id
		WHERE m.project_id = $1 AND m.user_id = $2 FOR UPDATE OF m`, projectID, userID))
	if err != nil {
		return m, one(err, "member", userID)
	}
	if m.Role == "admin" && demote {
		var admins int
		// Lock every admin row so two concurrent demotions cannot both pass.
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM members WHERE project_id = $1 AND role = 'admin' FOR UPDATE) a`, projectID).Scan(&admins); err != nil {
			return m, err
		}
		if admins <= 1 {
			return m, problem.New(problem.CodeConflict, "%s is the project's last admin", m.Email)
		}
	}
	return m, nil
}

// UpdateMember changes a member's role; the last admin cannot be demoted.
func (s *Store) UpdateMember(ctx context.Context, a Actor, projectID, userID, ifMatch, role string) (m Member, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		cur, err := lockMember(ctx, tx, projectID, userID, role != "admin")
		if err != nil {
			return err
		}
		if err := checkIfMatch(ifMatch, cur.Meta); err != nil {
			return err
		}
		if m, err = scanMember(tx.QueryRow(ctx, `WITH up AS (UPDATE members SET role = $3, updated_at = clock_timestamp()
			WHERE project_id = $1 AND user_id = $2 RETURNING *) SELECT `+memberCols+` FROM up m JOIN users u ON u.id = m.user_id`,
			projectID, userID, role)); err != nil {
			return fmt.Errorf("update member: %w", err)
		}
		return audit(ctx, tx, a, projectID, "member.update", "user", userID, map[string]any{"role": role})
	})
	return m, err
}

// RemoveMember removes a member; the last admin cannot be removed.
func (s *Store) RemoveMember(ctx context.Context, a Actor, projectID, userID string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := lockMember(ctx, tx, projectID, userID, true); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM members WHERE project_id = $1 AND user_id = $2`, projectID, userID); err != nil {
			return fmt.Errorf("delete member: %w", err)
		}
		return audit(ctx, tx, a, projectID, "member.remove", "user", userID, nil)
	})
}
