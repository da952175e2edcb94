package sql

// ParseExpr parses a single scalar expression.
func ParseExpr(src string) (e Expr, err error) {
	p := &parser{toks: lex(src)}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			e, err = nil, ErrorList{b.err}
		}
	}()
	e = p.expr()
	if p.tok().kind != tokEOF {
		p.fail("end of expression")
	}
	return e, nil
}

// BindExpr parses and type-checks a scalar expression over a row of the given columns
// (referenced by name), e.g. for tests of expression evaluation.
func BindExpr(src string, columns []Column) (r Rex, err error) {
	e, err := ParseExpr(src)
	if err != nil {
		return nil, err
	}
	sc := &scope{}
	for _, c := range columns {
		sc.add("", c.Name, c.Type)
	}
	b := &binder{cat: newCatalog(), scans: map[*Table]Rel{}}
	if !try(func() { r = b.expr(&exprCtx{sc: sc}, e) }) {
		// Bind again under guard to capture the error.
		b.guard(func() { b.expr(&exprCtx{sc: sc}, e) })
		return nil, b.errs
	}
	return r, nil
}
