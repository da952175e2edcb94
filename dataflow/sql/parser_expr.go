package sql

// Operator precedence levels, loosest first.
const (
	precOr = iota + 1
	precAnd
	precNot
	precCmp // = <> < <= > >= IS IN BETWEEN LIKE
	precAdd // + - ||
	precMul // * / %
	precUnary
	precPrimary
)

var binaryPrec = map[string]int{
	"=": precCmp, "<>": precCmp, "!=": precCmp, "<": precCmp, "<=": precCmp, ">": precCmp, ">=": precCmp,
	"+": precAdd, "-": precAdd, "||": precAdd, "*": precMul, "/": precMul, "%": precMul,
}

func (p *parser) expr() Expr { return p.exprPrec(precOr) }

// exprPrec parses an expression whose operators bind at least as tightly as minPrec
// (precedence climbing).
func (p *parser) exprPrec(minPrec int) Expr {
	p.enter()
	defer p.leave()
	var left Expr
	if p.isKw("NOT") && minPrec <= precNot {
		start := p.next().sp
		x := p.exprPrec(precNot)
		left = &Unary{Op: "NOT", X: x, Sp: p.from(start)}
	} else {
		left = p.unary()
	}
	for {
		t := p.tok()
		switch {
		case isKwTok(t, "OR") && minPrec <= precOr:
			p.i++
			right := p.exprPrec(precOr + 1)
			left = &Binary{Op: "OR", L: left, R: right, Sp: span(left.Pos(), right.Pos())}
		case isKwTok(t, "AND") && minPrec <= precAnd:
			p.i++
			right := p.exprPrec(precAnd + 1)
			left = &Binary{Op: "AND", L: left, R: right, Sp: span(left.Pos(), right.Pos())}
		case minPrec <= precCmp && p.isPredicate():
			left = p.predicate(left)
		case t.kind == tokOp && binaryPrec[t.text] >= minPrec && binaryPrec[t.text] > 0:
			p.i++
			op := t.text
			if op == "!=" {
				op = "<>"
			}
			right := p.exprPrec(binaryPrec[t.text] + 1)
			left = &Binary{Op: op, L: left, R: right, Sp: span(left.Pos(), right.Pos())}
		default:
			return left
		}
	}
}

func (p *parser) isPredicate() bool {
	if p.isKw("IS") || p.isKw("IN") || p.isKw("BETWEEN") || p.isKw("LIKE") {
		return true
	}
	if p.isKw("NOT") {
		n := p.peekTok(1)
		return isKwTok(n, "IN") || isKwTok(n, "BETWEEN") || isKwTok(n, "LIKE")
	}
	return false
}

// predicate parses the postfix part of IS, IN, BETWEEN and LIKE after x.
func (p *parser) predicate(x Expr) Expr {
	start := x.Pos()
	if p.acceptKw("IS") {
		not := p.acceptKw("NOT")
		switch {
		case p.acceptKw("NULL"):
			return &IsNull{X: x, Not: not, Sp: p.from(start)}
		case p.acceptKw("TRUE"):
			return &IsBool{X: x, Not: not, Value: true, Sp: p.from(start)}
		case p.acceptKw("FALSE"):
			return &IsBool{X: x, Not: not, Value: false, Sp: p.from(start)}
		}
		p.fail("NULL, TRUE or FALSE")
	}
	not := p.acceptKw("NOT")
	switch {
	case p.acceptKw("IN"):
		in := &In{X: x, Not: not}
		p.expectOp("(")
		if p.startsQuery(0) {
			in.Query = p.query()
		} else {
			in.List = p.exprList()
		}
		p.closeList()
		in.Sp = p.from(start)
		return in
	case p.acceptKw("BETWEEN"):
		p.acceptKw("SYMMETRIC")
		lo := p.exprPrec(precAdd)
		p.expectKw("AND")
		hi := p.exprPrec(precAdd)
		return &Between{X: x, Lo: lo, Hi: hi, Not: not, Sp: p.from(start)}
	default:
		p.expectKw("LIKE")
		lk := &Like{X: x, Not: not, Pattern: p.exprPrec(precAdd)}
		if p.acceptKw("ESCAPE") {
			lk.Escape = p.exprPrec(precAdd)
		}
		lk.Sp = p.from(start)
		return lk
	}
}

// startsExpr reports whether the current token can only continue a query as an expression
// (so a missing comma is the likely mistake).
func (p *parser) startsExpr() bool {
	t := p.tok()
	return t.kind == tokNumber || t.kind == tokString || p.isIdentStart()
}

func (p *parser) exprList() []Expr {
	var out []Expr
	for {
		out = append(out, p.expr())
		if !p.acceptOp(",") {
			return out
		}
	}
}

func (p *parser) unary() Expr {
	if p.isOp("-") || p.isOp("+") {
		p.enter()
		defer p.leave()
		t := p.next()
		x := p.unary()
		return &Unary{Op: t.text, X: x, Sp: p.from(t.sp)}
	}
	return p.primary()
}

// callableKeywords are reserved words that may still name a function when followed by '('.
var callableKeywords = map[string]bool{"YEAR": true, "MONTH": true, "DAY": true, "HOUR": true,
	"MINUTE": true, "SECOND": true, "LEFT": true, "RIGHT": true, "IF": true, "CURRENT_DATE": false}

// niladic are functions written without parentheses.
var niladic = map[string]bool{"CURRENT_TIMESTAMP": true, "CURRENT_DATE": true,
	"CURRENT_TIME": true, "LOCALTIMESTAMP": true, "LOCALTIME": true, "CURRENT_ROW_TIMESTAMP": false}

func (p *parser) primary() Expr {
	t := p.tok()
	switch t.kind {
	case tokNumber:
		p.i++
		return &NumberLit{Text: t.text, Sp: t.sp}
	case tokString:
		p.i++
		return &StringLit{Value: t.text, Sp: t.sp}
	case tokQuotedIdent:
		return p.columnOrCall()
	case tokOp:
		if t.text == "(" {
			return p.parenExpr()
		}
	case tokIdent:
		return p.keywordPrimary(t)
	}
	p.fail("expression")
	return nil
}

func (p *parser) keywordPrimary(t token) Expr {
	kw := upper(t.text)
	next := p.peekTok(1)
	switch {
	case kw == "NULL":
		p.i++
		return &NullLit{Sp: t.sp}
	case kw == "TRUE" || kw == "FALSE":
		p.i++
		return &BoolLit{Value: kw == "TRUE", Sp: t.sp}
	case kw == "CASE":
		return p.caseExpr()
	case (kw == "CAST" || kw == "TRY_CAST") && next.kind == tokOp && next.text == "(":
		return p.cast()
	case kw == "EXTRACT" && next.kind == tokOp && next.text == "(":
		return p.extract()
	case kw == "INTERVAL":
		return p.interval()
	case kw == "EXISTS":
		p.i++
		p.expectOp("(")
		q := p.query()
		p.expectOp(")")
		return &Subquery{Query: q, Exists: true, Sp: p.from(t.sp)}
	case (kw == "DATE" || kw == "TIME" || kw == "TIMESTAMP") && next.kind == tokString:
		p.i += 2
		return &TypedLit{Type: kw, Value: next.text, Sp: p.from(t.sp)}
	case niladic[kw] && !(next.kind == tokOp && next.text == "("):
		p.i++
		return &FuncCall{Name: &Ident{Name: kw, Sp: t.sp}, NoParens: true, Sp: t.sp}
	case isReserved(kw) && !(callableKeywords[kw] && next.kind == tokOp && next.text == "("):
		p.fail("expression")
	}
	return p.columnOrCall()
}

func (p *parser) parenExpr() Expr {
	start := p.tok().sp
	if p.startsQuery(1) {
		p.i++
		q := p.query()
		p.expectOp(")")
		return &Subquery{Query: q, Sp: p.from(start)}
	}
	p.enter()
	defer p.leave()
	p.i++
	x := p.expr()
	p.expectOp(")")
	return x
}

func (p *parser) columnOrCall() Expr {
	t := p.next()
	first := &Ident{Name: t.text, Quoted: t.kind == tokQuotedIdent, Sp: t.sp}
	if p.isOp("(") {
		return p.call(first)
	}
	ref := &ColumnRef{Parts: []*Ident{first}}
	for p.isOp(".") && p.peekTok(1).kind != tokOp {
		p.i++
		ref.Parts = append(ref.Parts, p.ident("field name"))
	}
	ref.Sp = p.from(t.sp)
	return ref
}

func (p *parser) call(name *Ident) Expr {
	p.enter()
	defer p.leave()
	fc := &FuncCall{Name: name}
	p.expectOp("(")
	switch {
	case p.isOp("*"):
		p.i++
		fc.Star = true
	case p.isOp(")"):
	default:
		if p.acceptKw("DISTINCT") {
			fc.Distinct = true
		} else {
			p.acceptKw("ALL")
		}
		fc.Args = p.exprList()
	}
	p.closeList()
	if p.acceptKw("FILTER") {
		p.expectOp("(")
		p.expectKw("WHERE")
		fc.Filter = p.expr()
		p.expectOp(")")
	}
	if p.acceptKw("OVER") {
		fc.Over = p.windowSpec()
	}
	fc.Sp = p.from(name.Sp)
	return fc
}

func (p *parser) windowSpec() *WindowSpec {
	ws := &WindowSpec{}
	p.expectOp("(")
	if p.acceptKw("PARTITION") {
		p.expectKw("BY")
		ws.PartitionBy = p.exprList()
	}
	if p.acceptKw("ORDER") {
		p.expectKw("BY")
		ws.OrderBy = p.orderItems()
	}
	if p.isKw("ROWS") || p.isKw("RANGE") {
		f := &Frame{Unit: upper(p.next().text)}
		p.expectKw("BETWEEN")
		f.Start = p.frameBound()
		p.expectKw("AND")
		f.End = p.frameBound()
		ws.Frame = f
	}
	p.expectOp(")")
	return ws
}

func (p *parser) frameBound() FrameBound {
	switch {
	case p.acceptKw("UNBOUNDED", "PRECEDING"):
		return FrameBound{Kind: "UNBOUNDED PRECEDING"}
	case p.acceptKw("UNBOUNDED", "FOLLOWING"):
		return FrameBound{Kind: "UNBOUNDED FOLLOWING"}
	case p.acceptKw("CURRENT", "ROW"):
		return FrameBound{Kind: "CURRENT ROW"}
	}
	off := p.exprPrec(precAdd)
	if p.acceptKw("PRECEDING") {
		return FrameBound{Kind: "PRECEDING", Offset: off}
	}
	p.expectKw("FOLLOWING")
	return FrameBound{Kind: "FOLLOWING", Offset: off}
}

func (p *parser) caseExpr() Expr {
	start := p.expectKw("CASE").sp
	c := &Case{}
	if p.isKw("END") {
		p.fail("WHEN")
	}
	if !p.isKw("WHEN") {
		c.Operand = p.expr()
	}
	for p.acceptKw("WHEN") {
		w := &When{Cond: p.expr()}
		p.expectKw("THEN")
		w.Result = p.expr()
		c.Whens = append(c.Whens, w)
	}
	if len(c.Whens) == 0 {
		p.fail("WHEN")
	}
	if p.acceptKw("ELSE") {
		c.Else = p.expr()
	}
	p.expectKw("END")
	c.Sp = p.from(start)
	return c
}

func (p *parser) cast() Expr {
	t := p.next()
	c := &Cast{Try: upper(t.text) == "TRY_CAST"}
	p.expectOp("(")
	c.X = p.expr()
	p.expectKw("AS")
	c.Type = p.dataType()
	p.expectOp(")")
	c.Sp = p.from(t.sp)
	return c
}

var extractUnits = map[string]bool{"YEAR": true, "QUARTER": true, "MONTH": true, "WEEK": true,
	"DAY": true, "DOW": true, "DOY": true, "HOUR": true, "MINUTE": true, "SECOND": true,
	"MILLISECOND": true, "MICROSECOND": true, "EPOCH": true}

func (p *parser) extract() Expr {
	start := p.next().sp
	p.expectOp("(")
	t := p.tok()
	if t.kind != tokIdent || !extractUnits[upper(t.text)] {
		p.fail("time unit to extract (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, ...)")
	}
	p.i++
	p.expectKw("FROM")
	x := p.expr()
	p.expectOp(")")
	return &Extract{Unit: upper(t.text), X: x, Sp: p.from(start)}
}

func (p *parser) interval() Expr {
	start := p.expectKw("INTERVAL").sp
	neg := p.acceptOp("-")
	v := p.stringLit("interval value string, as in INTERVAL '5' SECOND")
	lit := &IntervalLit{Value: v.Value}
	if neg {
		lit.Value = "-" + lit.Value
	}
	lit.Unit = p.timeUnit()
	if p.acceptKw("TO") {
		lit.To = p.timeUnit()
	}
	lit.Sp = p.from(start)
	return lit
}
