package sql

// Query is [WITH ...] body [ORDER BY ...] [LIMIT n].
type Query struct {
	With    []*CTE
	Body    QueryBody
	OrderBy []*OrderItem
	Limit   Expr
	Sp      Span
}

// CTE is one name AS (query) of a WITH clause.
type CTE struct {
	Name  *Ident
	Query *Query
}

// QueryBody is a *Select, a *SetOp, a *Values or a parenthesized *Query.
type QueryBody interface {
	Node
	body()
}

// Select is SELECT [DISTINCT] items [FROM ...] [WHERE ...] [GROUP BY ...] [HAVING ...].
type Select struct {
	Distinct bool
	Items    []*SelectItem
	From     TableExpr
	Where    Expr
	GroupBy  []Expr
	Having   Expr
	Sp       Span
}

// SelectItem is expr [AS alias]; Expr may be a *Star.
type SelectItem struct {
	Expr  Expr
	Alias *Ident
}

// SetOp is left UNION|INTERSECT|EXCEPT [ALL] right.
type SetOp struct {
	Op    string
	All   bool
	Left  QueryBody
	Right QueryBody
	Sp    Span
}

// Values is VALUES (row), (row), ...
type Values struct {
	Rows [][]Expr
	Sp   Span
}

// OrderItem is expr [ASC|DESC] [NULLS FIRST|LAST].
type OrderItem struct {
	Expr       Expr
	Desc       bool
	NullsFirst *bool
}

func (*Select) body() {}
func (*SetOp) body()  {}
func (*Values) body() {}
func (*Query) body()  {}

func (n *Query) Pos() Span  { return n.Sp }
func (n *Select) Pos() Span { return n.Sp }
func (n *SetOp) Pos() Span  { return n.Sp }
func (n *Values) Pos() Span { return n.Sp }

// TableExpr is an item of a FROM clause.
type TableExpr interface {
	Node
	table()
}

// TableRef is a named table or view: name [FOR SYSTEM_TIME AS OF expr] [[AS] alias].
type TableRef struct {
	Name       *Ident
	SystemTime Expr
	Alias      *Ident
	Sp         Span
}

// DerivedTable is (query) [[AS] alias [(column, ...)]].
type DerivedTable struct {
	Query   *Query
	Alias   *Ident
	Columns []*Ident
	Sp      Span
}

// WindowTVF is TABLE(TUMBLE|HOP|CUMULATE|SESSION(TABLE t [PARTITION BY k], DESCRIPTOR(ts),
// args...)) [[AS] alias].
type WindowTVF struct {
	Func        string // TUMBLE, HOP, CUMULATE, SESSION
	Table       *Ident
	PartitionBy []*Ident
	TimeCol     *Ident
	Args        []Expr
	Alias       *Ident
	Sp          Span
}

// Join is left [kind] JOIN right [ON cond]; Kind is INNER, LEFT, RIGHT, FULL, CROSS or "," for
// a comma join.
type Join struct {
	Kind  string
	Left  TableExpr
	Right TableExpr
	On    Expr
	Sp    Span
}

func (*TableRef) table()     {}
func (*DerivedTable) table() {}
func (*WindowTVF) table()    {}
func (*Join) table()         {}

func (n *TableRef) Pos() Span     { return n.Sp }
func (n *DerivedTable) Pos() Span { return n.Sp }
func (n *WindowTVF) Pos() Span    { return n.Sp }
func (n *Join) Pos() Span         { return n.Sp }
