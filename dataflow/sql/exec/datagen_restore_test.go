package exec

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

type firstID struct{ ids []int64 }

func (f *firstID) Emit(rec arrow.RecordBatch) error {
	f.ids = append(f.ids, rec.Column(0).(*array.Int64).Int64Values()...)
	return nil
}
func (f *firstID) EmitWatermark(int64) error { return nil }

// A datagen source restored from a checkpoint continues at its offset and paces from the
// restore on, instead of sleeping until wall time catches up with the rows emitted before.
func TestDatagenResumesAtOffsetWithoutStalling(t *testing.T) {
	t.Parallel()
	cfg := sql.SourceConfig{Connector: "datagen", Columns: []sql.ColumnSpec{{Name: "id", Type: "BIGINT"}},
		Options: map[string]string{"fields.id.kind": "sequence", "fields.id.start": "0", "fields.id.end": "10000000", "rows-per-second": "1000"}}
	op, err := newDatagen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := op.(*datagen)
	now := time.Unix(1000, 0)
	var slept time.Duration
	d.now = func() time.Time { return now }
	d.sleep = func(x time.Duration) { slept += x }
	if err := d.RestoreState(bytes.NewReader(binary.BigEndian.AppendUint64(nil, 500000))); err != nil {
		t.Fatal(err)
	}
	if err := d.Open(&operator.Context{Allocator: memory.DefaultAllocator, Parallelism: 1}); err != nil {
		t.Fatal(err)
	}
	out := &firstID{}
	if err := d.Poll(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	if len(out.ids) == 0 || out.ids[0] != 500000 {
		t.Fatalf("first id after restore = %v, want 500000", out.ids[:min(len(out.ids), 3)])
	}
	if slept > 200*time.Millisecond {
		t.Fatalf("slept %s for the first batch after a restore", slept)
	}
}
