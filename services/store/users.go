package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowplane/flowplane/services/problem"
)

// User is a person (or robot) who logs in and owns tokens.
type User struct {
	ID            string
	Email         string
	Name          string
	PasswordHash  string
	PlatformAdmin bool
	Meta
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Email, Name, PasswordHash string
	PlatformAdmin             bool
}

const userCols = `id, email, name, password_hash, platform_admin, created_at, COALESCE(created_by, ''), updated_at`

func scanUser(r pgx.Row) (User, error) {
	var u User
	err := r.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.PlatformAdmin, &u.CreatedAt, &u.CreatedBy, &u.UpdatedAt)
	return u, err
}

func insertUser(ctx context.Context, tx pgx.Tx, a Actor, n NewUser) (User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `INSERT INTO users (email, name, password_hash, platform_admin, created_by)
		VALUES ($1, $2, $3, $4, NULLIF($5, '')) RETURNING `+userCols, n.Email, n.Name, n.PasswordHash, n.PlatformAdmin, a.UserID))
	if isUnique(err, "users_email") {
		return User{}, problem.New(problem.CodeConflict, "a user with email %q exists", n.Email)
	}
	if err != nil {
		return User{}, fmt.Errorf("insert user: %w", err)
	}
	return u, audit(ctx, tx, a, "", "user.create", "user", u.ID, map[string]any{"email": u.Email, "platform_admin": u.PlatformAdmin})
}

// CreateUser adds a user.
func (s *Store) CreateUser(ctx context.Context, a Actor, n NewUser) (u User, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		u, err = insertUser(ctx, tx, a, n)
		return err
	})
	return u, err
}

// ListUsers pages through every user.
func (s *Store) ListUsers(ctx context.Context, p Page) ([]User, string, error) {
	after, err := p.after()
	if err != nil {
		return nil, "", err
	}
	users, err := collect(ctx, s.pool, func(r pgx.Rows) (User, error) { return scanUser(r) },
		`SELECT `+userCols+` FROM users WHERE id > $1 ORDER BY id LIMIT $2`, after, p.limit()+1)
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	users, next := cut(users, p, func(u User) string { return u.ID })
	return users, next, nil
}

// UserByEmail finds a user for login.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE lower(email) = lower($1)`, email))
	return u, one(err, "user", email)
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, a Actor, userID, hash string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, userID, hash)
		if err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return notFound("user", userID)
		}
		return audit(ctx, tx, a, "", "user.set_password", "user", userID, nil)
	})
}

// BootstrapAdmin creates the first platform admin exactly once per database (instance.bootstrapped_at
// guards it, under a row lock, so servers starting together create one). Later calls return the
// oldest platform admin and created=false.
func (s *Store) BootstrapAdmin(ctx context.Context, n NewUser) (u User, created bool, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		var at *time.Time
		if err := tx.QueryRow(ctx, `SELECT bootstrapped_at FROM instance FOR UPDATE`).Scan(&at); err != nil {
			return fmt.Errorf("lock instance: %w", err)
		}
		if at == nil {
			n.PlatformAdmin = true
			if u, err = insertUser(ctx, tx, Actor{RequestID: "bootstrap"}, n); err != nil {
				return err
			}
			created = true
			_, err = tx.Exec(ctx, `UPDATE instance SET bootstrapped_at = now()`)
			return err
		}
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE platform_admin ORDER BY id LIMIT 1`))
		if errors.Is(err, pgx.ErrNoRows) {
			return problem.New(problem.CodeConflict, "the instance was bootstrapped but has no platform admin left")
		}
		return err
	})
	return u, created, err
}
