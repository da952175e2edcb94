package sql

import (
	"fmt"
	"strconv"
)

// selectRel binds SELECT ... FROM ... WHERE ... GROUP BY ... HAVING ...
func (b *binder) selectRel(s *Select) Rel {
	var rel Rel = &ValuesRel{Rows: [][]Rex{{}}}
	sc := &scope{}
	if s.From != nil {
		rel, sc = b.from(s.From)
	}
	if s.Where != nil {
		cond := b.expr(&exprCtx{sc: sc}, s.Where)
		b.want(s.Where, cond.Type(), cond.Type().isBool(), "BOOLEAN")
		rel = b.filter(rel, cond, s.Where)
	}
	items := b.expandStars(s, sc)
	aggregated := len(s.GroupBy) > 0 || s.Having != nil
	for _, it := range items {
		aggregated = aggregated || hasAggregate(it.Expr)
	}
	if aggregated {
		rel = b.aggregateSelect(s, rel, sc, items)
	} else {
		rel = b.plainSelect(rel, sc, items)
	}
	if s.Distinct {
		rel = distinct(rel)
	}
	return rel
}

// filter adds a WHERE condition; on an inner join it becomes part of the join condition (or a
// filter of one side) so comma joins get their equi-join keys.
func (b *binder) filter(rel Rel, cond Rex, where Expr) Rel {
	if out, ok := topN(rel, cond); ok {
		return out
	}
	jr, ok := rel.(*JoinRel)
	if !ok || jr.Kind != "INNER" {
		return &Filter{Input: rel, Cond: cond}
	}
	n := len(jr.Left.Columns())
	var left, right, both []Rex
	for _, c := range conjuncts(cond) {
		refs := map[int]bool{}
		inputRefs(c, refs)
		onLeft, onRight := false, false
		for i := range refs {
			onLeft, onRight = onLeft || i < n, onRight || i >= n
		}
		switch {
		case onLeft && !onRight:
			left = append(left, c)
		case onRight && !onLeft:
			right = append(right, shiftRex(c, func(i int) int { return i - n }))
		default:
			both = append(both, c)
		}
	}
	out := &JoinRel{Kind: jr.Kind, Left: jr.Left, Right: jr.Right, Cond: jr.Cond, Temporal: jr.Temporal}
	if len(left) > 0 {
		out.Left = &Filter{Input: jr.Left, Cond: andAll(left)}
	}
	if len(right) > 0 {
		out.Right = &Filter{Input: jr.Right, Cond: andAll(right)}
	}
	if len(both) > 0 {
		out.Cond = andAll(append(conjuncts0(jr.Cond), both...))
	}
	splitJoinKeys(out)
	detectInterval(out)
	return materializeKeys(out)
}

func conjuncts0(r Rex) []Rex {
	if r == nil {
		return nil
	}
	return conjuncts(r)
}

// expandStars replaces * and t.* with the columns they stand for.
func (b *binder) expandStars(s *Select, sc *scope) []*SelectItem {
	var out []*SelectItem
	for _, it := range s.Items {
		star, ok := it.Expr.(*Star)
		if !ok {
			out = append(out, it)
			continue
		}
		n := 0
		for _, c := range sc.cols {
			if star.Qualifier != nil && c.qual != star.Qualifier.Name {
				continue
			}
			parts := []*Ident{{Name: c.name, Sp: star.Sp}}
			if c.qual != "" {
				parts = append([]*Ident{{Name: c.qual, Sp: star.Sp}}, parts...)
			}
			out = append(out, &SelectItem{Expr: &ColumnRef{Parts: parts, Sp: star.Sp}})
			n++
		}
		if n == 0 && star.Qualifier != nil {
			b.fail(ErrUnknownName, star.Qualifier.Sp, "unknown table or alias %s%s", star.Qualifier.Name, sc.qualHint(star.Qualifier.Name))
		}
	}
	return out
}

// itemName is the output column name of a select item.
func itemName(it *SelectItem, i int) string {
	if it.Alias != nil {
		return it.Alias.Name
	}
	if ref, ok := it.Expr.(*ColumnRef); ok {
		return ref.Parts[len(ref.Parts)-1].Name
	}
	return "EXPR$" + strconv.Itoa(i)
}

func (b *binder) project(rel Rel, ctx *exprCtx, items []*SelectItem) *Project {
	p := &Project{Input: rel}
	seen := map[string]int{}
	for i, it := range items {
		p.Exprs = append(p.Exprs, b.expr(ctx, it.Expr))
		name := itemName(it, i)
		if seen[name] > 0 {
			name = fmt.Sprintf("%s%d", name, seen[name])
		}
		seen[name]++
		p.Names = append(p.Names, name)
	}
	return p
}

func (b *binder) plainSelect(rel Rel, sc *scope, items []*SelectItem) Rel {
	ctx := &exprCtx{sc: sc, over: &overCtx{}}
	p := b.project(rel, ctx, items)
	if o := ctx.over; o.used {
		rank := &Rank{Input: rel, Partition: o.partition, Order: o.order, RowNumber: true, sp: o.sp}
		for i, e := range p.Exprs {
			if in, ok := e.(*RexInput); ok && in.Index == o.index {
				rank.rnName = p.Names[i]
			}
		}
		if rank.rnName == "" {
			rank.rnName = "$row_number"
		}
		p.Input = rank
	}
	return p
}

// topN recognises WHERE rn <= N (or rn < N, rn = 1) over a subquery selecting
// ROW_NUMBER() OVER (...) AS rn and sets the Rank's limit instead of filtering.
func topN(rel Rel, cond Rex) (Rel, bool) {
	p, ok := rel.(*Project)
	if !ok {
		return nil, false
	}
	rank, ok := p.Input.(*Rank)
	if !ok || !rank.RowNumber || rank.Limit > 0 {
		return nil, false
	}
	rn := len(rank.Input.Columns())
	var rest []Rex
	var limit int64
	for _, c := range conjuncts(cond) {
		if n := rowNumberBound(p, rn, c); n > 0 && limit == 0 {
			limit = n
			continue
		}
		rest = append(rest, c)
	}
	if limit == 0 {
		return nil, false
	}
	// Copy the rank and its projection: a view may be filtered differently elsewhere.
	limited := *rank
	limited.Limit = limit
	proj := &Project{Input: &limited, Exprs: p.Exprs, Names: p.Names}
	if len(rest) > 0 {
		return &Filter{Input: proj, Cond: andAll(rest)}, true
	}
	return proj, true
}

// rowNumberBound returns N when c is rn <= N, rn < N+1 or rn = 1 on the row-number column.
func rowNumberBound(p *Project, rn int, c Rex) int64 {
	call, ok := c.(*RexCall)
	if !ok || len(call.Args) != 2 {
		return 0
	}
	in, ok := call.Args[0].(*RexInput)
	lit, ok2 := call.Args[1].(*RexLiteral)
	if !ok || !ok2 || in.Index >= len(p.Exprs) {
		return 0
	}
	src, ok := p.Exprs[in.Index].(*RexInput)
	n, ok3 := lit.Value.(int64)
	if !ok || src.Index != rn || !ok3 {
		return 0
	}
	switch {
	case call.Op == "<=" && n > 0:
		return n
	case call.Op == "<" && n > 1:
		return n - 1
	case call.Op == "=" && n == 1:
		return 1
	}
	return 0
}

func (b *binder) aggregateSelect(s *Select, rel Rel, sc *scope, items []*SelectItem) Rel {
	groupBy := s.GroupBy
	var win *FuncCall
	if win, groupBy = groupWindow(groupBy); win != nil {
		rel, sc = b.legacyWindow(win, rel, sc)
	}
	a := newAggCtx(&exprCtx{sc: sc})
	a.grouped = len(s.GroupBy) > 0
	for _, g := range groupBy {
		b.addKey(a, g)
	}
	if win != nil {
		n := len(sc.cols)
		a.windowStart = b.addKeyRex(a, &RexInput{Index: n - 3, T: sc.cols[n-3].t}, "window_start")
		a.windowEnd = b.addKeyRex(a, &RexInput{Index: n - 2, T: sc.cols[n-2].t}, "window_end")
	}
	ctx := &exprCtx{sc: sc, agg: a}
	p := b.project(nil, ctx, items)
	var having Rex
	if s.Having != nil {
		having = b.expr(ctx, s.Having)
		b.want(s.Having, having.Type(), having.Type().isBool(), "BOOLEAN")
	}
	agg := &Aggregate{Input: &Project{Input: rel, Exprs: a.pre, Names: a.preNames}, Aggs: a.aggs}
	for i := range a.keyTypes {
		agg.Keys = append(agg.Keys, i)
		agg.cols = append(agg.cols, Column{Name: a.keyNames[i], Type: a.keyTypes[i].plain()})
	}
	for _, c := range a.aggs {
		agg.cols = append(agg.cols, Column{Name: c.Name, Type: c.T})
	}
	b.windowOf(agg, a, sc, s)
	var out Rel = agg
	if having != nil {
		out = &Filter{Input: out, Cond: having}
	}
	p.Input = out
	return p
}

// windowOf makes agg a window aggregation when its keys include window_start and window_end
// of one window TVF.
func (b *binder) windowOf(agg *Aggregate, a *aggCtx, sc *scope, s *Select) {
	start, end := -1, -1
	var wa *WindowAssign
	for k, r := range a.pre[:len(a.keyTypes)] {
		in, ok := r.(*RexInput)
		if !ok || sc.cols[in.Index].window == nil {
			continue
		}
		switch sc.cols[in.Index].name {
		case "window_start":
			start, wa = k, sc.cols[in.Index].window
		case "window_end":
			end, wa = k, sc.cols[in.Index].window
		}
	}
	if wa == nil {
		return
	}
	if start < 0 || end < 0 {
		b.fail(ErrUnsupported, s.Sp, "a window aggregation must GROUP BY both window_start and window_end")
	}
	agg.Window, agg.WindowStart, agg.WindowEnd = wa, start, end
	for i := range agg.cols {
		if i == start || i == end {
			agg.cols[i].Type = Type{LogicalType: agg.cols[i].Type.LogicalType}
		}
	}
}
