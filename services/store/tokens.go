package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Token is an issued JWT's record: what it may do, and whether it was revoked.
type Token struct {
	ID          string
	UserID      string
	Kind        string // session or api
	Description string
	ProjectID   string // "" when not narrowed
	ProjectName string
	Role        string // "" when not narrowed
	ExpiresAt   time.Time
	RevokedAt   *time.Time
	LastUsedAt  *time.Time
	Meta
}

// NewToken is what CreateToken needs; the jti itself is never stored.
type NewToken struct {
	JTIHash     []byte
	UserID      string
	Kind        string
	Description string
	ProjectID   string
	Role        string
	ExpiresAt   time.Time
}

const tokenCols = `t.id, t.user_id, t.kind, t.description, COALESCE(t.project_id, ''), COALESCE(p.name, ''),
	COALESCE(t.role, ''), t.expires_at, t.revoked_at, t.last_used_at, t.created_at, t.created_by, t.updated_at`

func scanToken(r pgx.Row) (Token, error) {
	var t Token
	err := r.Scan(&t.ID, &t.UserID, &t.Kind, &t.Description, &t.ProjectID, &t.ProjectName, &t.Role,
		&t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt, &t.CreatedAt, &t.CreatedBy, &t.UpdatedAt)
	return t, err
}

// CreateToken records a token.
func (s *Store) CreateToken(ctx context.Context, a Actor, n NewToken) (t Token, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		var id string
		err := tx.QueryRow(ctx, `INSERT INTO api_tokens (jti_hash, user_id, kind, description, project_id, role, expires_at, created_by)
			VALUES ($1, $2, $3, $4, NULLIF($5, ''), NULLIF($6, ''), $7, $8) RETURNING id`,
			n.JTIHash, n.UserID, n.Kind, n.Description, n.ProjectID, n.Role, n.ExpiresAt, a.UserID).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
		if t, err = scanToken(tx.QueryRow(ctx, `SELECT `+tokenCols+` FROM api_tokens t LEFT JOIN projects p ON p.id = t.project_id WHERE t.id = $1`, id)); err != nil {
			return err
		}
		return audit(ctx, tx, a, n.ProjectID, n.Kind+".create", "token", id, map[string]any{"role": n.Role, "expires_at": n.ExpiresAt})
	})
	return t, err
}

// TokenByJTIHash loads a token and its user for authentication.
func (s *Store) TokenByJTIHash(ctx context.Context, hash []byte) (Token, User, error) {
	var t Token
	var u User
	err := s.pool.QueryRow(ctx, `SELECT `+tokenCols+`, u.id, u.email, u.name, u.platform_admin, u.created_at, COALESCE(u.created_by, ''), u.updated_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN projects p ON p.id = t.project_id WHERE t.jti_hash = $1`, hash).Scan(
		&t.ID, &t.UserID, &t.Kind, &t.Description, &t.ProjectID, &t.ProjectName, &t.Role,
		&t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt, &t.CreatedAt, &t.CreatedBy, &t.UpdatedAt,
		&u.ID, &u.Email, &u.Name, &u.PlatformAdmin, &u.CreatedAt, &u.CreatedBy, &u.UpdatedAt)
	return t, u, one(err, "token", "")
}

// TouchToken records that a token was used (callers rate-limit this to about once a minute).
func (s *Store) TouchToken(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, id)
	return err
}

// ListTokens pages through a user's tokens.
func (s *Store) ListTokens(ctx context.Context, userID string, p Page) ([]Token, string, error) {
	after, err := p.after()
	if err != nil {
		return nil, "", err
	}
	toks, err := collect(ctx, s.pool, func(r pgx.Rows) (Token, error) { return scanToken(r) },
		`SELECT `+tokenCols+` FROM api_tokens t LEFT JOIN projects p ON p.id = t.project_id
		 WHERE t.user_id = $1 AND t.id > $2 ORDER BY t.id LIMIT $3`, userID, after, p.limit()+1)
	if err != nil {
		return nil, "", fmt.Errorf("list tokens: %w", err)
	}
	toks, next := cut(toks, p, func(t Token) string { return t.ID })
	return toks, next, nil
}

// RevokeToken revokes one of userID's tokens; another user's token is not found.
func (s *Store) RevokeToken(ctx context.Context, a Actor, userID, tokenID string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var projectID string
		err := tx.QueryRow(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()), updated_at = now()
			WHERE id = $1 AND user_id = $2 RETURNING COALESCE(project_id, '')`, tokenID, userID).Scan(&projectID)
		if err != nil {
			return one(err, "token", tokenID)
		}
		return audit(ctx, tx, a, projectID, "token.revoke", "token", tokenID, nil)
	})
}

// SigningKey is one Ed25519 key pair; the private half is sealed.
type SigningKey struct {
	Kid           string
	Public        []byte
	PrivateSealed []byte
	CreatedAt     time.Time
}

// SigningKeys returns every active key, newest first.
func (s *Store) SigningKeys(ctx context.Context) ([]SigningKey, error) {
	return collect(ctx, s.pool, func(r pgx.Rows) (SigningKey, error) {
		var k SigningKey
		return k, r.Scan(&k.Kid, &k.Public, &k.PrivateSealed, &k.CreatedAt)
	}, `SELECT kid, public_key, private_key_sealed, created_at FROM signing_keys WHERE active ORDER BY created_at DESC, kid`)
}

// InsertSigningKeyIfNone stores k unless an active key exists (under an advisory lock, so servers
// starting together create one key).
func (s *Store) InsertSigningKeyIfNone(ctx context.Context, k SigningKey) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7411001)`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO signing_keys (kid, public_key, private_key_sealed)
			SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE active)`, k.Kid, k.Public, k.PrivateSealed)
		return err
	})
}
