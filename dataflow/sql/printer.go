package sql

import (
	"fmt"
	"strings"
)

// Print renders a node as canonical SQL: keywords and function names in upper case, identifiers
// quoted with backticks when needed, string literals with doubled quotes, parentheses only where
// precedence requires them. Statements in a *Script are separated by ";\n\n" and end with ';'.
func Print(n Node) string {
	var w printer
	w.node(n)
	return w.b.String()
}

// PrintScript renders a whole script.
func PrintScript(s *Script) string {
	var w printer
	for i, st := range s.Statements {
		if i > 0 {
			w.s("\n\n")
		}
		w.node(st)
		w.s(";")
	}
	return w.b.String()
}

type printer struct {
	b strings.Builder
}

func (w *printer) s(parts ...string) {
	for _, p := range parts {
		w.b.WriteString(p)
	}
}

func (w *printer) ident(id *Ident) { w.s(quoteIdent(id.Name)) }

func quoteIdent(name string) string {
	if needsQuote(name) {
		return "`" + strings.ReplaceAll(name, "`", "``") + "`"
	}
	return name
}

func quoteString(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

func (w *printer) idents(ids []*Ident) {
	for i, id := range ids {
		if i > 0 {
			w.s(", ")
		}
		w.ident(id)
	}
}

func (w *printer) node(n Node) {
	switch n := n.(type) {
	case *CreateTable:
		w.createTable(n)
	case *CreateView:
		w.createView(n)
	case *Insert:
		w.insert(n)
	case *StatementSet:
		w.s("EXECUTE STATEMENT SET\nBEGIN\n")
		for _, ins := range n.Inserts {
			w.insert(ins)
			w.s(";\n")
		}
		w.s("END")
	case *Explain:
		w.s("EXPLAIN ")
		w.node(n.Stmt)
	case *QueryStmt:
		w.query(n.Query)
	case *Query:
		w.query(n)
	case QueryBody:
		w.body(n)
	case TableExpr:
		w.tableExpr(n)
	case Expr:
		w.expr(n, 0)
	case *DataType:
		w.dataType(n)
	case *Ident:
		w.ident(n)
	default:
		w.s(fmt.Sprintf("<%T>", n))
	}
}

func (w *printer) createTable(n *CreateTable) {
	w.s("CREATE ")
	if n.Temporary {
		w.s("TEMPORARY ")
	}
	w.s("TABLE ")
	if n.IfNotExists {
		w.s("IF NOT EXISTS ")
	}
	w.ident(n.Name)
	var elems []string
	for _, c := range n.Columns {
		elems = append(elems, Print(c.Name)+" "+w.columnTail(c))
	}
	if n.Watermark != nil {
		elems = append(elems, "WATERMARK FOR "+Print(n.Watermark.Column)+" AS "+Print(n.Watermark.Expr))
	}
	if pk := n.PrimaryKey; pk != nil {
		var b printer
		if pk.Name != nil {
			b.s("CONSTRAINT ")
			b.ident(pk.Name)
			b.s(" ")
		}
		b.s("PRIMARY KEY (")
		b.idents(pk.Columns)
		b.s(") NOT ENFORCED")
		elems = append(elems, b.b.String())
	}
	if len(elems) > 0 {
		w.s(" (\n  ", strings.Join(elems, ",\n  "), "\n)")
	}
	if n.Comment != nil {
		w.s(" COMMENT ", quoteString(n.Comment.Value))
	}
	if len(n.PartitionedBy) > 0 {
		w.s(" PARTITIONED BY (")
		w.idents(n.PartitionedBy)
		w.s(")")
	}
	if len(n.Options) > 0 {
		w.s(" WITH (\n")
		for i, o := range n.Options {
			if i > 0 {
				w.s(",\n")
			}
			w.s("  ", quoteString(o.Key.Value), " = ", quoteString(o.Value.Value))
		}
		w.s("\n)")
	}
	if n.Like != nil {
		w.s(" LIKE ")
		w.ident(n.Like.Source)
		if len(n.Like.Options) > 0 {
			var opts []string
			for _, o := range n.Like.Options {
				opts = append(opts, o.Strategy+" "+o.Feature)
			}
			w.s(" (", strings.Join(opts, ", "), ")")
		}
	}
}

func (w *printer) columnTail(c *ColumnDef) string {
	var b printer
	if c.Expr != nil {
		b.s("AS ")
		b.expr(c.Expr, 0)
	} else {
		b.dataType(c.Type)
		if c.Metadata {
			b.s(" METADATA")
			if c.MetadataKey != nil {
				b.s(" FROM ", quoteString(c.MetadataKey.Value))
			}
			if c.Virtual {
				b.s(" VIRTUAL")
			}
		}
	}
	if c.Comment != nil {
		b.s(" COMMENT ", quoteString(c.Comment.Value))
	}
	return b.b.String()
}

func (w *printer) createView(n *CreateView) {
	w.s("CREATE ")
	if n.Temporary {
		w.s("TEMPORARY ")
	}
	w.s("VIEW ")
	if n.IfNotExists {
		w.s("IF NOT EXISTS ")
	}
	w.ident(n.Name)
	if len(n.Columns) > 0 {
		w.s(" (")
		w.idents(n.Columns)
		w.s(")")
	}
	w.s(" AS\n")
	w.query(n.Query)
}

func (w *printer) insert(n *Insert) {
	if n.Overwrite {
		w.s("INSERT OVERWRITE ")
	} else {
		w.s("INSERT INTO ")
	}
	w.ident(n.Table)
	if len(n.Columns) > 0 {
		w.s(" (")
		w.idents(n.Columns)
		w.s(")")
	}
	w.s("\n")
	w.query(n.Query)
}

func (w *printer) dataType(t *DataType) {
	w.s(t.Name)
	switch t.Name {
	case "INTERVAL":
		w.s(" ", t.From)
		if t.To != "" {
			w.s(" TO ", t.To)
		}
	case "ROW":
		w.s("<")
		for i, f := range t.Fields {
			if i > 0 {
				w.s(", ")
			}
			w.ident(f.Name)
			w.s(" ")
			w.dataType(f.Type)
		}
		w.s(">")
	case "ARRAY", "MULTISET", "MAP":
		w.s("<")
		for i, e := range t.Elems {
			if i > 0 {
				w.s(", ")
			}
			w.dataType(e)
		}
		w.s(">")
	}
	if len(t.Params) > 0 {
		w.s("(")
		for i, p := range t.Params {
			if i > 0 {
				w.s(", ")
			}
			w.s(fmt.Sprint(p))
		}
		w.s(")")
	}
	if t.NotNull {
		w.s(" NOT NULL")
	}
}
