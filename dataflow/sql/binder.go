package sql

import (
	"strings"
)

// Program is a bound script: its catalog and one Sink plan per INSERT (in order).
type Program struct {
	Catalog *Catalog
	Sinks   []*Sink
	// Explain is set when the script's statement was EXPLAIN: the sinks are those of the
	// explained statement.
	Explain bool
}

// Bind type-checks a parsed script: it builds the catalog from CREATE TABLE and CREATE VIEW
// statements (in order) and binds every INSERT to a logical plan. It returns every error found,
// continuing with the next statement after one fails.
func Bind(script *Script) (*Program, ErrorList) {
	b := &binder{cat: newCatalog(), scans: map[*Table]Rel{}}
	prog := &Program{Catalog: b.cat}
	for _, st := range script.Statements {
		b.statement(prog, st)
	}
	return prog, b.errs
}

type binder struct {
	cat  *Catalog
	errs ErrorList
	ctes []map[string]Rel // WITH clauses in scope, innermost last
	// scans caches each table's relation so every reference shares one source (and the
	// planner one source vertex per table).
	scans map[*Table]Rel
	// preview binds a SELECT statement into a preview sink and skips INSERT statements
	// (CompilePreview).
	preview bool
}

func (b *binder) fail(kind error, sp Span, format string, args ...any) {
	panic(bailout{errorf(kind, sp, format, args...)})
}

// guard runs f, turning a bailout into a recorded error.
func (b *binder) guard(f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			bo, isBailout := r.(bailout)
			if !isBailout {
				panic(r)
			}
			b.errs = append(b.errs, bo.err)
			ok = false
		}
	}()
	f()
	return true
}

// try runs f and reports whether it completed without a bailout; errors are discarded.
func try(f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isBailout := r.(bailout); !isBailout {
				panic(r)
			}
			ok = false
		}
	}()
	f()
	return true
}

func (b *binder) statement(prog *Program, st Statement) {
	b.guard(func() {
		switch st := st.(type) {
		case *CreateTable:
			b.createTable(st)
		case *CreateView:
			b.createView(st)
		case *Insert:
			if !b.preview {
				prog.Sinks = append(prog.Sinks, b.insert(st))
			}
		case *StatementSet:
			if b.preview {
				return
			}
			for _, ins := range st.Inserts {
				ins := ins
				b.guard(func() { prog.Sinks = append(prog.Sinks, b.insert(ins)) })
			}
		case *Explain:
			prog.Explain = true
			b.statement(prog, st.Stmt)
		case *QueryStmt:
			rel := b.query(st.Query)
			if b.preview {
				prog.Sinks = append(prog.Sinks, previewSink(rel))
				return
			}
			b.fail(ErrUnsupported, st.Pos(), "a SELECT statement has no sink: write INSERT INTO <table> SELECT ...")
		}
	})
}

func (b *binder) declare(name *Ident, ifNotExists bool) bool {
	if b.cat.exists(name.Name) {
		if ifNotExists {
			return false
		}
		b.fail(ErrDuplicate, name.Sp, "table or view %s is already declared", name.Name)
	}
	b.cat.Order = append(b.cat.Order, name.Name)
	return true
}

func (b *binder) createView(cv *CreateView) {
	if !b.declare(cv.Name, cv.IfNotExists) {
		return
	}
	rel := b.query(cv.Query)
	if len(cv.Columns) > 0 {
		cols := rel.Columns()
		if len(cols) != len(cv.Columns) {
			b.fail(ErrType, cv.Name.Sp, "view %s lists %d columns but its query has %d", cv.Name.Name, len(cv.Columns), len(cols))
		}
		rel = renameColumns(rel, cv.Columns)
	}
	b.cat.Views[cv.Name.Name] = &View{Name: cv.Name.Name, Decl: cv, Rel: rel}
}

func renameColumns(rel Rel, names []*Ident) Rel {
	cols := rel.Columns()
	p := &Project{Input: rel}
	for i, c := range cols {
		p.Exprs = append(p.Exprs, &RexInput{Index: i, T: c.Type})
		p.Names = append(p.Names, names[i].Name)
	}
	return p
}

func (b *binder) insert(ins *Insert) *Sink {
	t := b.cat.Tables[ins.Table.Name]
	if t == nil {
		if b.cat.Views[ins.Table.Name] != nil {
			b.fail(ErrUnsupported, ins.Table.Sp, "cannot insert into view %s", ins.Table.Name)
		}
		b.fail(ErrUnknownName, ins.Table.Sp, "unknown table %s%s", ins.Table.Name, b.tableHint(ins.Table.Name))
	}
	spec := connectors[t.Connector]
	if !spec.sink {
		b.fail(ErrUnsupported, ins.Table.Sp, "connector '%s' of table %s cannot be written to", t.Connector, t.Name)
	}
	if ins.Overwrite {
		b.fail(ErrUnsupported, ins.Pos(), "INSERT OVERWRITE is not supported in streaming mode")
	}
	rel := b.query(ins.Query)
	rel = b.matchSinkColumns(t, ins, rel)
	if rel.Updating() && spec.appendOnly {
		b.fail(ErrUnsupported, ins.Query.Pos(),
			"table %s (connector '%s') is append-only but the query produces updates; aggregate over a window or write to an upserting sink", t.Name, t.Connector)
	}
	if t.Connector == "postgres" {
		b.checkPostgresSink(t, ins, rel)
	}
	return &Sink{Table: t, Input: rel}
}

// checkPostgresSink requires a table to write to, and a primary key to upsert a changelog on.
func (b *binder) checkPostgresSink(t *Table, ins *Insert, rel Rel) {
	if _, ok := t.Options["table-name"]; !ok {
		b.fail(ErrUnsupported, ins.Table.Sp, "table %s reads a 'scan.query' and cannot be written to; set 'table-name'", t.Name)
	}
	if rel.Updating() && len(t.PrimaryKey) == 0 {
		b.fail(ErrUnsupported, ins.Query.Pos(),
			"the query produces updates but table %s has no PRIMARY KEY to upsert on; declare PRIMARY KEY (...) NOT ENFORCED", t.Name)
	}
}

// matchSinkColumns checks the query's columns against the sink's writable columns and returns
// a plan producing exactly the sink's physical columns, in order.
func (b *binder) matchSinkColumns(t *Table, ins *Insert, rel Rel) Rel {
	var targets []int
	if len(ins.Columns) > 0 {
		for _, id := range ins.Columns {
			i := t.columnIndex(id.Name)
			if i < 0 || t.Columns[i].Computed != nil || t.Columns[i].Virtual {
				b.fail(ErrUnknownName, id.Sp, "table %s has no writable column %s", t.Name, id.Name)
			}
			targets = append(targets, i)
		}
	} else {
		for i, c := range t.Columns {
			if c.Computed == nil && !c.Virtual {
				targets = append(targets, i)
			}
		}
	}
	cols := rel.Columns()
	if len(cols) != len(targets) {
		b.fail(ErrType, ins.Query.Pos(), "query has %d columns but table %s expects %d", len(cols), t.Name, len(targets))
	}
	byTarget := map[int]int{}
	for qi, ti := range targets {
		tc := t.Columns[ti]
		if !assignable(cols[qi].Type, tc.Type) {
			b.fail(ErrType, selectItemSpan(ins.Query, qi),
				"column %d (%s) of the query has type %s, which cannot be written to column %s %s of table %s",
				qi+1, cols[qi].Name, describeTypes([]Type{cols[qi].Type}), tc.Name, tc.Type.LogicalType, t.Name)
		}
		byTarget[ti] = qi
	}
	p := &Project{Input: rel}
	for ti, c := range t.Columns {
		if c.Computed != nil || c.Virtual {
			continue
		}
		qi, ok := byTarget[ti]
		if !ok {
			p.Exprs = append(p.Exprs, &RexLiteral{T: c.Type.nullable(true)})
		} else {
			p.Exprs = append(p.Exprs, castTo(&RexInput{Index: qi, T: cols[qi].Type}, c.Type))
		}
		p.Names = append(p.Names, c.Name)
	}
	return p
}

func castTo(r Rex, t Type) Rex {
	if r.Type().LogicalType == t.LogicalType {
		return r
	}
	return &RexCall{Op: "CAST", Args: []Rex{r}, T: t.plain().nullable(r.Type().Nullable)}
}

// selectItemSpan returns the span of the i-th select item of q, or q's span.
func selectItemSpan(q *Query, i int) Span {
	if s, ok := q.Body.(*Select); ok && i < len(s.Items) {
		return s.Items[i].Expr.Pos()
	}
	return q.Sp
}

func (b *binder) tableHint(name string) string {
	for n := range b.cat.Tables {
		if strings.EqualFold(n, name) {
			return "; did you mean " + n + "? (names are case-sensitive)"
		}
	}
	for n := range b.cat.Views {
		if strings.EqualFold(n, name) {
			return "; did you mean " + n + "? (names are case-sensitive)"
		}
	}
	return ""
}
