package operator

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
)

// ProjectConfig configures the project operator: it keeps Columns (in that order, zero-copy) and
// optionally appends Sum, a BIGINT column computed as Left + Right of two BIGINT columns.
type ProjectConfig struct {
	Columns []string `json:"columns"`
	Sum     *SumExpr `json:"sum,omitempty"`
}

// SumExpr is the computed column Name = Left + Right.
type SumExpr struct {
	Name  string `json:"name"`
	Left  string `json:"left"`
	Right string `json:"right"`
}

type project struct {
	Base
	cfg    ProjectConfig
	mem    memory.Allocator
	in     *arrow.Schema // input schema the plan below was made for
	out    *arrow.Schema
	idx    []int
	sumL   int
	sumR   int
	colBuf []arrow.Array
}

func newProject(spec dataflow.OperatorSpec) (Operator, error) {
	var cfg ProjectConfig
	if err := DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	if len(cfg.Columns) == 0 && cfg.Sum == nil {
		return nil, fmt.Errorf("%w: project needs columns or sum", ErrConfig)
	}
	return &project{cfg: cfg}, nil
}

func (p *project) Open(ctx *Context) error { p.mem = ctx.Allocator; return nil }

func (p *project) plan(in *arrow.Schema) error {
	p.idx = p.idx[:0]
	fields := make([]arrow.Field, 0, len(p.cfg.Columns)+1)
	for _, name := range p.cfg.Columns {
		i, err := columnIndex(in, name)
		if err != nil {
			return err
		}
		p.idx = append(p.idx, i)
		fields = append(fields, in.Field(i))
	}
	if s := p.cfg.Sum; s != nil {
		var err error
		if p.sumL, err = columnIndex(in, s.Left); err != nil {
			return err
		}
		if p.sumR, err = columnIndex(in, s.Right); err != nil {
			return err
		}
		for _, i := range []int{p.sumL, p.sumR} {
			if in.Field(i).Type.ID() != arrow.INT64 {
				return fmt.Errorf("%w: sum operand %q is %s, want BIGINT", ErrConfig, in.Field(i).Name, in.Field(i).Type)
			}
		}
		fields = append(fields, arrow.Field{Name: s.Name, Type: arrow.PrimitiveTypes.Int64,
			Nullable: in.Field(p.sumL).Nullable || in.Field(p.sumR).Nullable})
	}
	var md *arrow.Metadata
	if et := batch.EventTimeColumn(in); et >= 0 {
		for _, i := range p.idx {
			if i == et {
				m := in.Metadata()
				md = &m
			}
		}
	}
	p.in, p.out = in, arrow.NewSchema(fields, md)
	return nil
}

func (p *project) ProcessBatch(_ int, rec arrow.RecordBatch, out Emitter) error {
	if p.in != rec.Schema() && (p.in == nil || !p.in.Equal(rec.Schema())) {
		if err := p.plan(rec.Schema()); err != nil {
			return err
		}
	}
	cols := p.colBuf[:0]
	for _, i := range p.idx {
		cols = append(cols, rec.Column(i))
	}
	var sum arrow.Array
	if p.cfg.Sum != nil {
		sum = addInt64(p.mem, rec.Column(p.sumL).(*array.Int64), rec.Column(p.sumR).(*array.Int64))
		cols = append(cols, sum)
	}
	p.colBuf = cols
	res := array.NewRecordBatch(p.out, cols, rec.NumRows())
	if sum != nil {
		sum.Release()
	}
	err := out.Emit(res)
	res.Release()
	return err
}

func addInt64(mem memory.Allocator, a, b *array.Int64) arrow.Array {
	n := a.Len()
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n * 8)
	dst := arrow.Int64Traits.CastFromBytes(buf.Bytes())
	av, bv := a.Int64Values(), b.Int64Values()
	for i := range dst {
		dst[i] = av[i] + bv[i]
	}
	buffers := []*memory.Buffer{nil, buf}
	nulls := 0
	if a.NullN() > 0 || b.NullN() > 0 {
		bm := memory.NewResizableBuffer(mem)
		bm.Resize((n + 7) / 8)
		bits := bm.Bytes()
		for i := range n {
			if a.IsValid(i) && b.IsValid(i) {
				bits[i/8] |= 1 << (i % 8)
			} else {
				bits[i/8] &^= 1 << (i % 8)
				nulls++
			}
		}
		buffers[0] = bm
		defer bm.Release()
	}
	data := array.NewData(arrow.PrimitiveTypes.Int64, n, buffers, nil, nulls, 0)
	out := array.MakeFromData(data)
	data.Release()
	buf.Release()
	return out
}
