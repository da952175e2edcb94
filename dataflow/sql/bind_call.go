package sql

import "strconv"

var legacyWindowFuncs = map[string]bool{"TUMBLE": true, "HOP": true, "SESSION": true,
	"TUMBLE_START": true, "TUMBLE_END": true, "TUMBLE_ROWTIME": true, "TUMBLE_PROCTIME": true,
	"HOP_START": true, "HOP_END": true, "HOP_ROWTIME": true, "SESSION_START": true,
	"SESSION_END": true, "SESSION_ROWTIME": true}

// call binds a scalar function call; aggregate calls reach here only where they are not allowed.
func (b *binder) call(ctx *exprCtx, e *FuncCall) Rex {
	name := upper(e.Name.Name)
	if e.Name.Quoted {
		name = e.Name.Name
	}
	switch {
	case e.Over != nil:
		return b.overCall(ctx, e, name)
	case aggFuncs[name]:
		b.fail(ErrType, e.Sp, "aggregate function %s is not allowed here", name)
	case legacyWindowFuncs[name]:
		b.fail(ErrUnsupported, e.Sp, "group window function %s is not supported; use the window table-valued functions, e.g. FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECOND)) ... GROUP BY window_start, window_end", name)
	case name == "PROCTIME":
		if len(e.Args) > 0 {
			b.fail(ErrType, e.Sp, "PROCTIME() takes no arguments")
		}
		t := tTimestampLTZ3
		t.TimeAttr = ProcTime
		return &RexCall{Op: "PROCTIME", T: t}
	}
	if e.Distinct || e.Filter != nil || e.Star {
		b.fail(ErrSyntax, e.Sp, "DISTINCT, FILTER and * are only allowed in aggregate functions, and %s is not one", name)
	}
	f, ok := scalarFuncs[name]
	if !ok {
		b.fail(ErrUnknownName, e.Name.Sp, "unknown function %s (user-defined functions are not supported)", e.Name.Name)
	}
	if len(e.Args) < f.minArgs || f.maxArgs >= 0 && len(e.Args) > f.maxArgs {
		b.fail(ErrType, e.Sp, "%s takes %s, found %d arguments; expected %s", name, arity(f), len(e.Args), f.signature)
	}
	args := make([]Rex, len(e.Args))
	types := make([]Type, len(e.Args))
	for i, a := range e.Args {
		args[i] = b.expr(ctx, a)
		types[i] = args[i].Type()
	}
	t, ok := f.result(types)
	if !ok {
		b.fail(ErrType, e.Sp, "%s", funcSignatureError(name, f, types))
	}
	return &RexCall{Op: name, Args: args, T: t}
}

func arity(f scalarFunc) string {
	switch {
	case f.maxArgs < 0:
		return "at least " + strconv.Itoa(f.minArgs) + " arguments"
	case f.minArgs == f.maxArgs:
		return strconv.Itoa(f.minArgs) + " arguments"
	}
	return strconv.Itoa(f.minArgs) + " to " + strconv.Itoa(f.maxArgs) + " arguments"
}

// overCtx records the ROW_NUMBER() OVER (...) of a select list.
type overCtx struct {
	used      bool
	partition []int
	order     []SortKey
	index     int // the row number's column in the Rank output
	sp        Span
}

// overCall binds ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...), the only supported OVER.
func (b *binder) overCall(ctx *exprCtx, e *FuncCall, name string) Rex {
	if name != "ROW_NUMBER" {
		b.fail(ErrUnsupported, e.Sp, "OVER windows are only supported with ROW_NUMBER() for Top-N and deduplication, not with %s", name)
	}
	if ctx.over == nil || ctx.agg != nil {
		b.fail(ErrUnsupported, e.Sp, "ROW_NUMBER() OVER (...) is only allowed as a select item of a query without GROUP BY")
	}
	if ctx.over.used {
		b.fail(ErrUnsupported, e.Sp, "only one ROW_NUMBER() per select list is supported")
	}
	if len(e.Args) > 0 || e.Over.Frame != nil {
		b.fail(ErrSyntax, e.Sp, "ROW_NUMBER() takes no arguments and no window frame")
	}
	o := ctx.over
	inner := &exprCtx{sc: ctx.sc}
	for _, p := range e.Over.PartitionBy {
		o.partition = append(o.partition, b.columnOf(inner, p, "PARTITION BY"))
	}
	if len(e.Over.OrderBy) == 0 {
		b.fail(ErrSyntax, e.Sp, "ROW_NUMBER() needs ORDER BY in its OVER clause")
	}
	for _, it := range e.Over.OrderBy {
		k := SortKey{Col: b.columnOf(inner, it.Expr, "ORDER BY"), Desc: it.Desc, NullsFirst: !it.Desc}
		if it.NullsFirst != nil {
			k.NullsFirst = *it.NullsFirst
		}
		o.order = append(o.order, k)
	}
	o.used, o.index, o.sp = true, len(ctx.sc.cols), e.Sp
	return &RexInput{Index: o.index, T: tBigInt}
}

// columnOf binds e and requires it to be a plain column reference.
func (b *binder) columnOf(ctx *exprCtx, e Expr, clause string) int {
	r := b.expr(ctx, e)
	in, ok := r.(*RexInput)
	if !ok {
		b.fail(ErrUnsupported, e.Pos(), "%s items must be columns; compute %s in a subquery first", clause, Print(e))
	}
	return in.Index
}
