package sqlcheck

import (
	"fmt"
	"sort"
	"strings"
)

// Diagnostic is one problem, with 1-based positions; EndColumn is just after the offending text.
type Diagnostic struct {
	Field     string // statement, sources[i] or sinks[i]; set by Check
	Message   string
	Line      int
	Column    int
	EndLine   int
	EndColumn int
}

// Validator checks a whole script (several statements separated by semicolons).
type Validator interface {
	Validate(script string) []Diagnostic
}

// Func adapts a function to Validator.
type Func func(script string) []Diagnostic

// Validate calls f.
func (f Func) Validate(script string) []Diagnostic { return f(script) }

// Input is a version's SQL as the API receives it.
type Input struct {
	Statement string
	Sources   []string // CREATE TABLE statements
	Sinks     []string
}

type part struct {
	field     string
	firstLine int // line of the joined script where the part starts
	lines     int
}

// Check validates in with v and returns the diagnostics, each pointing into its own part.
func Check(v Validator, in Input) []Diagnostic {
	var b strings.Builder
	var parts []part
	line := 1
	add := func(field, text string) {
		text = strings.TrimRight(text, " \t\r\n")
		if !strings.HasSuffix(text, ";") {
			text += ";"
		}
		n := strings.Count(text, "\n") + 1
		parts = append(parts, part{field: field, firstLine: line, lines: n})
		b.WriteString(text)
		b.WriteString("\n")
		line += n
	}
	for i, s := range in.Sources {
		add(fmt.Sprintf("sources[%d]", i), s)
	}
	for i, s := range in.Sinks {
		add(fmt.Sprintf("sinks[%d]", i), s)
	}
	add("statement", in.Statement)
	diags := v.Validate(b.String())
	order := make([]int, len(diags)) // index of each diagnostic's part
	for i := range diags {
		d := &diags[i]
		for pi, p := range parts {
			if d.Line >= p.firstLine && d.Line < p.firstLine+p.lines {
				d.Field, order[i] = p.field, pi
				d.Line -= p.firstLine - 1
				d.EndLine -= p.firstLine - 1
				if d.EndLine > p.lines {
					d.EndLine = p.lines
				}
				break
			}
		}
		if d.Field == "" { // past the end: the last part
			last := parts[len(parts)-1]
			d.Field, d.Line, d.EndLine = last.field, last.lines, last.lines
			order[i] = len(parts) - 1
		}
	}
	// Report in the order of the input: sources, sinks, statement; by position within each.
	idx := make([]int, len(diags))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		da, db := diags[idx[a]], diags[idx[b]]
		if order[idx[a]] != order[idx[b]] {
			return order[idx[a]] < order[idx[b]]
		}
		if da.Line != db.Line {
			return da.Line < db.Line
		}
		return da.Column < db.Column
	})
	out := make([]Diagnostic, len(diags))
	for i, j := range idx {
		out[i] = diags[j]
	}
	return out
}
