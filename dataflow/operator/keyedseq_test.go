package operator

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
)

// firstValues records the first column's values of every emitted batch.
type firstValues struct{ vals []int64 }

func (f *firstValues) Emit(rec arrow.RecordBatch) error {
	f.vals = append(f.vals, rec.Column(0).(*array.Int64).Int64Values()...)
	return nil
}
func (f *firstValues) EmitWatermark(int64) error { return nil }

func pollN(t *testing.T, src Source, n int) []int64 {
	t.Helper()
	out := &firstValues{}
	for range n {
		if err := src.Poll(context.Background(), out); err != nil {
			t.Fatal(err)
		}
	}
	return out.vals
}

func TestSourcesResumeFromSnapshottedOffsets(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	if err := RegisterBuiltins(r, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind string
		cfg  any
	}{
		{KindSequence, SequenceConfig{BatchSize: 10}},
		{KindKeyedSequence, KeyedSequenceConfig{Keys: 3, BatchSize: 10}},
	} {
		src := newOp(t, r, tc.kind, tc.cfg, memory.DefaultAllocator).(Source)
		pollN(t, src, 3)
		var snap bytes.Buffer
		if err := src.SnapshotState(1, &snap); err != nil {
			t.Fatal(err)
		}
		want := pollN(t, src, 2) // emitted after the checkpoint: replayed after a restore

		b := dataflow.NewGraphBuilder("t")
		b.Vertex("v", 1).Op(tc.kind, tc.cfg)
		g, _ := b.Build()
		restored, err := r.New(g.Vertices[0].Operators[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := restored.RestoreState(bytes.NewReader(snap.Bytes())); err != nil {
			t.Fatal(err)
		}
		if err := restored.RestoreState(bytes.NewReader(snap.Bytes())); !errors.Is(err, ErrConfig) {
			t.Fatalf("%s: second offset restored: %v, want ErrConfig", tc.kind, err)
		}
		if err := restored.Open(&Context{Allocator: memory.DefaultAllocator, Parallelism: 1}); err != nil {
			t.Fatal(err)
		}
		got := pollN(t, restored.(Source), 2)
		if len(got) != len(want) || got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
			t.Fatalf("%s: after restore emitted %v, want %v", tc.kind, got, want)
		}
	}
}
