package sql

import (
	"strconv"
)

func (p *parser) create() Statement {
	start := p.expectKw("CREATE").sp
	temporary := p.acceptKw("TEMPORARY")
	switch {
	case p.acceptKw("TABLE"):
		ct := &CreateTable{Temporary: temporary}
		ct.IfNotExists = p.acceptKw("IF", "NOT", "EXISTS")
		ct.Name = p.ident("table name")
		p.createTableBody(ct)
		ct.Sp = p.from(start)
		return ct
	case p.acceptKw("VIEW"):
		cv := &CreateView{Temporary: temporary}
		cv.IfNotExists = p.acceptKw("IF", "NOT", "EXISTS")
		cv.Name = p.ident("view name")
		if p.isOp("(") {
			cv.Columns = p.identList("column name")
		}
		p.expectKw("AS")
		cv.Query = p.query()
		cv.Sp = p.from(start)
		return cv
	}
	if temporary {
		p.fail("TABLE or VIEW")
	}
	p.fail("TABLE, VIEW or TEMPORARY")
	return nil
}

func (p *parser) createTableBody(ct *CreateTable) {
	if p.acceptOp("(") {
		for {
			p.tableElement(ct)
			if !p.acceptOp(",") {
				break
			}
		}
		p.closeList()
	}
	if p.acceptKw("COMMENT") {
		ct.Comment = p.stringLit("comment string")
	}
	if p.acceptKw("PARTITIONED") {
		p.expectKw("BY")
		ct.PartitionedBy = p.identList("partition column")
	}
	if p.acceptKw("WITH") {
		ct.Options = p.options()
	}
	if p.isKw("LIKE") {
		ct.Like = p.likeClause()
	}
	if ct.Columns == nil && ct.Like == nil {
		p.fail("'(' with column definitions, or LIKE")
	}
}

func (p *parser) tableElement(ct *CreateTable) {
	switch {
	case p.isKw("WATERMARK"):
		start := p.next().sp
		if ct.Watermark != nil {
			p.failAt(start, ErrSyntax, "a table has at most one WATERMARK")
		}
		p.expectKw("FOR")
		wm := &WatermarkDef{Column: p.ident("rowtime column")}
		p.expectKw("AS")
		wm.Expr = p.expr()
		wm.Sp = p.from(start)
		ct.Watermark = wm
	case p.isKw("PRIMARY") || p.isKw("CONSTRAINT"):
		start := p.tok().sp
		pk := &PrimaryKey{}
		if p.acceptKw("CONSTRAINT") {
			pk.Name = p.ident("constraint name")
		}
		p.expectKw("PRIMARY", "KEY")
		pk.Columns = p.identList("key column")
		p.notEnforced()
		pk.Sp = p.from(start)
		p.setPrimaryKey(ct, pk)
	default:
		ct.Columns = append(ct.Columns, p.columnDef(ct))
	}
}

func (p *parser) setPrimaryKey(ct *CreateTable, pk *PrimaryKey) {
	if ct.PrimaryKey != nil {
		p.failAt(pk.Sp, ErrSyntax, "a table has at most one PRIMARY KEY")
	}
	ct.PrimaryKey = pk
}

func (p *parser) notEnforced() {
	if !p.acceptKw("NOT", "ENFORCED") {
		p.fail("NOT ENFORCED (Flink does not enforce primary keys)")
	}
}

func (p *parser) columnDef(ct *CreateTable) *ColumnDef {
	start := p.tok().sp
	col := &ColumnDef{Name: p.ident("column name, WATERMARK or PRIMARY KEY")}
	if p.acceptKw("AS") {
		col.Expr = p.expr()
	} else {
		col.Type = p.dataType()
		if p.acceptKw("METADATA") {
			col.Metadata = true
			if p.acceptKw("FROM") {
				col.MetadataKey = p.stringLit("metadata key string")
			}
			col.Virtual = p.acceptKw("VIRTUAL")
		}
	}
	if p.isKw("PRIMARY") {
		pkStart := p.next().sp
		p.expectKw("KEY")
		p.notEnforced()
		p.setPrimaryKey(ct, &PrimaryKey{Columns: []*Ident{col.Name}, Sp: p.from(pkStart)})
	}
	if p.acceptKw("COMMENT") {
		col.Comment = p.stringLit("comment string")
	}
	col.Sp = p.from(start)
	return col
}

func (p *parser) options() []*Option {
	p.expectOp("(")
	var out []*Option
	for {
		start := p.tok().sp
		opt := &Option{Key: p.stringLit("option key string")}
		p.expectOp("=")
		opt.Value = p.stringLit("option value string")
		opt.Sp = p.from(start)
		out = append(out, opt)
		if !p.acceptOp(",") {
			break
		}
	}
	p.closeList()
	return out
}

var likeFeatures = map[string]bool{"ALL": true, "CONSTRAINTS": true, "GENERATED": true,
	"METADATA": true, "OPTIONS": true, "PARTITIONS": true, "WATERMARKS": true}

func (p *parser) likeClause() *LikeClause {
	start := p.expectKw("LIKE").sp
	lc := &LikeClause{Source: p.ident("source table name")}
	if p.acceptOp("(") {
		for {
			var o LikeOption
			switch {
			case p.acceptKw("INCLUDING"):
				o.Strategy = "INCLUDING"
			case p.acceptKw("EXCLUDING"):
				o.Strategy = "EXCLUDING"
			case p.acceptKw("OVERWRITING"):
				o.Strategy = "OVERWRITING"
			default:
				p.fail("INCLUDING, EXCLUDING or OVERWRITING")
			}
			t := p.tok()
			if t.kind != tokIdent || !likeFeatures[upper(t.text)] {
				p.fail("ALL, CONSTRAINTS, GENERATED, METADATA, OPTIONS, PARTITIONS or WATERMARKS")
			}
			p.i++
			o.Feature = upper(t.text)
			lc.Options = append(lc.Options, o)
			if !p.acceptOp(",") {
				break
			}
		}
		p.closeList()
	}
	lc.Sp = p.from(start)
	return lc
}

// typeAliases maps accepted spellings to canonical type names.
var typeAliases = map[string]string{
	"BOOLEAN": "BOOLEAN", "BOOL": "BOOLEAN", "TINYINT": "TINYINT", "SMALLINT": "SMALLINT",
	"INT": "INT", "INTEGER": "INT", "BIGINT": "BIGINT", "FLOAT": "FLOAT", "REAL": "FLOAT",
	"DOUBLE": "DOUBLE", "DECIMAL": "DECIMAL", "DEC": "DECIMAL", "NUMERIC": "DECIMAL",
	"STRING": "STRING", "VARCHAR": "VARCHAR", "CHAR": "CHAR", "BYTES": "BYTES",
	"VARBINARY": "VARBINARY", "BINARY": "BINARY", "DATE": "DATE", "TIME": "TIME",
	"TIMESTAMP": "TIMESTAMP", "TIMESTAMP_LTZ": "TIMESTAMP_LTZ", "INTERVAL": "INTERVAL",
	"ROW": "ROW", "ARRAY": "ARRAY", "MAP": "MAP", "MULTISET": "MULTISET",
}

var typeMaxParams = map[string]int{"VARCHAR": 1, "CHAR": 1, "VARBINARY": 1, "BINARY": 1,
	"DECIMAL": 2, "TIME": 1, "TIMESTAMP": 1, "TIMESTAMP_LTZ": 1, "FLOAT": 1}

func (p *parser) dataType() *DataType {
	p.enter()
	defer p.leave()
	t := p.tok()
	name, ok := typeAliases[upper(t.text)]
	if t.kind != tokIdent || !ok {
		p.fail("data type")
	}
	p.i++
	dt := &DataType{Name: name}
	switch name {
	case "DOUBLE":
		p.acceptKw("PRECISION")
	case "INTERVAL":
		dt.From = p.timeUnit()
		if p.acceptKw("TO") {
			dt.To = p.timeUnit()
		}
	case "ROW":
		p.rowFields(dt)
	case "ARRAY", "MULTISET":
		p.expectOp("<")
		dt.Elems = []*DataType{p.dataType()}
		p.expectOp(">")
	case "MAP":
		p.expectOp("<")
		dt.Elems = []*DataType{p.dataType()}
		p.expectOp(",")
		dt.Elems = append(dt.Elems, p.dataType())
		p.expectOp(">")
	}
	if max := typeMaxParams[name]; max > 0 && p.isOp("(") {
		dt.Params = p.typeParams(name, max)
	}
	if name == "TIMESTAMP" || name == "TIME" {
		switch {
		case p.acceptKw("WITH", "LOCAL", "TIME", "ZONE"):
			if name == "TIME" {
				p.failAt(p.from(t.sp), ErrUnsupported, "TIME WITH LOCAL TIME ZONE is not supported")
			}
			dt.Name = "TIMESTAMP_LTZ"
		case p.acceptKw("WITHOUT", "TIME", "ZONE"):
		}
	}
	if p.acceptKw("NOT", "NULL") {
		dt.NotNull = true
	} else {
		p.acceptKw("NULL")
	}
	dt.Sp = p.from(t.sp)
	return dt
}

func (p *parser) rowFields(dt *DataType) {
	closer := ">"
	if p.acceptOp("(") {
		closer = ")"
	} else {
		p.expectOp("<")
	}
	for {
		f := &RowField{Name: p.ident("field name")}
		f.Type = p.dataType()
		dt.Fields = append(dt.Fields, f)
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(closer)
}

func (p *parser) typeParams(name string, max int) []int {
	p.expectOp("(")
	var out []int
	for {
		t := p.tok()
		n, err := strconv.Atoi(t.text)
		if t.kind != tokNumber || err != nil || n < 0 {
			p.fail("non-negative integer type parameter")
		}
		p.i++
		out = append(out, n)
		if len(out) == max || !p.acceptOp(",") {
			break
		}
	}
	p.closeList()
	return out
}

var timeUnits = map[string]string{"YEAR": "YEAR", "YEARS": "YEAR", "MONTH": "MONTH", "MONTHS": "MONTH",
	"DAY": "DAY", "DAYS": "DAY", "HOUR": "HOUR", "HOURS": "HOUR", "MINUTE": "MINUTE",
	"MINUTES": "MINUTE", "SECOND": "SECOND", "SECONDS": "SECOND"}

func (p *parser) timeUnit() string {
	t := p.tok()
	u, ok := timeUnits[upper(t.text)]
	if t.kind != tokIdent || !ok {
		p.fail("time unit (YEAR, MONTH, DAY, HOUR, MINUTE or SECOND)")
	}
	p.i++
	return u
}
