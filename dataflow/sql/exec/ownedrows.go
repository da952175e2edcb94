package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// ownedRows reads the rows of a batch with strings that outlive it, cheaply: each string
// column's bytes are copied once into a Go string and every value is a substring of that copy
// (which lives while any of its values does). It suits operators that keep most of the rows
// they read (joins); those that keep a few (group keys, Top-N) copy those values instead
// (readRow, ownedValue), so that one kept value does not hold a whole batch's strings.
type ownedRows struct {
	cols   []arrow.Array
	strs   []*array.String
	arenas []string
	base   []int
}

func newOwnedRows(rec arrow.RecordBatch) ownedRows {
	o := ownedRows{cols: rec.Columns(), strs: make([]*array.String, rec.NumCols()),
		arenas: make([]string, rec.NumCols()), base: make([]int, rec.NumCols())}
	for j, col := range o.cols {
		if s, ok := col.(*array.String); ok && s.Len() > 0 {
			o.strs[j], o.arenas[j], o.base[j] = s, string(s.ValueBytes()), s.ValueOffset(0)
		}
	}
	return o
}

// read reads row r into buf.
func (o ownedRows) read(r int, buf []any) ([]any, error) {
	buf = buf[:0]
	for j := range o.cols {
		v, err := o.at(j, r)
		if err != nil {
			return nil, err
		}
		buf = append(buf, v)
	}
	return buf, nil
}

// readFirst reads the first n columns of row r into a new slice (for a row the operator keeps).
func (o ownedRows) readFirst(r, n int) ([]any, error) {
	row := make([]any, n)
	for j := range row {
		v, err := o.at(j, r)
		if err != nil {
			return nil, err
		}
		row[j] = v
	}
	return row, nil
}

// at reads column j of row r.
func (o ownedRows) at(j, r int) (any, error) {
	if s := o.strs[j]; s != nil {
		if s.IsNull(r) {
			return nil, nil
		}
		start := s.ValueOffset(r) - o.base[j]
		return o.arenas[j][start : start+s.ValueLen(r)], nil
	}
	return value(o.cols[j], r)
}
