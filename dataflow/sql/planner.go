package sql

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/flowplane/flowplane/dataflow"
)

// CompileOptions tune the job graph.
type CompileOptions struct {
	// Name names the job graph.
	Name string
	// Parallelism of every vertex that can run in parallel (default 1). Vertices that must see
	// all rows (global aggregates and Top-N, joins without equality keys, VALUES) run with 1.
	Parallelism int
}

// Compile validates a script and plans its INSERT statements (a statement set when there are
// several) into one job graph. Diagnostics are those of Validate, plus planning problems; the
// graph is nil whenever there are diagnostics. EXPLAIN statements are refused: use Explain.
func Compile(src string, opts CompileOptions) (*dataflow.JobGraph, []Diagnostic) {
	prog, err := Analyze(src)
	return compileProgram(prog, err, opts)
}

// compileProgram plans an analyzed program; err is what the analysis returned.
func compileProgram(prog *Program, err error, opts CompileOptions) (*dataflow.JobGraph, []Diagnostic) {
	if err != nil {
		return nil, Diagnostics(err)
	}
	if prog.Explain {
		return nil, []Diagnostic{{Message: "EXPLAIN statements cannot be deployed", Line: 1, Column: 1, EndLine: 1, EndColumn: 1}}
	}
	g, perr := Plan(prog, opts)
	if perr != nil {
		return nil, Diagnostics(perr)
	}
	return g, nil
}

// Plan translates a bound program into a job graph.
func Plan(prog *Program, opts CompileOptions) (g *dataflow.JobGraph, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			g, err = nil, b.err
		}
	}()
	if opts.Parallelism < 1 {
		opts.Parallelism = 1
	}
	if opts.Name == "" {
		opts.Name = "sql"
	}
	p := &planner{b: dataflow.NewGraphBuilder(opts.Name), par: opts.Parallelism,
		refs: map[any]int{}, shared: map[any]*stream{}}
	for _, s := range prog.Sinks {
		p.count(s)
	}
	for _, s := range prog.Sinks {
		p.sink(s)
	}
	g, err = p.b.Build()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPlan, err)
	}
	return g, nil
}

// ErrPlan marks an internal planning failure (a bug: bound programs always plan).
var ErrPlan = errors.New("planning failed")

// stream is the output of a planned relation: the vertex producing it (nil until an operator
// needs one; then it is connected forward from upstream), its parallelism, columns and a
// pending calc (filter and projection) not yet added to the vertex.
type stream struct {
	v        *dataflow.VertexBuilder
	upstream *stream
	par      int
	cols     []Column
	updating bool
	calc     *CalcConfig
}

type planner struct {
	b      *dataflow.GraphBuilder
	par    int
	n      int
	refs   map[any]int
	shared map[any]*stream
}

// key identifies a relation for sharing: the binder shares each table's scan, and equal
// aggregates (the same plan over the same inputs, as q5's two identical HOP counts) are planned
// once and shared, as Flink's sub-plan reuse does.
func key(r Rel) any {
	if a, ok := r.(*Aggregate); ok {
		if k, ok := aggregateKey(a); ok {
			return k
		}
	}
	return r
}

// planKey is the structural identity of a shared aggregate.
type planKey string

// aggregateKey renders a's whole plan with its window and output columns; subtrees with
// VALUES (rendered without their rows) or non-deterministic functions are not shared.
func aggregateKey(a *Aggregate) (planKey, bool) {
	s := ExplainRel(a)
	for _, bad := range []string{"Values(", "RAND", "UUID", "NOW(", "CURRENT_", "LOCALTIME", "PROCTIME"} {
		if strings.Contains(s, bad) {
			return "", false
		}
	}
	w := ""
	if a.Window != nil {
		w = a.Window.describe()
	}
	return planKey(fmt.Sprintf("%s|%s|%d|%d|%v", s, w, a.WindowStart, a.WindowEnd, a.Columns())), true
}

func (p *planner) count(r Rel) {
	k := key(r)
	p.refs[k]++
	if p.refs[k] > 1 {
		return
	}
	for _, in := range r.Inputs() {
		p.count(in)
	}
}

func (p *planner) vertex(kind string, par int) *dataflow.VertexBuilder {
	p.n++
	return p.b.Vertex(dataflow.VertexID(kind+"-"+strconv.Itoa(p.n)), par)
}

// ensureVertex gives s a vertex, connected forward from its upstream when it has none.
func (p *planner) ensureVertex(s *stream, kind string) {
	if s.v != nil {
		return
	}
	s.v = p.vertex(kind, s.par)
	p.connect(s.upstream, s.v, dataflow.ForwardEdge)
}

// flush adds s's pending calc to its vertex.
func (p *planner) flush(s *stream) {
	if s.calc == nil {
		return
	}
	p.ensureVertex(s, "calc")
	for _, f := range edgeSchema(s.cols, false).Fields {
		s.calc.Names = append(s.calc.Names, f.Name)
	}
	s.v.Op(KindCalc, s.calc)
	s.calc = nil
}

// op appends an operator to s's chain.
func (p *planner) op(s *stream, kind string, cfg any) {
	p.flush(s)
	p.ensureVertex(s, kindName(kind))
	s.v.Op(kind, cfg)
}

// connect adds an edge from s (flushed) into vertex to.
func (p *planner) connect(s *stream, to *dataflow.VertexBuilder, part dataflow.EdgePartitioning) {
	p.flush(s)
	if s.v == nil {
		p.connect(s.upstream, to, part)
		return
	}
	p.b.Connect(s.v, to, part, edgeSchema(s.cols, s.updating))
}

// exchange starts a new vertex fed by the inputs with hash partitioning on keys (one key list
// per input); with no keys the vertex runs with parallelism 1.
func (p *planner) exchange(kind string, ins []*stream, keys [][]int) (*dataflow.VertexBuilder, int) {
	par := p.par
	for _, k := range keys {
		if len(k) == 0 {
			par = 1
		}
	}
	v := p.vertex(kind, par)
	for i, s := range ins {
		part := dataflow.RebalanceEdge
		switch {
		case par > 1:
			schema := edgeSchema(s.cols, s.updating)
			names := make([]string, len(keys[i]))
			for j, k := range keys[i] {
				names[j] = schema.Fields[k].Name
			}
			part = dataflow.HashOn(names...)
		case s.par == par:
			part = dataflow.ForwardEdge
		}
		p.connect(s, v, part)
	}
	return v, par
}

// plan translates r, sharing relations referenced more than once.
func (p *planner) plan(r Rel) *stream {
	k := key(r)
	if p.refs[k] <= 1 {
		return p.translate(r)
	}
	s := p.shared[k]
	if s == nil {
		s = p.translate(r)
		p.flush(s)
		p.shared[k] = s
	}
	return &stream{upstream: s, par: s.par, cols: s.cols, updating: s.updating}
}

// edgeSchema is the schema of rows on an edge: the columns with unique names, the first
// rowtime column as event time, and for changelogs a trailing $row_kind column.
func edgeSchema(cols []Column, updating bool) dataflow.Schema {
	var s dataflow.Schema
	seen := map[string]int{}
	for _, c := range cols {
		name := c.Name
		for seen[name] > 0 {
			name = fmt.Sprintf("%s$%d", c.Name, seen[c.Name])
			seen[c.Name]++
		}
		seen[name]++
		t := c.Type.LogicalType
		if c.Type.Null {
			t = dataflow.Int
		}
		s.Fields = append(s.Fields, dataflow.Field{Name: name, Type: t, Nullable: c.Type.Nullable})
		if c.Type.TimeAttr == RowTime && s.EventTime == "" && !updating {
			s.EventTime = name
		}
	}
	if updating {
		s.Fields = append(s.Fields, dataflow.Field{Name: RowKindColumn, Type: dataflow.LogicalType{Kind: dataflow.TypeTinyInt}})
	}
	return s
}
