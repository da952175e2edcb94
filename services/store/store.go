package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/seal"
)

// Store is the control plane's database.
type Store struct {
	pool   *pgxpool.Pool
	sealer *seal.Sealer
}

// New returns a Store on pool; sealer encrypts integration secrets and signing keys.
func New(pool *pgxpool.Pool, sealer *seal.Sealer) *Store {
	return &Store{pool: pool, sealer: sealer}
}

// Pool is the underlying pool (for readiness checks and benchmarks).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Actor is who performs a mutation, recorded in created_by and the audit trail.
type Actor struct {
	UserID    string
	TokenID   string
	RequestID string
}

// Meta is the bookkeeping every object carries.
type Meta struct {
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
}

// ETag is the object's revision as sent in ETag and expected in If-Match.
func (m Meta) ETag() string { return `"` + strconv.FormatInt(m.UpdatedAt.UnixMicro(), 36) + `"` }

// checkIfMatch answers 412 when ifMatch is given and differs from the current revision.
func checkIfMatch(ifMatch string, m Meta) error {
	if ifMatch != "" && ifMatch != "*" && ifMatch != m.ETag() && ifMatch != "W/"+m.ETag() {
		return problem.New(problem.CodePreconditionFailed, "If-Match %s does not match the current ETag %s", ifMatch, m.ETag())
	}
	return nil
}

// tx runs fn in a transaction, committing when it returns nil.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// audit writes one audit row inside tx. details must never hold secrets.
func audit(ctx context.Context, tx pgx.Tx, a Actor, projectID, action, targetType, targetID string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	d, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit details: %w", err)
	}
	var project any
	if projectID != "" {
		project = projectID
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (project_id, actor_id, token_id, action, target_type, target_id, request_id, details)
		VALUES ($1, NULLIF($2, ''), NULLIF($3, ''), $4, $5, $6, $7, $8)`,
		project, a.UserID, a.TokenID, action, targetType, targetID, a.RequestID, d)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// Page asks for one page of a list.
type Page struct {
	Limit  int
	Cursor string // opaque, from a previous page's Next
}

// after decodes the cursor into the key to continue after ("" for the first page).
func (p Page) after() (string, error) {
	if p.Cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
	if err != nil || len(b) == 0 {
		return "", &problem.Error{Code: problem.CodeInvalidRequest, Detail: "cursor is not one this server issued",
			Fields: []problem.FieldError{{Field: "cursor", Message: "invalid cursor"}}}
	}
	return string(b), nil
}

func (p Page) limit() int {
	if p.Limit <= 0 || p.Limit > 200 {
		return 50
	}
	return p.Limit
}

// cut trims a page fetched with limit+1 rows and returns the cursor of the next page.
func cut[T any](items []T, p Page, key func(T) string) ([]T, string) {
	if len(items) <= p.limit() {
		return items, ""
	}
	items = items[:p.limit()]
	return items, base64.RawURLEncoding.EncodeToString([]byte(key(items[len(items)-1])))
}

// collect runs a list query and scans every row with scan.
func collect[T any](ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, scan func(pgx.Rows) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// isUnique reports whether err violates a unique constraint (optionally a named one).
func isUnique(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && (constraint == "" || pgErr.ConstraintName == constraint)
}

func notFound(what, key string) error {
	return problem.New(problem.CodeNotFound, "%s %q not found", what, key)
}

// one maps pgx.ErrNoRows to a not-found problem.
func one(err error, what, key string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(what, key)
	}
	return err
}
