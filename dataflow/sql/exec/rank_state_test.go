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

var rankSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.BinaryTypes.String}, {Name: "v", Type: arrow.PrimitiveTypes.Int64},
	{Name: "ts", Type: arrow.PrimitiveTypes.Int64},
}, nil)

func rankRows(t testing.TB, from, to int64) arrow.RecordBatch {
	var rows [][]any
	for i := from; i < to; i++ {
		rows = append(rows, []any{fmt.Sprintf("key%d", i%11), i * 37 % 101, i})
	}
	return rowsBatch(t, rankSchema, rows)
}

func rankFactory(cfg sql.RankConfig) opFactory {
	return func(t testing.TB) operator.Operator {
		raw, _ := json.Marshal(cfg)
		op, err := newRank(dataflow.OperatorSpec{ID: "rank", Kind: sql.KindRank, Config: raw})
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
}

// Top-N and deduplication restored from a checkpoint, at the same and at another parallelism,
// emit exactly the changelog of an uninterrupted run: every partition's top rows come back.
func TestRankRestore(t *testing.T) {
	t.Parallel()
	cases := map[string]sql.RankConfig{
		"top3-row-number": {Partition: []int{0}, Order: []sql.SortKeySpec{{Col: 1, Desc: true}}, Limit: 3, RowNumber: true},
		"top2":            {Partition: []int{0}, Order: []sql.SortKeySpec{{Col: 1}}, Limit: 2},
		"dedup-first":     {Partition: []int{0}, Order: []sql.SortKeySpec{{Col: 2}}, Limit: 1},
		"dedup-last":      {Partition: []int{0}, Order: []sql.SortKeySpec{{Col: 2, Desc: true}}, Limit: 1, RowNumber: true},
	}
	for name, cfg := range cases {
		for _, p := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/p%d", name, p), func(t *testing.T) {
				t.Parallel()
				before := []step{{rec: rankRows(t, 0, 60)}, {rec: rankRows(t, 60, 90)}}
				after := []step{{rec: rankRows(t, 90, 150)}, {rec: rankRows(t, 150, 200)}}
				checkRestore(t, rankFactory(cfg), [2][]int{{0}}, before, after, p)
			})
		}
	}
}

func rankCfgTop3() sql.RankConfig {
	return sql.RankConfig{Partition: []int{0}, Order: []sql.SortKeySpec{{Col: 1, Desc: true}}, Limit: 3, RowNumber: true}
}
