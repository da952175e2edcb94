package exec

import (
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/sql/eval"
)

// calcConfig is sql.CalcConfig with the expressions left encoded.
type calcConfig struct {
	Condition  json.RawMessage   `json:"condition"`
	Projection []json.RawMessage `json:"projection"`
	Names      []string          `json:"names"`
}

// calc filters rows on a condition and computes a projection (sql.calc).
type calc struct {
	operator.Base
	cond   *eval.Expr
	proj   []*eval.Expr
	refs   []int // input column a projection copies, or -1
	names  []string
	mem    memory.Allocator
	in     *arrow.Schema
	out    *arrow.Schema
	rowBuf []any
}

func newCalc(spec dataflow.OperatorSpec) (operator.Operator, error) {
	var cfg calcConfig
	if err := operator.DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	if len(cfg.Names) != len(cfg.Projection) {
		return nil, fmt.Errorf("%w: calc has %d names for %d expressions", operator.ErrConfig, len(cfg.Names), len(cfg.Projection))
	}
	c := &calc{names: cfg.Names}
	var err error
	if len(cfg.Condition) > 0 && string(cfg.Condition) != "null" {
		if c.cond, err = eval.Decode(cfg.Condition, eval.Env{}); err != nil {
			return nil, fmt.Errorf("%w: condition: %w", operator.ErrConfig, err)
		}
	}
	for i, raw := range cfg.Projection {
		e, err := eval.Decode(raw, eval.Env{})
		if err != nil {
			return nil, fmt.Errorf("%w: projection %d: %w", operator.ErrConfig, i, err)
		}
		c.proj = append(c.proj, e)
		var ref struct {
			Input *int `json:"input"`
		}
		_ = json.Unmarshal(raw, &ref)
		if ref.Input != nil {
			c.refs = append(c.refs, *ref.Input)
		} else {
			c.refs = append(c.refs, -1)
		}
	}
	return c, nil
}

func (c *calc) Open(ctx *operator.Context) error {
	c.mem = ctx.Allocator
	if c.mem == nil {
		c.mem = memory.DefaultAllocator
	}
	return nil
}

// plan derives the output schema for an input schema: the projection's types, the input's
// event-time column if it is copied, and a trailing changelog column if the input has one.
func (c *calc) plan(in *arrow.Schema) error {
	fields := make([]arrow.Field, 0, len(c.proj)+1)
	var md *arrow.Metadata
	et := batch.EventTimeColumn(in)
	for i, e := range c.proj {
		dt, err := batch.ArrowType(e.Type)
		if err != nil {
			return err
		}
		fields = append(fields, arrow.Field{Name: c.names[i], Type: dt, Nullable: !e.NotNull})
		if et >= 0 && c.refs[i] == et && md == nil {
			m := arrow.NewMetadata([]string{batch.EventTimeKey}, []string{c.names[i]})
			md = &m
		}
	}
	if n := in.NumFields(); n > 0 && in.Field(n-1).Name == sql.RowKindColumn {
		fields = append(fields, in.Field(n-1))
	}
	c.in, c.out = in, arrow.NewSchema(fields, md)
	return nil
}

func (c *calc) ProcessBatch(_ int, rec arrow.RecordBatch, out operator.Emitter) error {
	if c.in == nil || !c.in.Equal(rec.Schema()) {
		if err := c.plan(rec.Schema()); err != nil {
			return err
		}
	}
	b := array.NewRecordBuilder(c.mem, c.out)
	defer b.Release()
	ncols := int(rec.NumCols())
	kind := -1
	if c.out.NumFields() > len(c.proj) {
		kind = ncols - 1
	}
	row := c.rowBuf
	for r := range int(rec.NumRows()) {
		row = row[:0]
		for j := range ncols {
			v, err := value(rec.Column(j), r)
			if err != nil {
				return err
			}
			row = append(row, v)
		}
		if c.cond != nil {
			ok, err := c.cond.Eval(row)
			if err != nil {
				return err
			}
			if ok != true {
				continue
			}
		}
		for j, e := range c.proj {
			v, err := e.Eval(row)
			if err == nil {
				err = appendValue(b.Field(j), v)
			}
			if err != nil {
				return fmt.Errorf("calc column %s: %w", c.names[j], err)
			}
		}
		if kind >= 0 {
			if err := appendValue(b.Field(len(c.proj)), row[kind]); err != nil {
				return err
			}
		}
	}
	c.rowBuf = row
	res := b.NewRecordBatch()
	defer res.Release()
	if res.NumRows() == 0 {
		return nil
	}
	return out.Emit(res)
}
