package exec

import (
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/sql/eval"
)

// rank is sql.rank (Top-N): it keeps each partition's rows in order and emits a changelog of
// its first Limit rows. Without row_number: +I for a row entering the top, -D for one leaving
// it. With row_number rows are keyed by (partition, rn), as an upsert sink keys them: a
// position whose row changes emits -U (old row) then +U (new row), a new position +I.
// Retractions in the input are not supported.
type rank struct {
	operator.Base
	cfg     sql.RankConfig
	mem     memory.Allocator
	out     *arrow.Schema
	parts   map[string][][]any
	rowBuf  []any
	emitBuf []any
	ks      *keyedStore // keyed state for checkpoints (rank_state.go)
}

func newRank(spec dataflow.OperatorSpec) (operator.Operator, error) {
	var cfg sql.RankConfig
	if err := operator.DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	if cfg.Limit <= 0 {
		return nil, fmt.Errorf("%w: rank limit %d", operator.ErrConfig, cfg.Limit)
	}
	return &rank{cfg: cfg, parts: map[string][][]any{}}, nil
}

func (k *rank) schema(in *arrow.Schema) {
	if k.out != nil {
		return
	}
	fields := append([]arrow.Field(nil), in.Fields()...)
	if n := len(fields); n > 0 && fields[n-1].Name == sql.RowKindColumn {
		fields = fields[:n-1]
	}
	if k.cfg.RowNumber {
		fields = append(fields, arrow.Field{Name: "$row_number", Type: arrow.PrimitiveTypes.Int64})
	}
	fields = append(fields, arrow.Field{Name: sql.RowKindColumn, Type: arrow.PrimitiveTypes.Int8})
	k.out = arrow.NewSchema(fields, nil)
}

// less orders rows by the sort keys.
func (k *rank) less(a, b []any) bool {
	for _, o := range k.cfg.Order {
		x, y := a[o.Col], b[o.Col]
		switch {
		case x == nil && y == nil:
			continue
		case x == nil || y == nil:
			return (x == nil) == o.NullsFirst
		}
		c, err := eval.Compare(x, y)
		if err != nil || c == 0 {
			continue
		}
		return (c < 0) != o.Desc
	}
	return false
}

func (k *rank) ProcessBatch(_ int, rec arrow.RecordBatch, out operator.Emitter) error {
	k.schema(rec.Schema())
	width := k.out.NumFields() - 1
	if k.cfg.RowNumber {
		width--
	}
	if err := k.ks.keyGroups(rec, k.cfg.Partition); err != nil {
		return err
	}
	b := array.NewRecordBuilder(k.mem, k.out)
	defer b.Release()
	for r := range int(rec.NumRows()) {
		row, err := readRow(rec, r, k.rowBuf)
		if err != nil {
			return err
		}
		k.rowBuf = row
		if err := k.insert(b, append([]any(nil), row[:width]...), r); err != nil {
			return err
		}
	}
	res := b.NewRecordBatch()
	defer res.Release()
	if res.NumRows() == 0 {
		return nil
	}
	return out.Emit(res)
}

// insert places row (row r of the batch) in its partition and emits the changes to the top rows.
func (k *rank) insert(b *array.RecordBuilder, row []any, r int) error {
	key := make([]any, len(k.cfg.Partition))
	for i, c := range k.cfg.Partition {
		key[i] = row[c]
	}
	pk := keyOf(key)
	rows := k.parts[pk]
	pos := sort.Search(len(rows), func(i int) bool { return k.less(row, rows[i]) })
	if int64(pos) >= k.cfg.Limit {
		return nil
	}
	k.ks.touchRow(pk, r)
	oldTail := append([][]any(nil), rows[pos:]...)
	rows = append(rows, nil)
	copy(rows[pos+1:], rows[pos:])
	rows[pos] = row
	emit := func(r []any, n int, kind int64) error {
		vals := append(k.emitBuf[:0], r...)
		if k.cfg.RowNumber {
			vals = append(vals, int64(n+1))
		}
		k.emitBuf = append(vals, kind)
		return appendRow(b, k.emitBuf)
	}
	if k.cfg.RowNumber {
		// With row numbers a row is keyed by (partition, rn): every position from pos on
		// changes its row, -U the old one then +U the new (+I for a position that was empty).
		rows = rows[:min(int64(len(rows)), k.cfg.Limit)]
		k.parts[pk] = rows
		for i := pos; i < len(rows); i++ {
			if i-pos >= len(oldTail) {
				if err := emit(rows[i], i, rowInsert); err != nil {
					return err
				}
				continue
			}
			if err := emit(oldTail[i-pos], i, rowUpdateBefore); err != nil {
				return err
			}
			if err := emit(rows[i], i, rowUpdateAfter); err != nil {
				return err
			}
		}
		return nil
	}
	if int64(len(rows)) > k.cfg.Limit {
		if err := emit(rows[k.cfg.Limit], int(k.cfg.Limit-1), rowDelete); err != nil {
			return err
		}
		rows = rows[:k.cfg.Limit]
	}
	k.parts[pk] = rows
	return emit(row, pos, rowInsert)
}
