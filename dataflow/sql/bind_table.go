package sql

// createTable declares a table: columns, computed columns, watermark, key and options.
func (b *binder) createTable(ct *CreateTable) {
	if !b.declare(ct.Name, ct.IfNotExists) {
		return
	}
	t := &Table{Name: ct.Name.Name, Options: map[string]string{}, Decl: ct}
	opts := ct.Options
	if ct.Like != nil {
		opts = b.like(t, ct)
	}
	sc := &scope{}
	for _, c := range t.Columns {
		sc.add("", c.Name, c.Type)
	}
	for _, cd := range ct.Columns {
		b.column(t, sc, cd)
	}
	for _, o := range opts {
		t.Options[o.Key.Value] = o.Value.Value
	}
	b.connector(t, ct, opts)
	if ct.Watermark != nil {
		b.watermark(t, sc, ct.Watermark)
	}
	if pk := ct.PrimaryKey; pk != nil {
		t.PrimaryKey = b.keyColumns(t, pk.Columns, "primary key")
	}
	t.PartitionedBy = b.keyColumns(t, ct.PartitionedBy, "partition")
	b.cat.Tables[t.Name] = t
}

func (b *binder) like(t *Table, ct *CreateTable) []*Option {
	src := b.cat.Tables[ct.Like.Source.Name]
	if src == nil {
		b.fail(ErrUnknownName, ct.Like.Source.Sp, "unknown table %s in LIKE%s", ct.Like.Source.Name, b.tableHint(ct.Like.Source.Name))
	}
	include := map[string]bool{"ALL": true, "OPTIONS": true, "WATERMARKS": true, "GENERATED": true, "CONSTRAINTS": true}
	for _, o := range ct.Like.Options {
		on := o.Strategy != "EXCLUDING"
		if o.Feature == "ALL" {
			for k := range include {
				include[k] = on
			}
			continue
		}
		include[o.Feature] = on
	}
	for _, c := range src.Columns {
		if c.Computed != nil && !include["GENERATED"] {
			continue
		}
		t.Columns = append(t.Columns, c)
	}
	if include["WATERMARKS"] && ct.Watermark == nil {
		t.Rowtime, t.Watermark = src.Rowtime, src.Watermark
		if src.Rowtime != "" {
			i := t.columnIndex(src.Rowtime)
			t.Columns[i].Type.TimeAttr = RowTime
		}
	}
	if include["CONSTRAINTS"] {
		t.PrimaryKey = src.PrimaryKey
	}
	var opts []*Option
	if include["OPTIONS"] {
		own := map[string]bool{}
		for _, o := range ct.Options {
			own[o.Key.Value] = true
		}
		for _, o := range src.Decl.Options {
			if !own[o.Key.Value] {
				opts = append(opts, o)
			}
		}
	}
	return append(opts, ct.Options...)
}

func (b *binder) column(t *Table, sc *scope, cd *ColumnDef) {
	if t.columnIndex(cd.Name.Name) >= 0 {
		b.fail(ErrDuplicate, cd.Name.Sp, "column %s is declared twice", cd.Name.Name)
	}
	col := TableColumn{Name: cd.Name.Name, Virtual: cd.Virtual, Sp: cd.Sp}
	if cd.Expr != nil {
		col.Computed = b.expr(&exprCtx{sc: sc}, cd.Expr)
		col.Type = col.Computed.Type()
		refs := map[int]bool{}
		inputRefs(col.Computed, refs)
		for i := range refs {
			if t.Columns[i].Computed != nil {
				b.fail(ErrUnsupported, cd.Expr.Pos(), "computed column %s refers to computed column %s; use physical columns only", cd.Name.Name, t.Columns[i].Name)
			}
		}
	} else {
		t, err := typeFromAST(cd.Type)
		if err != nil {
			panic(bailout{err})
		}
		col.Type = t
	}
	if cd.Metadata {
		col.Metadata = cd.Name.Name
		if cd.MetadataKey != nil {
			col.Metadata = cd.MetadataKey.Value
		}
		b.fail(ErrUnsupported, cd.Sp, "metadata columns are not supported yet")
	}
	t.Columns = append(t.Columns, col)
	sc.add("", col.Name, col.Type)
}

// lastOption returns the last option named key (the one that counts when it is set twice), or nil.
func lastOption(opts []*Option, key string) *Option {
	var last *Option
	for _, o := range opts {
		if o.Key.Value == key {
			last = o
		}
	}
	return last
}

func (b *binder) connector(t *Table, ct *CreateTable, opts []*Option) {
	connOpt := lastOption(opts, "connector")
	if connOpt == nil {
		b.fail(ErrOption, ct.Name.Sp, "table %s needs a 'connector' option, one of: %s", t.Name, connectorNames())
	}
	t.Connector = connOpt.Value.Value
	if _, ok := connectors[t.Connector]; !ok {
		b.fail(ErrOption, connOpt.Value.Sp, "unknown connector '%s'; available: %s", t.Connector, connectorNames())
	}
	// Option errors are recorded but the table is still declared, so that the statements
	// using it are checked too instead of failing with "unknown table".
	b.errs = append(b.errs, checkOptions(t, opts)...)
}

func (b *binder) watermark(t *Table, sc *scope, wm *WatermarkDef) {
	i := t.columnIndex(wm.Column.Name)
	if i < 0 {
		b.fail(ErrUnknownName, wm.Column.Sp, "WATERMARK FOR names unknown column %s", wm.Column.Name)
	}
	ct := t.Columns[i].Type
	if !ct.isTimestamp() || ct.Precision > 3 {
		b.fail(ErrType, wm.Column.Sp, "the rowtime column %s must be TIMESTAMP(3) or TIMESTAMP_LTZ(3), found %s", wm.Column.Name, ct.LogicalType)
	}
	r := b.expr(&exprCtx{sc: sc}, wm.Expr)
	if !r.Type().isTimestamp() {
		b.fail(ErrType, wm.Expr.Pos(), "the watermark expression must be a timestamp, found %s", r.Type().LogicalType)
	}
	t.Rowtime, t.Watermark = wm.Column.Name, r
	t.Columns[i].Type.TimeAttr = RowTime
}

func (b *binder) keyColumns(t *Table, ids []*Ident, what string) []string {
	var out []string
	for _, id := range ids {
		i := t.columnIndex(id.Name)
		if i < 0 {
			b.fail(ErrUnknownName, id.Sp, "%s column %s is not a column of table %s", what, id.Name, t.Name)
		}
		if what == "primary key" && t.Columns[i].Type.Nullable {
			t.Columns[i].Type.Nullable = false
		}
		out = append(out, id.Name)
	}
	return out
}
