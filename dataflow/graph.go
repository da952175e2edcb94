package dataflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// GraphVersion is the version of the JobGraph JSON encoding this package writes and reads.
const GraphVersion = 1

// Sentinel errors of graph and schema validation; the concrete errors wrap them (match with
// errors.Is) and GraphError says where in the graph the problem is (match with errors.As).
var (
	ErrInvalidGraph  = errors.New("invalid job graph")
	ErrInvalidSchema = errors.New("invalid schema")
	ErrInvalidType   = errors.New("invalid logical type")
	ErrGraphVersion  = errors.New("unsupported job graph version")
)

// GraphError locates one validation problem: Path is e.g. `vertex "count"` or `edge "src->count"`.
type GraphError struct {
	Path string
	Err  error
}

func (e *GraphError) Error() string { return fmt.Sprintf("%s: %s: %v", ErrInvalidGraph, e.Path, e.Err) }

// Unwrap lets errors.Is match both ErrInvalidGraph and the underlying cause.
func (e *GraphError) Unwrap() []error { return []error{ErrInvalidGraph, e.Err} }

// VertexID is the stable id of a vertex, unique in its graph. It names the vertex in the execution
// graph and in checkpoints, so it must not change between versions of an application that want to
// keep state.
type VertexID string

// OperatorID is the stable id of one operator of a chain, unique in its graph; keyed state is
// stored under it.
type OperatorID string

// Partitioning says how an edge routes rows from producer subtasks to consumer subtasks.
type Partitioning string

// The partitionings of an edge.
const (
	// Forward sends subtask i's output to subtask i of the consumer (equal parallelism).
	Forward Partitioning = "forward"
	// Hash sends each row to the consumer subtask owning the hash of its key columns.
	Hash Partitioning = "hash"
	// Rebalance spreads batches round-robin over all consumer subtasks.
	Rebalance Partitioning = "rebalance"
	// Broadcast sends every batch to every consumer subtask.
	Broadcast Partitioning = "broadcast"
)

// OperatorSpec names an operator kind (see Registry) and its JSON configuration.
type OperatorSpec struct {
	ID     OperatorID      `json:"id"`
	Kind   string          `json:"kind"`
	Config json.RawMessage `json:"config,omitempty"`
}

// Vertex is a chain of operators run by Parallelism subtasks; the first operator receives the
// vertex's inputs, each next operator the previous one's output, and the last one's output goes
// to the vertex's outgoing edges.
type Vertex struct {
	ID          VertexID       `json:"id"`
	Name        string         `json:"name,omitempty"`
	Parallelism int            `json:"parallelism"`
	Operators   []OperatorSpec `json:"operators"`
}

// Edge connects the output of vertex From to input number Input of vertex To.
type Edge struct {
	ID           string       `json:"id"`
	From         VertexID     `json:"from"`
	To           VertexID     `json:"to"`
	Input        int          `json:"input"`
	Partitioning Partitioning `json:"partitioning"`
	Keys         []string     `json:"keys,omitempty"`
	Schema       Schema       `json:"schema"`
}

// JobGraph is the logical dataflow of a job: a DAG of vertices joined by edges. It is built by
// the SQL planner (or GraphBuilder in tests), stored by the control plane, expanded into subtasks
// by the scheduler and run by the workers, so it is plain JSON-serialisable data.
type JobGraph struct {
	Version  int      `json:"version"`
	Name     string   `json:"name,omitempty"`
	Vertices []Vertex `json:"vertices"`
	Edges    []Edge   `json:"edges"`
}

// DecodeGraph parses and validates a graph's JSON; unknown fields are rejected.
func DecodeGraph(data []byte) (*JobGraph, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g JobGraph
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidGraph, err)
	}
	if g.Version != GraphVersion {
		return nil, fmt.Errorf("%w: %d (this build reads %d)", ErrGraphVersion, g.Version, GraphVersion)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// Encode returns the graph's JSON.
func (g *JobGraph) Encode() ([]byte, error) { return json.Marshal(g) }

// Vertex returns the vertex with the given id.
func (g *JobGraph) Vertex(id VertexID) (*Vertex, bool) {
	for i := range g.Vertices {
		if g.Vertices[i].ID == id {
			return &g.Vertices[i], true
		}
	}
	return nil, false
}

// EdgeIndex returns the position of the edge with the given id in g.Edges, or -1. The exchange
// names edges by this position on the wire.
func (g *JobGraph) EdgeIndex(id string) int {
	for i := range g.Edges {
		if g.Edges[i].ID == id {
			return i
		}
	}
	return -1
}

// Inputs returns the indexes (into g.Edges) of the edges into v, ordered by Edge.Input.
func (g *JobGraph) Inputs(v VertexID) []int {
	var in []int
	for i, e := range g.Edges {
		if e.To == v {
			in = append(in, i)
		}
	}
	sort.Slice(in, func(a, b int) bool { return g.Edges[in[a]].Input < g.Edges[in[b]].Input })
	return in
}

// Outputs returns the indexes (into g.Edges) of the edges out of v, in graph order.
func (g *JobGraph) Outputs(v VertexID) []int {
	var out []int
	for i, e := range g.Edges {
		if e.From == v {
			out = append(out, i)
		}
	}
	return out
}

// MaxParallelism returns the largest vertex parallelism: the number of slots the job needs
// under slot sharing.
func (g *JobGraph) MaxParallelism() int {
	m := 0
	for _, v := range g.Vertices {
		m = max(m, v.Parallelism)
	}
	return m
}

// TopoOrder returns vertex ids so that every edge goes from an earlier to a later vertex, or an
// error if the graph has a cycle.
func (g *JobGraph) TopoOrder() ([]VertexID, error) {
	indeg := make(map[VertexID]int, len(g.Vertices))
	for _, e := range g.Edges {
		indeg[e.To]++
	}
	var queue, order []VertexID
	for _, v := range g.Vertices {
		if indeg[v.ID] == 0 {
			queue = append(queue, v.ID)
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		order = append(order, v)
		for _, e := range g.Edges {
			if e.From == v {
				if indeg[e.To]--; indeg[e.To] == 0 {
					queue = append(queue, e.To)
				}
			}
		}
	}
	if len(order) != len(g.Vertices) {
		return nil, &GraphError{Path: "graph", Err: errors.New("the graph has a cycle")}
	}
	return order, nil
}

// Validate checks the graph's structure and returns every problem found, joined; each is a
// *GraphError wrapping ErrInvalidGraph.
func (g *JobGraph) Validate() error {
	var errs []error
	add := func(path string, format string, args ...any) {
		errs = append(errs, &GraphError{Path: path, Err: fmt.Errorf(format, args...)})
	}
	if len(g.Vertices) == 0 {
		add("graph", "no vertices")
	}
	vertices := make(map[VertexID]*Vertex, len(g.Vertices))
	ops := make(map[OperatorID]VertexID)
	for i := range g.Vertices {
		v := &g.Vertices[i]
		path := fmt.Sprintf("vertex %q", v.ID)
		if v.ID == "" {
			add(fmt.Sprintf("vertex #%d", i), "empty id")
		} else if vertices[v.ID] != nil {
			add(path, "duplicate vertex id")
		}
		vertices[v.ID] = v
		if v.Parallelism < 1 {
			add(path, "parallelism %d, want >= 1", v.Parallelism)
		}
		if len(v.Operators) == 0 {
			add(path, "no operators")
		}
		for j, op := range v.Operators {
			switch {
			case op.ID == "":
				add(path, "operator #%d has an empty id", j)
			case ops[op.ID] != "":
				add(path, "operator id %q already used in vertex %q", op.ID, ops[op.ID])
			default:
				ops[op.ID] = v.ID
			}
			if op.Kind == "" {
				add(path, "operator #%d has no kind", j)
			}
			if len(op.Config) > 0 && !json.Valid(op.Config) {
				add(path, "operator %q config is not valid JSON", op.ID)
			}
		}
	}
	errs = append(errs, g.validateEdges(vertices)...)
	if len(errs) == 0 {
		if _, err := g.TopoOrder(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (g *JobGraph) validateEdges(vertices map[VertexID]*Vertex) []error {
	var errs []error
	edgeIDs := make(map[string]bool, len(g.Edges))
	inputs := make(map[VertexID]map[int]bool)
	for _, e := range g.Edges {
		path := fmt.Sprintf("edge %q", e.ID)
		fail := func(format string, args ...any) {
			errs = append(errs, &GraphError{Path: path, Err: fmt.Errorf(format, args...)})
		}
		if e.ID == "" {
			fail("empty id")
		} else if edgeIDs[e.ID] {
			fail("duplicate edge id")
		}
		edgeIDs[e.ID] = true
		from, to := vertices[e.From], vertices[e.To]
		if from == nil {
			fail("unknown source vertex %q", e.From)
		}
		if to == nil {
			fail("unknown target vertex %q", e.To)
		}
		if e.From == e.To && from != nil {
			fail("self loop on vertex %q", e.From)
		}
		if inputs[e.To] == nil {
			inputs[e.To] = make(map[int]bool)
		}
		if e.Input < 0 || inputs[e.To][e.Input] {
			fail("input %d of vertex %q is negative or already connected", e.Input, e.To)
		}
		inputs[e.To][e.Input] = true
		if err := e.Schema.Validate(); err != nil {
			fail("%w", err)
		}
		switch e.Partitioning {
		case Forward:
			if from != nil && to != nil && from.Parallelism != to.Parallelism {
				fail("forward edge needs equal parallelism, have %d -> %d", from.Parallelism, to.Parallelism)
			}
		case Hash:
			if len(e.Keys) == 0 {
				fail("hash partitioning needs key columns")
			}
			for _, k := range e.Keys {
				if e.Schema.Index(k) < 0 {
					fail("key column %q not in the edge schema", k)
				}
			}
		case Rebalance, Broadcast:
		default:
			fail("unknown partitioning %q", e.Partitioning)
		}
		if e.Partitioning != Hash && len(e.Keys) > 0 {
			fail("keys given for %s partitioning", e.Partitioning)
		}
	}
	for v, in := range inputs {
		for i := range len(in) {
			if !in[i] {
				errs = append(errs, &GraphError{Path: fmt.Sprintf("vertex %q", v),
					Err: fmt.Errorf("inputs are not numbered 0..%d (missing %d)", len(in)-1, i)})
				break
			}
		}
	}
	return errs
}
