package postgres

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/services/pgtest"
)

type kv struct {
	v string
	n int64
}

// changelog returns a random upsert changelog over keys 0..keys-1 and the final table a batch
// computation of it yields.
func changelog(rng *rand.Rand, steps, keys int) ([]Row, map[int64]kv) {
	model := make(map[int64]kv)
	var log []Row
	for i := range steps {
		k := int64(rng.IntN(keys))
		old, ok := model[k]
		next := kv{v: fmt.Sprintf("v%d", i), n: int64(i)}
		switch {
		case !ok:
			log = append(log, Row{Kind: Insert, Values: []any{k, next.v, next.n}})
			model[k] = next
		case rng.IntN(4) == 0:
			log = append(log, Row{Kind: Delete, Values: []any{k, old.v, old.n}})
			delete(model, k)
		default:
			log = append(log, Row{Kind: UpdateBefore, Values: []any{k, old.v, old.n}},
				Row{Kind: UpdateAfter, Values: []any{k, next.v, next.n}})
			model[k] = next
		}
	}
	return log, model
}

func upsertSink(t *testing.T, pool *pgxpool.Pool, attempt int64) *Sink {
	t.Helper()
	s, err := NewSink(context.Background(), pool, SinkConfig{SinkID: "job/kv", Subtask: 3, Attempt: attempt,
		Table: "kv", Columns: []string{"k", "v", "n"}, Mode: Upsert, PrimaryKey: []string{"k"}, BatchRows: 7})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readKV(t *testing.T, pool *pgxpool.Pool) map[int64]kv {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT k, v, n FROM kv")
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[int64]kv)
	var k int64
	var r kv
	_, err = pgx.ForEachRow(rows, []any{&k, &r.v, &r.n}, func() error {
		got[k] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestUpsertConvergesUnderFailures replays a changelog through the sink with random checkpoint
// boundaries, lost notifications and crashes (before or after a commit); after each crash a new
// attempt restores the last completed checkpoint and the input replays from its position, as a
// replayable source would. The table must end equal to the batch computation.
func TestUpsertConvergesUnderFailures(t *testing.T) {
	t.Parallel()
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 42))
			log, want := changelog(rng, 1500, 60)
			pool := pgtest.NewPool(t)
			exec(t, pool, "CREATE TABLE kv (k bigint PRIMARY KEY, v text NOT NULL, n bigint NOT NULL)")
			ctx := context.Background()

			attempt := int64(1)
			s := upsertSink(t, pool, attempt)
			type completed struct {
				state []byte
				pos   int
			}
			var last completed
			var id uint64
			restart := func() {
				attempt++
				s = upsertSink(t, pool, attempt)
				if err := s.Claim(ctx); err != nil {
					t.Fatal(err)
				}
				if last.state != nil {
					if err := s.RestoreState(last.state); err != nil {
						t.Fatal(err)
					}
					if _, err := s.CommitRestored(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
			for pos := 0; pos < len(log); {
				end := min(len(log), pos+1+rng.IntN(80))
				if err := s.Write(log[pos:end]...); err != nil {
					t.Fatal(err)
				}
				pos = end
				id++
				st := snapshot(t, s, id)
				switch r := rng.IntN(10); {
				case r == 0: // crash before the checkpoint completes
					restart()
					pos = last.pos
				case r == 1: // completes, notification lost
					last = completed{st, pos}
				case r == 2: // completes, commit, then crash
					last = completed{st, pos}
					notify(t, s, id)
					restart()
					pos = last.pos
				default:
					last = completed{st, pos}
					notify(t, s, id)
				}
			}
			id++
			snapshot(t, s, id)
			notify(t, s, id)
			got := readKV(t, pool)
			if !maps.Equal(got, want) {
				keys := slices.Sorted(maps.Keys(want))
				t.Fatalf("table has %d rows, batch result %d (attempts %d); first keys %v", len(got), len(want), attempt, keys[:min(5, len(keys))])
			}
		})
	}
}

func TestUpsertAllKeyColumnsDoesNothingOnConflict(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	exec(t, pool, "CREATE TABLE tags (a text, b text, PRIMARY KEY (a, b))")
	s, err := NewSink(context.Background(), pool, SinkConfig{SinkID: "t", Attempt: 1, Table: "tags",
		Columns: []string{"a", "b"}, Mode: Upsert, PrimaryKey: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Write(Row{Kind: Insert, Values: []any{"x", "y"}}, Row{Kind: Insert, Values: []any{"x", "z"}})
	snapshot(t, s, 1)
	notify(t, s, 1)
	_ = s.Write(Row{Kind: Insert, Values: []any{"x", "y"}}, Row{Kind: Delete, Values: []any{"x", "z"}})
	snapshot(t, s, 2)
	notify(t, s, 2)
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM tags WHERE a = 'x' AND b = 'y'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows = %d, %v; want the single (x, y)", n, err)
	}
}
