package sql

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/flowplane/flowplane/dataflow"
)

// exprCtx is what an expression is bound against: the input scope, and while binding over an
// aggregation the aggregate context that maps group expressions and aggregate calls to the
// aggregate's output columns. over collects ROW_NUMBER() in a select list.
type exprCtx struct {
	sc   *scope
	agg  *aggCtx
	over *overCtx
}

// expr binds and type-checks an expression.
func (b *binder) expr(ctx *exprCtx, e Expr) Rex {
	if ctx.agg != nil {
		return b.aggExpr(ctx, e)
	}
	return b.node(ctx, e)
}

func (b *binder) node(ctx *exprCtx, e Expr) Rex {
	switch e := e.(type) {
	case *ColumnRef:
		i, err := ctx.sc.resolve(e)
		if err != nil {
			panic(bailout{err})
		}
		return &RexInput{Index: i, T: ctx.sc.cols[i].t}
	case *Star:
		b.fail(ErrSyntax, e.Sp, "* is only allowed as a select item or in COUNT(*)")
	case *NumberLit:
		return b.number(e)
	case *StringLit:
		return &RexLiteral{Value: e.Value, T: tString}
	case *BoolLit:
		return &RexLiteral{Value: e.Value, T: tBoolean}
	case *NullLit:
		return &RexLiteral{T: tNull}
	case *IntervalLit:
		return b.interval(e)
	case *TypedLit:
		return b.typedLit(e)
	case *Unary:
		return b.unary(ctx, e)
	case *Binary:
		return b.binary(ctx, e)
	case *Subquery:
		b.fail(ErrUnsupported, e.Sp, "subqueries in expressions are not supported; use a join")
	case *FuncCall:
		return b.call(ctx, e)
	}
	return b.predicate(ctx, e)
}

func (b *binder) number(e *NumberLit) Rex {
	text := e.Text
	if strings.ContainsAny(text, "eE") {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			b.fail(ErrType, e.Sp, "number %s is out of range", text)
		}
		return &RexLiteral{Value: f, T: tDouble}
	}
	if !strings.Contains(text, ".") {
		n, err := strconv.ParseInt(text, 10, 64)
		if err == nil {
			if n >= -1<<31 && n < 1<<31 {
				return &RexLiteral{Value: n, T: tInt}
			}
			return &RexLiteral{Value: n, T: tBigInt}
		}
	}
	intPart, frac, _ := strings.Cut(text, ".")
	intPart = strings.TrimLeft(intPart, "0")
	p, s := max(len(intPart)+len(frac), 1), len(frac)
	if p > dataflow.MaxDecimalPrecision {
		b.fail(ErrType, e.Sp, "number %s has more than %d digits", text, dataflow.MaxDecimalPrecision)
	}
	if _, ok := new(big.Rat).SetString(text); !ok {
		b.fail(ErrType, e.Sp, "malformed number %s", text)
	}
	return &RexLiteral{Value: text, T: tDecimal(p, s)}
}

func (b *binder) unary(ctx *exprCtx, e *Unary) Rex {
	x := b.expr(ctx, e.X)
	t := x.Type()
	if e.Op == "NOT" {
		b.want(e.X, t, t.isBool(), "BOOLEAN")
		return &RexCall{Op: "NOT", Args: []Rex{x}, T: tBoolean.nullable(t.Nullable)}
	}
	b.want(e.X, t, t.isNumeric() || t.isInterval(), "a number or interval")
	if e.Op == "+" {
		return x
	}
	if lit, ok := x.(*RexLiteral); ok {
		switch v := lit.Value.(type) {
		case int64:
			return &RexLiteral{Value: -v, T: lit.T}
		case float64:
			return &RexLiteral{Value: -v, T: lit.T}
		}
	}
	return &RexCall{Op: "NEG", Args: []Rex{x}, T: t.plain()}
}

// want fails with a type error at e unless ok.
func (b *binder) want(e Expr, t Type, ok bool, what string) {
	if !ok {
		b.fail(ErrType, e.Pos(), "expected %s, found %s of type %s", what, Print(e), describeTypes([]Type{t}))
	}
}

var comparisonOps = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

func (b *binder) binary(ctx *exprCtx, e *Binary) Rex {
	l, r := b.expr(ctx, e.L), b.expr(ctx, e.R)
	lt, rt := l.Type(), r.Type()
	nullable := lt.Nullable || rt.Nullable
	call := func(t Type) Rex { return &RexCall{Op: e.Op, Args: []Rex{l, r}, T: t} }
	switch {
	case e.Op == "AND" || e.Op == "OR":
		b.want(e.L, lt, lt.isBool(), "BOOLEAN")
		b.want(e.R, rt, rt.isBool(), "BOOLEAN")
		return call(tBoolean.nullable(nullable))
	case comparisonOps[e.Op]:
		if _, ok := commonType(lt, rt); !ok {
			b.fail(ErrType, e.Sp, "cannot compare %s with %s", describeTypes([]Type{lt}), describeTypes([]Type{rt}))
		}
		return call(tBoolean.nullable(nullable))
	case e.Op == "||":
		b.want(e.L, lt, lt.isString(), "STRING")
		b.want(e.R, rt, rt.isString(), "STRING")
		return call(tString.nullable(nullable))
	case lt.isTemporal() && rt.isInterval() && (e.Op == "+" || e.Op == "-"):
		return call(lt.plain().nullable(nullable))
	case lt.isInterval() && rt.isTemporal() && e.Op == "+":
		return call(rt.plain().nullable(nullable))
	case lt.isInterval() && rt.isInterval() && lt.Kind == rt.Kind && (e.Op == "+" || e.Op == "-"):
		return call(lt.plain().nullable(nullable))
	case lt.isInterval() && rt.isNumeric() && (e.Op == "*" || e.Op == "/"):
		return call(lt.plain().nullable(nullable))
	}
	b.want(e.L, lt, lt.isNumeric(), "a number")
	b.want(e.R, rt, rt.isNumeric(), "a number")
	if e.Op == "%" {
		return &RexCall{Op: "MOD", Args: []Rex{l, r}, T: numericResult("%", lt, rt)}
	}
	return call(numericResult(e.Op, lt, rt))
}

func (b *binder) predicate(ctx *exprCtx, e Expr) Rex {
	switch e := e.(type) {
	case *IsNull:
		x := b.expr(ctx, e.X)
		op := "IS_NULL"
		if e.Not {
			op = "IS_NOT_NULL"
		}
		return &RexCall{Op: op, Args: []Rex{x}, T: tBoolean}
	case *IsBool:
		x := b.expr(ctx, e.X)
		b.want(e.X, x.Type(), x.Type().isBool(), "BOOLEAN")
		op := map[bool]string{true: "IS_TRUE", false: "IS_FALSE"}[e.Value]
		r := Rex(&RexCall{Op: op, Args: []Rex{x}, T: tBoolean})
		if e.Not {
			r = &RexCall{Op: "NOT", Args: []Rex{r}, T: tBoolean}
		}
		return r
	case *In:
		return b.in(ctx, e)
	case *Between:
		x, lo, hi := b.expr(ctx, e.X), b.expr(ctx, e.Lo), b.expr(ctx, e.Hi)
		for _, o := range []Rex{lo, hi} {
			if _, ok := commonType(x.Type(), o.Type()); !ok {
				b.fail(ErrType, e.Sp, "cannot compare %s with %s in BETWEEN", describeTypes([]Type{x.Type()}), describeTypes([]Type{o.Type()}))
			}
		}
		n := x.Type().Nullable || lo.Type().Nullable || hi.Type().Nullable
		r := Rex(&RexCall{Op: "BETWEEN", Args: []Rex{x, lo, hi}, T: tBoolean.nullable(n)})
		return b.negate(r, e.Not)
	case *Like:
		x, pat := b.expr(ctx, e.X), b.expr(ctx, e.Pattern)
		b.want(e.X, x.Type(), x.Type().isString(), "STRING")
		b.want(e.Pattern, pat.Type(), pat.Type().isString(), "STRING")
		args := []Rex{x, pat}
		if e.Escape != nil {
			esc := b.expr(ctx, e.Escape)
			b.want(e.Escape, esc.Type(), esc.Type().isString(), "STRING")
			args = append(args, esc)
		}
		r := Rex(&RexCall{Op: "LIKE", Args: args, T: tBoolean.nullable(x.Type().Nullable || pat.Type().Nullable)})
		return b.negate(r, e.Not)
	case *Case:
		return b.caseExpr(ctx, e)
	case *Cast:
		return b.cast(ctx, e)
	case *Extract:
		x := b.expr(ctx, e.X)
		b.want(e.X, x.Type(), x.Type().isTemporal(), "a DATE, TIME or TIMESTAMP")
		return &RexCall{Op: "EXTRACT_" + e.Unit, Args: []Rex{x}, T: tBigInt.nullable(x.Type().Nullable)}
	}
	b.fail(ErrUnsupported, e.Pos(), "unsupported expression %s", Print(e))
	return nil
}

func (b *binder) negate(r Rex, not bool) Rex {
	if !not {
		return r
	}
	return &RexCall{Op: "NOT", Args: []Rex{r}, T: r.Type()}
}

func (b *binder) in(ctx *exprCtx, e *In) Rex {
	if e.Query != nil {
		b.fail(ErrUnsupported, e.Sp, "IN (subquery) is not supported; use a join")
	}
	x := b.expr(ctx, e.X)
	args := []Rex{x}
	n := x.Type().Nullable
	for _, item := range e.List {
		r := b.expr(ctx, item)
		if _, ok := commonType(x.Type(), r.Type()); !ok {
			b.fail(ErrType, item.Pos(), "IN list item %s has type %s, which cannot be compared with %s",
				Print(item), describeTypes([]Type{r.Type()}), describeTypes([]Type{x.Type()}))
		}
		n = n || r.Type().Nullable
		args = append(args, r)
	}
	return b.negate(&RexCall{Op: "IN", Args: args, T: tBoolean.nullable(n)}, e.Not)
}

func (b *binder) caseExpr(ctx *exprCtx, e *Case) Rex {
	var operand Rex
	if e.Operand != nil {
		operand = b.expr(ctx, e.Operand)
	}
	var args []Rex
	var result Type
	first := true
	unify := func(x Expr, r Rex) {
		if first {
			result, first = r.Type().plain(), false
			return
		}
		t, ok := commonType(result, r.Type())
		if !ok {
			b.fail(ErrType, x.Pos(), "CASE branch %s has type %s, incompatible with %s", Print(x), describeTypes([]Type{r.Type()}), describeTypes([]Type{result}))
		}
		result = t
	}
	for _, w := range e.Whens {
		cond := b.expr(ctx, w.Cond)
		if operand != nil {
			if _, ok := commonType(operand.Type(), cond.Type()); !ok {
				b.fail(ErrType, w.Cond.Pos(), "cannot compare %s with the CASE operand", Print(w.Cond))
			}
			cond = &RexCall{Op: "=", Args: []Rex{operand, cond}, T: tBoolean.nullable(true)}
		} else {
			b.want(w.Cond, cond.Type(), cond.Type().isBool(), "BOOLEAN")
		}
		res := b.expr(ctx, w.Result)
		unify(w.Result, res)
		args = append(args, cond, res)
	}
	if e.Else != nil {
		res := b.expr(ctx, e.Else)
		unify(e.Else, res)
		args = append(args, res)
	} else {
		result = result.nullable(true)
	}
	return &RexCall{Op: "CASE", Args: args, T: result}
}

func (b *binder) cast(ctx *exprCtx, e *Cast) Rex {
	x := b.expr(ctx, e.X)
	t, err := typeFromAST(e.Type)
	if err != nil {
		panic(bailout{err})
	}
	from := x.Type()
	ok := from.Null || from.isString() || t.isString() || from.isNumeric() && t.isNumeric() ||
		from.isTemporal() && t.isTemporal() || from.isBool() && (t.isNumeric() || t.isBool()) ||
		from.isNumeric() && t.isBool() || from.Kind == t.Kind
	if !ok {
		b.fail(ErrType, e.Sp, "cannot cast %s to %s", describeTypes([]Type{from}), t.LogicalType)
	}
	op := "CAST"
	t = t.nullable(from.Nullable)
	if e.Try {
		op, t = "TRY_CAST", t.nullable(true)
	}
	return &RexCall{Op: op, Args: []Rex{x}, T: t}
}
