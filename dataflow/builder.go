package dataflow

import (
	"encoding/json"
	"errors"
	"fmt"
)

// GraphBuilder assembles a JobGraph for tests and for the SQL planner:
//
//	b := dataflow.NewGraphBuilder("wordcount")
//	src := b.Vertex("source", 2).Op("sequence", SequenceConfig{Rows: 1000})
//	cnt := b.Vertex("count", 2).Op("keyed_count", KeyedCountConfig{Key: "k"})
//	b.Connect(src, cnt, dataflow.HashOn("k"), schema)
//	g, err := b.Build()
//
// Errors (such as a config that does not marshal) are collected and returned by Build.
type GraphBuilder struct {
	g    JobGraph
	errs []error
}

// VertexBuilder adds operators to one vertex of a GraphBuilder.
type VertexBuilder struct {
	b     *GraphBuilder
	index int
}

// EdgePartitioning is a partitioning with its key columns, for GraphBuilder.Connect.
type EdgePartitioning struct {
	Kind Partitioning
	Keys []string
}

// ForwardEdge, RebalanceEdge and BroadcastEdge are the keyless partitionings.
var (
	ForwardEdge   = EdgePartitioning{Kind: Forward}
	RebalanceEdge = EdgePartitioning{Kind: Rebalance}
	BroadcastEdge = EdgePartitioning{Kind: Broadcast}
)

// HashOn is hash partitioning on the given key columns.
func HashOn(keys ...string) EdgePartitioning { return EdgePartitioning{Kind: Hash, Keys: keys} }

// NewGraphBuilder starts an empty graph.
func NewGraphBuilder(name string) *GraphBuilder {
	return &GraphBuilder{g: JobGraph{Version: GraphVersion, Name: name}}
}

// Vertex adds a vertex with the given id and parallelism.
func (b *GraphBuilder) Vertex(id VertexID, parallelism int) *VertexBuilder {
	b.g.Vertices = append(b.g.Vertices, Vertex{ID: id, Name: string(id), Parallelism: parallelism})
	return &VertexBuilder{b: b, index: len(b.g.Vertices) - 1}
}

// ID returns the vertex id.
func (v *VertexBuilder) ID() VertexID { return v.b.g.Vertices[v.index].ID }

// Op appends an operator of the given kind to the chain; its id defaults to
// "<vertex>.<position>.<kind>", which is stable as long as the chain is.
func (v *VertexBuilder) Op(kind string, config any) *VertexBuilder {
	vx := &v.b.g.Vertices[v.index]
	return v.OpWithID(OperatorID(fmt.Sprintf("%s.%d.%s", vx.ID, len(vx.Operators), kind)), kind, config)
}

// OpWithID appends an operator with an explicit stable id.
func (v *VertexBuilder) OpWithID(id OperatorID, kind string, config any) *VertexBuilder {
	spec := OperatorSpec{ID: id, Kind: kind}
	if config != nil {
		raw, err := json.Marshal(config)
		if err != nil {
			v.b.errs = append(v.b.errs, fmt.Errorf("%w: operator %q config: %w", ErrInvalidGraph, id, err))
		}
		spec.Config = raw
	}
	vx := &v.b.g.Vertices[v.index]
	vx.Operators = append(vx.Operators, spec)
	return v
}

// Connect adds an edge from -> to carrying rows of the given schema; it feeds the next free
// input of to. The edge id is "<from>-><to>" (with "#<input>" appended for inputs after the first).
func (b *GraphBuilder) Connect(from, to *VertexBuilder, p EdgePartitioning, schema Schema) *GraphBuilder {
	input := len(b.g.Inputs(to.ID()))
	id := fmt.Sprintf("%s->%s", from.ID(), to.ID())
	if input > 0 {
		id = fmt.Sprintf("%s#%d", id, input)
	}
	b.g.Edges = append(b.g.Edges, Edge{
		ID: id, From: from.ID(), To: to.ID(), Input: input,
		Partitioning: p.Kind, Keys: append([]string(nil), p.Keys...), Schema: schema,
	})
	return b
}

// Build validates and returns the graph.
func (b *GraphBuilder) Build() (*JobGraph, error) {
	if err := errors.Join(b.errs...); err != nil {
		return nil, err
	}
	g := b.g
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}
