package sql

import "fmt"

// materializeKeys turns equality conjuncts between expressions of the two sides (such as
// MOD(b.auction, 10000) = s.key) into join keys: each side computes its expressions as extra
// columns, which a projection over the join removes again. It returns jr itself when there is
// nothing to compute.
func materializeKeys(jr *JoinRel) Rel {
	if jr.Cond == nil {
		return jr
	}
	n, m := len(jr.Left.Columns()), len(jr.Right.Columns())
	var lx, rx []Rex
	for _, c := range conjuncts(jr.Cond) {
		call, ok := c.(*RexCall)
		if !ok || call.Op != "=" {
			continue
		}
		a, b := call.Args[0], call.Args[1]
		if side(b, n) == 1 && side(a, n) == 2 {
			a, b = b, a
		}
		_, aCol := a.(*RexInput)
		_, bCol := b.(*RexInput)
		if side(a, n) != 1 || side(b, n) != 2 || aCol && bCol {
			continue
		}
		lx = append(lx, a)
		rx = append(rx, shiftRex(b, func(i int) int { return i - n }))
	}
	if len(lx) == 0 {
		return jr
	}
	k := len(lx)
	out := &JoinRel{Kind: jr.Kind, Temporal: jr.Temporal,
		Left: extend(jr.Left, lx), Right: extend(jr.Right, rx)}
	cond := []Rex{shiftRex(jr.Cond, func(i int) int {
		if i >= n {
			return i + k
		}
		return i
	})}
	for i := range k {
		l := &RexInput{Index: n + i, T: lx[i].Type()}
		r := &RexInput{Index: n + k + m + i, T: rx[i].Type()}
		cond = append(cond, &RexCall{Op: "=", Args: []Rex{l, r}, T: tBoolean.nullable(true)})
	}
	out.Cond = andAll(cond)
	splitJoinKeys(out)
	detectInterval(out)
	cols := out.Columns()
	p := &Project{Input: out}
	for i, c := range cols {
		if i >= n && i < n+k || i >= n+k+m {
			continue
		}
		p.Exprs = append(p.Exprs, &RexInput{Index: i, T: c.Type})
		p.Names = append(p.Names, c.Name)
	}
	return p
}

// side is 1 when r uses only columns below n, 2 when only columns from n, 0 otherwise.
func side(r Rex, n int) int {
	refs := map[int]bool{}
	inputRefs(r, refs)
	s := 0
	for i := range refs {
		cur := 1
		if i >= n {
			cur = 2
		}
		if s != 0 && s != cur {
			return 0
		}
		s = cur
	}
	return s
}

// extend appends computed columns to rel.
func extend(rel Rel, extra []Rex) Rel {
	p := &Project{Input: rel}
	for i, c := range rel.Columns() {
		p.Exprs = append(p.Exprs, &RexInput{Index: i, T: c.Type})
		p.Names = append(p.Names, c.Name)
	}
	for i, e := range extra {
		p.Exprs = append(p.Exprs, e)
		p.Names = append(p.Names, fmt.Sprintf("$jk%d", i))
	}
	return p
}

// joinOf returns the join under a materializeKeys projection.
func joinOf(rel Rel) *JoinRel {
	if p, ok := rel.(*Project); ok {
		rel = p.Input
	}
	return rel.(*JoinRel)
}
