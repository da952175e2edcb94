package sql

import (
	"github.com/flowplane/flowplane/dataflow"
)

// PreviewConnector is the sink connector of preview graphs: their rows go to whoever runs the
// graph (exec.Options.Collect), never to a table. It is not in the connector allow-list, so an
// application cannot name it.
const PreviewConnector = "preview"

// previewConnectors are the source connectors a preview may read on the API server: generators,
// and postgres and kafka, which the server reaches through its egress policy (a postgres scan is
// bounded; a kafka read stops at the preview's limits and never commits group offsets, as a
// preview takes no checkpoints). Filesystem tables are refused: their files live on the workers.
var previewConnectors = map[string]bool{"datagen": true, "nexmark": true, "postgres": true, "kafka": true}

// Preview is a compiled interactive query.
type Preview struct {
	Graph *dataflow.JobGraph
	// Columns are the SELECT's output columns (unique names, in order).
	Columns []ColumnSpec
	// Updating says the rows form a changelog (+I, -U, +U, -D) rather than appends.
	Updating bool
}

// CompilePreview compiles the SELECT in the last part against the tables and views declared by
// the other parts (their INSERT statements are ignored) into a graph ending in a preview sink.
// The last part must hold exactly one SELECT and nothing else; tables read must use the
// datagen, nexmark, postgres or kafka connector. Diagnostics are positioned in their part, as in CompileParts.
func CompilePreview(parts []Part, opts CompileOptions) (*Preview, []Diagnostic) {
	src, starts := joinParts(parts)
	pv, err := compilePreview(src, starts[len(starts)-1], opts)
	return pv, mapDiagnostics(Diagnostics(err), parts, starts)
}

func compilePreview(src string, lastLine int, opts CompileOptions) (*Preview, error) {
	script, perr := Parse(src)
	if perr != nil {
		return nil, perr
	}
	var query *QueryStmt
	for _, st := range script.Statements {
		if st.Pos().Start.Line < lastLine {
			if _, ok := st.(*QueryStmt); ok {
				return nil, errorf(ErrUnsupported, st.Pos(), "a SELECT statement has no sink: write INSERT INTO <table> SELECT ...")
			}
			continue
		}
		q, ok := st.(*QueryStmt)
		if !ok || query != nil {
			return nil, errorf(ErrUnsupported, st.Pos(), "a preview runs exactly one SELECT statement")
		}
		query = q
	}
	if query == nil {
		return nil, errorf(ErrUnsupported, endSpan(src), "a preview needs a SELECT statement")
	}
	b := &binder{cat: newCatalog(), scans: map[*Table]Rel{}, preview: true}
	prog := &Program{Catalog: b.cat}
	for _, st := range script.Statements {
		b.statement(prog, st)
	}
	errs := b.errs
	for _, s := range prog.Sinks {
		errs = append(errs, checkPlan(s)...)
		errs = append(errs, checkPreviewSources(s)...)
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, errs
	}
	g, err := Plan(prog, opts)
	if err != nil {
		return nil, err
	}
	sink := prog.Sinks[0]
	return &Preview{Graph: g, Columns: columnSpecs(sink.Input.Columns()), Updating: sink.Input.Updating()}, nil
}

// previewSink writes a query's rows to the preview connector.
func previewSink(rel Rel) *Sink {
	t := &Table{Name: "preview", Connector: PreviewConnector, Options: map[string]string{}}
	for _, c := range rel.Columns() {
		t.Columns = append(t.Columns, TableColumn{Name: c.Name, Type: c.Type.plain()})
	}
	return &Sink{Table: t, Input: rel}
}

// checkPreviewSources refuses tables a preview cannot read on the API server.
func checkPreviewSources(r Rel) []*Error {
	var errs []*Error
	for _, t := range tablesRead(r) {
		if !previewConnectors[t.Connector] {
			errs = append(errs, errorf(ErrUnsupported, t.Decl.Name.Sp,
				"table %s uses connector '%s', which a preview cannot read: previews run on the API server and read datagen, nexmark, postgres and kafka tables (and VALUES); filesystem files live on the workers",
				t.Name, t.Connector))
		}
	}
	return errs
}
