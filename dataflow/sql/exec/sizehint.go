package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// sizeHint remembers the rows and string bytes per column of an operator's last output
// batch, so the next batch's builder reserves them up front instead of growing its buffers
// by doubling and copying (wide string columns made that a large part of the copying).
type sizeHint struct {
	rows int
	data []int
}

// reserve sizes b like the last noted batch.
func (h *sizeHint) reserve(b *array.RecordBuilder) {
	if h.rows > 0 {
		b.Reserve(h.rows)
	}
	for i, n := range h.data {
		if sb, ok := b.Field(i).(*array.StringBuilder); ok && n > 0 {
			sb.ReserveData(n + n/8) // batches vary a little
		}
	}
}

// note records rec's size.
func (h *sizeHint) note(rec arrow.RecordBatch) {
	h.rows = int(rec.NumRows())
	h.data = h.data[:0]
	for _, col := range rec.Columns() {
		n := 0
		if s, ok := col.(*array.String); ok {
			n = len(s.ValueBytes())
		}
		h.data = append(h.data, n)
	}
}
