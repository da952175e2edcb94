package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/flowplane/flowplane/services/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Two tests write the same row into their own databases: each sees only its own.
func TestDatabasesAreIsolatedAndMigrated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := pgtest.NewPool(t), pgtest.NewPool(t)
	if _, err := a.Exec(ctx, "UPDATE instance SET bootstrapped_at = now()"); err != nil {
		t.Fatalf("update in a: %v", err)
	}
	var bootstrapped bool
	if err := b.QueryRow(ctx, "SELECT bootstrapped_at IS NOT NULL FROM instance").Scan(&bootstrapped); err != nil {
		t.Fatalf("query b: %v", err)
	}
	if bootstrapped {
		t.Fatalf("database b saw a's write")
	}
	var idA, idB string
	if err := a.QueryRow(ctx, "SELECT current_database()").Scan(&idA); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRow(ctx, "SELECT current_database()").Scan(&idB); err != nil {
		t.Fatal(err)
	}
	if idA == idB {
		t.Fatalf("both tests got database %s", idA)
	}
}
