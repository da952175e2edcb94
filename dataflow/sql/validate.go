package sql

import (
	"errors"
	"sort"
)

// Validate parses and binds a script and returns its problems as diagnostics, in source order;
// an empty result means the script is valid and can be compiled. This is the entry point of the
// control plane's POST .../versions/validate. A script must contain at least one INSERT.
func Validate(src string) []Diagnostic {
	_, err := Analyze(src)
	return Diagnostics(err)
}

// Analyze parses and binds a script, returning the bound program (useful even when there are
// errors: it holds what could be bound) and an ErrorList, or nil.
func Analyze(src string) (*Program, error) {
	script, perr := Parse(src)
	return analyzeScript(src, script, perr)
}

// analyzeScript binds a parsed script; perr is what Parse returned for it.
func analyzeScript(src string, script *Script, perr error) (*Program, error) {
	var errs ErrorList
	errors.As(perr, &errs)
	prog, berrs := Bind(script)
	errs = append(errs, berrs...)
	for _, s := range prog.Sinks {
		errs = append(errs, checkPlan(s)...)
	}
	if len(errs) == 0 && len(prog.Sinks) == 0 {
		errs = append(errs, errorf(ErrUnsupported, endSpan(src), "the application has no INSERT INTO statement, so it writes nothing"))
	}
	if len(errs) == 0 {
		return prog, nil
	}
	sortErrors(errs)
	return prog, errs
}

// checkPlan reports plan shapes the runtime cannot execute.
func checkPlan(r Rel) []*Error {
	var errs []*Error
	if rank, ok := r.(*Rank); ok && rank.RowNumber && rank.Limit == 0 {
		errs = append(errs, errorf(ErrUnsupported, rank.sp,
			"ROW_NUMBER() must be filtered in the enclosing query, with WHERE rn <= N (Top-N) or rn = 1 (deduplication)"))
	}
	for _, in := range r.Inputs() {
		errs = append(errs, checkPlan(in)...)
	}
	return errs
}

func endSpan(src string) Span {
	p := Pos{Line: 1, Col: 1}
	for _, r := range src {
		p.Off++
		if r == '\n' {
			p.Line, p.Col = p.Line+1, 1
		} else {
			p.Col++
		}
	}
	return Span{Start: p, End: p}
}

func sortErrors(errs ErrorList) {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Span.Start.Off < errs[j].Span.Start.Off })
}
