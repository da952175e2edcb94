package sql

import (
	"strings"

	"github.com/flowplane/flowplane/dataflow"
)

// Part is one piece of an application version when the control plane stores its tables and
// its statement separately: e.g. {"sources[0]", "CREATE TABLE ..."}, {"statement", "INSERT ..."}.
type Part struct {
	Name string
	SQL  string
}

// ValidateParts validates the parts as one script (in order) and reports each diagnostic
// relative to the part it is in, with Diagnostic.Part set.
func ValidateParts(parts []Part) []Diagnostic {
	src, starts := joinParts(parts)
	return mapDiagnostics(Validate(src), parts, starts)
}

// CompileParts compiles the parts as one script, like Compile, with diagnostics as in
// ValidateParts.
func CompileParts(parts []Part, opts CompileOptions) (*dataflow.JobGraph, []Diagnostic) {
	src, starts := joinParts(parts)
	g, diags := Compile(src, opts)
	return g, mapDiagnostics(diags, parts, starts)
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
		k := 0
		for k+1 < len(starts) && starts[k+1] <= d.Line {
			k++
		}
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
