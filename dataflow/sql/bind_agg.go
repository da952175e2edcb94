package sql

import "fmt"

// aggCtx binds expressions over an aggregation's output. Group expressions and aggregate
// arguments are computed by a projection under the aggregate (pre): the group keys first, then
// the arguments and FILTER conditions. The aggregate outputs the keys, then one column per call.
type aggCtx struct {
	input    *exprCtx
	keys     map[string]int
	keyTypes []Type
	keyNames []string
	pre      []Rex
	preNames []string
	preIdx   map[string]int
	aggs     []AggCall
	aggIdx   map[string]int
	grouped  bool
	// windowStart and windowEnd are the keys of a group window (GROUP BY TUMBLE(...)), or -1.
	windowStart, windowEnd int
}

func newAggCtx(input *exprCtx) *aggCtx {
	return &aggCtx{input: input, keys: map[string]int{}, preIdx: map[string]int{}, aggIdx: map[string]int{},
		windowStart: -1, windowEnd: -1}
}

// preCol returns the pre-projection column computing r, adding it if needed.
func (a *aggCtx) preCol(r Rex, name string) int {
	k := r.String()
	if i, ok := a.preIdx[k]; ok {
		return i
	}
	a.pre = append(a.pre, r)
	a.preNames = append(a.preNames, name)
	a.preIdx[k] = len(a.pre) - 1
	return len(a.pre) - 1
}

// addKey adds a GROUP BY expression.
func (b *binder) addKey(a *aggCtx, e Expr) {
	r := b.expr(a.input, e)
	name := fmt.Sprintf("$k%d", len(a.keyTypes))
	if ref, ok := e.(*ColumnRef); ok {
		name = ref.Parts[len(ref.Parts)-1].Name
	}
	b.addKeyRex(a, r, name)
}

// addKeyRex adds a bound group key and returns its position.
func (b *binder) addKeyRex(a *aggCtx, r Rex, name string) int {
	if i, dup := a.keys[r.String()]; dup {
		return i
	}
	a.keys[r.String()] = a.preCol(r, name)
	a.keyTypes = append(a.keyTypes, r.Type())
	a.keyNames = append(a.keyNames, name)
	return len(a.keyTypes) - 1
}

// aggExpr binds e over the aggregate output: group expressions and aggregate calls become
// column references, other columns are errors.
func (b *binder) aggExpr(ctx *exprCtx, e Expr) Rex {
	a := ctx.agg
	var bound Rex
	if try(func() { bound = b.node(a.input, e) }) {
		if i, ok := a.keys[bound.String()]; ok {
			return &RexInput{Index: i, T: a.keyTypes[i]}
		}
	}
	switch e := e.(type) {
	case *FuncCall:
		name := upper(e.Name.Name)
		if aggFuncs[name] && e.Over == nil && !e.Name.Quoted {
			return b.aggCall(a, e, name)
		}
		if k := a.windowProperty(name); k >= 0 {
			return &RexInput{Index: k, T: a.keyTypes[k]}
		}
	case *ColumnRef:
		if bound != nil {
			b.fail(ErrType, e.Sp, "column %s must appear in GROUP BY or be used in an aggregate function", Print(e))
		}
		b.node(a.input, e) // reports the resolution error
	}
	return b.node(ctx, e)
}

func (b *binder) aggCall(a *aggCtx, e *FuncCall, name string) Rex {
	call := AggCall{Func: name, Distinct: e.Distinct, Filter: -1}
	var arg Type
	switch {
	case e.Star && name != "COUNT":
		b.fail(ErrSyntax, e.Sp, "%s(*) is not valid; only COUNT(*)", name)
	case e.Star:
	case len(e.Args) != 1:
		b.fail(ErrType, e.Sp, "%s takes exactly one argument, found %d", name, len(e.Args))
	default:
		r := b.expr(a.input, e.Args[0])
		arg = r.Type()
		call.Args = []int{a.preCol(r, fmt.Sprintf("$a%d", len(a.pre)))}
	}
	t, want, ok := aggResult(name, arg, a.grouped)
	if !ok {
		b.fail(ErrType, e.Sp, "%s expects %s, found %s", name, want, describeTypes([]Type{arg}))
	}
	if e.Filter != nil {
		f := b.expr(a.input, e.Filter)
		b.want(e.Filter, f.Type(), f.Type().isBool(), "BOOLEAN")
		call.Filter = a.preCol(f, fmt.Sprintf("$f%d", len(a.pre)))
	}
	call.T = t
	key := call.String()
	if i, ok := a.aggIdx[key]; ok {
		return &RexInput{Index: len(a.keyTypes) + i, T: t}
	}
	call.Name = fmt.Sprintf("$agg%d", len(a.aggs))
	a.aggs = append(a.aggs, call)
	a.aggIdx[key] = len(a.aggs) - 1
	return &RexInput{Index: len(a.keyTypes) + len(a.aggs) - 1, T: t}
}

// hasAggregate reports whether an expression contains an aggregate call (outside OVER).
func hasAggregate(e Expr) bool {
	found := false
	walkExpr(e, func(x Expr) {
		if fc, ok := x.(*FuncCall); ok && fc.Over == nil && aggFuncs[upper(fc.Name.Name)] && !fc.Name.Quoted {
			found = true
		}
	})
	return found
}

// walkExpr calls f on e and all its subexpressions (not descending into subqueries).
func walkExpr(e Expr, f func(Expr)) {
	if e == nil {
		return
	}
	f(e)
	switch e := e.(type) {
	case *Unary:
		walkExpr(e.X, f)
	case *Binary:
		walkExpr(e.L, f)
		walkExpr(e.R, f)
	case *IsNull:
		walkExpr(e.X, f)
	case *IsBool:
		walkExpr(e.X, f)
	case *In:
		walkExpr(e.X, f)
		for _, x := range e.List {
			walkExpr(x, f)
		}
	case *Between:
		walkExpr(e.X, f)
		walkExpr(e.Lo, f)
		walkExpr(e.Hi, f)
	case *Like:
		walkExpr(e.X, f)
		walkExpr(e.Pattern, f)
	case *Case:
		walkExpr(e.Operand, f)
		for _, w := range e.Whens {
			walkExpr(w.Cond, f)
			walkExpr(w.Result, f)
		}
		walkExpr(e.Else, f)
	case *Cast:
		walkExpr(e.X, f)
	case *Extract:
		walkExpr(e.X, f)
	case *FuncCall:
		for _, x := range e.Args {
			walkExpr(x, f)
		}
		walkExpr(e.Filter, f)
	}
}
