package sql

func (w *printer) query(q *Query) {
	if len(q.With) > 0 {
		w.s("WITH ")
		for i, c := range q.With {
			if i > 0 {
				w.s(", ")
			}
			w.ident(c.Name)
			w.s(" AS (")
			w.query(c.Query)
			w.s(")")
		}
		w.s(" ")
	}
	w.body(q.Body)
	if len(q.OrderBy) > 0 {
		w.s(" ORDER BY ")
		w.orderItems(q.OrderBy)
	}
	if q.Limit != nil {
		w.s(" LIMIT ")
		w.expr(q.Limit, precAdd)
	}
}

func (w *printer) body(b QueryBody) {
	switch b := b.(type) {
	case *Select:
		w.selectBody(b)
	case *Values:
		w.s("VALUES ")
		for i, row := range b.Rows {
			if i > 0 {
				w.s(", ")
			}
			w.s("(")
			w.exprs(row)
			w.s(")")
		}
	case *SetOp:
		w.body(b.Left)
		w.s(" ", b.Op)
		if b.All {
			w.s(" ALL")
		}
		w.s(" ")
		if _, ok := b.Right.(*SetOp); ok {
			w.s("(")
			w.body(b.Right)
			w.s(")")
		} else {
			w.body(b.Right)
		}
	case *Query:
		w.s("(")
		w.query(b)
		w.s(")")
	}
}

func (w *printer) selectBody(s *Select) {
	w.s("SELECT ")
	if s.Distinct {
		w.s("DISTINCT ")
	}
	for i, it := range s.Items {
		if i > 0 {
			w.s(", ")
		}
		w.expr(it.Expr, 0)
		if it.Alias != nil {
			w.s(" AS ")
			w.ident(it.Alias)
		}
	}
	if s.From != nil {
		w.s(" FROM ")
		w.tableExpr(s.From)
	}
	if s.Where != nil {
		w.s(" WHERE ")
		w.expr(s.Where, 0)
	}
	if len(s.GroupBy) > 0 {
		w.s(" GROUP BY ")
		w.exprs(s.GroupBy)
	}
	if s.Having != nil {
		w.s(" HAVING ")
		w.expr(s.Having, 0)
	}
}

func (w *printer) orderItems(items []*OrderItem) {
	for i, it := range items {
		if i > 0 {
			w.s(", ")
		}
		w.expr(it.Expr, 0)
		if it.Desc {
			w.s(" DESC")
		}
		if it.NullsFirst != nil {
			if *it.NullsFirst {
				w.s(" NULLS FIRST")
			} else {
				w.s(" NULLS LAST")
			}
		}
	}
}

func (w *printer) alias(a *Ident) {
	if a != nil {
		w.s(" AS ")
		w.ident(a)
	}
}

func (w *printer) tableExpr(t TableExpr) {
	switch t := t.(type) {
	case *TableRef:
		w.ident(t.Name)
		if t.SystemTime != nil {
			w.s(" FOR SYSTEM_TIME AS OF ")
			w.expr(t.SystemTime, precAdd)
		}
		w.alias(t.Alias)
	case *DerivedTable:
		w.s("(")
		w.query(t.Query)
		w.s(")")
		w.alias(t.Alias)
		if len(t.Columns) > 0 {
			w.s(" (")
			w.idents(t.Columns)
			w.s(")")
		}
	case *WindowTVF:
		w.s("TABLE(", t.Func, "(TABLE ")
		w.ident(t.Table)
		switch len(t.PartitionBy) {
		case 0:
		case 1:
			w.s(" PARTITION BY ")
			w.ident(t.PartitionBy[0])
		default:
			w.s(" PARTITION BY (")
			w.idents(t.PartitionBy)
			w.s(")")
		}
		w.s(", DESCRIPTOR(")
		w.ident(t.TimeCol)
		w.s(")")
		for _, a := range t.Args {
			w.s(", ")
			w.expr(a, 0)
		}
		w.s("))")
		w.alias(t.Alias)
	case *Join:
		w.tableExpr(t.Left)
		switch t.Kind {
		case ",":
			w.s(", ")
		case "INNER":
			w.s(" JOIN ")
		default:
			w.s(" ", t.Kind, " JOIN ")
		}
		if _, ok := t.Right.(*Join); ok {
			w.s("(")
			w.tableExpr(t.Right)
			w.s(")")
		} else {
			w.tableExpr(t.Right)
		}
		if t.On != nil {
			w.s(" ON ")
			w.expr(t.On, 0)
		}
	}
}
