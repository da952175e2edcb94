package batch

import (
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzDecodeBatch feeds arbitrary bytes to a fresh decoder with the edge schema, as the exchange
// decodes a peer's bytes: it must return a batch or ErrCorruptBatch, never panic or allocate
// without bound, and every value of a returned batch must be readable.
func FuzzDecodeBatch(f *testing.F) {
	mem := memory.NewGoAllocator()
	rec := testRecord(&testing.T{}, mem, 20)
	enc := NewEncoder(rec.Schema(), mem)
	first, err := enc.AppendEncode(nil, rec)
	if err != nil {
		f.Fatalf("encode: %v", err)
	}
	second, err := enc.AppendEncode(nil, rec)
	if err != nil {
		f.Fatalf("encode: %v", err)
	}
	enc.Close()
	defer rec.Release()
	f.Add(second)
	f.Add(first)
	f.Add(first[:len(first)/2])
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0})
	schema := rec.Schema()
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := NewDecoder(schema) // as the exchange decodes peers' bytes
		defer dec.Close()
		got, err := dec.Decode(data)
		if err != nil {
			if !errors.Is(err, ErrCorruptBatch) {
				t.Fatalf("error %v does not wrap ErrCorruptBatch", err)
			}
			return
		}
		defer got.Release()
		for _, col := range got.Columns() {
			for i := range col.Len() {
				_ = col.ValueStr(i)
			}
		}
	})
}
