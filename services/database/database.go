// Package database opens Flowplane's PostgreSQL connection pool and brings its schema up to date.
//
// It is the one place that turns a DATABASE_URL into a ready pool, so every role fails the same
// way, quickly and readably, when PostgreSQL is unreachable.
package database

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/migrations"
)

// ErrUnreachable wraps every failure to reach PostgreSQL at start.
var ErrUnreachable = errors.New("cannot reach PostgreSQL")

// Options tune Open.
type Options struct {
	// ConnectTimeout bounds the first connection. Default 5s.
	ConnectTimeout time.Duration
	// MaxConns of the pool. Default: pgxpool's (max(4, cores)).
	MaxConns int32
	// Migrate applies the embedded migrations after connecting.
	Migrate bool
}

// Open connects to url, checks the server answers, and optionally migrates. Errors never contain
// the password.
func Open(ctx context.Context, url string, opts Options) (*pgxpool.Pool, error) {
	if opts.ConnectTimeout == 0 {
		opts.ConnectTimeout = 5 * time.Second
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors may echo the URL; say only what is wrong with it.
		return nil, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL connection string")
	}
	cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	where := describe(cfg.ConnConfig.Config)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %s", ErrUnreachable, where, reason(err))
	}
	pingCtx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%w at %s: %s", ErrUnreachable, where, reason(err))
	}
	if opts.Migrate {
		if err := Migrate(ctx, pool); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return pool, nil
}

// Migrate applies the embedded migrations on one connection of pool.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrUnreachable, reason(err))
	}
	defer conn.Release()
	return migrations.Apply(ctx, conn.Conn())
}

func describe(c pgconn.Config) string {
	if len(c.Host) > 0 && c.Host[0] == '/' {
		return fmt.Sprintf("socket %s (database %q)", c.Host, c.Database)
	}
	return fmt.Sprintf("%s (database %q)", net.JoinHostPort(c.Host, fmt.Sprint(c.Port)), c.Database)
}

// reason is the innermost, human-readable cause of a connection failure.
func reason(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Err.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) && connErr.Unwrap() != nil {
		return connErr.Unwrap().Error()
	}
	return err.Error()
}
