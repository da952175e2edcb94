package exec

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

var (
	joinSchema = arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "v", Type: arrow.PrimitiveTypes.Int64},
		{Name: "ts", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	joinChangelogSchema = arrow.NewSchema(append(append([]arrow.Field(nil), joinSchema.Fields()...),
		arrow.Field{Name: sql.RowKindColumn, Type: arrow.PrimitiveTypes.Int64}), nil)
)

// joinRows returns rows of times from..to-1 over mod keys (every 10th key NULL), with value
// v = ts*scale; retract appends a $row_kind column, deleting every row whose time is
// divisible by 4 of the rows with times from-40..to-41 (inserted before) and inserting the rest.
func joinRows(t testing.TB, from, to, mod, scale int64, retract bool) arrow.RecordBatch {
	var rows [][]any
	for ts := from; ts < to; ts++ {
		var k any = fmt.Sprintf("key%d", ts%mod)
		if ts%10 == 3 {
			k = nil
		}
		row := []any{k, ts * scale, ts}
		if retract {
			row = append(row, rowInsert)
			if old := ts - 40; old >= 0 && old%4 == 0 {
				var ok any = fmt.Sprintf("key%d", old%mod)
				if old%10 == 3 {
					ok = nil
				}
				rows = append(rows, []any{ok, old * scale, old, rowDelete})
			}
		}
		rows = append(rows, row)
	}
	s := joinSchema
	if retract {
		s = joinChangelogSchema
	}
	return rowsBatch(t, s, rows)
}

func joinFactory(cfg sql.JoinConfig) opFactory {
	return func(t testing.TB) operator.Operator {
		cfg.LeftKeys, cfg.RightKeys, cfg.LeftColumns, cfg.RightColumns, cfg.Columns = []int{0}, []int{0}, 3, 3, nil
		for _, side := range []string{"l", "r"} {
			cfg.Columns = append(cfg.Columns, sql.ColumnSpec{Name: side + "k", Type: "STRING", Nullable: true},
				sql.ColumnSpec{Name: side + "v", Type: "BIGINT", Nullable: true}, sql.ColumnSpec{Name: side + "ts", Type: "BIGINT", Nullable: true})
		}
		raw, _ := json.Marshal(cfg)
		op, err := newJoin(dataflow.OperatorSpec{ID: "join", Kind: sql.KindJoin, Config: raw})
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
}

// Regular, interval and temporal joins restored from a checkpoint, at the same and at another
// parallelism, emit exactly what an uninterrupted run emits: both inputs' rows and their match
// counts come back (a LEFT join's padded rows are retracted, or emitted at expiry, as if it had
// run on), retractions find the rows they retract, and expired interval rows stay expired.
func TestJoinRestore(t *testing.T) {
	t.Parallel()
	iv := &sql.IntervalSpec{LeftTime: 2, RightTime: 2, LowerMs: -5, UpperMs: 5}
	cases := map[string]struct {
		cfg     sql.JoinConfig
		retract bool
		wms     bool
	}{
		"inner":              {cfg: sql.JoinConfig{Kind: "INNER"}},
		"left-updating":      {cfg: sql.JoinConfig{Kind: "LEFT", Updating: true}},
		"left-retractions":   {cfg: sql.JoinConfig{Kind: "LEFT", Updating: true}, retract: true},
		"inner-retractions":  {cfg: sql.JoinConfig{Kind: "INNER", Updating: true}, retract: true},
		"interval-inner":     {cfg: sql.JoinConfig{Kind: "INNER", Interval: iv}, wms: true},
		"interval-left":      {cfg: sql.JoinConfig{Kind: "LEFT", Interval: iv}, wms: true},
		"temporal-proctime":  {cfg: sql.JoinConfig{Kind: "INNER", Temporal: &sql.TemporalJoinSpec{LeftTime: 2, ProcTime: true}}},
		"temporal-left-join": {cfg: sql.JoinConfig{Kind: "LEFT", Temporal: &sql.TemporalJoinSpec{LeftTime: 2, ProcTime: true}}},
	}
	for name, c := range cases {
		for _, p := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/p%d", name, p), func(t *testing.T) {
				t.Parallel()
				l := func(from, to int64) step { return step{input: 0, rec: joinRows(t, from, to, 9, 1, c.retract)} }
				r := func(from, to int64) step { return step{input: 1, rec: joinRows(t, from, to, 12, 100, false)} }
				wm := func(ms int64) step {
					if !c.wms {
						return step{input: 0, rec: joinRows(t, 0, 0, 9, 1, c.retract)}
					}
					return step{wm: ms}
				}
				before := []step{l(0, 30), r(0, 25), wm(20), l(30, 50), r(25, 50), {barrier: true}, wm(40)}
				after := []step{l(50, 70), r(50, 60), wm(55), r(60, 80), l(70, 90), wm(75), r(80, 100), l(90, 110)}
				checkRestore(t, joinFactory(c.cfg), [2][]int{{0}, {0}}, before, after, p)
			})
		}
	}
}

func joinCfgInterval() sql.JoinConfig {
	return sql.JoinConfig{Kind: "INNER", Interval: &sql.IntervalSpec{LeftTime: 2, RightTime: 2, LowerMs: -5, UpperMs: 5}}
}
