package sql

import "github.com/flowplane/flowplane/dataflow"

// translate plans one relation.
func (p *planner) translate(r Rel) *stream {
	switch r := r.(type) {
	case *Scan:
		t := r.Table
		v := p.vertex("source-"+t.Name, p.par)
		v.Op(KindSource, SourceConfig{Table: t.Name, Connector: t.Connector, Options: t.Options, Columns: columnSpecs(r.Columns())})
		return &stream{v: v, par: p.par, cols: r.Columns()}
	case *ValuesRel:
		v := p.vertex("values", 1)
		v.Op(KindValues, ValuesConfig{Rows: r.Rows, Columns: columnSpecs(r.Columns())})
		return &stream{v: v, par: 1, cols: r.Columns()}
	case *WatermarkRel:
		s := p.plan(r.Input)
		p.op(s, KindWatermark, WatermarkConfig{Rowtime: r.Rowtime, Expr: r.Expr})
		s.cols = r.Columns()
		return s
	case *Filter:
		s := p.plan(r.Input)
		addFilter(s, r.Cond)
		return s
	case *Project:
		if s := p.prunedWindow(r); s != nil {
			return s
		}
		if s := p.prunedJoin(r); s != nil {
			return s
		}
		s := p.plan(r.Input)
		addProject(s, r.Exprs)
		s.cols = r.Columns()
		return s
	case *WindowAssign:
		s := p.plan(r.Input)
		p.op(s, KindWindowAssign, WindowAssignConfig{Kind: r.Kind, TimeCol: r.TimeCol, SizeMs: r.SizeMs, SlideMs: r.SlideMs, OffsetMs: r.Offset, ProcTime: r.ProcTime})
		s.cols = r.Columns()
		return s
	case *Aggregate:
		return p.aggregate(r)
	case *JoinRel:
		l, rt := p.plan(r.Left), p.plan(r.Right)
		v, par := p.exchange("join", []*stream{l, rt}, [][]int{r.LeftKeys, r.RightKeys})
		cfg := JoinConfig{Kind: r.Kind, LeftKeys: r.LeftKeys, RightKeys: r.RightKeys, Condition: r.Cond,
			LeftColumns: len(l.cols), RightColumns: len(rt.cols), Updating: r.Updating(),
			Columns: columnSpecs(append(append([]Column(nil), l.cols...), rt.cols...))}
		if iv := r.Interval; iv != nil {
			cfg.Interval = &IntervalSpec{LeftTime: iv.LeftTime, RightTime: iv.RightTime, LowerMs: iv.LowerMs, UpperMs: iv.UpperMs}
		}
		if tj := r.Temporal; tj != nil {
			cfg.Temporal = &TemporalJoinSpec{LeftTime: tj.LeftTime, ProcTime: tj.ProcTime}
		}
		v.Op(KindJoin, cfg)
		return &stream{v: v, par: par, cols: r.Columns(), updating: r.Updating()}
	case *Rank:
		s := p.plan(r.Input)
		v, par := p.exchange("rank", []*stream{s}, [][]int{r.Partition})
		cfg := RankConfig{Partition: r.Partition, Limit: r.Limit, RowNumber: r.RowNumber}
		for _, k := range r.Order {
			cfg.Order = append(cfg.Order, SortKeySpec(k))
		}
		v.Op(KindRank, cfg)
		return &stream{v: v, par: par, cols: r.Columns(), updating: true}
	case *Union:
		return p.union(r)
	case *Sink:
		return p.sink(r)
	}
	panic(bailout{errorf(ErrPlan, Span{}, "cannot plan %T", r)})
}

func (p *planner) sink(r *Sink) *stream {
	s := p.plan(r.Input)
	t := r.Table
	var cols []Column
	for _, c := range t.Columns {
		if c.Computed == nil && !c.Virtual {
			cols = append(cols, Column{Name: c.Name, Type: c.Type})
		}
	}
	p.op(s, KindSink, SinkConfig{Table: t.Name, Connector: t.Connector, Options: t.Options,
		Columns: columnSpecs(cols), PrimaryKey: t.PrimaryKey, Updating: r.Input.Updating(), PartitionedBy: t.PartitionedBy})
	return s
}

func (p *planner) aggregate(r *Aggregate) *stream {
	s := p.plan(r.Input)
	cfg := AggregateConfig{Keys: r.Keys}
	for _, a := range r.Aggs {
		cfg.Aggs = append(cfg.Aggs, AggCallSpec{Func: a.Func, Args: a.Args, Distinct: a.Distinct, Filter: a.Filter, Type: a.T.LogicalType.String()})
	}
	hash := r.Keys
	kind := KindGroupAggregate
	if w := r.Window; w != nil {
		kind = KindWindowAggregate
		cfg.Window = &WindowBounds{Kind: w.Kind, StartKey: r.Keys[r.WindowStart], EndKey: r.Keys[r.WindowEnd],
			OutputStart: r.WindowStart, OutputEnd: r.WindowEnd, ProcTime: w.ProcTime}
		if w.Kind == "SESSION" {
			cfg.Window.SessionGap = w.SizeMs
		}
		hash = nil
		for i, k := range r.Keys {
			if i != r.WindowStart && i != r.WindowEnd {
				hash = append(hash, k)
			}
		}
		if len(hash) == 0 && w.Kind != "SESSION" {
			hash = []int{r.Keys[r.WindowStart], r.Keys[r.WindowEnd]}
		}
	}
	v, par := p.exchange(kindName(kind), []*stream{s}, [][]int{hash})
	v.Op(kind, cfg)
	return &stream{v: v, par: par, cols: r.Columns(), updating: r.Updating()}
}

func (p *planner) union(r *Union) *stream {
	var ins []*stream
	for _, in := range r.Rels {
		ins = append(ins, p.plan(in))
	}
	v := p.vertex("union", p.par)
	for _, s := range ins {
		part := dataflow.ForwardEdge
		if s.par != p.par {
			part = dataflow.RebalanceEdge
		}
		p.connect(s, v, part)
	}
	v.Op(KindUnion, nil)
	return &stream{v: v, par: p.par, cols: r.Columns(), updating: r.Updating()}
}

// columnSpecs describes columns with the unique names they have on edges.
func columnSpecs(cols []Column) []ColumnSpec {
	fields := edgeSchema(cols, false).Fields
	out := make([]ColumnSpec, len(cols))
	for i, f := range fields {
		out[i] = ColumnSpec{Name: f.Name, Type: f.Type.String(), Nullable: f.Nullable}
	}
	return out
}

// addFilter fuses a condition into s's pending calc.
func addFilter(s *stream, cond Rex) {
	if s.calc == nil {
		s.calc = &CalcConfig{Condition: cond, Projection: identity(s.cols)}
		return
	}
	cond = substitute(cond, s.calc.Projection)
	if s.calc.Condition == nil {
		s.calc.Condition = cond
	} else {
		s.calc.Condition = andAll([]Rex{s.calc.Condition, cond})
	}
}

// addProject fuses a projection into s's pending calc.
func addProject(s *stream, exprs []Rex) {
	if s.calc == nil {
		s.calc = &CalcConfig{Projection: exprs}
		return
	}
	out := make([]Rex, len(exprs))
	for i, e := range exprs {
		out[i] = substitute(e, s.calc.Projection)
	}
	s.calc.Projection = out
}

func identity(cols []Column) []Rex {
	out := make([]Rex, len(cols))
	for i, c := range cols {
		out[i] = &RexInput{Index: i, T: c.Type}
	}
	return out
}

// substitute replaces input references of r with the expressions they name.
func substitute(r Rex, proj []Rex) Rex {
	return replaceInputs(r, func(in *RexInput) Rex { return proj[in.Index] })
}

// prunedWindow plans a projection over a window TVF that keeps only some of the TVF's input
// columns by projecting them away before the window assignment, which copies each row once
// per window (and ships it to the aggregate). It returns nil when nothing can be pruned.
func (p *planner) prunedWindow(r *Project) *stream {
	wa, ok := r.Input.(*WindowAssign)
	if !ok || p.refs[key(wa)] > 1 {
		return nil
	}
	in := wa.Input.Columns()
	n := len(in)
	used := map[int]bool{wa.TimeCol: true}
	for _, k := range wa.Keys {
		used[k] = true
	}
	refs := map[int]bool{}
	for _, e := range r.Exprs {
		inputRefs(e, refs)
	}
	for i := range refs {
		if i < n {
			used[i] = true
		}
	}
	if len(used) == n {
		return nil
	}
	remap := make(map[int]int, len(used))
	var keep []Rex
	var cols []Column
	for i := range n {
		if used[i] {
			remap[i] = len(keep)
			keep = append(keep, &RexInput{Index: i, T: in[i].Type})
			cols = append(cols, in[i])
		}
	}
	s := p.plan(wa.Input)
	addProject(s, keep)
	s.cols = cols
	p.op(s, KindWindowAssign, WindowAssignConfig{Kind: wa.Kind, TimeCol: remap[wa.TimeCol], SizeMs: wa.SizeMs,
		SlideMs: wa.SlideMs, OffsetMs: wa.Offset, ProcTime: wa.ProcTime})
	s.cols = append(cols, wa.Columns()[n:]...)
	proj := make([]Rex, len(r.Exprs))
	for i, e := range r.Exprs {
		proj[i] = shiftRex(e, func(j int) int {
			if j < n {
				return remap[j]
			}
			return j - n + len(keep)
		})
	}
	addProject(s, proj)
	s.cols = r.Columns()
	return s
}
