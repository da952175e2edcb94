package state

import (
	"errors"
	"testing"
)

func TestRangeForCoversAndAgreesWithOperatorIndex(t *testing.T) {
	t.Parallel()
	for _, m := range []int{1, 7, 128, 1000} {
		for p := 1; p <= m && p <= 130; p++ {
			next := 0
			for i := range p {
				r, err := RangeFor(m, p, i)
				if err != nil {
					t.Fatalf("RangeFor(%d,%d,%d): %v", m, p, i, err)
				}
				if r.Start != next {
					t.Fatalf("RangeFor(%d,%d,%d) = %s, want start %d", m, p, i, r, next)
				}
				for g := r.Start; g < r.End; g++ {
					if got := OperatorIndexOf(g, m, p); got != i {
						t.Fatalf("OperatorIndexOf(%d,%d,%d) = %d, want %d", g, m, p, got, i)
					}
				}
				next = r.End
			}
			if next != m {
				t.Fatalf("ranges of m=%d p=%d end at %d", m, p, next)
			}
		}
	}
}

func TestRangeForRejectsBadArguments(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ m, p, i int }{{0, 1, 0}, {128, 0, 0}, {128, 129, 0}, {128, 4, 4}, {128, 4, -1}, {MaxKeyGroups + 1, 1, 0}} {
		if _, err := RangeFor(c.m, c.p, c.i); !errors.Is(err, ErrKeyGroupRange) {
			t.Fatalf("RangeFor(%d,%d,%d) error = %v, want ErrKeyGroupRange", c.m, c.p, c.i, err)
		}
	}
}

func TestKeyGroupMatchesRuntimeRouting(t *testing.T) {
	t.Parallel()
	// runtime.KeyGroupOwner(h, n) routes hash edges as (h % 128) * n / 128; state must agree.
	for _, h := range []uint64{0, 1, 127, 128, 1<<63 + 5, ^uint64(0)} {
		for _, n := range []int{1, 3, 4, 128} {
			want := int((h % 128) * uint64(n) / 128)
			if got := OperatorIndexOf(KeyGroupOf(h, DefaultMaxParallelism), DefaultMaxParallelism, n); got != want {
				t.Fatalf("owner of hash %d at parallelism %d = %d, want %d", h, n, got, want)
			}
		}
	}
}

func TestIntersect(t *testing.T) {
	t.Parallel()
	a := KeyGroupRange{Start: 0, End: 43}
	if got := a.Intersect(KeyGroupRange{Start: 32, End: 64}); got != (KeyGroupRange{Start: 32, End: 43}) {
		t.Fatalf("Intersect = %s", got)
	}
	if got := a.Intersect(KeyGroupRange{Start: 50, End: 64}); got.Len() != 0 {
		t.Fatalf("disjoint Intersect = %s, want empty", got)
	}
}
