package operator

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
)

// KeyedCountConfig configures keyed_count, a running count per value of the BIGINT column Key.
// After each input batch it emits (key, count) for the keys that batch touched, so the last row
// seen for a key holds its current count (an upsert stream).
type KeyedCountConfig struct {
	Key string `json:"key"`
}

// KeyedCountSchema is the output schema of keyed_count on key column key.
func KeyedCountSchema(key string) dataflow.Schema {
	return dataflow.NewSchema(dataflow.Col(key, dataflow.BigInt), dataflow.Col("count", dataflow.BigInt))
}

type keyedCount struct {
	Base
	cfg    KeyedCountConfig
	mem    memory.Allocator
	out    *arrow.Schema
	counts map[int64]int64
	seen   map[int64]struct{}
	prev   *arrow.Schema
	col    int
}

func newKeyedCount(spec dataflow.OperatorSpec) (Operator, error) {
	var cfg KeyedCountConfig
	if err := DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	if cfg.Key == "" {
		return nil, fmt.Errorf("%w: keyed_count needs a key column", ErrConfig)
	}
	return &keyedCount{cfg: cfg, counts: make(map[int64]int64), seen: make(map[int64]struct{})}, nil
}

func (k *keyedCount) Open(ctx *Context) error {
	out, err := batch.ArrowSchema(KeyedCountSchema(k.cfg.Key))
	k.mem, k.out = ctx.Allocator, out
	return err
}

func (k *keyedCount) ProcessBatch(_ int, rec arrow.RecordBatch, out Emitter) error {
	if k.prev != rec.Schema() {
		i, err := columnIndex(rec.Schema(), k.cfg.Key)
		if err != nil {
			return err
		}
		if rec.Schema().Field(i).Type.ID() != arrow.INT64 {
			return fmt.Errorf("%w: keyed_count key %q is %s, want BIGINT", ErrConfig, k.cfg.Key, rec.Schema().Field(i).Type)
		}
		k.prev, k.col = rec.Schema(), i
	}
	col := rec.Column(k.col).(*array.Int64)
	for i, key := range col.Int64Values() {
		if col.IsValid(i) {
			k.counts[key]++
		}
	}
	return k.emitTouched(rec, out)
}

// emitTouched emits the current counts of every key in the batch (deduplicated).
func (k *keyedCount) emitTouched(rec arrow.RecordBatch, out Emitter) error {
	col := rec.Column(k.col).(*array.Int64)
	clear(k.seen)
	kb := array.NewInt64Builder(k.mem)
	cb := array.NewInt64Builder(k.mem)
	defer kb.Release()
	defer cb.Release()
	for i, key := range col.Int64Values() {
		if col.IsNull(i) {
			continue
		}
		if _, dup := k.seen[key]; dup {
			continue
		}
		k.seen[key] = struct{}{}
		kb.Append(key)
		cb.Append(k.counts[key])
	}
	return emitColumns(k.out, out, kb, cb)
}

func emitColumns(schema *arrow.Schema, out Emitter, builders ...array.Builder) error {
	cols := make([]arrow.Array, len(builders))
	for i, b := range builders {
		cols[i] = b.NewArray()
	}
	rec := array.NewRecordBatch(schema, cols, int64(cols[0].Len()))
	for _, c := range cols {
		c.Release()
	}
	defer rec.Release()
	if rec.NumRows() == 0 {
		return nil
	}
	return out.Emit(rec)
}

// SnapshotState writes the counts as (uvarint n, then n pairs of varint key, varint count).
func (k *keyedCount) SnapshotState(_ uint64, w io.Writer) error {
	buf := binary.AppendUvarint(nil, uint64(len(k.counts)))
	for key, c := range k.counts {
		buf = binary.AppendVarint(buf, key)
		buf = binary.AppendVarint(buf, c)
	}
	_, err := w.Write(buf)
	return err
}

// RestoreState reads what SnapshotState wrote.
func (k *keyedCount) RestoreState(r io.Reader) error {
	br, ok := r.(io.ByteReader)
	if !ok {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		br = &byteReader{b: b}
	}
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return fmt.Errorf("restore keyed_count: %w", err)
	}
	counts := make(map[int64]int64, min(n, 1<<16))
	for range n {
		key, err1 := binary.ReadVarint(br)
		c, err2 := binary.ReadVarint(br)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("restore keyed_count: truncated state")
		}
		counts[key] = c
	}
	k.counts = counts
	return nil
}

type byteReader struct{ b []byte }

func (r *byteReader) ReadByte() (byte, error) {
	if len(r.b) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c, nil
}
