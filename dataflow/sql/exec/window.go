package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
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
	buf [][2]int64
	// per-batch scratch: the input row and the bounds of each output row
	idx                 []int32
	starts, ends, times []arrow.Timestamp // milliseconds, the output columns' unit
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

// windows appends the [start, end) windows containing time ts to out.
func (w *windowAssign) windows(ts int64, out [][2]int64) [][2]int64 {
	c := w.cfg
	switch c.Kind {
	case "TUMBLE":
		start := ts - floorModMs(ts-c.OffsetMs, c.SizeMs)
		return append(out, [2]int64{start, start + c.SizeMs})
	case "HOP":
		last := ts - floorModMs(ts-c.OffsetMs, c.SlideMs)
		for start := last; start > ts-c.SizeMs; start -= c.SlideMs {
			out = append(out, [2]int64{start, start + c.SizeMs})
		}
		return out
	case "CUMULATE":
		start := ts - floorModMs(ts-c.OffsetMs, c.SizeMs)
		for end := start + c.SlideMs; end <= start+c.SizeMs; end += c.SlideMs {
			if end > ts {
				out = append(out, [2]int64{start, end})
			}
		}
		return out
	}
	return append(out, [2]int64{ts, ts + c.SizeMs}) // SESSION: the row's own session, merged downstream
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
	n := int(rec.NumRows())
	idx := w.idx[:0]
	starts, ends, times := w.starts[:0], w.ends[:0], w.times[:0]
	tcol := rec.Column(w.cfg.TimeCol)
	for r := range n {
		if tcol.IsNull(r) {
			continue // rows without a time belong to no window
		}
		ts, err := millisAt(tcol, r)
		if err != nil {
			return err
		}
		w.buf = w.windows(ts, w.buf[:0])
		for _, win := range w.buf {
			idx = append(idx, int32(r))
			starts, ends, times = append(starts, arrow.Timestamp(win[0])), append(ends, arrow.Timestamp(win[1])), append(times, arrow.Timestamp(win[1]-1))
		}
	}
	w.idx, w.starts, w.ends, w.times = idx, starts, ends, times
	var sel []int32
	if len(idx) != n {
		sel = idx
	}
	cols := make([]arrow.Array, 0, w.out.NumFields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, col := range rec.Columns() {
		c, err := selectRows(w.mem, col, sel)
		if err != nil {
			return err
		}
		cols = append(cols, c)
	}
	for k, vals := range [][]arrow.Timestamp{starts, ends, times} {
		cols = append(cols, batch.FromValues(w.mem, w.out.Field(int(rec.NumCols())+k).Type, vals))
	}
	res := array.NewRecordBatch(w.out, cols, int64(len(idx)))
	defer res.Release()
	return out.Emit(res)
}

// millisAt reads a time column's row r as epoch milliseconds.
func millisAt(col arrow.Array, r int) (int64, error) {
	if t, ok := col.(*array.Timestamp); ok {
		return toMillis(int64(t.Value(r)), t.DataType().(*arrow.TimestampType).Unit), nil
	}
	v, err := value(col, r)
	if err != nil {
		return 0, err
	}
	ms, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("exec: window time column holds %T", v)
	}
	return ms, nil
}
