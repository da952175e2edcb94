package chaoscheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrViolation is wrapped by Report.Err when the sequence has gaps, duplicates or missing keys.
var ErrViolation = errors.New("exactly-once violation")

// ErrUnsorted is returned by Checker.Add for input not ordered by (key, seq).
var ErrUnsorted = errors.New("rows not ordered by (key, seq)")

// ProblemKind classifies a violation.
type ProblemKind string

// The kinds of violation.
const (
	Gap        ProblemKind = "gap"        // seqs From..To are missing
	Duplicate  ProblemKind = "duplicate"  // seq From occurs Count times
	MissingKey ProblemKind = "missing"    // an expected key has no row at all
	Unexpected ProblemKind = "unexpected" // a key not in Options.Expect
	Overflow   ProblemKind = "overflow"   // seqs beyond the expected count (From..To)
)

// Problem is one violation.
type Problem struct {
	Key   string
	Kind  ProblemKind
	From  int64
	To    int64
	Count int64
}

func (p Problem) String() string {
	switch p.Kind {
	case Gap, Overflow:
		return fmt.Sprintf("key %q: %s seq %d..%d (%d records)", p.Key, p.Kind, p.From, p.To, p.To-p.From+1)
	case Duplicate:
		return fmt.Sprintf("key %q: duplicate seq %d (%d copies)", p.Key, p.From, p.Count)
	}
	return fmt.Sprintf("key %q: %s", p.Key, p.Kind)
}

// Options configure a check.
type Options struct {
	// First is the first seq of every key (0 by default).
	First int64
	// Expect, when set, is the number of records each key must have; other keys are violations.
	Expect map[string]int64
	// MaxExamples bounds the problems kept in the report (default 20); all are counted.
	MaxExamples int
}

// Report is the outcome of a check.
type Report struct {
	Keys       int64
	Rows       int64
	Violations int64     // number of problems found
	Lost       int64     // records missing (sum of gap sizes)
	Duplicated int64     // extra copies of records
	Examples   []Problem // the first MaxExamples problems
}

// OK reports whether there was no violation.
func (r *Report) OK() bool { return r.Violations == 0 }

// Err returns nil when OK, else an error wrapping ErrViolation that carries the report text.
func (r *Report) Err() error {
	if r.OK() {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrViolation, r)
}

func (r *Report) String() string {
	if r.OK() {
		return fmt.Sprintf("OK: %d keys, %d rows, every sequence complete without duplicates", r.Keys, r.Rows)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "FAIL: %d keys, %d rows, %d violations (%d records lost, %d duplicated)",
		r.Keys, r.Rows, r.Violations, r.Lost, r.Duplicated)
	for _, p := range r.Examples {
		sb.WriteString("\n  ")
		sb.WriteString(p.String())
	}
	if n := r.Violations - int64(len(r.Examples)); n > 0 {
		fmt.Fprintf(&sb, "\n  ... and %d more", n)
	}
	return sb.String()
}

// Checker checks (key, seq) rows given in (key, seq) order, in constant memory per key.
type Checker struct {
	opts    Options
	rep     Report
	started bool
	key     string
	last    int64 // last seq of the current key
	dups    int64 // copies of last beyond the first
	seen    map[string]bool
}

// NewChecker returns a checker.
func NewChecker(opts Options) *Checker {
	if opts.MaxExamples <= 0 {
		opts.MaxExamples = 20
	}
	return &Checker{opts: opts, seen: make(map[string]bool)}
}

func (c *Checker) problem(p Problem) {
	c.rep.Violations++
	switch p.Kind {
	case Gap:
		c.rep.Lost += p.To - p.From + 1
	case Duplicate:
		c.rep.Duplicated += p.Count - 1
	case MissingKey:
		c.rep.Lost += c.opts.Expect[p.Key]
	}
	if len(c.rep.Examples) < c.opts.MaxExamples {
		c.rep.Examples = append(c.rep.Examples, p)
	}
}

// Add checks the next row.
func (c *Checker) Add(key string, seq int64) error {
	if c.started && (key < c.key || (key == c.key && seq < c.last)) {
		return fmt.Errorf("%w: (%q, %d) after (%q, %d)", ErrUnsorted, key, seq, c.key, c.last)
	}
	c.rep.Rows++
	if !c.started || key != c.key {
		if c.started {
			c.endKey()
		}
		c.started, c.key, c.last, c.dups = true, key, c.opts.First-1, 0
		c.rep.Keys++
		c.seen[key] = true
		if _, ok := c.opts.Expect[key]; c.opts.Expect != nil && !ok {
			c.problem(Problem{Key: key, Kind: Unexpected})
		}
	}
	switch {
	case seq == c.last:
		c.dups++
		return nil
	case seq > c.last+1:
		c.flushDups()
		c.problem(Problem{Key: key, Kind: Gap, From: c.last + 1, To: seq - 1})
	default:
		c.flushDups()
	}
	c.last = seq
	return nil
}

func (c *Checker) flushDups() {
	if c.dups > 0 {
		c.problem(Problem{Key: c.key, Kind: Duplicate, From: c.last, Count: c.dups + 1})
		c.dups = 0
	}
}

// endKey closes the current key: pending duplicates and a missing or overflowing tail.
func (c *Checker) endKey() {
	c.flushDups()
	want, ok := c.opts.Expect[c.key]
	if !ok {
		return
	}
	if end := c.opts.First + want - 1; c.last < end {
		c.problem(Problem{Key: c.key, Kind: Gap, From: c.last + 1, To: end})
	} else if c.last > end {
		c.problem(Problem{Key: c.key, Kind: Overflow, From: end + 1, To: c.last})
	}
}

// Finish ends the input and returns the report.
func (c *Checker) Finish() *Report {
	if c.started {
		c.endKey()
	}
	missing := make([]string, 0)
	for k := range c.opts.Expect {
		if !c.seen[k] {
			missing = append(missing, k)
		}
	}
	slices.Sort(missing)
	for _, k := range missing {
		c.problem(Problem{Key: k, Kind: MissingKey})
	}
	r := c.rep
	return &r
}

// Pair is one (key, seq) row.
type Pair struct {
	Key string
	Seq int64
}

// CheckPairs sorts pairs and checks them.
func CheckPairs(pairs []Pair, opts Options) *Report {
	sorted := slices.Clone(pairs)
	slices.SortFunc(sorted, func(a, b Pair) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), cmp.Compare(a.Seq, b.Seq))
	})
	c := NewChecker(opts)
	for _, p := range sorted {
		_ = c.Add(p.Key, p.Seq) // sorted: cannot fail
	}
	return c.Finish()
}

// Querier is what CheckTable needs of a pgx pool, connection or transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// CheckTable streams table's (keyCol, seqCol) rows in order through a Checker. The key column
// is compared as text (in byte order); seq must be an integer column.
func CheckTable(ctx context.Context, q Querier, table, keyCol, seqCol string, opts Options) (*Report, error) {
	tbl := pgx.Identifier(strings.Split(table, ".")).Sanitize()
	k, s := pgx.Identifier{keyCol}.Sanitize(), pgx.Identifier{seqCol}.Sanitize()
	rows, err := q.Query(ctx, fmt.Sprintf(`SELECT %s::text COLLATE "C", %s::bigint FROM %s ORDER BY 1, 2`, k, s, tbl))
	if err != nil {
		return nil, fmt.Errorf("chaoscheck: read %s: %w", table, err)
	}
	c := NewChecker(opts)
	var key string
	var seq int64
	_, err = pgx.ForEachRow(rows, []any{&key, &seq}, func() error { return c.Add(key, seq) })
	if err != nil {
		return nil, fmt.Errorf("chaoscheck: read %s: %w", table, err)
	}
	return c.Finish(), nil
}
