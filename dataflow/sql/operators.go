package sql

import "strings"

// Operator kinds the planner emits, with their JSON configs (the structs below). Expressions
// in configs are Rex trees encoded as documented on RexInput, RexLiteral and RexCall; column
// numbers are positions in the operator's input row. Rows of a changelog (an updating stream)
// carry a trailing TINYINT column $row_kind: 0 insert, 1 update-before, 2 update-after, 3 delete.
const (
	KindSource          = "sql.source"           // SourceConfig; heads a source vertex
	KindValues          = "sql.values"           // ValuesConfig; a bounded source
	KindWatermark       = "sql.watermark"        // WatermarkConfig
	KindCalc            = "sql.calc"             // CalcConfig
	KindWindowAssign    = "sql.window_assign"    // WindowAssignConfig
	KindWindowAggregate = "sql.window_aggregate" // AggregateConfig with Window set
	KindGroupAggregate  = "sql.group_aggregate"  // AggregateConfig; emits a changelog
	KindJoin            = "sql.join"             // JoinConfig; input 0 left, input 1 right
	KindRank            = "sql.rank"             // RankConfig; emits a changelog
	KindUnion           = "sql.union"            // no config; forwards every input
	KindSink            = "sql.sink"             // SinkConfig; ends a vertex's chain
)

// RowKindColumn is the trailing changelog column of updating streams.
const RowKindColumn = "$row_kind"

func kindName(kind string) string {
	return strings.ReplaceAll(strings.TrimPrefix(kind, "sql."), "_", "-")
}

// ColumnSpec describes one column in a config.
type ColumnSpec struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
}

// SourceConfig reads a table: Columns are its physical columns in order.
type SourceConfig struct {
	Table     string            `json:"table"`
	Connector string            `json:"connector"`
	Options   map[string]string `json:"options"`
	Columns   []ColumnSpec      `json:"columns"`
}

// SinkConfig writes rows (the table's physical columns, in order) to a table. Updating says the
// input is a changelog; PrimaryKey (column names) is what upserts key on.
type SinkConfig struct {
	Table      string            `json:"table"`
	Connector  string            `json:"connector"`
	Options    map[string]string `json:"options"`
	Columns    []ColumnSpec      `json:"columns"`
	PrimaryKey []string          `json:"primary_key,omitempty"`
	Updating   bool              `json:"updating"`
	// PartitionedBy names the PARTITIONED BY columns (filesystem sinks write them as
	// col=value directories).
	PartitionedBy []string `json:"partitioned_by,omitempty"`
}

// ValuesConfig emits constant rows once.
type ValuesConfig struct {
	Rows    [][]Rex      `json:"rows"`
	Columns []ColumnSpec `json:"columns"`
}

// WatermarkConfig emits, per subtask, watermark = max over rows of Expr (evaluated on each
// row); Rowtime is the event-time column.
type WatermarkConfig struct {
	Rowtime int `json:"rowtime"`
	Expr    Rex `json:"expr"`
}

// CalcConfig keeps rows where Condition (if any) is true and outputs Projection evaluated on
// them. For changelog inputs the $row_kind column is passed through.
type CalcConfig struct {
	Condition  Rex   `json:"condition,omitempty"`
	Projection []Rex `json:"projection"`
	// Names are the output column names (unique, as on edges).
	Names []string `json:"names"`
}

// WindowAssignConfig appends window_start, window_end and window_time (TIMESTAMP(3) values) for
// each window a row belongs to: one for TUMBLE, size/slide for HOP, size/step for CUMULATE.
// For SESSION it appends the row's own session [t, t + size) which the window aggregate merges.
type WindowAssignConfig struct {
	Kind     string `json:"kind"`
	TimeCol  int    `json:"time_col"`
	SizeMs   int64  `json:"size_ms"`
	SlideMs  int64  `json:"slide_ms,omitempty"`
	OffsetMs int64  `json:"offset_ms,omitempty"`
	ProcTime bool   `json:"proctime,omitempty"` // windows close on the wall clock, not the watermark
}

// AggCallSpec is one aggregate: Func over input columns Args (none for COUNT(*)), counting
// only rows where column Filter is true when Filter >= 0.
type AggCallSpec struct {
	Func     string `json:"func"`
	Args     []int  `json:"args,omitempty"`
	Distinct bool   `json:"distinct,omitempty"`
	Filter   int    `json:"filter"`
	Type     string `json:"type"`
}

// WindowBounds tells a window aggregate which keys are the window bounds.
type WindowBounds struct {
	Kind        string `json:"kind"`
	StartKey    int    `json:"start_key"`
	EndKey      int    `json:"end_key"`
	SessionGap  int64  `json:"session_gap_ms,omitempty"`
	OutputStart int    `json:"output_start"`
	OutputEnd   int    `json:"output_end"`
	ProcTime    bool   `json:"proctime,omitempty"`
}

// AggregateConfig groups input rows by the Keys columns and outputs the keys followed by one
// column per aggregate. A window aggregate emits each window once, when the watermark passes
// its end (SESSION windows of one key are merged while they overlap first); a group aggregate
// emits a changelog: update-before/after pairs as results change.
type AggregateConfig struct {
	Keys   []int         `json:"keys"`
	Aggs   []AggCallSpec `json:"aggs"`
	Window *WindowBounds `json:"window,omitempty"`
}

// JoinConfig joins input 0 (left) and input 1 (right) on LeftKeys = RightKeys and Condition
// (over the left columns followed by the right ones). LEFT joins pad unmatched left rows with
// NULLs. Both sides are kept in state.
type JoinConfig struct {
	Kind         string `json:"kind"`
	LeftKeys     []int  `json:"left_keys"`
	RightKeys    []int  `json:"right_keys"`
	Condition    Rex    `json:"condition,omitempty"`
	LeftColumns  int    `json:"left_columns"`
	RightColumns int    `json:"right_columns"`
	// Updating says the output is a changelog (a trailing $row_kind column).
	Updating bool `json:"updating"`
	// Columns are the output columns: the left input's, then the right input's.
	Columns []ColumnSpec `json:"columns"`
	// Interval makes this an interval join: a pair matches only when left time - right time
	// is within [lower_ms, upper_ms], so rows leave state once the watermark passes the bound;
	// the output is append-only (LEFT joins emit unmatched rows when their interval expires).
	Interval *IntervalSpec `json:"interval,omitempty"`
	// Temporal makes this a temporal join: input 1 is a versioned table; each left row joins
	// the right row version valid at its time (column left_time; the latest version when
	// proctime), right-side changes emit nothing, and the output is append-only.
	Temporal *TemporalJoinSpec `json:"temporal,omitempty"`
}

// TemporalJoinSpec is the time of a temporal join.
type TemporalJoinSpec struct {
	LeftTime int  `json:"left_time"`
	ProcTime bool `json:"proctime,omitempty"`
}

// IntervalSpec bounds an interval join; the time columns are positions in each input.
type IntervalSpec struct {
	LeftTime  int   `json:"left_time"`
	RightTime int   `json:"right_time"`
	LowerMs   int64 `json:"lower_ms"`
	UpperMs   int64 `json:"upper_ms"`
}

// SortKeySpec orders by a column.
type SortKeySpec struct {
	Col        int  `json:"col"`
	Desc       bool `json:"desc,omitempty"`
	NullsFirst bool `json:"nulls_first,omitempty"`
}

// RankConfig keeps the first Limit rows per Partition in Order (Top-N; Limit 1 deduplicates),
// emitting a changelog as the top rows change; RowNumber appends the rank as a BIGINT column.
type RankConfig struct {
	Partition []int         `json:"partition"`
	Order     []SortKeySpec `json:"order"`
	Limit     int64         `json:"limit"`
	RowNumber bool          `json:"row_number"`
}
