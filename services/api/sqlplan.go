package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

// sqlParts names a version's texts for the compiler: sources[i], sinks[i], then the statement.
func sqlParts(statement string, sources, sinks []sql.Part) []sql.Part {
	var parts []sql.Part
	for i, p := range sources {
		p.Name = fmt.Sprintf("sources[%d]", i)
		parts = append(parts, p)
	}
	for i, p := range sinks {
		p.Name = fmt.Sprintf("sinks[%d]", i)
		parts = append(parts, p)
	}
	return append(parts, sql.Part{Name: "statement", SQL: statement})
}

// tables are a request's table refs as parts: the CREATE TABLE and its integration_id.
func tables(refs []openapi.TableRef) []sql.Part {
	out := make([]sql.Part, len(refs))
	for i, r := range refs {
		out[i] = sql.Part{SQL: r.CreateTable, Integration: deref(r.IntegrationId)}
	}
	return out
}

// storedTables are a stored version's table refs as parts.
func storedTables(refs []store.TableRef) []sql.Part {
	out := make([]sql.Part, len(refs))
	for i, r := range refs {
		out[i] = sql.Part{SQL: r.CreateTable, Integration: r.IntegrationID}
	}
	return out
}

// compile compiles a version's parts with the given parallelism and checks every integration the
// tables reference against the service and every endpoint against the egress policy. The graph
// is nil when there are diagnostics; in it, integrations named by name are replaced by their ids.
func (s *server) compile(ctx context.Context, svc store.Service, parts []sql.Part, parallelism int) (*dataflow.JobGraph, []sql.Diagnostic, error) {
	g, diags := sql.CompileParts(parts, sql.CompileOptions{Parallelism: parallelism})
	ids, more, err := s.checkRefs(ctx, svc, parts)
	if err != nil {
		return nil, nil, err
	}
	if len(more) > 0 {
		return nil, sortDiagnostics(append(diags, more...), parts), nil
	}
	if g != nil {
		if err := useIntegrationIDs(g, ids); err != nil {
			return nil, nil, err
		}
	}
	return g, diags, nil
}

// checkRefs checks the parts' integration references (checkIntegrationRefs) and the hosts written
// in their WITH clauses (checkEndpointRefs), for a version and a preview alike.
func (s *server) checkRefs(ctx context.Context, svc store.Service, parts []sql.Part) (map[string]string, []sql.Diagnostic, error) {
	integrations, endpoints := sql.TableRefs(parts)
	ids, diags, err := s.checkIntegrationRefs(ctx, svc, integrations)
	if err != nil {
		return nil, nil, err
	}
	return ids, append(diags, s.checkEndpointRefs(endpoints)...), nil
}

// checkIntegrationRefs resolves each 'integration' option (an id or a name): the integration must
// exist in the service, be of the connector's type and have endpoints the egress policy allows.
// It returns the id of each reference. The secret is never read here: the plan carries the id and
// the runtime resolves it (store.ResolveIntegration) when a task connects. Each integration is
// loaded once however many tables name it.
func (s *server) checkIntegrationRefs(ctx context.Context, svc store.Service, refs []sql.IntegrationRef) (map[string]string, []sql.Diagnostic, error) {
	type found struct {
		in  store.Integration
		err error
	}
	ids := map[string]string{}
	loaded := map[string]found{}
	var diags []sql.Diagnostic
	for _, ref := range refs {
		at := ref.At
		f, ok := loaded[ref.ID]
		if !ok {
			f.in, f.err = s.cfg.Store.FindIntegration(ctx, svc.ProjectID, svc.ID, ref.ID)
			loaded[ref.ID] = f
		}
		in, err := f.in, f.err
		switch {
		case errors.Is(err, problem.ErrNotFound):
			at.Message = fmt.Sprintf("integration '%s' not found in service %s", ref.ID, svc.Name)
		case err != nil:
			return nil, nil, err
		case ref.Connector != "" && ref.Connector != in.Type:
			at.Message = fmt.Sprintf("table %s uses connector '%s' but integration '%s' is a %s integration", ref.Table, ref.Connector, ref.ID, in.Type)
		default:
			if err := s.checkEndpoints(in.Type, in.Config); err != nil {
				at.Message = fmt.Sprintf("integration '%s': %s", ref.ID, err.Error())
			}
			ids[ref.ID] = in.ID
		}
		if at.Message != "" {
			diags = append(diags, at)
		}
	}
	return ids, diags, nil
}

// useIntegrationIDs rewrites the 'integration' option of source and sink operators from the name
// or id the SQL wrote to the integration's id.
func useIntegrationIDs(g *dataflow.JobGraph, ids map[string]string) error {
	for vi := range g.Vertices {
		for oi := range g.Vertices[vi].Operators {
			op := &g.Vertices[vi].Operators[oi]
			if op.Kind != sql.KindSource && op.Kind != sql.KindSink {
				continue
			}
			var cfg map[string]json.RawMessage
			if err := json.Unmarshal(op.Config, &cfg); err != nil {
				return fmt.Errorf("operator %s config: %w", op.ID, err)
			}
			var opts map[string]string
			if err := json.Unmarshal(cfg["options"], &opts); err != nil || opts["integration"] == "" || opts["integration"] == ids[opts["integration"]] {
				continue
			}
			opts["integration"] = ids[opts["integration"]]
			raw, err := json.Marshal(opts)
			if err != nil {
				return err
			}
			cfg["options"] = raw
			if op.Config, err = json.Marshal(cfg); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkEndpointRefs applies the egress policy to hosts written in WITH clauses.
func (s *server) checkEndpointRefs(refs []sql.EndpointRef) []sql.Diagnostic {
	var diags []sql.Diagnostic
	for _, ref := range refs {
		for _, h := range ref.Hosts {
			if err := s.cfg.Egress.CheckHost(h); err != nil {
				at := ref.At
				at.Message = fmt.Sprintf("option '%s' of table %s: %s", ref.Option, ref.Table, err.Error())
				diags = append(diags, at)
				break
			}
		}
	}
	return diags
}

// checkEndpoints applies the egress policy to a stored integration's hosts.
func (s *server) checkEndpoints(typ string, config map[string]any) error {
	switch typ {
	case "postgres":
		host, _ := config["host"].(string)
		return s.cfg.Egress.CheckHost(host)
	case "kafka":
		servers, _ := config["bootstrap_servers"].([]any)
		for _, b := range servers {
			hp, _ := b.(string)
			if err := s.cfg.Egress.CheckHostPort(hp); err != nil {
				return err
			}
		}
	}
	return nil
}

// sortDiagnostics orders diagnostics by part (in parts order), then position.
func sortDiagnostics(diags []sql.Diagnostic, parts []sql.Part) []sql.Diagnostic {
	idx := map[string]int{}
	for i, p := range parts {
		idx[p.Name] = i
	}
	sort.SliceStable(diags, func(a, b int) bool {
		da, db := diags[a], diags[b]
		if idx[da.Part] != idx[db.Part] {
			return idx[da.Part] < idx[db.Part]
		}
		if da.Line != db.Line {
			return da.Line < db.Line
		}
		return da.Column < db.Column
	})
	return diags
}

// invalidSQL is the 422 problem for diagnostics.
func invalidSQL(diags []sql.Diagnostic) error {
	fields := make([]problem.FieldError, len(diags))
	for i, d := range diags {
		fields[i] = problem.FieldError{Field: d.Part, Message: d.Message, Line: d.Line, Column: d.Column, EndLine: d.EndLine, EndColumn: d.EndColumn}
	}
	return &problem.Error{Code: problem.CodeInvalidSQL, Detail: fmt.Sprintf("the SQL is not valid: %s:%d:%d: %s", diags[0].Part, diags[0].Line, diags[0].Column, diags[0].Message), Fields: fields}
}

func sqlErrors(diags []sql.Diagnostic) []openapi.SQLError {
	out := []openapi.SQLError{}
	for _, d := range diags {
		out = append(out, openapi.SQLError{Field: ptr(d.Part), Message: d.Message, Line: d.Line, Column: d.Column, EndLine: d.EndLine, EndColumn: d.EndColumn})
	}
	return out
}

// opConfig is the part of source and sink operator configs the API shows.
type opConfig struct {
	Table     string            `json:"table"`
	Connector string            `json:"connector"`
	Options   map[string]string `json:"options"`
}

// toPlanGraph shows a job graph: vertices with their operators (and, for sources and sinks, the
// table, connector and integration), edges with their partitioning.
func toPlanGraph(g *dataflow.JobGraph) openapi.PlanGraph {
	out := openapi.PlanGraph{Vertices: []openapi.PlanVertex{}, Edges: []openapi.PlanEdge{}}
	if g == nil {
		return out
	}
	for _, v := range g.Vertices {
		jv := openapi.PlanVertex{Id: string(v.ID), Name: v.Name, Parallelism: v.Parallelism, Operators: []openapi.PlanOperator{}}
		if jv.Name == "" {
			jv.Name = jv.Id
		}
		for _, op := range v.Operators {
			jo := openapi.PlanOperator{Id: string(op.ID), Kind: op.Kind}
			if op.Kind == sql.KindSource || op.Kind == sql.KindSink {
				var c opConfig
				if json.Unmarshal(op.Config, &c) == nil {
					jo.Table, jo.Connector, jo.IntegrationId = ptr(c.Table), ptr(c.Connector), ptr(c.Options["integration"])
				}
			}
			jv.Operators = append(jv.Operators, jo)
		}
		out.Vertices = append(out.Vertices, jv)
	}
	for _, e := range g.Edges {
		input := e.Input
		je := openapi.PlanEdge{Id: e.ID, From: string(e.From), To: string(e.To), Input: &input,
			Partitioning: openapi.PlanEdgePartitioning(e.Partitioning)}
		if len(e.Keys) > 0 {
			je.Keys = &e.Keys
		}
		out.Edges = append(out.Edges, je)
	}
	return out
}

// decodePlan reads a stored plan; '{}' (stored before plans were kept) is an empty graph.
func decodePlan(raw []byte) (*dataflow.JobGraph, error) {
	if len(strings.TrimSpace(string(raw))) <= 2 {
		return nil, nil
	}
	g, err := dataflow.DecodeGraph(raw)
	if err != nil {
		return nil, fmt.Errorf("stored plan: %w", err)
	}
	return g, nil
}
