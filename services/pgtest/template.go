package pgtest

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"

	"github.com/flowplane/flowplane/migrations"
)

// ensureTemplate builds the migrated template database once per schema fingerprint. Test binaries
// of several packages run at once; an advisory lock makes one of them build it while the others wait.
func ensureTemplate(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	h := fnv.New64a()
	h.Write([]byte(template))
	lockKey := int64(h.Sum64() >> 1)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return fmt.Errorf("lock template: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", lockKey)

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", template).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := template + "_b" + randomSuffix()[:6]
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	if err := migrateDatabase(ctx, building); err != nil {
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
		return err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, template)); err != nil {
		return fmt.Errorf("publish template: %w", err)
	}
	return nil
}

func migrateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, withDatabase(adminDSN, name))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return migrations.Apply(ctx, conn)
}
