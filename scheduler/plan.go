package scheduler

import (
	"context"
	"fmt"
	"strings"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// deploymentGraph is the graph a deployment runs: the plan the API compiled and stored with the
// deployment (its tables' integrations named by id, as the workers resolve them), or, for a
// deployment stored before plans were kept, the version's parts compiled here.
func (d *dispatcher) deploymentGraph(ctx context.Context, dep desired, parts []sql.Part) (*dataflow.JobGraph, []sql.Diagnostic, error) {
	var raw []byte
	if err := d.pool.QueryRow(ctx, `SELECT plan FROM deployments WHERE id = $1`, dep.ID).Scan(&raw); err != nil {
		return nil, nil, fmt.Errorf("read the plan of deployment %s: %w", dep.ID, err)
	}
	if len(strings.TrimSpace(string(raw))) <= 2 { // '{}': no stored plan
		g, diags := sql.CompileParts(parts, sql.CompileOptions{Name: dep.ID, Parallelism: dep.Parallelism})
		return g, diags, nil
	}
	g, err := dataflow.DecodeGraph(raw)
	if err != nil {
		return nil, []sql.Diagnostic{{Part: "plan", Message: "stored plan: " + err.Error()}}, nil
	}
	g.Name = dep.ID
	return g, nil, nil
}
