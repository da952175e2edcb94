package batch

import (
	"math/bits"
	"sync"
	"unsafe"
)

// PoolAllocator is a memory.Allocator that recycles freed buffers by power-of-two size class,
// so a steady stream of batches allocates (and garbage-collects) almost nothing. Buffers are
// 64-byte aligned and zeroed like memory.GoAllocator's. It is safe for concurrent use; the
// worker shares one between its tasks.
type PoolAllocator struct {
	pools [maxClass + 1]sync.Pool
}

const (
	minClass  = 6  // 64 B
	maxClass  = 26 // 64 MiB; larger buffers are not pooled
	alignment = 64
)

// NewPoolAllocator returns an empty pool.
func NewPoolAllocator() *PoolAllocator { return &PoolAllocator{} }

func class(size int) int {
	if size <= 1<<minClass {
		return minClass
	}
	return bits.Len(uint(size - 1))
}

// Allocate returns a zeroed, 64-byte aligned buffer of size bytes.
func (p *PoolAllocator) Allocate(size int) []byte {
	c := class(size)
	if c > maxClass {
		return aligned(size, size)
	}
	if v := p.pools[c].Get(); v != nil {
		b := (*v.(*[]byte))[:size]
		clear(b)
		return b
	}
	return aligned(size, 1<<c)
}

// aligned allocates capacity bytes at a 64-byte boundary and returns the first size of them.
func aligned(size, capacity int) []byte {
	buf := make([]byte, capacity+alignment)
	shift := 0
	if rem := int(uintptr(unsafe.Pointer(unsafe.SliceData(buf))) % alignment); rem != 0 {
		shift = alignment - rem
	}
	return buf[shift : shift+size : shift+capacity]
}

// Reallocate grows or shrinks b to size bytes, keeping its contents; new bytes are zero.
func (p *PoolAllocator) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		old := len(b)
		b = b[:size]
		if size > old {
			clear(b[old:])
		}
		return b
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

// Free returns b to its size class's pool.
func (p *PoolAllocator) Free(b []byte) {
	c := cap(b)
	if c == 0 || c&(c-1) != 0 || class(c) > maxClass || class(c) < minClass {
		return // not one of ours (or unpooled): let the GC have it
	}
	b = b[:0]
	p.pools[class(c)].Put(&b)
}
