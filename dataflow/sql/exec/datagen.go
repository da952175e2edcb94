package exec

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// datagen is sql.source for the datagen connector: random or sequence values per column,
// 'number-of-rows' in total (unbounded without it, or until a sequence ends), paced to
// 'rows-per-second' over all subtasks. Its state is the number of rows it emitted.
type datagen struct {
	operator.Base
	cfg      sql.SourceConfig
	schema   *arrow.Schema
	types    []dataflow.LogicalType
	gens     []func(rng *rand.Rand, n int64) any
	limit    int64 // rows for this subtask; -1 unbounded
	rate     float64
	emitted  int64
	resumed  int64 // emitted at Open (restored): pacing counts from there
	subtask  int64
	par      int64
	rng      *rand.Rand
	mem      memory.Allocator
	start    time.Time
	now      func() time.Time
	sleep    func(time.Duration)
	seqLimit int64
}

func newDatagen(cfg sql.SourceConfig) (operator.Operator, error) {
	d := &datagen{cfg: cfg, limit: -1, rate: 10000, now: time.Now, sleep: time.Sleep, seqLimit: -1}
	var err error
	if d.schema, err = outSchema(cfg.Columns, false); err != nil {
		return nil, err
	}
	if v, ok := cfg.Options["rows-per-second"]; ok {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 {
			return nil, fmt.Errorf("%w: rows-per-second %q", operator.ErrConfig, v)
		}
		d.rate = r
	}
	for _, c := range cfg.Columns {
		t, err := dataflow.ParseLogicalType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", operator.ErrConfig, err)
		}
		g, err := d.fieldGen(c.Name, t)
		if err != nil {
			return nil, err
		}
		d.types = append(d.types, t)
		d.gens = append(d.gens, g)
	}
	return d, nil
}

// fieldGen returns the generator of one column from its fields.<name>.* options.
func (d *datagen) fieldGen(name string, t dataflow.LogicalType) (func(*rand.Rand, int64) any, error) {
	opt := func(k string) (float64, bool, error) {
		s, ok := d.cfg.Options["fields."+name+"."+k]
		if !ok {
			return 0, false, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false, fmt.Errorf("%w: fields.%s.%s: %q is not a number", operator.ErrConfig, name, k, s)
		}
		return f, true, nil
	}
	if d.cfg.Options["fields."+name+".kind"] == "sequence" {
		start, ok1, err1 := opt("start")
		end, ok2, err2 := opt("end")
		if err1 != nil || err2 != nil || !ok1 || !ok2 || end < start {
			return nil, fmt.Errorf("%w: sequence field %s needs fields.%s.start <= fields.%s.end", operator.ErrConfig, name, name, name)
		}
		if n := int64(end-start) + 1; d.seqLimit < 0 || n < d.seqLimit {
			d.seqLimit = n
		}
		return func(_ *rand.Rand, n int64) any { return fromNumber(float64(int64(start)+n), t) }, nil
	}
	return d.randomGen(name, t, opt)
}

// randomGen returns a random generator for a column, bounded by its min, max, length,
// null-rate and max-past options.
func (d *datagen) randomGen(name string, t dataflow.LogicalType, opt func(string) (float64, bool, error)) (func(*rand.Rand, int64) any, error) {
	lo, hasLo, err := opt("min")
	if err != nil {
		return nil, err
	}
	hi, hasHi, err := opt("max")
	if err != nil {
		return nil, err
	}
	length, hasLen, err := opt("length")
	if err != nil {
		return nil, err
	}
	nullRate, _, err := opt("null-rate")
	if err != nil {
		return nil, err
	}
	if !hasLo {
		lo = 0
	}
	if !hasHi {
		hi = math.Min(math.MaxInt32, math.Pow(10, float64(max(t.Precision-t.Scale, 1)))-1)
	}
	if !hasLen {
		length = 100
	}
	pastMs := int64(0)
	if s, ok := d.cfg.Options["fields."+name+".max-past"]; ok {
		dur, err := parseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("%w: fields.%s.max-past: %w", operator.ErrConfig, name, err)
		}
		pastMs = dur.Milliseconds()
	}
	return func(rng *rand.Rand, _ int64) any {
		if nullRate > 0 && rng.Float64() < nullRate {
			return nil
		}
		switch t.Kind {
		case dataflow.TypeString, dataflow.TypeBytes:
			b := make([]byte, int(length))
			for i := range b {
				b[i] = "0123456789abcdef"[rng.IntN(16)]
			}
			if t.Kind == dataflow.TypeBytes {
				return b
			}
			return string(b)
		case dataflow.TypeBoolean:
			return rng.IntN(2) == 1
		case dataflow.TypeTimestamp, dataflow.TypeTimestampLTZ:
			now := d.now().UnixMilli()
			if pastMs > 0 {
				now -= rng.Int64N(pastMs + 1)
			}
			return now
		case dataflow.TypeDate:
			return d.now().UnixMilli() / 86400000
		}
		return fromNumber(lo+rng.Float64()*(hi-lo), t)
	}, nil
}

// fromNumber converts a generated number to the value convention of t.
func fromNumber(f float64, t dataflow.LogicalType) any {
	switch t.Kind {
	case dataflow.TypeFloat, dataflow.TypeDouble:
		return f
	case dataflow.TypeDecimal:
		r := new(big.Rat).SetFloat64(f)
		if r == nil {
			return nil
		}
		return roundTo(r, t.Scale)
	case dataflow.TypeString:
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return int64(math.Round(f))
}

func roundTo(r *big.Rat, scale int) *big.Rat {
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	q := new(big.Int).Quo(new(big.Int).Mul(r.Num(), p), r.Denom())
	return new(big.Rat).SetFrac(q, p)
}

func (d *datagen) Open(ctx *operator.Context) error {
	d.mem = allocator(ctx)
	d.subtask, d.par = int64(ctx.Subtask), int64(max(ctx.Parallelism, 1))
	total := int64(-1)
	if v, ok := d.cfg.Options["number-of-rows"]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: number-of-rows %q", operator.ErrConfig, v)
		}
		total = n
	}
	if d.seqLimit >= 0 && (total < 0 || d.seqLimit < total) {
		total = d.seqLimit
	}
	if total >= 0 {
		d.limit = total / d.par
		if d.subtask < total%d.par {
			d.limit++
		}
	}
	d.rng = rand.New(rand.NewPCG(uint64(d.subtask), uint64(d.emitted)))
	d.start, d.resumed = d.now(), d.emitted
	return nil
}

// Poll emits the next batch, pacing to this subtask's share of rows-per-second.
func (d *datagen) Poll(ctx context.Context, out operator.Emitter) error {
	n := int64(BatchRows)
	if d.limit >= 0 {
		n = min(n, d.limit-d.emitted)
	}
	if n <= 0 {
		return operator.ErrEndOfInput
	}
	if d.rate > 0 {
		perTask := d.rate / float64(d.par)
		n = max(1, min(n, int64(perTask/10)+1))
		due := d.start.Add(time.Duration(float64(d.emitted-d.resumed+n) / perTask * float64(time.Second)))
		if wait := due.Sub(d.now()); wait > 0 {
			d.sleep(min(wait, time.Second))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	b := array.NewRecordBuilder(d.mem, d.schema)
	defer b.Release()
	for i := range n {
		seq := (d.emitted+i)*d.par + d.subtask
		for j, g := range d.gens {
			if err := appendValue(b.Field(j), g(d.rng, seq)); err != nil {
				return err
			}
		}
	}
	d.emitted += n
	rec := b.NewRecordBatch()
	defer rec.Release()
	return out.Emit(rec)
}

func (d *datagen) ProcessBatch(int, arrow.RecordBatch, operator.Emitter) error {
	return fmt.Errorf("%w: a source has no inputs", operator.ErrConfig)
}

// SnapshotState writes the number of rows emitted.
func (d *datagen) SnapshotState(_ uint64, w io.Writer) error {
	return binary.Write(w, binary.BigEndian, d.emitted)
}

// RestoreState resumes after the rows already emitted.
func (d *datagen) RestoreState(r io.Reader) error {
	return binary.Read(r, binary.BigEndian, &d.emitted)
}

// parseDuration reads Flink durations such as '10 s', '500 ms', '1 min', '2 h' or '3 d'
// (a bare number is milliseconds).
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i == 0 {
		return 0, fmt.Errorf("duration %q has no number", s)
	}
	num, unit := s, ""
	if i > 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("duration %q: %w", s, err)
	}
	units := map[string]time.Duration{"": time.Millisecond, "ms": time.Millisecond, "millisecond": time.Millisecond,
		"milliseconds": time.Millisecond, "s": time.Second, "sec": time.Second, "second": time.Second,
		"seconds": time.Second, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
		"h": time.Hour, "hour": time.Hour, "hours": time.Hour, "d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour}
	u, ok := units[unit]
	if !ok {
		return 0, fmt.Errorf("duration %q: unknown unit %q", s, unit)
	}
	return time.Duration(n) * u, nil
}
