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
	keyBuf  []byte
	keyCols []int       // the partition and order columns
	size    sizeHint    // of the last emitted batch
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
	k := &rank{cfg: cfg, parts: map[string][][]any{}}
	k.keyCols = append(k.keyCols, cfg.Partition...)
	for _, o := range cfg.Order {
		k.keyCols = append(k.keyCols, o.Col)
	}
	return k, nil
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
	k.size.reserve(b)
	if len(k.rowBuf) < width {
		k.rowBuf = make([]any, width)
	}
	probe := k.rowBuf[:width] // only the partition and order columns are read before a row is kept
	for _, c := range k.keyCols {
		if c < 0 || c >= width {
			return fmt.Errorf("%w: rank column %d of a %d-column input", operator.ErrConfig, c, width)
		}
	}
	for r := range int(rec.NumRows()) {
		for _, c := range k.keyCols {
			v, err := value(rec.Column(c), r)
			if err != nil {
				return err
			}
			probe[c] = v
		}
		kb := k.keyBuf[:0]
		for _, c := range k.cfg.Partition {
			kb = appendKeyValue(kb, probe[c])
		}
		k.keyBuf = kb
		rows := k.parts[string(kb)]
		pos := sort.Search(len(rows), func(i int) bool { return k.less(probe, rows[i]) })
		if int64(pos) >= k.cfg.Limit {
			continue // not in the top rows: nothing changes
		}
		row := make([]any, width)
		for j := range row {
			v, err := ownedValue(rec.Column(j), r) // kept beyond the batch
			if err != nil {
				return err
			}
			row[j] = v
		}
		k.ks.touchRowBytes(kb, r)
		if err := k.insert(b, string(kb), rows, pos, row); err != nil {
			return err
		}
	}
	res := b.NewRecordBatch()
	defer res.Release()
	if res.NumRows() == 0 {
		return nil
	}
	k.size.note(res)
	return out.Emit(res)
}

// insert places row at position pos (below the limit) of partition pk, whose rows are rows,
// and emits the changes to the top rows.
func (k *rank) insert(b *array.RecordBuilder, pk string, rows [][]any, pos int, row []any) error {
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
