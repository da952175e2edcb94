package sql

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/flowplane/flowplane/dataflow"
)

// ExplainPlan validates and plans a script (with or without a leading EXPLAIN) and renders the
// logical plan of every INSERT and the job graph: vertices with their parallelism and operator
// chains (kind and JSON config), then edges with their partitioning.
func ExplainPlan(src string, opts CompileOptions) (string, []Diagnostic) {
	prog, err := Analyze(src)
	if err != nil {
		return "", Diagnostics(err)
	}
	g, err := Plan(prog, opts)
	if err != nil {
		return "", Diagnostics(err)
	}
	var b strings.Builder
	b.WriteString("== Logical plan ==\n")
	for _, s := range prog.Sinks {
		b.WriteString(ExplainRel(s))
	}
	b.WriteString("\n== Job graph ==\n")
	b.WriteString(ExplainGraph(g))
	return b.String(), nil
}

// ExplainGraph renders a job graph as text.
func ExplainGraph(g *dataflow.JobGraph) string {
	var b strings.Builder
	for _, v := range g.Vertices {
		fmt.Fprintf(&b, "vertex %s (parallelism %d)\n", v.ID, v.Parallelism)
		for _, op := range v.Operators {
			fmt.Fprintf(&b, "  %s %s\n", op.Kind, compactJSON(op.Config))
		}
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "edge %s: %s", e.ID, e.Partitioning)
		if len(e.Keys) > 0 {
			fmt.Fprintf(&b, "(%s)", strings.Join(e.Keys, ", "))
		}
		names := make([]string, len(e.Schema.Fields))
		for i, f := range e.Schema.Fields {
			names[i] = f.Name + " " + f.Type.String()
		}
		fmt.Fprintf(&b, " [%s]", strings.Join(names, ", "))
		if e.Schema.EventTime != "" {
			fmt.Fprintf(&b, " event_time=%s", e.Schema.EventTime)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func compactJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "{}"
	}
	return string(raw)
}
