package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// windowAssign appends window_start, window_end and window_time to each row, once per window
// the row belongs to (sql.window_assign).
type windowAssign struct {
	operator.Base
	cfg sql.WindowAssignConfig
	mem memory.Allocator
	in  *arrow.Schema
	out *arrow.Schema
}

func newWindowAssign(spec dataflow.OperatorSpec) (operator.Operator, error) {
	var cfg sql.WindowAssignConfig
	if err := operator.DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	if cfg.SizeMs <= 0 || (cfg.Kind == "HOP" || cfg.Kind == "CUMULATE") && cfg.SlideMs <= 0 {
		return nil, fmt.Errorf("%w: window %s of size %d ms, slide %d ms", operator.ErrConfig, cfg.Kind, cfg.SizeMs, cfg.SlideMs)
	}
	return &windowAssign{cfg: cfg}, nil
}

func (w *windowAssign) Open(ctx *operator.Context) error {
	w.mem = allocator(ctx)
	return nil
}

func allocator(ctx *operator.Context) memory.Allocator {
	if ctx.Allocator == nil {
		return memory.DefaultAllocator
	}
	return ctx.Allocator
}

// windows returns the [start, end) windows containing time ts.
func (w *windowAssign) windows(ts int64) [][2]int64 {
	c := w.cfg
	switch c.Kind {
	case "TUMBLE":
		start := ts - floorModMs(ts-c.OffsetMs, c.SizeMs)
		return [][2]int64{{start, start + c.SizeMs}}
	case "HOP":
		var out [][2]int64
		last := ts - floorModMs(ts-c.OffsetMs, c.SlideMs)
		for start := last; start > ts-c.SizeMs; start -= c.SlideMs {
			out = append(out, [2]int64{start, start + c.SizeMs})
		}
		return out
	case "CUMULATE":
		var out [][2]int64
		start := ts - floorModMs(ts-c.OffsetMs, c.SizeMs)
		for end := start + c.SlideMs; end <= start+c.SizeMs; end += c.SlideMs {
			if end > ts {
				out = append(out, [2]int64{start, end})
			}
		}
		return out
	}
	return [][2]int64{{ts, ts + c.SizeMs}} // SESSION: the row's own session, merged downstream
}

func floorModMs(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

func (w *windowAssign) ProcessBatch(_ int, rec arrow.RecordBatch, out operator.Emitter) error {
	if w.in == nil || !w.in.Equal(rec.Schema()) {
		ts := &arrow.TimestampType{Unit: arrow.Millisecond}
		fields := append(append([]arrow.Field(nil), rec.Schema().Fields()...),
			arrow.Field{Name: "window_start", Type: ts}, arrow.Field{Name: "window_end", Type: ts},
			arrow.Field{Name: "window_time", Type: ts})
		w.in, w.out = rec.Schema(), arrow.NewSchema(fields, nil)
	}
	b := array.NewRecordBuilder(w.mem, w.out)
	defer b.Release()
	ncols := int(rec.NumCols())
	for r := range int(rec.NumRows()) {
		tv, err := value(rec.Column(w.cfg.TimeCol), r)
		if err != nil {
			return err
		}
		ts, ok := tv.(int64)
		if !ok {
			continue // rows without a time belong to no window
		}
		for _, win := range w.windows(ts) {
			for j := range ncols {
				v, err := value(rec.Column(j), r)
				if err != nil {
					return err
				}
				if err := appendValue(b.Field(j), v); err != nil {
					return err
				}
			}
			for k, v := range []int64{win[0], win[1], win[1] - 1} {
				if err := appendValue(b.Field(ncols+k), v); err != nil {
					return err
				}
			}
		}
	}
	res := b.NewRecordBatch()
	defer res.Release()
	return out.Emit(res)
}
