package operator

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
)

// FilterConfig keeps the rows whose BIGINT column Column compares to Value with Op
// (one of = != < <= > >=); NULLs never pass.
type FilterConfig struct {
	Column string `json:"column"`
	Op     string `json:"op"`
	Value  int64  `json:"value"`
}

type filter struct {
	Base
	cfg  FilterConfig
	mem  memory.Allocator
	cmp  func(a, b int64) bool
	sel  []int32
	prev *arrow.Schema
	col  int
}

var comparisons = map[string]func(a, b int64) bool{
	"=": func(a, b int64) bool { return a == b }, "!=": func(a, b int64) bool { return a != b },
	"<": func(a, b int64) bool { return a < b }, "<=": func(a, b int64) bool { return a <= b },
	">": func(a, b int64) bool { return a > b }, ">=": func(a, b int64) bool { return a >= b },
}

func newFilter(spec dataflow.OperatorSpec) (Operator, error) {
	var cfg FilterConfig
	if err := DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	cmp, ok := comparisons[cfg.Op]
	if !ok || cfg.Column == "" {
		return nil, fmt.Errorf("%w: filter needs a column and an op in = != < <= > >=, have %q %q", ErrConfig, cfg.Column, cfg.Op)
	}
	return &filter{cfg: cfg, cmp: cmp}, nil
}

func (f *filter) Open(ctx *Context) error { f.mem = ctx.Allocator; return nil }

func (f *filter) ProcessBatch(_ int, rec arrow.RecordBatch, out Emitter) error {
	if f.prev != rec.Schema() {
		i, err := columnIndex(rec.Schema(), f.cfg.Column)
		if err != nil {
			return err
		}
		if rec.Schema().Field(i).Type.ID() != arrow.INT64 {
			return fmt.Errorf("%w: filter column %q is %s, want BIGINT", ErrConfig, f.cfg.Column, rec.Schema().Field(i).Type)
		}
		f.prev, f.col = rec.Schema(), i
	}
	col := rec.Column(f.col).(*array.Int64)
	vals := col.Int64Values()
	f.sel = f.sel[:0]
	for i, v := range vals {
		if f.cmp(v, f.cfg.Value) && col.IsValid(i) {
			f.sel = append(f.sel, int32(i))
		}
	}
	switch len(f.sel) {
	case 0:
		return nil
	case len(vals):
		return out.Emit(rec)
	}
	res, err := batch.Take(f.mem, rec, f.sel)
	if err != nil {
		return err
	}
	err = out.Emit(res)
	res.Release()
	return err
}
