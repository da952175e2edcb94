package sql

import (
	"strconv"
)

// query binds a query to a logical plan.
func (b *binder) query(q *Query) Rel {
	if len(q.With) > 0 {
		ctes := map[string]Rel{}
		b.ctes = append(b.ctes, ctes)
		defer func() { b.ctes = b.ctes[:len(b.ctes)-1] }()
		for _, c := range q.With {
			ctes[c.Name.Name] = b.query(c.Query)
		}
	}
	rel := b.body(q.Body)
	if len(q.OrderBy) == 0 && q.Limit == nil {
		return rel
	}
	rank := &Rank{Input: rel, sp: q.Sp}
	sc := scopeOf(rel, "")
	for _, it := range q.OrderBy {
		k := SortKey{Col: b.columnOf(&exprCtx{sc: sc}, it.Expr, "ORDER BY"), Desc: it.Desc, NullsFirst: !it.Desc}
		if it.NullsFirst != nil {
			k.NullsFirst = *it.NullsFirst
		}
		rank.Order = append(rank.Order, k)
	}
	if q.Limit == nil {
		b.fail(ErrUnsupported, q.Sp, "ORDER BY without LIMIT is not supported on unbounded streams")
	}
	var n int64
	var err error
	if lit, ok := q.Limit.(*NumberLit); ok {
		n, err = strconv.ParseInt(lit.Text, 10, 64)
	}
	if err != nil || n <= 0 {
		b.fail(ErrType, q.Limit.Pos(), "LIMIT must be a positive integer")
	}
	rank.Limit = n
	return rank
}

func (b *binder) body(body QueryBody) Rel {
	switch body := body.(type) {
	case *Select:
		return b.selectRel(body)
	case *Query:
		return b.query(body)
	case *Values:
		return b.values(body)
	case *SetOp:
		return b.setOp(body)
	}
	return nil
}

func (b *binder) setOp(s *SetOp) Rel {
	if s.Op != "UNION" {
		b.fail(ErrUnsupported, s.Sp, "%s is not supported; only UNION and UNION ALL", s.Op)
	}
	left, right := b.body(s.Left), b.body(s.Right)
	lc, rc := left.Columns(), right.Columns()
	if len(lc) != len(rc) {
		b.fail(ErrType, s.Right.Pos(), "UNION inputs have %d and %d columns", len(lc), len(rc))
	}
	types := make([]Type, len(lc))
	for i := range lc {
		t, ok := commonType(lc[i].Type, rc[i].Type)
		if !ok {
			b.fail(ErrType, s.Right.Pos(), "UNION column %d has types %s and %s", i+1,
				describeTypes([]Type{lc[i].Type}), describeTypes([]Type{rc[i].Type}))
		}
		types[i] = t
	}
	var rels []Rel
	for _, in := range []Rel{left, right} {
		in = castColumns(in, types, lc)
		if u, ok := in.(*Union); ok {
			rels = append(rels, u.Rels...)
		} else {
			rels = append(rels, in)
		}
	}
	var out Rel = &Union{Rels: rels}
	if !s.All {
		out = distinct(out)
	}
	return out
}

// castColumns projects rel to the given column types (names from names) when they differ.
func castColumns(rel Rel, types []Type, names []Column) Rel {
	cols := rel.Columns()
	same := true
	for i, c := range cols {
		same = same && c.Type.LogicalType == types[i].LogicalType
	}
	if same {
		return rel
	}
	p := &Project{Input: rel}
	for i, c := range cols {
		p.Exprs = append(p.Exprs, castTo(&RexInput{Index: i, T: c.Type}, types[i].nullable(c.Type.Nullable)))
		p.Names = append(p.Names, names[i].Name)
	}
	return p
}

// distinct groups by every column.
func distinct(rel Rel) Rel {
	cols := rel.Columns()
	agg := &Aggregate{Input: rel, cols: cols}
	for i := range cols {
		agg.Keys = append(agg.Keys, i)
	}
	return agg
}

func (b *binder) values(v *Values) Rel {
	out := &ValuesRel{}
	ctx := &exprCtx{sc: &scope{}}
	var types []Type
	for ri, row := range v.Rows {
		var bound []Rex
		for i, e := range row {
			r := b.expr(ctx, e)
			bound = append(bound, r)
			if ri == 0 {
				types = append(types, r.Type().plain())
				continue
			}
			if i >= len(types) {
				b.fail(ErrType, e.Pos(), "VALUES rows have different numbers of columns")
			}
			t, ok := commonType(types[i], r.Type())
			if !ok {
				b.fail(ErrType, e.Pos(), "VALUES column %d mixes %s and %s", i+1, describeTypes([]Type{types[i]}), describeTypes([]Type{r.Type()}))
			}
			types[i] = t
		}
		if len(bound) != len(types) {
			b.fail(ErrType, v.Sp, "VALUES rows have different numbers of columns")
		}
		out.Rows = append(out.Rows, bound)
	}
	for i, t := range types {
		out.cols = append(out.cols, Column{Name: "EXPR$" + strconv.Itoa(i), Type: t})
	}
	for _, row := range out.Rows {
		for i, r := range row {
			if lit, ok := r.(*RexLiteral); ok && lit.Value == nil && !types[i].Null {
				row[i] = &RexLiteral{T: types[i].nullable(true)}
			}
		}
	}
	return out
}
