package exec

import (
	"fmt"
	"math"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// aggBase holds what window and group aggregates share: the config, result types and the
// output schema derived from the first input schema.
type aggBase struct {
	operator.Base
	cfg   sql.AggregateConfig
	types []dataflow.LogicalType
	mem   memory.Allocator
	out   *arrow.Schema
}

func newAggBase(spec dataflow.OperatorSpec) (aggBase, error) {
	var a aggBase
	if err := operator.DecodeConfig(spec, &a.cfg); err != nil {
		return a, err
	}
	for _, c := range a.cfg.Aggs {
		t, err := dataflow.ParseLogicalType(c.Type)
		if err != nil {
			return a, fmt.Errorf("%w: aggregate type: %w", operator.ErrConfig, err)
		}
		a.types = append(a.types, t)
	}
	return a, nil
}

func (a *aggBase) Open(ctx *operator.Context) error {
	a.mem = allocator(ctx)
	return nil
}

// schema derives the output schema: key columns, aggregates, and optionally $row_kind.
func (a *aggBase) schema(in *arrow.Schema, changelog bool) error {
	if a.out != nil {
		return nil
	}
	var fields []arrow.Field
	for _, k := range a.cfg.Keys {
		if k >= in.NumFields() {
			return fmt.Errorf("%w: key column %d of a %d-column input", operator.ErrConfig, k, in.NumFields())
		}
		fields = append(fields, in.Field(k))
	}
	for i, c := range a.cfg.Aggs {
		dt, err := batch.ArrowType(a.types[i])
		if err != nil {
			return err
		}
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("$agg%d_%s", i, c.Func), Type: dt, Nullable: true})
	}
	if changelog {
		fields = append(fields, arrow.Field{Name: sql.RowKindColumn, Type: arrow.PrimitiveTypes.Int8})
	}
	a.out = arrow.NewSchema(fields, nil)
	return nil
}

// fold adds (sign 1) or retracts (sign -1) one input row to the accumulators.
func (a *aggBase) fold(accs []accumulator, row []any, sign int64) {
	for i, c := range a.cfg.Aggs {
		if c.Filter >= 0 && row[c.Filter] != true {
			continue
		}
		var v any = true // COUNT(*)
		if len(c.Args) > 0 {
			v = row[c.Args[0]]
		}
		accs[i].add(v, sign)
	}
}

func (a *aggBase) newAccs() []accumulator {
	accs := make([]accumulator, len(a.cfg.Aggs))
	for i, c := range a.cfg.Aggs {
		accs[i] = newAccumulator(c, a.types[i])
	}
	return accs
}

// readRow reads row r of rec into buf, strings copied: stateful operators keep rows.
func readRow(rec arrow.RecordBatch, r int, buf []any) ([]any, error) {
	buf = buf[:0]
	for j := range int(rec.NumCols()) {
		v, err := ownedValue(rec.Column(j), r)
		if err != nil {
			return nil, err
		}
		buf = append(buf, v)
	}
	return buf, nil
}

// windowAgg is sql.window_aggregate: rows are kept per key and window until the watermark
// passes the window's end, then aggregated and emitted once. SESSION windows of a key merge
// while they overlap. Processing-time windows are emitted at the end of input.
//
// A row of an event-time window that has already fired (its end is at or before the current
// watermark) is late: it is dropped and counted in Metrics.LateRowsDropped, as Flink does
// without allowed lateness.
type windowAgg struct {
	aggBase
	groups  map[string]*windowGroup
	rowBuf  []any
	keyBuf  []byte
	keyCols []int
	keyFns  []func(b []byte, r int) []byte
	ins     []aggInput
	wm      int64
	minEnd  int64 // no window ends before this: fire has nothing to do below it
	metrics *Metrics
	st      windowState // keyed state for checkpoints (window_state.go)
}

type windowGroup struct {
	key     []any
	windows []*pane
}

// pane is one window of a key: its rows (SESSION windows, which merge) or its accumulators
// (the other windows, aggregated as rows arrive).
type pane struct {
	start, end int64
	rows       [][]any
	accs       []accumulator
}

func newWindowAgg(spec dataflow.OperatorSpec, metrics *Metrics) (operator.Operator, error) {
	base, err := newAggBase(spec)
	if err != nil {
		return nil, err
	}
	if base.cfg.Window == nil {
		return nil, fmt.Errorf("%w: window aggregate without window", operator.ErrConfig)
	}
	return &windowAgg{aggBase: base, groups: map[string]*windowGroup{}, wm: operator.MinWatermark,
		minEnd: math.MaxInt64, metrics: metrics}, nil
}

func (w *windowAgg) ProcessBatch(_ int, rec arrow.RecordBatch, _ operator.Emitter) error {
	if err := w.schema(rec.Schema(), false); err != nil {
		return err
	}
	if err := w.st.ks.keyGroups(rec, w.st.hashKeys); err != nil {
		return err
	}
	win := w.cfg.Window
	start, end := columnReader(rec.Column(win.StartKey)), columnReader(rec.Column(win.EndKey))
	if win.Kind == "SESSION" || start == nil || end == nil {
		return w.processRows(rec)
	}
	keyCols := w.keyCols[:0]
	keyFns := w.keyFns[:0]
	for _, k := range w.cfg.Keys {
		if k == win.StartKey || k == win.EndKey {
			continue
		}
		col := rec.Column(k)
		if _, ok := col.(*array.String); !ok && (columnReader(col) == nil || col.DataType().ID() == arrow.BOOL) {
			return w.processRows(rec)
		}
		keyCols, keyFns = append(keyCols, k), append(keyFns, keyAppender(col))
	}
	w.keyCols, w.keyFns = keyCols, keyFns
	w.ins = w.bindAggInputs(rec, w.ins)
	for r := range int(rec.NumRows()) {
		s, ok1 := start(r)
		e, ok2 := end(r)
		if !ok1 || !ok2 || w.late(e, r) {
			continue
		}
		kb := w.keyBuf[:0]
		for _, f := range keyFns {
			kb = f(kb, r)
		}
		w.keyBuf = kb
		w.st.ks.touchRowBytes(kb, r)
		g := w.groups[string(kb)]
		if g == nil {
			key := make([]any, len(keyCols))
			for i, c := range keyCols {
				v, err := ownedValue(rec.Column(c), r) // the group outlives the batch
				if err != nil {
					return err
				}
				key[i] = v
			}
			g = &windowGroup{key: key}
			w.groups[string(kb)] = g
		}
		if err := foldRow(g.pane(s, e, w.newWindowAccs).accs, w.ins, rec, r); err != nil {
			return err
		}
	}
	return nil
}

// late counts and reports a row of an event-time window that has already fired, and
// otherwise notes its window's end.
func (w *windowAgg) late(end int64, r int) bool {
	if !w.cfg.Window.ProcTime && (end-1 <= w.wm || w.lateRestored(end, r)) {
		if w.metrics != nil {
			w.metrics.LateRowsDropped.Add(1)
		}
		return true
	}
	w.minEnd = min(w.minEnd, end)
	return false
}

// processRows is ProcessBatch on boxed rows: SESSION windows (which keep their rows) and
// column types the typed path does not read.
func (w *windowAgg) processRows(rec arrow.RecordBatch) error {
	win := w.cfg.Window
	for r := range int(rec.NumRows()) {
		row, err := readRow(rec, r, w.rowBuf)
		if err != nil {
			return err
		}
		w.rowBuf = row
		start, ok1 := row[win.StartKey].(int64)
		end, ok2 := row[win.EndKey].(int64)
		if !ok1 || !ok2 || w.late(end, r) {
			continue
		}
		kb := w.keyBuf[:0]
		for _, k := range w.cfg.Keys {
			if k != win.StartKey && k != win.EndKey {
				kb = appendKeyValue(kb, row[k])
			}
		}
		w.keyBuf = kb
		w.st.ks.touchRowBytes(kb, r)
		g := w.groups[string(kb)] // no allocation for an existing group
		if g == nil {
			var key []any
			for _, k := range w.cfg.Keys {
				if k != win.StartKey && k != win.EndKey {
					key = append(key, row[k])
				}
			}
			g = &windowGroup{key: key}
			w.groups[string(kb)] = g
		}
		if win.Kind == "SESSION" {
			g.add(start, end, append([]any(nil), row...), true)
			continue
		}
		w.fold(g.pane(start, end, w.newWindowAccs).accs, row, 1)
	}
	return nil
}

// pane returns the key's window [start, end), creating it with fresh accumulators.
func (g *windowGroup) pane(start, end int64, newAccs func() []accumulator) *pane {
	for _, p := range g.windows {
		if p.start == start && p.end == end {
			return p
		}
	}
	p := &pane{start: start, end: end, accs: newAccs()}
	g.windows = append(g.windows, p)
	return p
}

// add puts a row into its window, merging overlapping sessions: the rows join the largest
// overlapping pane in place, so a growing session is not copied on every row.
func (g *windowGroup) add(start, end int64, row []any, session bool) {
	var into *pane
	kept := g.windows[:0]
	for _, p := range g.windows {
		switch {
		case !session && p.start == start && p.end == end:
			p.rows = append(p.rows, row)
			return
		case session && p.start < end && start < p.end:
			start, end = min(start, p.start), max(end, p.end)
			if into == nil {
				into = p
				kept = append(kept, p)
				continue
			}
			if len(p.rows) > len(into.rows) {
				p.rows, into.rows = into.rows, p.rows
			}
			into.rows = append(into.rows, p.rows...)
		default:
			kept = append(kept, p)
		}
	}
	if into == nil {
		g.windows = append(kept, &pane{start: start, end: end, rows: [][]any{row}})
		return
	}
	into.start, into.end, into.rows = start, end, append(into.rows, row)
	g.windows = kept
}

func (w *windowAgg) ProcessWatermark(wm int64, out operator.Emitter) error {
	if w.cfg.Window.ProcTime && wm != operator.MaxWatermark {
		return out.EmitWatermark(wm)
	}
	if err := w.fire(wm, out); err != nil {
		return err
	}
	w.wm = max(w.wm, wm)
	return out.EmitWatermark(wm)
}

func (w *windowAgg) Finish(out operator.Emitter) error { return w.fire(math.MaxInt64, out) }

// fire emits and drops every window whose end-1 is at or before wm, in key order.
func (w *windowAgg) fire(wm int64, out operator.Emitter) error {
	if w.out == nil || wm < w.minEnd-1 {
		return nil
	}
	b := array.NewRecordBuilder(w.mem, w.out)
	defer b.Release()
	minEnd := int64(math.MaxInt64)
	defer func() { w.minEnd = minEnd }()
	keys := make([]string, 0, len(w.groups))
	for k := range w.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	win := w.cfg.Window
	for _, k := range keys {
		g := w.groups[k]
		kept := g.windows[:0]
		for _, p := range g.windows {
			if p.end-1 > wm {
				kept = append(kept, p)
				minEnd = min(minEnd, p.end)
				continue
			}
			w.st.ks.touch(k)
			accs := p.accs
			if accs == nil {
				accs = w.newAccs()
				for _, row := range p.rows {
					w.fold(accs, row, 1)
				}
			}
			vals := make([]any, 0, len(w.cfg.Keys)+len(accs))
			ki := 0
			for _, c := range w.cfg.Keys {
				switch c {
				case win.StartKey:
					vals = append(vals, p.start)
				case win.EndKey:
					vals = append(vals, p.end)
				default:
					vals = append(vals, g.key[ki])
					ki++
				}
			}
			for _, a := range accs {
				vals = append(vals, a.result())
			}
			if err := appendRow(b, vals); err != nil {
				return err
			}
		}
		if g.windows = kept; len(kept) == 0 {
			delete(w.groups, k)
			w.st.ks.drop(k)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	if rec.NumRows() == 0 {
		return nil
	}
	return out.Emit(rec)
}

func appendRow(b *array.RecordBuilder, vals []any) error {
	for i, v := range vals {
		if err := appendValue(b.Field(i), v); err != nil {
			return err
		}
	}
	return nil
}
