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

// chain feeds an operator's output to the next one, like the runtime does.
type chain struct {
	op   Operator
	next Emitter
}

func (c chain) Emit(rec arrow.RecordBatch) error { return c.op.ProcessBatch(0, rec, c.next) }
func (c chain) EmitWatermark(wm int64) error     { return c.op.ProcessWatermark(wm, c.next) }

func newOp(t *testing.T, r *Registry, kind string, cfg any, mem memory.Allocator) Operator {
	t.Helper()
	b := dataflow.NewGraphBuilder("t")
	b.Vertex("v", 1).Op(kind, cfg)
	g, err := b.Build()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	op, err := r.New(g.Vertices[0].Operators[0])
	if err != nil {
		t.Fatalf("New(%s): %v", kind, err)
	}
	if err := op.Open(&Context{Allocator: mem, Parallelism: 1}); err != nil {
		t.Fatalf("Open(%s): %v", kind, err)
	}
	return op
}

func TestBuiltinChainCountsNoLeaks(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	coll := NewCollection()
	defer coll.Release()
	r := NewRegistry()
	if err := RegisterBuiltins(r, coll); err != nil {
		t.Fatalf("RegisterBuiltins: %v", err)
	}
	src := newOp(t, r, KindSequence, SequenceConfig{Rows: 1000, BatchSize: 64, Width: 5, Keys: 7}, mem).(Source)
	filt := newOp(t, r, KindFilter, FilterConfig{Column: "id", Op: "<", Value: 700}, mem)
	proj := newOp(t, r, KindProject, ProjectConfig{Columns: []string{"k", "ts"}, Sum: &SumExpr{Name: "s", Left: "id", Right: "c4"}}, mem)
	cnt := newOp(t, r, KindKeyedCount, KeyedCountConfig{Key: "k"}, mem)
	sink := newOp(t, r, KindCollect, CollectConfig{Name: "out"}, mem)
	out := chain{filt, chain{proj, chain{cnt, chain{sink, nil}}}}
	for {
		err := src.Poll(context.Background(), out)
		if errors.Is(err, ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatalf("Poll: %v", err)
		}
	}
	last := map[int64]int64{}
	for _, b := range coll.Batches("out") {
		keys, counts := b.Column(0).(*array.Int64), b.Column(1).(*array.Int64)
		for i := range keys.Len() {
			last[keys.Value(i)] = counts.Value(i)
		}
	}
	for k := int64(0); k < 7; k++ {
		if got, want := last[k], int64(100); got != want {
			t.Fatalf("count[%d] = %d, want %d", k, got, want)
		}
	}
	if wm, ok := coll.Watermark("out"); !ok || wm != 999 {
		t.Fatalf("sink watermark = %d (%v), want 999", wm, ok)
	}

	var snap bytes.Buffer
	if err := cnt.SnapshotState(1, &snap); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	restored := newOp(t, r, KindKeyedCount, KeyedCountConfig{Key: "k"}, mem).(*keyedCount)
	if err := restored.RestoreState(bytes.NewReader(snap.Bytes())); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if got, want := len(restored.counts), 7; got != want {
		t.Fatalf("restored keys = %d, want %d", got, want)
	}
	if got, want := restored.counts[3], int64(100); got != want {
		t.Fatalf("restored count[3] = %d, want %d", got, want)
	}
}

func TestRegistryErrors(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	if err := RegisterBuiltins(r, nil); err != nil {
		t.Fatalf("RegisterBuiltins: %v", err)
	}
	if err := r.Register(KindSequence, newSequence); !errors.Is(err, ErrDuplicateKind) {
		t.Fatalf("duplicate Register error = %v", err)
	}
	if _, err := r.New(dataflow.OperatorSpec{ID: "x", Kind: "nope"}); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("unknown kind error = %v", err)
	}
	bad := dataflow.OperatorSpec{ID: "x", Kind: KindFilter, Config: []byte(`{"column":"a","op":"~"}`)}
	if _, err := r.New(bad); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad op error = %v", err)
	}
	unknownField := dataflow.OperatorSpec{ID: "x", Kind: KindSequence, Config: []byte(`{"rowz":1}`)}
	if _, err := r.New(unknownField); !errors.Is(err, ErrConfig) {
		t.Fatalf("unknown field error = %v", err)
	}
}
