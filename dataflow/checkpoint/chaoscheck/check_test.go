package chaoscheck

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/flowplane/flowplane/services/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func pairs(key string, seqs ...int64) []Pair {
	out := make([]Pair, len(seqs))
	for i, s := range seqs {
		out[i] = Pair{Key: key, Seq: s}
	}
	return out
}

func TestCleanSequencesPass(t *testing.T) {
	t.Parallel()
	in := append(pairs("b", 2, 0, 1), pairs("a", 0, 1, 2, 3)...)
	r := CheckPairs(in, Options{Expect: map[string]int64{"a": 4, "b": 3}})
	if !r.OK() || r.Keys != 2 || r.Rows != 7 || r.Err() != nil {
		t.Fatalf("report = %s", r)
	}
}

func TestViolationsAreReported(t *testing.T) {
	t.Parallel()
	in := append(pairs("a", 0, 1, 1, 1, 4, 5), pairs("b", 1, 2)...)
	in = append(in, pairs("z", 0)...)
	r := CheckPairs(in, Options{Expect: map[string]int64{"a": 8, "b": 2, "c": 5}})
	want := []string{
		`key "a": duplicate seq 1 (3 copies)`,
		`key "a": gap seq 2..3 (2 records)`,
		`key "a": gap seq 6..7 (2 records)`,
		`key "b": gap seq 0..0 (1 records)`,
		`key "b": overflow seq 2..2 (1 records)`,
		`key "z": unexpected`,
		`key "c": missing`,
	}
	var got []string
	for _, p := range r.Examples {
		got = append(got, p.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r.Lost != 2+2+1+5 || r.Duplicated != 2 || !errors.Is(r.Err(), ErrViolation) {
		t.Fatalf("lost %d duplicated %d err %v", r.Lost, r.Duplicated, r.Err())
	}
	if !strings.HasPrefix(r.String(), "FAIL: 3 keys, 9 rows, 7 violations") {
		t.Fatalf("report = %s", r)
	}
}

func TestCheckerRejectsUnsortedInput(t *testing.T) {
	t.Parallel()
	c := NewChecker(Options{})
	_ = c.Add("b", 0)
	if err := c.Add("a", 0); !errors.Is(err, ErrUnsorted) {
		t.Fatalf("Add = %v, want ErrUnsorted", err)
	}
}

func TestCheckTable(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `CREATE TABLE out (k text, seq bigint);
		INSERT INTO out SELECT 'k' || (i % 3), i / 3 FROM generate_series(0, 299) i;
		INSERT INTO out VALUES ('k1', 50), ('B', 0);
		DELETE FROM out WHERE k = 'k2' AND seq = 7;`)
	if err != nil {
		t.Fatal(err)
	}
	r, err := CheckTable(ctx, pool, "public.out", "k", "seq", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "FAIL: 4 keys, 301 rows, 2 violations (1 records lost, 1 duplicated)\n" +
		"  key \"k1\": duplicate seq 50 (2 copies)\n  key \"k2\": gap seq 7..7 (1 records)"
	if r.String() != want {
		t.Fatalf("report:\n%s\nwant:\n%s", r, want)
	}
}
