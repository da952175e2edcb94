package exec

import (
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
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
	condK  *kernel   // the condition as a kernel, or nil
	projK  []*kernel // each computed projection as a kernel, or nil
	refs   []int     // input column a projection copies, or -1
	used   []int     // input columns the condition and computed projections read
	copy   []bool    // projection j copies its input column as is (same Arrow type)
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
	used := map[int]bool{}
	if len(cfg.Condition) > 0 && string(cfg.Condition) != "null" {
		if c.cond, err = eval.Decode(cfg.Condition, eval.Env{}); err != nil {
			return nil, fmt.Errorf("%w: condition: %w", operator.ErrConfig, err)
		}
		if err := addInputs(cfg.Condition, used); err != nil {
			return nil, fmt.Errorf("%w: condition: %w", operator.ErrConfig, err)
		}
		c.condK = compileKernel(cfg.Condition)
	}
	for i, raw := range cfg.Projection {
		e, err := eval.Decode(raw, eval.Env{})
		if err != nil {
			return nil, fmt.Errorf("%w: projection %d: %w", operator.ErrConfig, i, err)
		}
		c.proj = append(c.proj, e)
		var k *kernel
		var ref struct {
			Input *int `json:"input"`
		}
		_ = json.Unmarshal(raw, &ref)
		if ref.Input != nil {
			c.refs = append(c.refs, *ref.Input)
		} else {
			c.refs = append(c.refs, -1)
			k = compileKernel(raw)
			if err := addInputs(raw, used); err != nil {
				return nil, fmt.Errorf("%w: projection %d: %w", operator.ErrConfig, i, err)
			}
		}
		c.projK = append(c.projK, k)
	}
	for j := range used {
		c.used = append(c.used, j)
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
	c.copy = make([]bool, len(c.proj))
	for j, ref := range c.refs {
		c.copy[j] = ref >= 0 && ref < in.NumFields() && arrow.TypeEqual(in.Field(ref).Type, fields[j].Type)
	}
	return nil
}

func (c *calc) ProcessBatch(_ int, rec arrow.RecordBatch, out operator.Emitter) error {
	if c.in == nil || !c.in.Equal(rec.Schema()) {
		if err := c.plan(rec.Schema()); err != nil {
			return err
		}
	}
	ncols := int(rec.NumCols())
	if len(c.rowBuf) < ncols {
		c.rowBuf = make([]any, ncols)
	}
	row := c.rowBuf[:ncols]
	sel, err := c.filter(rec, row)
	if err != nil || (sel != nil && len(sel) == 0) {
		return err
	}
	n := int(rec.NumRows())
	if sel != nil {
		n = len(sel)
	}
	cols := make([]arrow.Array, c.out.NumFields())
	defer func() {
		for _, col := range cols {
			if col != nil {
				col.Release()
			}
		}
	}()
	var boxed []int // projections evaluated by package eval, in one pass below
	for j := range c.proj {
		if c.copy[j] {
			if cols[j], err = selectRows(c.mem, rec.Column(c.refs[j]), sel); err != nil {
				return err
			}
			continue
		}
		if cols[j], err = c.computeKernel(rec, c.projK[j], c.out.Field(j).Type, sel, n); err == nil {
			continue
		} else if err != errKernel {
			return fmt.Errorf("calc column %s: %w", c.names[j], err)
		}
		boxed = append(boxed, j)
	}
	if len(boxed) > 0 {
		if err := c.compute(rec, boxed, sel, n, row, cols); err != nil {
			return err
		}
	}
	if len(cols) > len(c.proj) {
		if cols[len(c.proj)], err = selectRows(c.mem, rec.Column(ncols-1), sel); err != nil {
			return err
		}
	}
	res := array.NewRecordBatch(c.out, cols, int64(n))
	defer res.Release()
	return out.Emit(res)
}

// filter returns the rows passing the condition, or nil when there is none (every row).
func (c *calc) filter(rec arrow.RecordBatch, row []any) ([]int32, error) {
	if c.cond == nil {
		return nil, nil
	}
	if sel, err := c.filterKernel(rec); err != errKernel {
		return sel, err
	}
	sel := make([]int32, 0, rec.NumRows())
	for r := range int(rec.NumRows()) {
		if err := readUsed(rec, r, c.used, row); err != nil {
			return nil, err
		}
		ok, err := c.cond.Eval(row)
		if err != nil {
			return nil, err
		}
		if ok == true {
			sel = append(sel, int32(r))
		}
	}
	return sel, nil
}

// compute evaluates the projections idx with package eval on the selected rows into
// cols[idx...], reading each row's used columns once for all of them.
func (c *calc) compute(rec arrow.RecordBatch, idx []int, sel []int32, n int, row []any, cols []arrow.Array) error {
	bs := make([]array.Builder, len(idx))
	for k, j := range idx {
		bs[k] = array.NewBuilder(c.mem, c.out.Field(j).Type)
		defer bs[k].Release()
		bs[k].Reserve(n)
	}
	for i := range n {
		r := i
		if sel != nil {
			r = int(sel[i])
		}
		if err := readUsed(rec, r, c.used, row); err != nil {
			return err
		}
		for k, j := range idx {
			v, err := c.proj[j].Eval(row)
			if err == nil {
				err = appendValue(bs[k], v)
			}
			if err != nil {
				return fmt.Errorf("calc column %s: %w", c.names[j], err)
			}
		}
	}
	for k, j := range idx {
		cols[j] = bs[k].NewArray()
	}
	return nil
}

// filterKernel is filter with the condition's kernel; errKernel when it has none or gives up.
func (c *calc) filterKernel(rec arrow.RecordBatch) ([]int32, error) {
	k := c.condK
	if k == nil || k.bind(rec) != nil {
		return nil, errKernel
	}
	n := int(rec.NumRows())
	sel := make([]int32, 0, n)
	for r := range n {
		v, ok, err := k.eval(r)
		if err != nil {
			return nil, err
		}
		if ok && v == 1 {
			sel = append(sel, int32(r))
		}
	}
	return sel, nil
}

// computeKernel is compute with a projection's kernel; errKernel when it has none or gives up.
func (c *calc) computeKernel(rec arrow.RecordBatch, k *kernel, dt arrow.DataType, sel []int32, n int) (arrow.Array, error) {
	if k == nil || k.bind(rec) != nil {
		return nil, errKernel
	}
	b := array.NewBuilder(c.mem, dt)
	defer b.Release()
	put := kernelWriter(b, k)
	if put == nil {
		return nil, errKernel
	}
	b.Reserve(n)
	for i := range n {
		r := i
		if sel != nil {
			r = int(sel[i])
		}
		v, ok, err := k.eval(r)
		switch {
		case err != nil:
			return nil, err
		case ok:
			put(v)
		default:
			b.AppendNull()
		}
	}
	return b.NewArray(), nil
}

// kernelWriter returns the function appending a kernel's values to b, or nil when b's type
// does not hold them.
func kernelWriter(b array.Builder, k *kernel) func(int64) {
	switch b := b.(type) {
	case *array.Int64Builder:
		if k.kind == kInt {
			return b.Append
		}
	case *array.BooleanBuilder:
		if k.kind == kBool {
			return func(v int64) { b.Append(v != 0) }
		}
	case *array.Decimal128Builder:
		if k.kind == kDec && int(b.Type().(*arrow.Decimal128Type).Scale) == k.scale {
			return func(v int64) { b.Append(decimal128.FromI64(v)) }
		}
	case *array.Int8Builder, *array.Int16Builder, *array.Int32Builder, *array.Date32Builder, *array.TimestampBuilder:
		if k.kind == kInt {
			return func(v int64) { _ = appendInt(b, v) }
		}
	}
	return nil
}
