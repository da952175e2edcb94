package sql

// query parses [WITH ...] body [ORDER BY ...] [LIMIT n].
func (p *parser) query() *Query {
	p.enter()
	defer p.leave()
	start := p.tok().sp
	q := &Query{}
	if p.acceptKw("WITH") {
		for {
			cte := &CTE{Name: p.ident("common table expression name")}
			p.expectKw("AS")
			p.expectOp("(")
			cte.Query = p.query()
			p.expectOp(")")
			q.With = append(q.With, cte)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	q.Body = p.setExpr()
	if p.acceptKw("ORDER") {
		p.expectKw("BY")
		q.OrderBy = p.orderItems()
	}
	if p.acceptKw("LIMIT") {
		q.Limit = p.exprPrec(precAdd)
	}
	q.Sp = p.from(start)
	return q
}

// setExpr parses terms joined by UNION, INTERSECT and EXCEPT (left-associative).
func (p *parser) setExpr() QueryBody {
	left := p.queryTerm()
	for p.isKw("UNION") || p.isKw("INTERSECT") || p.isKw("EXCEPT") {
		op := upper(p.next().text)
		all := p.acceptKw("ALL")
		if !all {
			p.acceptKw("DISTINCT")
		}
		right := p.queryTerm()
		left = &SetOp{Op: op, All: all, Left: left, Right: right, Sp: span(left.Pos(), right.Pos())}
	}
	return left
}

func (p *parser) queryTerm() QueryBody {
	switch {
	case p.isKw("SELECT"):
		return p.selectBody()
	case p.isKw("VALUES"):
		return p.values()
	case p.isOp("("):
		start := p.next().sp
		q := p.query()
		p.expectOp(")")
		q.Sp = p.from(start)
		return q
	}
	p.fail("SELECT, VALUES or '('")
	return nil
}

func (p *parser) values() QueryBody {
	start := p.expectKw("VALUES").sp
	v := &Values{}
	for {
		p.expectOp("(")
		v.Rows = append(v.Rows, p.exprList())
		p.closeList()
		if !p.acceptOp(",") {
			break
		}
	}
	v.Sp = p.from(start)
	return v
}

func (p *parser) selectBody() QueryBody {
	start := p.expectKw("SELECT").sp
	s := &Select{}
	if p.acceptKw("DISTINCT") {
		s.Distinct = true
	} else {
		p.acceptKw("ALL")
	}
	for {
		s.Items = append(s.Items, p.selectItem())
		if !p.acceptOp(",") {
			break
		}
	}
	if p.startsExpr() {
		p.fail("',' between select items, or FROM")
	}
	if p.acceptKw("FROM") {
		s.From = p.fromClause()
		if p.isIdentStart() {
			p.fail("',', JOIN, WHERE, GROUP BY or the end of the query")
		}
	}
	if p.acceptKw("WHERE") {
		s.Where = p.expr()
	}
	if p.acceptKw("GROUP") {
		p.expectKw("BY")
		s.GroupBy = p.exprList()
	}
	if p.acceptKw("HAVING") {
		s.Having = p.expr()
	}
	s.Sp = p.from(start)
	return s
}

func (p *parser) selectItem() *SelectItem {
	t := p.tok()
	if p.isOp("*") {
		p.i++
		return &SelectItem{Expr: &Star{Sp: t.sp}}
	}
	if (t.kind == tokIdent || t.kind == tokQuotedIdent) && isOpTok(p.peekTok(1), ".") && isOpTok(p.peekTok(2), "*") {
		q := p.ident("table name")
		p.i += 2
		return &SelectItem{Expr: &Star{Qualifier: q, Sp: p.from(t.sp)}}
	}
	item := &SelectItem{Expr: p.expr()}
	item.Alias = p.alias()
	return item
}

func isOpTok(t token, op string) bool { return t.kind == tokOp && t.text == op }

// alias parses [AS] alias; without AS only a non-reserved identifier counts.
func (p *parser) alias() *Ident {
	if p.acceptKw("AS") {
		return p.ident("alias")
	}
	if p.isIdentStart() {
		return p.ident("alias")
	}
	return nil
}

func (p *parser) orderItems() []*OrderItem {
	var out []*OrderItem
	for {
		it := &OrderItem{Expr: p.expr()}
		if p.acceptKw("DESC") {
			it.Desc = true
		} else {
			p.acceptKw("ASC")
		}
		if p.acceptKw("NULLS") {
			first := p.acceptKw("FIRST")
			if !first {
				p.expectKw("LAST")
			}
			it.NullsFirst = &first
		}
		out = append(out, it)
		if !p.acceptOp(",") {
			return out
		}
	}
}

// fromClause parses table references joined by commas and JOINs (left-associative).
func (p *parser) fromClause() TableExpr {
	left := p.tablePrimary()
	for {
		kind, ok := p.joinKind()
		if !ok {
			return left
		}
		right := p.tablePrimary()
		j := &Join{Kind: kind, Left: left, Right: right}
		if kind != "," && kind != "CROSS" {
			p.expectKw("ON")
			j.On = p.expr()
		}
		j.Sp = p.from(left.Pos())
		left = j
	}
}

func (p *parser) joinKind() (string, bool) {
	switch {
	case p.acceptOp(","):
		return ",", true
	case p.acceptKw("JOIN"), p.acceptKw("INNER", "JOIN"):
		return "INNER", true
	case p.acceptKw("CROSS", "JOIN"):
		return "CROSS", true
	}
	for _, k := range []string{"LEFT", "RIGHT", "FULL"} {
		if p.acceptKw(k, "JOIN") || p.acceptKw(k, "OUTER", "JOIN") {
			return k, true
		}
	}
	return "", false
}

func (p *parser) tablePrimary() TableExpr {
	p.enter()
	defer p.leave()
	start := p.tok().sp
	switch {
	case p.isKw("TABLE"):
		return p.windowTVF()
	case p.isOp("("):
		if !p.startsQuery(0) {
			p.fail("subquery")
		}
		p.i++
		d := &DerivedTable{Query: p.query()}
		p.expectOp(")")
		d.Alias = p.alias()
		if d.Alias != nil && p.isOp("(") {
			d.Columns = p.identList("column alias")
		}
		d.Sp = p.from(start)
		return d
	}
	ref := &TableRef{Name: p.ident("table name, subquery or TABLE(...)")}
	if p.acceptKw("FOR") {
		p.expectKw("SYSTEM_TIME", "AS", "OF")
		ref.SystemTime = p.exprPrec(precAdd)
	}
	ref.Alias = p.alias()
	ref.Sp = p.from(start)
	return ref
}

var windowFuncs = map[string]bool{"TUMBLE": true, "HOP": true, "CUMULATE": true, "SESSION": true}

// windowTVF parses TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL ...)) [[AS] alias].
func (p *parser) windowTVF() TableExpr {
	start := p.expectKw("TABLE").sp
	p.expectOp("(")
	t := p.tok()
	if t.kind != tokIdent || !windowFuncs[upper(t.text)] {
		p.fail("window function TUMBLE, HOP, CUMULATE or SESSION")
	}
	p.i++
	w := &WindowTVF{Func: upper(t.text)}
	p.expectOp("(")
	p.expectKw("TABLE")
	w.Table = p.ident("table name")
	if p.acceptKw("PARTITION", "BY") {
		if p.isOp("(") {
			w.PartitionBy = p.identList("partition column")
		} else {
			w.PartitionBy = []*Ident{p.ident("partition column or '('")}
		}
	}
	p.expectOp(",")
	p.expectKw("DESCRIPTOR")
	p.expectOp("(")
	w.TimeCol = p.ident("time attribute column")
	p.expectOp(")")
	for p.acceptOp(",") {
		w.Args = append(w.Args, p.expr())
	}
	p.closeList()
	p.expectOp(")")
	w.Alias = p.alias()
	w.Sp = p.from(start)
	return w
}
