package state

import (
	"errors"
	"fmt"
)

// DefaultMaxParallelism is the number of key groups of a job unless configured otherwise; it is
// the highest parallelism a keyed vertex can ever be rescaled to.
const DefaultMaxParallelism = 128

// MaxKeyGroups bounds maxParallelism (Flink's limit), so key group numbers fit in 16 bits.
const MaxKeyGroups = 1 << 15

// ErrKeyGroupRange is wrapped by errors about invalid parallelism or key group ranges.
var ErrKeyGroupRange = errors.New("invalid key group range")

// KeyGroupRange is the half-open range [Start, End) of key groups owned by one subtask.
type KeyGroupRange struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Len is the number of key groups in r.
func (r KeyGroupRange) Len() int { return r.End - r.Start }

// Contains reports whether key group g is in r.
func (r KeyGroupRange) Contains(g int) bool { return g >= r.Start && g < r.End }

// Intersect returns the key groups in both r and o (empty when they do not overlap).
func (r KeyGroupRange) Intersect(o KeyGroupRange) KeyGroupRange {
	s, e := max(r.Start, o.Start), min(r.End, o.End)
	if e < s {
		e = s
	}
	return KeyGroupRange{Start: s, End: e}
}

func (r KeyGroupRange) String() string { return fmt.Sprintf("[%d,%d)", r.Start, r.End) }

// KeyGroupOf returns the key group of a key whose stable hash is h.
func KeyGroupOf(h uint64, maxParallelism int) int { return int(h % uint64(maxParallelism)) }

// OperatorIndexOf returns the subtask, of parallelism p, owning key group g.
func OperatorIndexOf(g, maxParallelism, p int) int { return g * p / maxParallelism }

// RangeFor returns the key groups owned by subtask index of parallelism p. The ranges of
// subtasks 0..p-1 are contiguous, disjoint and cover [0, maxParallelism), and every group g in
// RangeFor(m, p, i) satisfies OperatorIndexOf(g, m, p) == i.
func RangeFor(maxParallelism, p, index int) (KeyGroupRange, error) {
	if err := CheckParallelism(maxParallelism, p); err != nil {
		return KeyGroupRange{}, err
	}
	if index < 0 || index >= p {
		return KeyGroupRange{}, fmt.Errorf("%w: subtask %d of parallelism %d", ErrKeyGroupRange, index, p)
	}
	// Smallest g with g*p/m >= index, and smallest g with g*p/m >= index+1.
	start := (index*maxParallelism + p - 1) / p
	end := ((index+1)*maxParallelism + p - 1) / p
	return KeyGroupRange{Start: start, End: end}, nil
}

// CheckParallelism validates a (maxParallelism, parallelism) pair.
func CheckParallelism(maxParallelism, p int) error {
	if maxParallelism < 1 || maxParallelism > MaxKeyGroups {
		return fmt.Errorf("%w: max parallelism %d not in [1, %d]", ErrKeyGroupRange, maxParallelism, MaxKeyGroups)
	}
	if p < 1 || p > maxParallelism {
		return fmt.Errorf("%w: parallelism %d not in [1, max parallelism %d]", ErrKeyGroupRange, p, maxParallelism)
	}
	return nil
}
