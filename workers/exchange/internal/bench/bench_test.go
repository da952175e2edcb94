package bench

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow/batch"
)

func BenchmarkExchangeThroughput(b *testing.B) {
	rec, err := Batch(4096, ChainWidth)
	if err != nil {
		b.Fatalf("Batch: %v", err)
	}
	defer rec.Release()
	res, err := ExchangeThroughput(rec, b.N)
	if err != nil {
		b.Fatalf("ExchangeThroughput: %v", err)
	}
	b.SetBytes(res.Bytes / int64(b.N))
}

func BenchmarkRawTCP(b *testing.B) {
	const chunk = 256 << 10
	b.SetBytes(chunk)
	if _, err := RawTCP(int64(b.N)*chunk, chunk); err != nil {
		b.Fatalf("RawTCP: %v", err)
	}
}

// BenchmarkForwardChain reports ns per row of the 8-column forward chain.
func BenchmarkForwardChain(b *testing.B) {
	for _, alloc := range []struct {
		name string
		mem  memory.Allocator
	}{{"pool", batch.NewPoolAllocator()}, {"go", memory.NewGoAllocator()}} {
		b.Run(alloc.name, func(b *testing.B) {
			if _, _, err := ForwardChain(int64(b.N), 4096, alloc.mem); err != nil {
				b.Fatalf("ForwardChain: %v", err)
			}
		})
	}
}
