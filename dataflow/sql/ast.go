package sql

// Node is any syntax tree node; Span is its source range.
type Node interface {
	Pos() Span
}

// Ident is an identifier as written; Quoted records backticks. Names are case-sensitive.
type Ident struct {
	Name   string
	Quoted bool
	Sp     Span
}

func (n *Ident) Pos() Span { return n.Sp }

// Script is a parsed SQL text: statements separated by ';'.
type Script struct {
	Statements []Statement
}

// Statement is one top-level statement.
type Statement interface {
	Node
	stmt()
}

// CreateTable is CREATE [TEMPORARY] TABLE [IF NOT EXISTS] name (...) [PARTITIONED BY (...)]
// [WITH (...)] [LIKE source (...)].
type CreateTable struct {
	Temporary     bool
	IfNotExists   bool
	Name          *Ident
	Columns       []*ColumnDef
	Watermark     *WatermarkDef
	PrimaryKey    *PrimaryKey
	Comment       *StringLit
	PartitionedBy []*Ident
	Options       []*Option
	Like          *LikeClause
	Sp            Span
}

// ColumnDef is a physical column (Type set), a computed column (Expr set) or a metadata column.
type ColumnDef struct {
	Name        *Ident
	Type        *DataType
	Expr        Expr       // computed column: name AS expr
	Metadata    bool       // name TYPE METADATA [FROM 'key'] [VIRTUAL]
	MetadataKey *StringLit // optional
	Virtual     bool
	Comment     *StringLit
	Sp          Span
}

// WatermarkDef is WATERMARK FOR column AS expr.
type WatermarkDef struct {
	Column *Ident
	Expr   Expr
	Sp     Span
}

// PrimaryKey is [CONSTRAINT name] PRIMARY KEY (cols) NOT ENFORCED.
type PrimaryKey struct {
	Name    *Ident
	Columns []*Ident
	Sp      Span
}

// Option is one 'key' = 'value' pair of a WITH clause.
type Option struct {
	Key   *StringLit
	Value *StringLit
	Sp    Span
}

// LikeClause is LIKE source [(INCLUDING|EXCLUDING|OVERWRITING ALL|OPTIONS|..., ...)].
type LikeClause struct {
	Source  *Ident
	Options []LikeOption
	Sp      Span
}

// LikeOption is one merging strategy of a LIKE clause, e.g. {EXCLUDING, OPTIONS}.
type LikeOption struct {
	Strategy string // INCLUDING, EXCLUDING or OVERWRITING
	Feature  string // ALL, CONSTRAINTS, GENERATED, METADATA, OPTIONS, PARTITIONS, WATERMARKS
}

// CreateView is CREATE [TEMPORARY] VIEW [IF NOT EXISTS] name [(cols)] AS query.
type CreateView struct {
	Temporary   bool
	IfNotExists bool
	Name        *Ident
	Columns     []*Ident
	Query       *Query
	Sp          Span
}

// Insert is INSERT INTO|OVERWRITE table [(cols)] query.
type Insert struct {
	Overwrite bool
	Table     *Ident
	Columns   []*Ident
	Query     *Query
	Sp        Span
}

// StatementSet is EXECUTE STATEMENT SET BEGIN insert; ... END, or the older
// BEGIN STATEMENT SET; ...; END form.
type StatementSet struct {
	Inserts []*Insert
	Sp      Span
}

// Explain is EXPLAIN [PLAN FOR] statement.
type Explain struct {
	Stmt Statement
	Sp   Span
}

// QueryStmt is a bare query used as a statement.
type QueryStmt struct {
	Query *Query
}

func (*CreateTable) stmt()  {}
func (*CreateView) stmt()   {}
func (*Insert) stmt()       {}
func (*StatementSet) stmt() {}
func (*Explain) stmt()      {}
func (*QueryStmt) stmt()    {}

func (n *CreateTable) Pos() Span  { return n.Sp }
func (n *ColumnDef) Pos() Span    { return n.Sp }
func (n *WatermarkDef) Pos() Span { return n.Sp }
func (n *PrimaryKey) Pos() Span   { return n.Sp }
func (n *Option) Pos() Span       { return n.Sp }
func (n *LikeClause) Pos() Span   { return n.Sp }
func (n *CreateView) Pos() Span   { return n.Sp }
func (n *Insert) Pos() Span       { return n.Sp }
func (n *StatementSet) Pos() Span { return n.Sp }
func (n *Explain) Pos() Span      { return n.Sp }
func (n *QueryStmt) Pos() Span    { return n.Query.Sp }

// DataType is a SQL type as written. Name is canonical (INT, BIGINT, STRING, VARCHAR, DECIMAL,
// TIMESTAMP, TIMESTAMP_LTZ, INTERVAL, ROW, ARRAY, MAP, ...).
type DataType struct {
	Name    string
	Params  []int       // VARCHAR(n), DECIMAL(p, s), TIMESTAMP(p)
	Elems   []*DataType // ARRAY<t>, MAP<k, v>
	Fields  []*RowField // ROW<name type, ...>
	From    string      // INTERVAL DAY TO SECOND: From = DAY
	To      string      // ... To = SECOND
	NotNull bool
	Sp      Span
}

// RowField is one field of a ROW type.
type RowField struct {
	Name *Ident
	Type *DataType
}

func (n *DataType) Pos() Span { return n.Sp }
