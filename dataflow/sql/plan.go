package sql

import (
	"fmt"
	"strings"
)

// Column is a named, typed column of a relation.
type Column struct {
	Name string
	Type Type
}

// Rel is a node of a bound logical plan. Columns is its output row.
type Rel interface {
	Columns() []Column
	Inputs() []Rel
	// Updating reports whether the relation is a changelog with retractions or updates rather
	// than append-only.
	Updating() bool
	describe() string
}

// Scan reads a table's source.
type Scan struct {
	Table *Table
}

// WatermarkRel assigns event-time watermarks: each source subtask emits the largest value of
// Expr seen so far (bounded out-of-orderness), and Rowtime is the event-time column.
type WatermarkRel struct {
	Input   Rel
	Rowtime int
	Expr    Rex
}

// Filter keeps rows where Cond is true.
type Filter struct {
	Input Rel
	Cond  Rex
}

// Project computes one column per expression.
type Project struct {
	Input Rel
	Exprs []Rex
	Names []string
}

// WindowAssign is a window TVF: it appends window_start, window_end and window_time to each
// row (a row belongs to several windows for HOP and CUMULATE).
type WindowAssign struct {
	Input   Rel
	Kind    string // TUMBLE, HOP, CUMULATE, SESSION
	TimeCol int
	SizeMs  int64 // window size (session gap for SESSION)
	SlideMs int64 // HOP slide or CUMULATE step; 0 otherwise
	Offset  int64
	Keys    []int // SESSION PARTITION BY columns
	// ProcTime is set when TimeCol is a processing-time attribute: windows then close on the
	// wall clock instead of the watermark.
	ProcTime bool
	cols     []Column
}

// AggCall is one aggregate function over input columns.
type AggCall struct {
	Func     string // COUNT, SUM, MIN, MAX, AVG, FIRST_VALUE, LAST_VALUE
	Args     []int  // input columns; empty for COUNT(*)
	Distinct bool
	Filter   int // input column holding the FILTER condition, or -1
	Name     string
	T        Type
}

// Aggregate groups by Keys (input columns) and computes Aggs. When Window is set the keys
// include the window_start and window_end columns of a WindowAssign input and the aggregate
// emits each window once, when the watermark passes its end (append-only); otherwise it emits
// an updated result per input row (a changelog).
type Aggregate struct {
	Input  Rel
	Keys   []int
	Aggs   []AggCall
	Window *WindowAssign
	// WindowStart and WindowEnd are the positions in Keys of window_start and window_end.
	WindowStart, WindowEnd int
	cols                   []Column
}

// JoinRel joins two inputs on Cond (over the concatenated row). LeftKeys[i] = RightKeys[i] are
// the equality conjuncts (right keys are indexes into the right input).
type JoinRel struct {
	Kind      string // INNER, LEFT, RIGHT, FULL
	Left      Rel
	Right     Rel
	Cond      Rex
	LeftKeys  []int
	RightKeys []int
	// Interval is set for an interval join: both inputs append-only and the condition bounds
	// the left rowtime against the right one. State is then kept only for the interval, the
	// output is append-only and keeps both time attributes.
	Interval *IntervalBounds
	// Temporal is set for a temporal join (right FOR SYSTEM_TIME AS OF left.time): each left
	// row joins the version of the right row valid at its time (the latest one for processing
	// time); right-side changes never emit, so the output is append-only.
	Temporal *TemporalSpec
}

// TemporalSpec is the time of a temporal join: a column of the left input.
type TemporalSpec struct {
	LeftTime int
	ProcTime bool
}

// IntervalBounds says left.time - right.time is within [LowerMs, UpperMs].
type IntervalBounds struct {
	LeftTime, RightTime int // LeftTime in the left input, RightTime in the right input
	LowerMs, UpperMs    int64
}

// SortKey orders by an input column.
type SortKey struct {
	Col        int
	Desc       bool
	NullsFirst bool
}

func (k SortKey) String() string {
	s := fmt.Sprintf("$%d", k.Col)
	if k.Desc {
		s += " DESC"
	}
	return s
}

// Rank keeps the first Limit rows of each partition in Order (Top-N; deduplication when Limit
// is 1). RowNumber appends the rank as a BIGINT column.
type Rank struct {
	Input     Rel
	Partition []int
	Order     []SortKey
	Limit     int64
	RowNumber bool
	rnName    string
	sp        Span
}

// Union concatenates inputs with the same columns (UNION ALL).
type Union struct {
	Rels []Rel
}

// ValuesRel is a constant relation.
type ValuesRel struct {
	Rows [][]Rex
	cols []Column
}

// Sink writes its input into a table.
type Sink struct {
	Table *Table
	Input Rel
}

// Columns are the table's physical columns (computed columns are added by a Project above).
func (r *Scan) Columns() []Column {
	out := make([]Column, 0, len(r.Table.Columns))
	for _, c := range r.Table.Columns {
		if c.Computed == nil {
			out = append(out, Column{Name: c.Name, Type: c.Type})
		}
	}
	return out
}
func (r *Filter) Columns() []Column       { return r.Input.Columns() }
func (r *WatermarkRel) Columns() []Column { return r.Input.Columns() }
func (r *Project) Columns() []Column {
	out := make([]Column, len(r.Exprs))
	for i, e := range r.Exprs {
		out[i] = Column{Name: r.Names[i], Type: e.Type()}
	}
	return out
}
func (r *WindowAssign) Columns() []Column { return r.cols }
func (r *Aggregate) Columns() []Column    { return r.cols }
func (r *JoinRel) Columns() []Column {
	l, rt := r.Left.Columns(), r.Right.Columns()
	out := make([]Column, 0, len(l)+len(rt))
	keep := r.Interval != nil
	side := func(cols []Column, padded bool) {
		for _, c := range cols {
			if !keep {
				c.Type = c.Type.plain()
			}
			if padded {
				c.Type = c.Type.nullable(true)
			}
			out = append(out, c)
		}
	}
	side(l, r.Kind == "RIGHT" || r.Kind == "FULL")
	side(rt, r.Kind == "LEFT" || r.Kind == "FULL")
	return out
}
func (r *Rank) Columns() []Column {
	cols := r.Input.Columns()
	if r.RowNumber {
		cols = append(append([]Column(nil), cols...), Column{Name: r.rnName, Type: tBigInt})
	}
	return cols
}
func (r *Union) Columns() []Column     { return r.Rels[0].Columns() }
func (r *ValuesRel) Columns() []Column { return r.cols }
func (r *Sink) Columns() []Column      { return nil }

func (r *Scan) Inputs() []Rel         { return nil }
func (r *Filter) Inputs() []Rel       { return []Rel{r.Input} }
func (r *WatermarkRel) Inputs() []Rel { return []Rel{r.Input} }
func (r *Project) Inputs() []Rel      { return []Rel{r.Input} }
func (r *WindowAssign) Inputs() []Rel { return []Rel{r.Input} }
func (r *Aggregate) Inputs() []Rel    { return []Rel{r.Input} }
func (r *JoinRel) Inputs() []Rel      { return []Rel{r.Left, r.Right} }
func (r *Rank) Inputs() []Rel         { return []Rel{r.Input} }
func (r *Union) Inputs() []Rel        { return r.Rels }
func (r *ValuesRel) Inputs() []Rel    { return nil }
func (r *Sink) Inputs() []Rel         { return []Rel{r.Input} }

func (r *Scan) Updating() bool         { return false }
func (r *Filter) Updating() bool       { return r.Input.Updating() }
func (r *WatermarkRel) Updating() bool { return false }
func (r *Project) Updating() bool      { return r.Input.Updating() }
func (r *WindowAssign) Updating() bool { return r.Input.Updating() }
func (r *Aggregate) Updating() bool    { return r.Window == nil || r.Input.Updating() }
func (r *JoinRel) Updating() bool {
	if r.Interval != nil || r.Temporal != nil && !r.Left.Updating() {
		return false
	}
	return r.Kind != "INNER" || r.Left.Updating() || r.Right.Updating()
}
func (r *Rank) Updating() bool { return true }
func (r *Union) Updating() bool {
	for _, in := range r.Rels {
		if in.Updating() {
			return true
		}
	}
	return false
}
func (r *ValuesRel) Updating() bool { return false }
func (r *Sink) Updating() bool      { return r.Input.Updating() }

func (r *Scan) describe() string { return fmt.Sprintf("Scan(table=%s)", r.Table.Name) }
func (r *WatermarkRel) describe() string {
	return fmt.Sprintf("Watermark(rowtime=$%d, watermark=%s)", r.Rowtime, r.Expr)
}
func (r *Filter) describe() string {
	return fmt.Sprintf("Filter(condition=%s)", r.Cond)
}
func (r *Project) describe() string {
	parts := make([]string, len(r.Exprs))
	for i, e := range r.Exprs {
		parts[i] = fmt.Sprintf("%s=%s", r.Names[i], e)
	}
	return "Project(" + strings.Join(parts, ", ") + ")"
}
func (r *WindowAssign) describe() string {
	s := fmt.Sprintf("WindowAssign(%s, time=$%d, size=%dms", r.Kind, r.TimeCol, r.SizeMs)
	if r.SlideMs != 0 {
		s += fmt.Sprintf(", slide=%dms", r.SlideMs)
	}
	if len(r.Keys) > 0 {
		s += fmt.Sprintf(", partition=%v", r.Keys)
	}
	return s + ")"
}
func (r *Aggregate) describe() string {
	parts := make([]string, len(r.Aggs))
	for i, a := range r.Aggs {
		parts[i] = a.String()
	}
	kind := "GroupAggregate"
	if r.Window != nil {
		kind = "WindowAggregate"
	}
	return fmt.Sprintf("%s(keys=%v, aggs=[%s])", kind, r.Keys, strings.Join(parts, ", "))
}
func (r *JoinRel) describe() string {
	s := fmt.Sprintf("Join(%s, keys=%v=%v, condition=%v", r.Kind, r.LeftKeys, r.RightKeys, r.Cond)
	if iv := r.Interval; iv != nil {
		s += fmt.Sprintf(", interval=$%d-$%d in [%d, %d]ms", iv.LeftTime, iv.RightTime, iv.LowerMs, iv.UpperMs)
	}
	if tj := r.Temporal; tj != nil {
		s += fmt.Sprintf(", temporal=$%d proctime=%v", tj.LeftTime, tj.ProcTime)
	}
	return s + ")"
}
func (r *Rank) describe() string {
	return fmt.Sprintf("Rank(partition=%v, order=%v, limit=%d, row_number=%v)", r.Partition, r.Order, r.Limit, r.RowNumber)
}
func (r *Union) describe() string     { return "UnionAll" }
func (r *ValuesRel) describe() string { return fmt.Sprintf("Values(rows=%d)", len(r.Rows)) }
func (r *Sink) describe() string      { return fmt.Sprintf("Sink(table=%s)", r.Table.Name) }

func (a AggCall) String() string {
	s := a.Func + "("
	if a.Distinct {
		s += "DISTINCT "
	}
	if len(a.Args) == 0 && a.Func == "COUNT" {
		s += "*"
	}
	for i, c := range a.Args {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("$%d", c)
	}
	s += ")"
	if a.Filter >= 0 {
		s += fmt.Sprintf(" FILTER $%d", a.Filter)
	}
	return a.Name + "=" + s
}

// ExplainRel renders a logical plan as an indented tree.
func ExplainRel(r Rel) string {
	var b strings.Builder
	var walk func(r Rel, depth int)
	walk = func(r Rel, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(r.describe())
		if r.Updating() {
			b.WriteString(" [changelog]")
		}
		b.WriteString("\n")
		for _, in := range r.Inputs() {
			walk(in, depth+1)
		}
	}
	walk(r, 0)
	return b.String()
}
