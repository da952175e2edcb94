package postgres

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkSinkBuffer measures buffering one 1,024-row batch's rows until the next checkpoint:
// copy is Write (rows copied and normalised again), owned is the operator's path (rows kept as
// RowsFromBatch built them). No database is involved.
func BenchmarkSinkBuffer(b *testing.B) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.BinaryTypes.String}, {Name: "seq", Type: arrow.PrimitiveTypes.Int64},
		{Name: "raw", Type: arrow.BinaryTypes.Binary}}, nil)
	bld := array.NewRecordBuilder(memory.NewGoAllocator(), schema)
	defer bld.Release()
	for i := range 1024 {
		bld.Field(0).(*array.StringBuilder).Append("key")
		bld.Field(1).(*array.Int64Builder).Append(int64(i))
		bld.Field(2).(*array.BinaryBuilder).Append([]byte("payload"))
	}
	rec := bld.NewRecordBatch()
	defer rec.Release()
	columns := []string{"k", "seq", "raw"}
	for _, path := range []string{"copy", "owned"} {
		b.Run(path, func(b *testing.B) {
			s := &Sink{cfg: SinkConfig{Columns: columns, Mode: Append}}
			b.ReportAllocs()
			for b.Loop() {
				rows, err := RowsFromBatch(rec, columns, "")
				if err == nil && path == "copy" {
					err = s.Write(rows...)
				} else if err == nil {
					err = s.writeOwned(rows)
				}
				if err != nil {
					b.Fatal(err)
				}
				s.current = s.current[:0]
			}
		})
	}
}
