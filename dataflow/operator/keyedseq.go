package operator

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/state"
)

// Kinds of the exactly-once test pipeline.
const (
	KindKeyedSequence = "keyed_sequence"
	KindSeqCount      = "seq_count"
)

// KeyedSequenceConfig configures keyed_sequence, a replayable source of per-key sequences:
// subtask s of p owns keys s, s+p, s+2p, ... (Keys of them) and emits rows (k, seq) round-robin
// over its keys, each key's seq counting 0, 1, 2, ... Its state is its offset, so after a
// restore every key continues exactly where the checkpoint left it.
type KeyedSequenceConfig struct {
	Keys          int64   `json:"keys,omitempty"`            // keys per subtask (0: 10)
	BatchSize     int     `json:"batch_size,omitempty"`      // rows per batch (0: 100)
	Rows          int64   `json:"rows,omitempty"`            // rows per subtask; 0 means unbounded
	RowsPerSecond float64 `json:"rows_per_second,omitempty"` // pacing per subtask; 0: as fast as polled
}

// KeyedSequenceSchema is keyed_sequence's output: k BIGINT, seq BIGINT.
func KeyedSequenceSchema() dataflow.Schema {
	return dataflow.NewSchema(dataflow.Col("k", dataflow.BigInt), dataflow.Col("seq", dataflow.BigInt))
}

type keyedSequence struct {
	Base
	cfg      KeyedSequenceConfig
	mem      memory.Allocator
	schema   *arrow.Schema
	subtask  int64
	par      int64
	offset   int64 // rows emitted by this subtask
	resume   *int64
	started  time.Time
	sinceRun int64 // rows emitted since Open (pacing)
}

func newKeyedSequence(spec dataflow.OperatorSpec) (Operator, error) {
	cfg := KeyedSequenceConfig{Keys: 10, BatchSize: 100}
	if err := DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	if cfg.Keys < 1 || cfg.BatchSize < 1 || cfg.Rows < 0 || cfg.RowsPerSecond < 0 {
		return nil, fmt.Errorf("%w: keyed_sequence needs keys >= 1, batch_size >= 1, rows >= 0, rows_per_second >= 0", ErrConfig)
	}
	return &keyedSequence{cfg: cfg}, nil
}

func (s *keyedSequence) Open(ctx *Context) error {
	schema, err := batch.ArrowSchema(KeyedSequenceSchema())
	if err != nil {
		return err
	}
	s.mem, s.schema = ctx.Allocator, schema
	s.subtask, s.par = int64(ctx.Subtask), int64(max(ctx.Parallelism, 1))
	if s.resume != nil {
		s.offset = *s.resume
	}
	s.started = time.Now()
	return nil
}

func (s *keyedSequence) Poll(ctx context.Context, out Emitter) error {
	n := int64(s.cfg.BatchSize)
	if s.cfg.Rows > 0 {
		if n = min(n, s.cfg.Rows-s.offset); n <= 0 {
			return ErrEndOfInput
		}
	}
	if s.cfg.RowsPerSecond > 0 {
		due := s.started.Add(time.Duration(float64(s.sinceRun) / s.cfg.RowsPerSecond * float64(time.Second)))
		if wait := time.Until(due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
	}
	kb, sb := array.NewInt64Builder(s.mem), array.NewInt64Builder(s.mem)
	defer kb.Release()
	defer sb.Release()
	for i := range n {
		row := s.offset + i
		kb.Append(s.subtask + (row%s.cfg.Keys)*s.par)
		sb.Append(row / s.cfg.Keys)
	}
	s.offset += n
	s.sinceRun += n
	return emitColumns(s.schema, out, kb, sb)
}

func (s *keyedSequence) ProcessBatch(int, arrow.RecordBatch, Emitter) error {
	return fmt.Errorf("%w: keyed_sequence is a source and takes no input", ErrConfig)
}

// SnapshotState writes the offset.
func (s *keyedSequence) SnapshotState(_ uint64, w io.Writer) error {
	_, err := w.Write(binary.BigEndian.AppendUint64(nil, uint64(s.offset)))
	return err
}

// RestoreState resumes at a snapshotted offset (same parallelism only: keys belong to subtasks).
func (s *keyedSequence) RestoreState(r io.Reader) error {
	off, err := readOffset(r, s.resume != nil)
	if err != nil {
		return fmt.Errorf("restore keyed_sequence: %w", err)
	}
	s.resume = &off
	return nil
}

// SeqCountConfig configures seq_count, a keyed operator over BIGINT columns Key and Seq: it
// keeps a count per key in keyed state and emits (key, seq, n) where n is the number of rows of
// that key it processed before this one. On an exactly-once pipeline fed by keyed_sequence, n
// equals seq for every row, whatever failures and restores (also at another parallelism)
// happened in between.
type SeqCountConfig struct {
	Key string `json:"key,omitempty"` // default "k"
	Seq string `json:"seq,omitempty"` // default "seq"
}

// SeqCountSchema is seq_count's output: k, seq, n BIGINT.
func SeqCountSchema() dataflow.Schema {
	return dataflow.NewSchema(dataflow.Col("k", dataflow.BigInt), dataflow.Col("seq", dataflow.BigInt), dataflow.Col("n", dataflow.BigInt))
}

type seqCount struct {
	Base
	cfg     SeqCountConfig
	mem     memory.Allocator
	out     *arrow.Schema
	counts  *state.ValueState[int64]
	backend *state.Backend
	hashes  []uint64
}

func newSeqCount(spec dataflow.OperatorSpec) (Operator, error) {
	cfg := SeqCountConfig{Key: "k", Seq: "seq"}
	if err := DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	return &seqCount{cfg: cfg}, nil
}

func (c *seqCount) Open(ctx *Context) error {
	out, err := batch.ArrowSchema(SeqCountSchema())
	if err != nil {
		return err
	}
	c.mem, c.out, c.backend = ctx.Allocator, out, ctx.State
	if c.backend == nil {
		if c.backend, err = state.NewSubtaskBackend(state.DefaultMaxParallelism, max(ctx.Parallelism, 1), ctx.Subtask); err != nil {
			return err
		}
	}
	c.counts, err = state.NewValueState(c.backend, "count", state.Int64Codec{})
	return err
}

func (c *seqCount) ProcessBatch(_ int, rec arrow.RecordBatch, out Emitter) error {
	ki, err := columnIndex(rec.Schema(), c.cfg.Key)
	if err != nil {
		return err
	}
	si, err := columnIndex(rec.Schema(), c.cfg.Seq)
	if err != nil {
		return err
	}
	keys, ok1 := rec.Column(ki).(*array.Int64)
	seqs, ok2 := rec.Column(si).(*array.Int64)
	if !ok1 || !ok2 {
		return fmt.Errorf("%w: seq_count needs BIGINT columns %q and %q", ErrConfig, c.cfg.Key, c.cfg.Seq)
	}
	n := int(rec.NumRows())
	if cap(c.hashes) < n {
		c.hashes = make([]uint64, n)
	}
	c.hashes = c.hashes[:n]
	if err := batch.HashRows(rec, []int{ki}, c.hashes); err != nil {
		return err
	}
	kb, sb, nb := array.NewInt64Builder(c.mem), array.NewInt64Builder(c.mem), array.NewInt64Builder(c.mem)
	defer kb.Release()
	defer sb.Release()
	defer nb.Release()
	var key [8]byte
	for i := range n {
		g := c.backend.KeyGroup(c.hashes[i])
		binary.BigEndian.PutUint64(key[:], uint64(keys.Value(i)))
		cnt, _ := c.counts.Get(g, key[:])
		c.counts.Put(g, key[:], cnt+1)
		kb.Append(keys.Value(i))
		sb.Append(seqs.Value(i))
		nb.Append(cnt)
	}
	return emitColumns(c.out, out, kb, sb, nb)
}
