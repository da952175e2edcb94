package sql

import (
	"github.com/flowplane/flowplane/dataflow"
)

// from binds a FROM item to a relation and the scope its columns are visible in.
func (b *binder) from(t TableExpr) (Rel, *scope) {
	switch t := t.(type) {
	case *TableRef:
		if t.SystemTime != nil {
			b.fail(ErrUnsupported, t.SystemTime.Pos(), "FOR SYSTEM_TIME AS OF is only allowed on the right side of a join (a temporal join)")
		}
		rel := b.relation(t.Name)
		qual := t.Name.Name
		if t.Alias != nil {
			qual = t.Alias.Name
		}
		return rel, scopeOf(rel, qual)
	case *DerivedTable:
		rel := b.query(t.Query)
		qual := ""
		if t.Alias != nil {
			qual = t.Alias.Name
		}
		if len(t.Columns) > 0 {
			if n := len(rel.Columns()); n != len(t.Columns) {
				b.fail(ErrType, t.Alias.Sp, "%s names %d columns but its query has %d", qual, len(t.Columns), n)
			}
			rel = renameColumns(rel, t.Columns)
		}
		return rel, scopeOf(rel, qual)
	case *WindowTVF:
		return b.windowTVF(t)
	case *Join:
		return b.join(t)
	}
	return nil, nil
}

// relation resolves a table, view or WITH name.
func (b *binder) relation(name *Ident) Rel {
	for i := len(b.ctes) - 1; i >= 0; i-- {
		if rel, ok := b.ctes[i][name.Name]; ok {
			return rel
		}
	}
	if v := b.cat.Views[name.Name]; v != nil {
		return v.Rel
	}
	t := b.cat.Tables[name.Name]
	if t == nil {
		b.fail(ErrUnknownName, name.Sp, "unknown table %s%s", name.Name, b.tableHint(name.Name))
	}
	if !connectors[t.Connector].source {
		b.fail(ErrUnsupported, name.Sp, "connector '%s' of table %s cannot be read from", t.Connector, t.Name)
	}
	if b.scans[t] == nil {
		b.scans[t] = tableRel(t)
	}
	return b.scans[t]
}

// tableRel scans a table's physical columns, computes its computed columns and assigns its
// watermark.
func tableRel(t *Table) Rel {
	rel := columnsRel(t)
	if t.Watermark != nil {
		rel = &WatermarkRel{Input: rel, Rowtime: t.columnIndex(t.Rowtime), Expr: t.Watermark}
	}
	return rel
}

func columnsRel(t *Table) Rel {
	scan := &Scan{Table: t}
	phys := map[int]int{}
	for i, c := range t.Columns {
		if c.Computed == nil {
			phys[i] = len(phys)
		}
	}
	if len(phys) == len(t.Columns) {
		return scan
	}
	p := &Project{Input: scan}
	remap := func(i int) int { return phys[i] }
	for i, c := range t.Columns {
		var r Rex
		if j, ok := phys[i]; ok {
			r = &RexInput{Index: j, T: c.Type}
		} else {
			r = withType(shiftRex(c.Computed, remap), c.Type)
		}
		p.Exprs = append(p.Exprs, r)
		p.Names = append(p.Names, c.Name)
	}
	return p
}

// withType returns r with its result type replaced (to carry a time attribute).
func withType(r Rex, t Type) Rex {
	switch r := r.(type) {
	case *RexCall:
		return &RexCall{Op: r.Op, Args: r.Args, T: t}
	case *RexInput:
		return &RexInput{Index: r.Index, T: t}
	}
	return r
}

func (b *binder) windowTVF(w *WindowTVF) (Rel, *scope) {
	rel := b.relation(w.Table)
	sc := scopeOf(rel, "")
	i, err := sc.resolve(&ColumnRef{Parts: []*Ident{w.TimeCol}, Sp: w.TimeCol.Sp})
	if err != nil {
		panic(bailout{err})
	}
	tt := sc.cols[i].t
	if tt.TimeAttr == NoTimeAttr {
		b.fail(ErrType, w.TimeCol.Sp, "DESCRIPTOR(%s) must name a time attribute: declare WATERMARK FOR %s in the table, or use PROCTIME()", w.TimeCol.Name, w.TimeCol.Name)
	}
	wa := &WindowAssign{Input: rel, Kind: w.Func, TimeCol: i, ProcTime: tt.TimeAttr == ProcTime}
	args := b.windowArgs(w, sc)
	want := map[string][]int{"TUMBLE": {1, 2}, "HOP": {2, 3}, "CUMULATE": {2, 3}, "SESSION": {1, 1}}[w.Func]
	if len(args) < want[0] || len(args) > want[1] {
		b.fail(ErrType, w.Sp, "%s takes %d to %d interval arguments after DESCRIPTOR, found %d", w.Func, want[0], want[1], len(args))
	}
	switch w.Func {
	case "TUMBLE", "SESSION":
		wa.SizeMs = args[0]
		if len(args) > 1 {
			wa.Offset = args[1]
		}
	default:
		wa.SlideMs, wa.SizeMs = args[0], args[1]
		if len(args) > 2 {
			wa.Offset = args[2]
		}
		if wa.SizeMs%wa.SlideMs != 0 {
			b.fail(ErrType, w.Args[1].Pos(), "%s size must be a multiple of its %s", w.Func, map[string]string{"HOP": "slide", "CUMULATE": "step"}[w.Func])
		}
	}
	if w.Func != "SESSION" && len(w.PartitionBy) > 0 {
		b.fail(ErrSyntax, w.PartitionBy[0].Sp, "PARTITION BY is only allowed in SESSION windows")
	}
	for _, p := range w.PartitionBy {
		k, err := sc.resolve(&ColumnRef{Parts: []*Ident{p}, Sp: p.Sp})
		if err != nil {
			panic(bailout{err})
		}
		wa.Keys = append(wa.Keys, k)
	}
	wa.cols = append(append([]Column(nil), rel.Columns()...), windowColumns(tt)...)
	qual := w.Table.Name
	if w.Alias != nil {
		qual = w.Alias.Name
	}
	out := scopeOf(wa, qual)
	n := len(out.cols)
	out.cols[n-3].window, out.cols[n-2].window = wa, wa
	return wa, out
}

// windowArgs evaluates the constant interval arguments of a window TVF, in milliseconds.
func (b *binder) windowArgs(w *WindowTVF, sc *scope) []int64 {
	var out []int64
	for _, a := range w.Args {
		r := b.expr(&exprCtx{sc: sc}, a)
		lit, ok := r.(*RexLiteral)
		if !ok || lit.T.Kind != dataflow.TypeIntervalDay {
			b.fail(ErrType, a.Pos(), "window arguments must be day-time interval literals such as INTERVAL '10' SECOND, found %s", Print(a))
		}
		ms := lit.Value.(int64)
		if ms <= 0 {
			b.fail(ErrType, a.Pos(), "window interval must be positive")
		}
		out = append(out, ms)
	}
	return out
}

func (b *binder) join(j *Join) (Rel, *scope) {
	left, ls := b.from(j.Left)
	var temporal *TemporalSpec
	var right Rel
	var rs *scope
	if ref, ok := j.Right.(*TableRef); ok && ref.SystemTime != nil {
		temporal = b.temporal(ls, ref)
		plain := *ref
		plain.SystemTime = nil
		right, rs = b.from(&plain)
	} else {
		right, rs = b.from(j.Right)
	}
	kind := j.Kind
	if kind == "," || kind == "CROSS" {
		kind = "INNER"
	}
	jr := &JoinRel{Kind: kind, Left: left, Right: right, Temporal: temporal}
	sc := ls.concat(rs)
	if j.On != nil {
		cond := b.expr(&exprCtx{sc: sc}, j.On)
		b.want(j.On, cond.Type(), cond.Type().isBool(), "BOOLEAN")
		jr.Cond = cond
	}
	if kind == "RIGHT" || kind == "FULL" {
		b.fail(ErrUnsupported, j.Sp, "%s JOIN is not supported yet; use INNER or LEFT JOIN", kind)
	}
	splitJoinKeys(jr)
	detectInterval(jr)
	rel := materializeKeys(jr)
	if temporal != nil {
		jr = joinOf(rel)
		if len(jr.LeftKeys) == 0 {
			b.fail(ErrUnsupported, j.Sp, "a temporal join needs an equality condition between the two sides")
		}
		if kind != "INNER" && kind != "LEFT" {
			b.fail(ErrUnsupported, j.Sp, "a temporal join must be an INNER or LEFT join")
		}
	}
	out := scopeOf(rel, "")
	for i := range out.cols {
		out.cols[i].qual = sc.cols[i].qual
	}
	return rel, out
}

// temporal binds the FOR SYSTEM_TIME AS OF time of a temporal join against the left side.
func (b *binder) temporal(ls *scope, ref *TableRef) *TemporalSpec {
	r := b.expr(&exprCtx{sc: ls}, ref.SystemTime)
	in, ok := r.(*RexInput)
	if !ok || r.Type().TimeAttr == NoTimeAttr {
		b.fail(ErrType, ref.SystemTime.Pos(), "FOR SYSTEM_TIME AS OF needs a time attribute of the left side, found %s", Print(ref.SystemTime))
	}
	spec := &TemporalSpec{LeftTime: in.Index, ProcTime: r.Type().TimeAttr == ProcTime}
	if !spec.ProcTime {
		t := b.cat.Tables[ref.Name.Name]
		if t == nil || len(t.PrimaryKey) == 0 || t.Rowtime == "" {
			b.fail(ErrUnsupported, ref.Name.Sp, "an event-time temporal join needs a versioned table: %s must have a PRIMARY KEY and a WATERMARK", ref.Name.Name)
		}
	}
	return spec
}

// splitJoinKeys extracts left.col = right.col conjuncts of the condition as equi-join keys.
func splitJoinKeys(jr *JoinRel) {
	jr.LeftKeys, jr.RightKeys = nil, nil
	if jr.Cond == nil {
		return
	}
	n := len(jr.Left.Columns())
	for _, c := range conjuncts(jr.Cond) {
		call, ok := c.(*RexCall)
		if !ok || call.Op != "=" {
			continue
		}
		l, lok := call.Args[0].(*RexInput)
		r, rok := call.Args[1].(*RexInput)
		if !lok || !rok {
			continue
		}
		if l.Index >= n {
			l, r = r, l
		}
		if l.Index < n && r.Index >= n {
			jr.LeftKeys = append(jr.LeftKeys, l.Index)
			jr.RightKeys = append(jr.RightKeys, r.Index-n)
		}
	}
}

// windowColumns are the columns a window adds for a time attribute of type tt.
func windowColumns(tt Type) []Column {
	wt := Type{LogicalType: dataflow.Timestamp(3)}
	winTime := wt
	winTime.TimeAttr = tt.TimeAttr
	if tt.Kind == dataflow.TypeTimestampLTZ {
		winTime.LogicalType = dataflow.TimestampLTZ(3)
	}
	return []Column{{"window_start", wt}, {"window_end", wt}, {"window_time", winTime}}
}
