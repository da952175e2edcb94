package batch

import (
	"bytes"
	"errors"
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
)

func testRecord(t *testing.T, mem memory.Allocator, n int) arrow.RecordBatch {
	t.Helper()
	s, err := ArrowSchema(dataflow.NewSchema(
		dataflow.Col("k", dataflow.BigInt), dataflow.NullCol("name", dataflow.String),
		dataflow.Col("ts", dataflow.Timestamp(3)), dataflow.Col("d", dataflow.Decimal(10, 2)),
	).WithEventTime("ts"))
	if err != nil {
		t.Fatalf("ArrowSchema: %v", err)
	}
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.Int64Builder).Append(int64(i % 7))
		if i%3 == 0 {
			b.Field(1).(*array.StringBuilder).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append("row")
		}
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(1000 + i))
		b.Field(3).(*array.Decimal128Builder).Append(decimalOf(i))
	}
	return b.NewRecordBatch()
}

func TestCodecRoundTripNoLeaks(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := testRecord(t, mem, 100)
	defer rec.Release()
	if got, want := EventTimeColumn(rec.Schema()), 2; got != want {
		t.Fatalf("EventTimeColumn = %d, want %d", got, want)
	}
	enc := NewEncoder(rec.Schema(), mem)
	defer enc.Close()
	dec := NewDecoder(rec.Schema())
	defer dec.Close()
	var first int
	for i := range 3 {
		buf, err := enc.AppendEncode(nil, rec)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if i == 0 {
			first = len(buf)
		} else if len(buf) >= first {
			t.Fatalf("second frame %d bytes not smaller than first %d (schema repeated?)", len(buf), first)
		}
		got, err := dec.Decode(buf)
		if err != nil {
			t.Fatalf("decode %d: %v", i, err)
		}
		if !array.RecordEqual(got, rec) {
			t.Fatalf("decoded batch differs")
		}
		got.Release()
	}
}

func TestDecodeGarbage(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dec := NewDecoder(nil)
	defer dec.Close()
	if _, err := dec.Decode([]byte{0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0, 1, 2, 3}); !errors.Is(err, ErrCorruptBatch) {
		t.Fatalf("Decode error = %v, want ErrCorruptBatch", err)
	}
}

func TestTakeAndHash(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := testRecord(t, mem, 50)
	defer rec.Release()
	hashes := make([]uint64, rec.NumRows())
	if err := HashRows(rec, []int{0}, hashes); err != nil {
		t.Fatalf("HashRows: %v", err)
	}
	var idx []int32
	for i := range hashes {
		if hashes[i] == hashes[0] {
			idx = append(idx, int32(i))
		}
	}
	if got, want := len(idx), 8; got != want { // k = i % 7 == 0 for i in 0,7,...,49
		t.Fatalf("rows with key 0's hash = %d, want %d", got, want)
	}
	sub, err := Take(mem, rec, idx)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	defer sub.Release()
	for i := range int(sub.NumRows()) {
		if got := sub.Column(0).(*array.Int64).Value(i); got != 0 {
			t.Fatalf("row %d key = %d, want 0", i, got)
		}
		if got, want := sub.Column(2).(*array.Timestamp).Value(i), arrow.Timestamp(1000+7*i); got != want {
			t.Fatalf("row %d ts = %d, want %d", i, got, want)
		}
	}
	if !sub.Column(1).IsNull(0) {
		t.Fatalf("row 0 name should be null")
	}
}

func decimalOf(i int) decimal128.Num { return decimal128.FromI64(int64(i) * 101) }

func TestPoolAllocatorRecycles(t *testing.T) {
	t.Parallel()
	p := NewPoolAllocator()
	mem := memory.NewCheckedAllocator(p)
	defer mem.AssertSize(t, 0)
	for range 3 {
		rec := testRecord(t, mem, 1000)
		rec.Release()
	}
	b := p.Allocate(100)
	if got, want := len(b), 100; got != want {
		t.Fatalf("len = %d, want %d", got, want)
	}
	if uintptr(unsafe.Pointer(&b[0]))%64 != 0 {
		t.Fatalf("buffer not 64-byte aligned")
	}
	for i := range b {
		b[i] = 0xff
	}
	b = p.Reallocate(200, b)
	if b[0] != 0xff || b[150] != 0 {
		t.Fatalf("Reallocate lost contents or left garbage: %x %x", b[0], b[150])
	}
	p.Free(b)
	again := p.Allocate(130)
	for i, v := range again {
		if v != 0 {
			t.Fatalf("recycled buffer byte %d = %x, want 0", i, v)
		}
	}
}

func TestEncodeGatherMatchesEncode(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := testRecord(t, mem, 5000) // large enough for referenced buffers
	defer rec.Release()
	plain, gather := NewEncoder(rec.Schema(), mem), NewEncoder(rec.Schema(), mem)
	defer plain.Close()
	defer gather.Close()
	for i := range 2 {
		want, err := plain.AppendEncode([]byte("hdr"), rec)
		if err != nil {
			t.Fatalf("AppendEncode: %v", err)
		}
		head, segs, err := gather.AppendEncodeGather([]byte("hdr"), rec)
		if err != nil {
			t.Fatalf("AppendEncodeGather: %v", err)
		}
		var got []byte
		refs := 0
		for _, s := range segs {
			got = append(got, s...)
			if len(s) >= gatherMin {
				refs++
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d: gathered encoding differs from the plain one (%d vs %d bytes)", i, len(got), len(want))
		}
		if refs == 0 || len(head) >= len(want)/2 {
			t.Fatalf("round %d: nothing was referenced (head %d of %d bytes)", i, len(head), len(want))
		}
	}
}
