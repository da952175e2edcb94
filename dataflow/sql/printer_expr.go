package sql

import "strings"

// prec is the binding strength of the expression's outermost operator.
func prec(e Expr) int {
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case "OR":
			return precOr
		case "AND":
			return precAnd
		}
		return binaryPrec[e.Op]
	case *Unary:
		if e.Op == "NOT" {
			return precNot
		}
		return precUnary
	case *IsNull, *IsBool, *In, *Between, *Like:
		return precCmp
	}
	return precPrimary
}

func (w *printer) exprs(list []Expr) {
	for i, e := range list {
		if i > 0 {
			w.s(", ")
		}
		w.expr(e, 0)
	}
}

// expr prints e, in parentheses if it binds more loosely than min.
func (w *printer) expr(e Expr, min int) {
	if prec(e) < min {
		w.s("(")
		w.expr(e, 0)
		w.s(")")
		return
	}
	switch e := e.(type) {
	case *ColumnRef:
		for i, p := range e.Parts {
			if i > 0 {
				w.s(".")
			}
			w.ident(p)
		}
	case *Star:
		if e.Qualifier != nil {
			w.ident(e.Qualifier)
			w.s(".")
		}
		w.s("*")
	case *NumberLit:
		w.s(e.Text)
	case *StringLit:
		w.s(quoteString(e.Value))
	case *BoolLit:
		if e.Value {
			w.s("TRUE")
		} else {
			w.s("FALSE")
		}
	case *NullLit:
		w.s("NULL")
	case *IntervalLit:
		w.s("INTERVAL ", quoteString(e.Value), " ", e.Unit)
		if e.To != "" {
			w.s(" TO ", e.To)
		}
	case *TypedLit:
		w.s(e.Type, " ", quoteString(e.Value))
	case *Unary:
		w.unary(e)
	case *Binary:
		p := prec(e)
		w.expr(e.L, p)
		w.s(" ", e.Op, " ")
		w.expr(e.R, p+1)
	default:
		w.predicateOrCall(e)
	}
}

func (w *printer) unary(e *Unary) {
	if e.Op == "NOT" {
		w.s("NOT ")
		w.expr(e.X, precNot)
		return
	}
	w.s(e.Op)
	var inner printer
	inner.expr(e.X, precUnary)
	text := inner.b.String()
	if strings.HasPrefix(text, "-") || strings.HasPrefix(text, "+") {
		w.s("(", text, ")")
		return
	}
	w.s(text)
}

func (w *printer) not(not bool) {
	if not {
		w.s(" NOT")
	}
}

func (w *printer) predicateOrCall(e Expr) {
	switch e := e.(type) {
	case *IsNull:
		w.expr(e.X, precAdd)
		w.s(" IS")
		w.not(e.Not)
		w.s(" NULL")
	case *IsBool:
		w.expr(e.X, precAdd)
		w.s(" IS")
		w.not(e.Not)
		if e.Value {
			w.s(" TRUE")
		} else {
			w.s(" FALSE")
		}
	case *In:
		w.expr(e.X, precAdd)
		w.not(e.Not)
		w.s(" IN (")
		if e.Query != nil {
			w.query(e.Query)
		} else {
			w.exprs(e.List)
		}
		w.s(")")
	case *Between:
		w.expr(e.X, precAdd)
		w.not(e.Not)
		w.s(" BETWEEN ")
		w.expr(e.Lo, precAdd)
		w.s(" AND ")
		w.expr(e.Hi, precAdd)
	case *Like:
		w.expr(e.X, precAdd)
		w.not(e.Not)
		w.s(" LIKE ")
		w.expr(e.Pattern, precAdd)
		if e.Escape != nil {
			w.s(" ESCAPE ")
			w.expr(e.Escape, precAdd)
		}
	default:
		w.special(e)
	}
}

func (w *printer) special(e Expr) {
	switch e := e.(type) {
	case *Case:
		w.s("CASE")
		if e.Operand != nil {
			w.s(" ")
			w.expr(e.Operand, 0)
		}
		for _, wh := range e.Whens {
			w.s(" WHEN ")
			w.expr(wh.Cond, 0)
			w.s(" THEN ")
			w.expr(wh.Result, 0)
		}
		if e.Else != nil {
			w.s(" ELSE ")
			w.expr(e.Else, 0)
		}
		w.s(" END")
	case *Cast:
		if e.Try {
			w.s("TRY_CAST(")
		} else {
			w.s("CAST(")
		}
		w.expr(e.X, 0)
		w.s(" AS ")
		w.dataType(e.Type)
		w.s(")")
	case *Extract:
		w.s("EXTRACT(", e.Unit, " FROM ")
		w.expr(e.X, 0)
		w.s(")")
	case *FuncCall:
		w.call(e)
	case *Subquery:
		if e.Exists {
			w.s("EXISTS ")
		}
		w.s("(")
		w.query(e.Query)
		w.s(")")
	}
}

func (w *printer) call(e *FuncCall) {
	name := upper(e.Name.Name)
	if e.Name.Quoted {
		name = "`" + strings.ReplaceAll(e.Name.Name, "`", "``") + "`"
	}
	w.s(name)
	if e.NoParens {
		return
	}
	w.s("(")
	if e.Star {
		w.s("*")
	}
	if e.Distinct {
		w.s("DISTINCT ")
	}
	w.exprs(e.Args)
	w.s(")")
	if e.Filter != nil {
		w.s(" FILTER (WHERE ")
		w.expr(e.Filter, 0)
		w.s(")")
	}
	if e.Over != nil {
		w.windowSpec(e.Over)
	}
}

func (w *printer) windowSpec(ws *WindowSpec) {
	w.s(" OVER (")
	sep := ""
	if len(ws.PartitionBy) > 0 {
		w.s("PARTITION BY ")
		w.exprs(ws.PartitionBy)
		sep = " "
	}
	if len(ws.OrderBy) > 0 {
		w.s(sep, "ORDER BY ")
		w.orderItems(ws.OrderBy)
		sep = " "
	}
	if f := ws.Frame; f != nil {
		w.s(sep, f.Unit, " BETWEEN ")
		w.frameBound(f.Start)
		w.s(" AND ")
		w.frameBound(f.End)
	}
	w.s(")")
}

func (w *printer) frameBound(b FrameBound) {
	if b.Offset != nil {
		w.expr(b.Offset, precAdd)
		w.s(" ")
	}
	w.s(b.Kind)
}
