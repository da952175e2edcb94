package checkpoint

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed postgres_schema.sql
var postgresSchema string

const (
	pgHandlePrefix = "pg:"
	// chunkSize is the size of one bytea row; big blobs are split so no single value nears
	// PostgreSQL's 1 GB field limit and memory per statement stays small.
	chunkSize = 1 << 20
	// schemaLockKey serialises EnsurePostgresSchema across servers starting together.
	schemaLockKey = 0x666c6f77_63687031 // "flowchp1"
)

// EnsurePostgresSchema creates PostgresStorage's tables if they do not exist. It is idempotent
// and safe to call concurrently from several servers (it takes a transaction advisory lock).
func EnsurePostgresSchema(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(schemaLockKey)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, postgresSchema)
		return err
	})
}

// PostgresStorage keeps checkpoints in the Flowplane database: blobs as 1 MiB bytea chunks
// written in one transaction with their blob row, metadata as jsonb.
type PostgresStorage struct {
	pool *pgxpool.Pool
}

// NewPostgresStorage returns the storage in pool's database, creating its tables if needed.
func NewPostgresStorage(ctx context.Context, pool *pgxpool.Pool) (*PostgresStorage, error) {
	if err := EnsurePostgresSchema(ctx, pool); err != nil {
		return nil, fmt.Errorf("checkpoint storage schema: %w", err)
	}
	return &PostgresStorage{pool: pool}, nil
}

// Location is "postgres".
func (s *PostgresStorage) Location() string { return "postgres" }

// PutState writes the blob row and its chunks in one transaction.
func (s *PostgresStorage) PutState(ctx context.Context, key StateKey, r io.Reader) (Handle, int64, error) {
	if err := key.Validate(); err != nil {
		return "", 0, err
	}
	var id, total int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO checkpoint_store_blobs
			(job, checkpoint_id, operator, subtask, kg_start, kg_end, size) VALUES ($1,$2,$3,$4,$5,$6,0) RETURNING id`,
			key.Job, int64(key.Checkpoint), key.Operator, key.Subtask, key.KeyGroups.Start, key.KeyGroups.End).Scan(&id)
		if err != nil {
			return err
		}
		total, err = putChunks(ctx, tx, id, r)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE checkpoint_store_blobs SET size = $2 WHERE id = $1", id, total)
		return err
	})
	if err != nil {
		return "", 0, fmt.Errorf("put state: %w", err)
	}
	return Handle(pgHandlePrefix + strconv.FormatInt(id, 10)), total, nil
}

func putChunks(ctx context.Context, tx pgx.Tx, id int64, r io.Reader) (int64, error) {
	seq := 0
	return forEachChunk(ctx, r, chunkSize, func(b []byte) error {
		_, err := tx.Exec(ctx, "INSERT INTO checkpoint_store_chunks (blob_id, seq, data) VALUES ($1,$2,$3)", id, seq, b)
		seq++
		return err
	})
}

func (s *PostgresStorage) blobID(h Handle) (int64, error) {
	num, ok := strings.CutPrefix(string(h), pgHandlePrefix)
	id, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: %q", ErrInvalidHandle, h)
	}
	return id, nil
}

// GetState concatenates a blob's chunks.
func (s *PostgresStorage) GetState(ctx context.Context, h Handle) ([]byte, error) {
	id, err := s.blobID(h)
	if err != nil {
		return nil, err
	}
	var size int64
	err = s.pool.QueryRow(ctx, "SELECT size FROM checkpoint_store_blobs WHERE id = $1", id).Scan(&size)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: state %s", ErrNotFound, h)
	}
	if err != nil {
		return nil, fmt.Errorf("get state %s: %w", h, err)
	}
	out := make([]byte, 0, size)
	rows, err := s.pool.Query(ctx, "SELECT data FROM checkpoint_store_chunks WHERE blob_id = $1 ORDER BY seq", id)
	if err != nil {
		return nil, fmt.Errorf("get state %s: %w", h, err)
	}
	defer rows.Close()
	var chunk []byte
	for rows.Next() {
		if err := rows.Scan(&chunk); err != nil {
			return nil, fmt.Errorf("get state %s: %w", h, err)
		}
		out = append(out, chunk...)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get state %s: %w", h, err)
	}
	if int64(len(out)) != size {
		return nil, fmt.Errorf("get state %s: %d of %d bytes", h, len(out), size)
	}
	return out, nil
}

// DeleteState deletes a blob row; its chunks go with it.
func (s *PostgresStorage) DeleteState(ctx context.Context, h Handle) error {
	id, err := s.blobID(h)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, "DELETE FROM checkpoint_store_blobs WHERE id = $1", id); err != nil {
		return fmt.Errorf("delete state %s: %w", h, err)
	}
	return nil
}

// PutMetadata upserts the metadata row (durable at commit).
func (s *PostgresStorage) PutMetadata(ctx context.Context, md *Metadata) error {
	b, err := EncodeMetadata(md)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO checkpoint_store_metadata (job, checkpoint_id, kind, status, body)
		VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT (job, checkpoint_id) DO UPDATE
		SET kind = EXCLUDED.kind, status = EXCLUDED.status, body = EXCLUDED.body, updated_at = now()`,
		md.Job, int64(md.ID), string(md.Kind), string(md.Status), string(b))
	if err != nil {
		return fmt.Errorf("put metadata %s/%d: %w", md.Job, md.ID, err)
	}
	return nil
}

// GetMetadata reads one metadata row.
func (s *PostgresStorage) GetMetadata(ctx context.Context, job string, id uint64) (*Metadata, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, "SELECT body::text FROM checkpoint_store_metadata WHERE job = $1 AND checkpoint_id = $2",
		job, int64(id)).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: checkpoint %s/%d", ErrNotFound, job, id)
	}
	if err != nil {
		return nil, fmt.Errorf("get metadata %s/%d: %w", job, id, err)
	}
	return decodeFor(body, job, id)
}

// ListMetadata reads every metadata row of job by ascending id.
func (s *PostgresStorage) ListMetadata(ctx context.Context, job string) ([]*Metadata, error) {
	rows, err := s.pool.Query(ctx, "SELECT body::text FROM checkpoint_store_metadata WHERE job = $1 ORDER BY checkpoint_id", job)
	if err != nil {
		return nil, fmt.Errorf("list metadata %s: %w", job, err)
	}
	bodies, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, fmt.Errorf("list metadata %s: %w", job, err)
	}
	out := make([]*Metadata, 0, len(bodies))
	for _, b := range bodies {
		md, err := DecodeMetadata(b)
		if err != nil {
			return nil, err
		}
		out = append(out, md)
	}
	return out, nil
}

// DeleteMetadata deletes one metadata row.
func (s *PostgresStorage) DeleteMetadata(ctx context.Context, job string, id uint64) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM checkpoint_store_metadata WHERE job = $1 AND checkpoint_id = $2", job, int64(id))
	if err != nil {
		return fmt.Errorf("delete metadata %s/%d: %w", job, id, err)
	}
	return nil
}

// ListStates lists the job's blob rows.
func (s *PostgresStorage) ListStates(ctx context.Context, job string) ([]StateRef, error) {
	rows, err := s.pool.Query(ctx, "SELECT id, checkpoint_id FROM checkpoint_store_blobs WHERE job = $1 ORDER BY id", job)
	if err != nil {
		return nil, fmt.Errorf("list states %s: %w", job, err)
	}
	var out []StateRef
	var id, chk int64
	_, err = pgx.ForEachRow(rows, []any{&id, &chk}, func() error {
		out = append(out, StateRef{Handle: Handle(pgHandlePrefix + strconv.FormatInt(id, 10)), Checkpoint: uint64(chk)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list states %s: %w", job, err)
	}
	return out, nil
}
