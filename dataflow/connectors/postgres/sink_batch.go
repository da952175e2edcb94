package postgres

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Flink's RowKind byte values, as carried in an INT8 kind column.
var kindByCode = [...]RowKind{Insert, UpdateBefore, UpdateAfter, Delete}

// RowsFromBatch converts a record batch into sink rows with one value per name in columns.
// kindColumn, when not empty, names the column carrying each row's kind: TINYINT in Flink's
// codes (0 +I, 1 -U, 2 +U, 3 -D) or STRING ("+I", "-U", "+U", "-D"); without it every row is an
// Insert.
func RowsFromBatch(rec arrow.RecordBatch, columns []string, kindColumn string) ([]Row, error) {
	cols := make([]arrow.Array, len(columns))
	for i, name := range columns {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("%w: no column %q in batch", ErrRow, name)
		}
		cols[i] = rec.Column(idx[0])
	}
	var kind arrow.Array
	if kindColumn != "" {
		idx := rec.Schema().FieldIndices(kindColumn)
		if len(idx) == 0 {
			return nil, fmt.Errorf("%w: no kind column %q in batch", ErrRow, kindColumn)
		}
		kind = rec.Column(idx[0])
	}
	return rowsOf(int(rec.NumRows()), cols, columns, kind, kindColumn)
}

// RowsByPosition converts a record batch whose first len(columns) columns are the sink's
// columns, in order, into sink rows; one more column, if the batch has it, carries each row's
// kind as in RowsFromBatch (the SQL planner's changelog column).
func RowsByPosition(rec arrow.RecordBatch, columns []string) ([]Row, error) {
	n := int(rec.NumCols())
	if n < len(columns) || n > len(columns)+1 {
		return nil, fmt.Errorf("%w: %d batch columns for %d sink columns", ErrRow, n, len(columns))
	}
	var kind arrow.Array
	if n > len(columns) {
		kind = rec.Column(len(columns))
	}
	return rowsOf(int(rec.NumRows()), rec.Columns()[:len(columns)], columns, kind, rec.Schema().Field(n-1).Name)
}

// rowsOf builds n rows from one array per sink column; kind (named kindName), when not nil,
// carries each row's kind.
func rowsOf(n int, cols []arrow.Array, columns []string, kind arrow.Array, kindName string) ([]Row, error) {
	var kinds []RowKind
	if kind != nil {
		var err error
		if kinds, err = rowKinds(kind, kindName); err != nil {
			return nil, err
		}
	}
	rows := make([]Row, 0, n)
	for r := range n {
		vals := make([]any, len(cols))
		for c, col := range cols {
			var err error
			if vals[c], err = value(col, r); err != nil {
				return nil, fmt.Errorf("column %q: %w", columns[c], err)
			}
		}
		row := Row{Kind: Insert, Values: vals}
		if kinds != nil {
			row.Kind = kinds[r]
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func rowKinds(kind arrow.Array, name string) ([]RowKind, error) {
	kinds := make([]RowKind, kind.Len())
	switch col := kind.(type) {
	case *array.Int8:
		for i := range kinds {
			c := col.Value(i)
			if col.IsNull(i) || c < 0 || int(c) >= len(kindByCode) {
				return nil, fmt.Errorf("%w: row kind code %d", ErrRow, c)
			}
			kinds[i] = kindByCode[c]
		}
	case *array.String:
		for i := range kinds {
			k, ok := map[string]RowKind{"+I": Insert, "-U": UpdateBefore, "+U": UpdateAfter, "-D": Delete}[col.Value(i)]
			if col.IsNull(i) || !ok {
				return nil, fmt.Errorf("%w: row kind %q", ErrRow, col.Value(i))
			}
			kinds[i] = k
		}
	default:
		return nil, fmt.Errorf("%w: kind column %q is %s, want TINYINT or STRING", ErrRow, name, col.DataType())
	}
	return kinds, nil
}

// value returns row r of col as a sink value.
func value(col arrow.Array, r int) (any, error) {
	if col.IsNull(r) {
		return nil, nil
	}
	switch c := col.(type) {
	case *array.Boolean:
		return c.Value(r), nil
	case *array.Int8:
		return int64(c.Value(r)), nil
	case *array.Int16:
		return int64(c.Value(r)), nil
	case *array.Int32:
		return int64(c.Value(r)), nil
	case *array.Int64:
		return c.Value(r), nil
	case *array.Float32:
		return float64(c.Value(r)), nil
	case *array.Float64:
		return c.Value(r), nil
	case *array.String:
		// Value aliases the batch's buffer, which the allocator reuses once the batch is
		// released: the sink keeps rows until a checkpoint commits them.
		return strings.Clone(c.Value(r)), nil
	case *array.Binary:
		return append([]byte{}, c.Value(r)...), nil
	case *array.Date32:
		return c.Value(r).ToTime().UTC(), nil
	case *array.Timestamp:
		unit := c.DataType().(*arrow.TimestampType).Unit
		return c.Value(r).ToTime(unit).UTC(), nil
	case *array.Decimal128:
		scale := c.DataType().(*arrow.Decimal128Type).Scale
		return c.Value(r).ToString(scale), nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupportedValue, col.DataType())
}
