package store

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/flowplane/flowplane/services/problem"
)

// Replay is a stored answer to an idempotent request.
type Replay struct {
	Status      int
	ContentType string
	Body        []byte
	Headers     http.Header
}

// ClaimIdempotencyKey starts an idempotent request. It returns (nil, nil) when the caller is the
// first with this key and must run the request, the stored answer when it already ran, 409 while
// the first request is still in flight, and 422 when the key was used for a different request.
// Keys older than a day are forgotten.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, tokenID, key string, requestHash []byte) (*Replay, error) {
	var r Replay
	var stored []byte
	var status *int
	var ct *string
	claimed := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE token_id = $1 AND key = $2 AND created_at < now() - interval '24 hours'`, tokenID, key); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (token_id, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, tokenID, key, requestHash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			claimed = true
			return nil
		}
		return tx.QueryRow(ctx, `SELECT request_hash, status, content_type, body, headers FROM idempotency_keys WHERE token_id = $1 AND key = $2`,
			tokenID, key).Scan(&stored, &status, &ct, &r.Body, &r.Headers)
	})
	if err != nil {
		return nil, fmt.Errorf("idempotency key: %w", err)
	}
	if claimed {
		return nil, nil
	}
	if !bytes.Equal(stored, requestHash) {
		return nil, problem.New(problem.CodeUnprocessable, "Idempotency-Key %q was used for a different request", key)
	}
	if status == nil {
		return nil, problem.New(problem.CodeConflict, "a request with Idempotency-Key %q is still in progress", key)
	}
	r.Status = *status
	if ct != nil {
		r.ContentType = *ct
	}
	return &r, nil
}

// CompleteIdempotencyKey stores the answer of a claimed request, or releases the key (so the
// request may be retried) when r is nil.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, tokenID, key string, r *Replay) error {
	if r == nil {
		_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE token_id = $1 AND key = $2`, tokenID, key)
		return err
	}
	_, err := s.pool.Exec(ctx, `UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5, headers = $6 WHERE token_id = $1 AND key = $2`,
		tokenID, key, r.Status, r.ContentType, r.Body, r.Headers)
	return err
}
