package sql

// Expr is a scalar expression.
type Expr interface {
	Node
	expr()
}

// ColumnRef is name or qualifier.name (Parts has one or more identifiers).
type ColumnRef struct {
	Parts []*Ident
	Sp    Span
}

// Star is * or qualifier.* in a select list.
type Star struct {
	Qualifier *Ident
	Sp        Span
}

// NumberLit is a numeric literal as written.
type NumberLit struct {
	Text string
	Sp   Span
}

// StringLit is a character string literal (unescaped value).
type StringLit struct {
	Value string
	Sp    Span
}

// BoolLit is TRUE or FALSE.
type BoolLit struct {
	Value bool
	Sp    Span
}

// NullLit is NULL.
type NullLit struct {
	Sp Span
}

// IntervalLit is INTERVAL 'value' UNIT [TO UNIT].
type IntervalLit struct {
	Value string
	Unit  string // YEAR, MONTH, DAY, HOUR, MINUTE, SECOND
	To    string // optional end unit
	Sp    Span
}

// TypedLit is DATE '...', TIME '...' or TIMESTAMP '...'.
type TypedLit struct {
	Type  string
	Value string
	Sp    Span
}

// Unary is -x, +x or NOT x.
type Unary struct {
	Op string
	X  Expr
	Sp Span
}

// Binary is x op y with op one of OR AND = <> < <= > >= + - || * / %.
type Binary struct {
	Op   string
	L, R Expr
	Sp   Span
}

// IsNull is x IS [NOT] NULL; IsBool is x IS [NOT] TRUE|FALSE.
type IsNull struct {
	X   Expr
	Not bool
	Sp  Span
}

// IsBool is x IS [NOT] TRUE|FALSE.
type IsBool struct {
	X     Expr
	Not   bool
	Value bool
	Sp    Span
}

// In is x [NOT] IN (list) or x [NOT] IN (query).
type In struct {
	X     Expr
	Not   bool
	List  []Expr
	Query *Query
	Sp    Span
}

// Between is x [NOT] BETWEEN lo AND hi.
type Between struct {
	X, Lo, Hi Expr
	Not       bool
	Sp        Span
}

// Like is x [NOT] LIKE pattern [ESCAPE 'c'].
type Like struct {
	X, Pattern Expr
	Escape     Expr
	Not        bool
	Sp         Span
}

// Case is CASE [operand] WHEN ... THEN ... [ELSE ...] END.
type Case struct {
	Operand Expr
	Whens   []*When
	Else    Expr
	Sp      Span
}

// When is one WHEN cond THEN result arm.
type When struct {
	Cond, Result Expr
}

// Cast is CAST(x AS type) or TRY_CAST(x AS type).
type Cast struct {
	X    Expr
	Type *DataType
	Try  bool
	Sp   Span
}

// Extract is EXTRACT(unit FROM x).
type Extract struct {
	Unit string
	X    Expr
	Sp   Span
}

// FuncCall is name([DISTINCT] args) [FILTER (WHERE cond)] [OVER (window)]; COUNT(*) has Star.
// NoParens marks niladic functions written without parentheses (CURRENT_TIMESTAMP).
type FuncCall struct {
	Name     *Ident
	Args     []Expr
	Distinct bool
	Star     bool
	NoParens bool
	Filter   Expr
	Over     *WindowSpec
	Sp       Span
}

// WindowSpec is the OVER (PARTITION BY ... ORDER BY ... [frame]) clause.
type WindowSpec struct {
	PartitionBy []Expr
	OrderBy     []*OrderItem
	Frame       *Frame
}

// Frame is ROWS|RANGE BETWEEN start AND end.
type Frame struct {
	Unit       string // ROWS or RANGE
	Start, End FrameBound
}

// FrameBound is UNBOUNDED PRECEDING, n PRECEDING, CURRENT ROW, n FOLLOWING, UNBOUNDED FOLLOWING.
type FrameBound struct {
	Kind   string // UNBOUNDED PRECEDING, PRECEDING, CURRENT ROW, FOLLOWING, UNBOUNDED FOLLOWING
	Offset Expr
}

// Subquery is a parenthesized query used as a scalar; Exists is EXISTS (query).
type Subquery struct {
	Query  *Query
	Exists bool
	Sp     Span
}

func (*ColumnRef) expr()   {}
func (*Star) expr()        {}
func (*NumberLit) expr()   {}
func (*StringLit) expr()   {}
func (*BoolLit) expr()     {}
func (*NullLit) expr()     {}
func (*IntervalLit) expr() {}
func (*TypedLit) expr()    {}
func (*Unary) expr()       {}
func (*Binary) expr()      {}
func (*IsNull) expr()      {}
func (*IsBool) expr()      {}
func (*In) expr()          {}
func (*Between) expr()     {}
func (*Like) expr()        {}
func (*Case) expr()        {}
func (*Cast) expr()        {}
func (*Extract) expr()     {}
func (*FuncCall) expr()    {}
func (*Subquery) expr()    {}

func (n *ColumnRef) Pos() Span   { return n.Sp }
func (n *Star) Pos() Span        { return n.Sp }
func (n *NumberLit) Pos() Span   { return n.Sp }
func (n *StringLit) Pos() Span   { return n.Sp }
func (n *BoolLit) Pos() Span     { return n.Sp }
func (n *NullLit) Pos() Span     { return n.Sp }
func (n *IntervalLit) Pos() Span { return n.Sp }
func (n *TypedLit) Pos() Span    { return n.Sp }
func (n *Unary) Pos() Span       { return n.Sp }
func (n *Binary) Pos() Span      { return n.Sp }
func (n *IsNull) Pos() Span      { return n.Sp }
func (n *IsBool) Pos() Span      { return n.Sp }
func (n *In) Pos() Span          { return n.Sp }
func (n *Between) Pos() Span     { return n.Sp }
func (n *Like) Pos() Span        { return n.Sp }
func (n *Case) Pos() Span        { return n.Sp }
func (n *Cast) Pos() Span        { return n.Sp }
func (n *Extract) Pos() Span     { return n.Sp }
func (n *FuncCall) Pos() Span    { return n.Sp }
func (n *Subquery) Pos() Span    { return n.Sp }
