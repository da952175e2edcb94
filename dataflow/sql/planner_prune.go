package sql

import "github.com/flowplane/flowplane/dataflow"

// prunedJoin plans a projection over an append-only join that keeps only some of the join's
// input columns by projecting them away before the join: the join then neither ships, boxes,
// stores nor copies into its output the columns nobody reads (the auctions' descriptions, the
// bids' urls). It returns nil when nothing can be pruned.
func (p *planner) prunedJoin(r *Project) *stream {
	j, ok := r.Input.(*JoinRel)
	if !ok || p.refs[key(j)] > 1 || j.Temporal != nil || j.Updating() || j.Left.Updating() || j.Right.Updating() {
		return nil
	}
	nl, nr := len(j.Left.Columns()), len(j.Right.Columns())
	used := map[int]bool{}
	for _, e := range r.Exprs {
		inputRefs(e, used)
	}
	if j.Cond != nil {
		inputRefs(j.Cond, used)
	}
	for _, k := range j.LeftKeys {
		used[k] = true
	}
	for _, k := range j.RightKeys {
		used[nl+k] = true
	}
	if iv := j.Interval; iv != nil {
		used[iv.LeftTime], used[nl+iv.RightTime] = true, true
	}
	if !worthPruning(append(append([]Column(nil), j.Left.Columns()...), j.Right.Columns()...), used) {
		return nil
	}
	remap := make(map[int]int, len(used)) // join input column -> pruned join column
	var keepL, keepR []int
	for i := range nl + nr {
		switch {
		case !used[i]:
		case i < nl:
			remap[i] = len(keepL)
			keepL = append(keepL, i)
		default:
			keepR = append(keepR, i-nl)
		}
	}
	for k, i := range keepR {
		remap[nl+i] = len(keepL) + k
	}
	l, rt := p.plan(j.Left), p.plan(j.Right)
	prune(l, keepL)
	prune(rt, keepR)
	at := func(i int) int { return remap[i] }
	cfg := JoinConfig{Kind: j.Kind, LeftKeys: remapAll(j.LeftKeys, at), RightKeys: remapAll(j.RightKeys, func(i int) int { return remap[nl+i] - len(keepL) }),
		LeftColumns: len(l.cols), RightColumns: len(rt.cols), Updating: false,
		Columns: columnSpecs(append(append([]Column(nil), l.cols...), rt.cols...))}
	if j.Cond != nil {
		cfg.Condition = shiftRex(j.Cond, at)
	}
	if iv := j.Interval; iv != nil {
		cfg.Interval = &IntervalSpec{LeftTime: remap[iv.LeftTime], RightTime: remap[nl+iv.RightTime] - len(keepL),
			LowerMs: iv.LowerMs, UpperMs: iv.UpperMs}
	}
	v, par := p.exchange("join", []*stream{l, rt}, [][]int{cfg.LeftKeys, cfg.RightKeys})
	v.Op(KindJoin, cfg)
	all := j.Columns()
	var cols []Column
	for _, i := range append(append([]int(nil), keepL...), addAll(keepR, nl)...) {
		cols = append(cols, all[i])
	}
	s := &stream{v: v, par: par, cols: cols}
	proj := make([]Rex, len(r.Exprs))
	for i, e := range r.Exprs {
		proj[i] = shiftRex(e, at)
	}
	addProject(s, proj)
	s.cols = r.Columns()
	return s
}

// prune keeps only the columns keep of s.
func prune(s *stream, keep []int) {
	if len(keep) == len(s.cols) {
		return
	}
	exprs := make([]Rex, len(keep))
	cols := make([]Column, len(keep))
	for k, i := range keep {
		exprs[k], cols[k] = &RexInput{Index: i, T: s.cols[i].Type}, s.cols[i]
	}
	addProject(s, exprs)
	s.cols = cols
}

func remapAll(idx []int, f func(int) int) []int {
	if idx == nil {
		return nil
	}
	out := make([]int, len(idx))
	for i, x := range idx {
		out[i] = f(x)
	}
	return out
}

func addAll(idx []int, d int) []int {
	out := make([]int, len(idx))
	for i, x := range idx {
		out[i] = x + d
	}
	return out
}

// worthPruning reports whether dropping the unused columns saves more than the extra
// projection costs: a string column, or a quarter of the columns.
func worthPruning(cols []Column, used map[int]bool) bool {
	unused := 0
	for i, c := range cols {
		if used[i] {
			continue
		}
		if k := c.Type.Kind; k == dataflow.TypeString || k == dataflow.TypeBytes {
			return true
		}
		unused++
	}
	return unused > 0 && unused*4 >= len(cols)
}
