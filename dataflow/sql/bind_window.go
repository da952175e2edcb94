package sql

import "strings"

var groupWindowFuncs = map[string]string{"TUMBLE": "TUMBLE", "HOP": "HOP", "SESSION": "SESSION"}

// groupWindow finds a legacy group window function (GROUP BY ..., TUMBLE(ts, size)) and
// returns it with the remaining group expressions.
func groupWindow(groupBy []Expr) (*FuncCall, []Expr) {
	var win *FuncCall
	var rest []Expr
	for _, g := range groupBy {
		if fc, ok := g.(*FuncCall); ok && win == nil && groupWindowFuncs[upper(fc.Name.Name)] != "" && !fc.Name.Quoted {
			win = fc
			continue
		}
		rest = append(rest, g)
	}
	return win, rest
}

// legacyWindow binds GROUP BY TUMBLE(ts, size), HOP(ts, slide, size) or SESSION(ts, gap) as a
// window assignment over rel, like the equivalent window table-valued function.
func (b *binder) legacyWindow(fc *FuncCall, rel Rel, sc *scope) (Rel, *scope) {
	kind := upper(fc.Name.Name)
	want := map[string]int{"TUMBLE": 2, "HOP": 3, "SESSION": 2}[kind]
	if len(fc.Args) != want || fc.Distinct || fc.Star {
		b.fail(ErrType, fc.Sp, "group window %s takes a time attribute and %d interval arguments", kind, want-1)
	}
	ctx := &exprCtx{sc: sc}
	col := b.expr(ctx, fc.Args[0])
	in, ok := col.(*RexInput)
	if !ok || col.Type().TimeAttr == NoTimeAttr {
		b.fail(ErrType, fc.Args[0].Pos(), "the first argument of %s must be a time attribute column (declared with WATERMARK FOR, or PROCTIME())", kind)
	}
	tvf := &WindowTVF{Func: kind, Args: fc.Args[1:], Sp: fc.Sp}
	ms := b.windowArgs(tvf, sc)
	wa := &WindowAssign{Input: rel, Kind: kind, TimeCol: in.Index, SizeMs: ms[0], ProcTime: col.Type().TimeAttr == ProcTime}
	if kind == "HOP" {
		wa.SlideMs, wa.SizeMs = ms[0], ms[1]
		if wa.SizeMs%wa.SlideMs != 0 {
			b.fail(ErrType, fc.Args[2].Pos(), "HOP size must be a multiple of its slide")
		}
	}
	wa.cols = append(append([]Column(nil), rel.Columns()...), windowColumns(col.Type())...)
	out := &scope{cols: append([]scopeCol(nil), sc.cols...)}
	for _, c := range wa.cols[len(wa.cols)-3:] {
		out.cols = append(out.cols, scopeCol{name: "$" + c.Name, t: c.Type, window: wa})
	}
	n := len(out.cols)
	out.cols[n-3].name, out.cols[n-2].name = "window_start", "window_end"
	out.cols[n-3].qual, out.cols[n-2].qual = "$window", "$window"
	return wa, out
}

// windowProperty maps TUMBLE_START, HOP_END, SESSION_START, ... to the group window key.
func (a *aggCtx) windowProperty(name string) int {
	if a.windowStart < 0 {
		return -1
	}
	switch {
	case strings.HasSuffix(name, "_START") && groupWindowFuncs[strings.TrimSuffix(name, "_START")] != "":
		return a.windowStart
	case strings.HasSuffix(name, "_END") && groupWindowFuncs[strings.TrimSuffix(name, "_END")] != "":
		return a.windowEnd
	}
	return -1
}
