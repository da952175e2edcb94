// Package pgtest gives every test its own fresh, migrated PostgreSQL database.
//
// The server is, in order: TEST_DATABASE_URL (a role allowed to CREATE DATABASE), the local server
// on 127.0.0.1:5432, else a throwaway cluster (package pgcluster) started for the test binary and
// stopped by Main. The schema is migrated once into a template database named after the migrations'
// fingerprint, built under a temporary name and renamed when complete, so a crashed run never leaves
// a half-migrated template behind. Each test then clones the template (CREATE DATABASE … TEMPLATE),
// which takes milliseconds, and drops its clone when it ends: no test sees another's rows.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/migrations"
	"github.com/flowplane/flowplane/services/pgcluster"
)

const localServer = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=2"

var (
	once     sync.Once
	adminDSN string
	template string
	setupErr error
	cluster  *pgcluster.Cluster
	usedMain bool
)

// Main runs the package's tests and stops a throwaway cluster if one was started. Call it from
// TestMain: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }.
func Main(m *testing.M) int {
	usedMain = true
	code := m.Run()
	if cluster != nil {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// NewDatabase creates a fresh migrated database for t and returns its connection string. The
// database is dropped when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	once.Do(setup)
	if setupErr != nil {
		t.Fatalf("pgtest: %v", setupErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := "fp_test_" + randomSuffix()
	if err := adminExec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, template)); err != nil {
		t.Fatalf("pgtest: clone template: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := adminExec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return withDatabase(adminDSN, name)
}

// NewPool is NewDatabase plus a pool on it, closed when t ends.
func NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dsn := NewDatabase(t)
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// AdminDSN is the server-level connection string, for tests that manage databases themselves.
func AdminDSN(t testing.TB) string {
	t.Helper()
	once.Do(setup)
	if setupErr != nil {
		t.Fatalf("pgtest: %v", setupErr)
	}
	return adminDSN
}

func setup() {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	adminDSN, setupErr = findServer(ctx)
	if setupErr != nil {
		return
	}
	template = "fp_tpl_" + migrations.Fingerprint()
	setupErr = ensureTemplate(ctx)
}

func findServer(ctx context.Context) (string, error) {
	if dsn := os.Getenv("TEST_DATABASE_URL"); dsn != "" {
		return dsn, ping(ctx, dsn)
	}
	if ping(ctx, localServer) == nil {
		return localServer, nil
	}
	if !usedMain {
		return "", fmt.Errorf("no PostgreSQL on 127.0.0.1:5432 and TEST_DATABASE_URL unset; " +
			"a throwaway cluster needs TestMain to call pgtest.Main so it is stopped afterwards")
	}
	c, err := pgcluster.Start(ctx, pgcluster.Options{})
	if err != nil {
		return "", err
	}
	cluster = c
	return c.DSN("postgres"), nil
}

func ping(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func adminExec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func randomSuffix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func withDatabase(dsn, name string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return dsn
	}
	u := fmt.Sprintf("postgres://%s@/%s?host=%s&port=%d&sslmode=disable", cfg.User, name, cfg.Host, cfg.Port)
	if cfg.Password != "" {
		u = fmt.Sprintf("postgres://%s:%s@/%s?host=%s&port=%d&sslmode=disable", cfg.User, cfg.Password, name, cfg.Host, cfg.Port)
	}
	return u
}
