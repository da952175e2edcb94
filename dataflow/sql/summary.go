package sql

// TableUse is a table an application reads or writes, as the control plane lists it on an
// application version. Integration is the 'integration' option ("" if none): the control plane
// checks that the service has it before deploying.
type TableUse struct {
	Name        string `json:"name"`
	Connector   string `json:"connector"`
	Integration string `json:"integration,omitempty"`
	Line        int    `json:"line"`
	Column      int    `json:"column"`
}

// Summary lists the source and sink tables of a bound program, each once, in declaration order.
type Summary struct {
	Sources []TableUse `json:"sources"`
	Sinks   []TableUse `json:"sinks"`
}

// Summarize returns the tables the program's INSERT statements read and write.
func Summarize(prog *Program) Summary {
	read, written := map[*Table]bool{}, map[*Table]bool{}
	for _, s := range prog.Sinks {
		written[s.Table] = true
		for _, t := range tablesRead(s.Input) {
			read[t] = true
		}
	}
	var sum Summary
	for _, name := range prog.Catalog.Order {
		t := prog.Catalog.Tables[name]
		if t == nil {
			continue
		}
		use := TableUse{Name: t.Name, Connector: t.Connector, Integration: t.Options["integration"],
			Line: t.Decl.Name.Sp.Start.Line, Column: t.Decl.Name.Sp.Start.Col}
		if read[t] {
			sum.Sources = append(sum.Sources, use)
		}
		if written[t] {
			sum.Sinks = append(sum.Sinks, use)
		}
	}
	return sum
}

// tablesRead lists the tables r scans, each once, in the order a depth-first walk meets them.
func tablesRead(r Rel) []*Table {
	var tables []*Table
	seen := map[*Table]bool{}
	var walk func(Rel)
	walk = func(r Rel) {
		if s, ok := r.(*Scan); ok && !seen[s.Table] {
			seen[s.Table] = true
			tables = append(tables, s.Table)
		}
		for _, in := range r.Inputs() {
			walk(in)
		}
	}
	walk(r)
	return tables
}
