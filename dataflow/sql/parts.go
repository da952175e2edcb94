package sql

import (
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/flowplane/flowplane/dataflow"
)

// Part is one piece of an application version when the control plane stores its tables and
// its statement separately: e.g. {"sources[0]", "CREATE TABLE ..."}, {"statement", "INSERT ..."}.
type Part struct {
	Name string
	SQL  string
	// Integration is the integration id of the table this part declares (the API's
	// integration_id): it stands for a missing 'integration' option and must equal a present one.
	Integration string
}

// ValidateParts validates the parts as one script (in order) and reports each diagnostic
// relative to the part it is in, with Diagnostic.Part set.
func ValidateParts(parts []Part) []Diagnostic {
	src, starts := joinParts(parts)
	_, err := analyzeParts(src, parts, starts)
	return mapDiagnostics(Diagnostics(err), parts, starts)
}

// CompileParts compiles the parts as one script, like Compile, with diagnostics as in
// ValidateParts.
func CompileParts(parts []Part, opts CompileOptions) (*dataflow.JobGraph, []Diagnostic) {
	src, starts := joinParts(parts)
	prog, err := analyzeParts(src, parts, starts)
	g, diags := compileProgram(prog, err, opts)
	return g, mapDiagnostics(diags, parts, starts)
}

// analyzeParts parses the joined parts, applies each part's Integration to the tables it declares
// and binds the script.
func analyzeParts(src string, parts []Part, starts []int) (*Program, error) {
	script, perr := Parse(src)
	var conflicts ErrorList
	if script != nil {
		conflicts = applyIntegrations(script, parts, starts)
	}
	prog, err := analyzeScript(src, script, perr)
	if len(conflicts) == 0 {
		return prog, err
	}
	var errs ErrorList
	errors.As(err, &errs)
	errs = append(errs, conflicts...)
	sortErrors(errs)
	return prog, errs
}

// applyIntegrations adds 'integration' = Part.Integration (positioned at the table's name) to the
// CREATE TABLE statements of parts that have one and whose WITH clause names none, and reports
// a WITH clause naming a different integration.
func applyIntegrations(script *Script, parts []Part, starts []int) ErrorList {
	var errs ErrorList
	for _, st := range script.Statements {
		ct, ok := st.(*CreateTable)
		if !ok {
			continue
		}
		k := partOf(starts, ct.Sp.Start.Line)
		if k < 0 || parts[k].Integration == "" {
			continue
		}
		id := parts[k].Integration
		if o := integrationOption(ct); o != nil {
			if o.Value.Value != id {
				errs = append(errs, errorf(ErrOption, o.Value.Sp, "table %s names integration '%s' but its integration_id is '%s'", ct.Name.Name, o.Value.Value, id))
			}
			continue
		}
		sp := ct.Name.Sp
		ct.Options = append(ct.Options, &Option{Key: &StringLit{Value: "integration", Sp: sp}, Value: &StringLit{Value: id, Sp: sp}, Sp: sp})
	}
	return errs
}

func integrationOption(ct *CreateTable) *Option {
	for _, o := range ct.Options {
		if o.Key.Value == "integration" {
			return o
		}
	}
	return nil
}

// partOf returns the index of the part holding line of the joined script, or -1.
func partOf(starts []int, line int) int {
	k := -1
	for i, s := range starts {
		if s <= line {
			k = i
		}
	}
	return k
}

// joinParts concatenates the parts, each starting on a new line and ended by ';', and returns
// the first line of each.
func joinParts(parts []Part) (string, []int) {
	var b strings.Builder
	starts := make([]int, len(parts))
	line := 1
	for i, p := range parts {
		starts[i] = line
		b.WriteString(p.SQL)
		b.WriteString("\n;\n")
		line += strings.Count(p.SQL, "\n") + 2
	}
	return b.String(), starts
}

func mapDiagnostics(diags []Diagnostic, parts []Part, starts []int) []Diagnostic {
	if len(parts) == 0 {
		return diags
	}
	out := make([]Diagnostic, len(diags))
	for i, d := range diags {
		k := max(partOf(starts, d.Line), 0)
		last := starts[k] + strings.Count(parts[k].SQL, "\n")
		if d.Line > last { // on the ';' added after the part: point at its end
			d.Line = last
			d.Column = len([]rune(parts[k].SQL[strings.LastIndexByte(parts[k].SQL, '\n')+1:])) + 1
			d.EndLine, d.EndColumn = d.Line, d.Column
		}
		if d.EndLine > last {
			d.EndLine, d.EndColumn = d.Line, d.Column
		}
		d.Part = parts[k].Name
		d.Line -= starts[k] - 1
		d.EndLine -= starts[k] - 1
		out[i] = d
	}
	return out
}

// IntegrationRef is a table's 'integration' option: the id, the table and its connector, and
// where the id is written (Message empty; Part set).
type IntegrationRef struct {
	ID, Table, Connector string
	At                   Diagnostic
}

// IntegrationRefs lists the 'integration' options of the tables the parts declare, in order,
// whether or not the script is otherwise valid. The control plane checks each against the
// service's integrations: the compiler only checks the option's syntax.
func IntegrationRefs(parts []Part) []IntegrationRef {
	refs, _ := TableRefs(parts)
	return refs
}

// TableRefs parses the parts once and returns both their integration references (as
// IntegrationRefs) and the hosts their WITH clauses name directly (as EndpointRefs).
func TableRefs(parts []Part) ([]IntegrationRef, []EndpointRef) {
	var integrations []IntegrationRef
	var endpoints []EndpointRef
	eachTableOption(parts, func(ct *CreateTable, connector string, o *Option, at Diagnostic) {
		if o.Key.Value == "integration" {
			integrations = append(integrations, IntegrationRef{ID: o.Value.Value, Table: ct.Name.Name, Connector: connector, At: at})
		}
		if read, ok := endpointOptions[o.Key.Value]; ok {
			endpoints = append(endpoints, EndpointRef{Table: ct.Name.Name, Connector: connector, Option: o.Key.Value,
				Hosts: read(o.Value.Value), At: at})
		}
	})
	return integrations, endpoints
}

// eachTableOption parses the parts and calls visit for every WITH option of every table they
// declare, in order, with the table's connector and where the option's value is written. The
// parts' integration ids are applied first (applyIntegrations; they only add 'integration'
// options).
func eachTableOption(parts []Part, visit func(ct *CreateTable, connector string, o *Option, at Diagnostic)) {
	src, starts := joinParts(parts)
	script, _ := Parse(src)
	if script == nil {
		return
	}
	applyIntegrations(script, parts, starts)
	for _, st := range script.Statements {
		ct, ok := st.(*CreateTable)
		if !ok {
			continue
		}
		connector := ""
		if o := lastOption(ct.Options, "connector"); o != nil {
			connector = o.Value.Value
		}
		for _, o := range ct.Options {
			at := (&Error{Span: o.Value.Sp}).Diagnostic()
			visit(ct, connector, o, mapDiagnostics([]Diagnostic{at}, parts, starts)[0])
		}
	}
}

// EndpointRef is a host a table's WITH clause names directly (an inline endpoint, without
// credentials): the option, the hosts found in its value and where the value is written.
type EndpointRef struct {
	Table, Connector, Option string
	Hosts                    []string
	At                       Diagnostic
}

// endpointOptions are the option keys whose values name hosts, and how to read them.
var endpointOptions = map[string]func(string) []string{
	"url":                          urlHosts,
	"hostname":                     func(v string) []string { return []string{v} },
	"properties.bootstrap.servers": hostPorts,
}

// EndpointRefs lists the hosts the parts' tables name in their WITH clauses, for the control
// plane's egress guard (integrations are checked separately, see IntegrationRefs).
func EndpointRefs(parts []Part) []EndpointRef {
	_, refs := TableRefs(parts)
	return refs
}

// urlHosts reads the host of a URL such as postgres://h:5432/db or jdbc:postgresql://h/db; a value
// that is not such a URL yields itself, so the guard still judges it.
func urlHosts(v string) []string {
	u, err := url.Parse(strings.TrimPrefix(strings.TrimSpace(v), "jdbc:"))
	if err != nil || u.Host == "" {
		return []string{v}
	}
	return []string{u.Hostname()}
}

// hostPorts reads a comma-separated host:port list.
func hostPorts(v string) []string {
	var out []string
	for _, hp := range strings.Split(v, ",") {
		hp = strings.TrimSpace(hp)
		if host, _, err := net.SplitHostPort(hp); err == nil {
			hp = host
		}
		out = append(out, hp)
	}
	return out
}
