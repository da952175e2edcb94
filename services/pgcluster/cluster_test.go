package pgcluster_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/flowplane/flowplane/services/pgcluster"
)

func TestStartServeStop(t *testing.T) {
	t.Parallel()
	if _, err := pgcluster.FindBinaries(); errors.Is(err, pgcluster.ErrNoBinaries) {
		t.Skip("no PostgreSQL binaries on this machine")
	}
	ctx := context.Background()
	c, err := pgcluster.Start(ctx, pgcluster.Options{})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		c.Stop()
		t.Fatalf("connect: %v", err)
	}
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	conn.Close(ctx)
	if err := c.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := os.Stat(c.Dir()); !os.IsNotExist(err) {
		t.Fatalf("cluster directory %s still exists (%v)", c.Dir(), err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second stop: %v", err)
	}
}

// TestCrashRecover: after a crash (immediate shutdown) a crash-safe server comes back on its
// data: committed rows are there, and the connection open before the crash is broken.
func TestCrashRecover(t *testing.T) {
	t.Parallel()
	if _, err := pgcluster.FindBinaries(); errors.Is(err, pgcluster.ErrNoBinaries) {
		t.Skip("no PostgreSQL binaries on this machine")
	}
	ctx := context.Background()
	c, err := pgcluster.Start(ctx, pgcluster.Options{CrashSafe: true})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer c.Stop()
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	c.Crash()
	if _, err := conn.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("a connection survived the crash")
	}
	if err := c.Recover(ctx); err != nil {
		t.Fatalf("recover: %v", err)
	}
	again, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		t.Fatalf("connect after recovery: %v", err)
	}
	defer again.Close(ctx)
	var n int
	if err := again.QueryRow(ctx, "SELECT n FROM kept").Scan(&n); err != nil || n != 7 {
		t.Fatalf("after recovery kept holds %d, %v", n, err)
	}
}
