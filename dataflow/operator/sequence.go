package operator

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
)

// Built-in operator kinds.
const (
	KindSequence   = "sequence"
	KindProject    = "project"
	KindFilter     = "filter"
	KindKeyedCount = "keyed_count"
	KindBlackhole  = "blackhole"
	KindCollect    = "collect"
)

// SequenceConfig configures the sequence source. Subtask s of p emits rows with ids
// s*Rows .. s*Rows+Rows-1; row id i has key i % Keys and event time StartMillis + i*StepMillis.
// After each batch it emits the watermark (max event time so far - DelayMillis).
type SequenceConfig struct {
	Rows        int64 `json:"rows"`                  // rows per subtask; 0 means unbounded
	BatchSize   int   `json:"batch_size,omitempty"`  // rows per batch (0: 4096)
	Width       int   `json:"width,omitempty"`       // columns (0: 3): id, k, ts, then c3, c4, ... BIGINT
	Keys        int64 `json:"keys,omitempty"`        // distinct keys (0: 10)
	StartMillis int64 `json:"start_millis"`          // event time of id 0
	StepMillis  int64 `json:"step_millis,omitempty"` // event-time step per id (0: 1)
	DelayMillis int64 `json:"delay_millis"`          // watermark delay behind the max event time
	// Watermarks false disables watermarks (the source then stays at MinWatermark until its end).
	Watermarks *bool `json:"watermarks,omitempty"`
}

// SequenceSchema is the schema of a sequence source of the given width: id BIGINT, k BIGINT,
// ts TIMESTAMP(3) (the event time), then c3..c<width-1> BIGINT.
func SequenceSchema(width int) dataflow.Schema {
	fields := []dataflow.Field{
		dataflow.Col("id", dataflow.BigInt), dataflow.Col("k", dataflow.BigInt), dataflow.Col("ts", dataflow.Timestamp(3)),
	}
	for i := 3; i < width; i++ {
		fields = append(fields, dataflow.Col(fmt.Sprintf("c%d", i), dataflow.BigInt))
	}
	return dataflow.NewSchema(fields...).WithEventTime("ts")
}

type sequence struct {
	Base
	cfg    SequenceConfig
	mem    memory.Allocator
	schema *arrow.Schema
	next   int64
	end    int64
	resume *int64 // restored offset, applied at Open
}

func newSequence(spec dataflow.OperatorSpec) (Operator, error) {
	cfg := SequenceConfig{BatchSize: 4096, Width: 3, Keys: 10, StepMillis: 1}
	if err := DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	if cfg.Width < 3 || cfg.BatchSize < 1 || cfg.Keys < 1 || cfg.Rows < 0 {
		return nil, fmt.Errorf("%w: sequence needs width >= 3, batch_size >= 1, keys >= 1, rows >= 0", ErrConfig)
	}
	return &sequence{cfg: cfg}, nil
}

func (s *sequence) Open(ctx *Context) error {
	schema, err := batch.ArrowSchema(SequenceSchema(s.cfg.Width))
	if err != nil {
		return err
	}
	s.mem, s.schema = ctx.Allocator, schema
	s.next = int64(ctx.Subtask) * s.cfg.Rows
	s.end = s.next + s.cfg.Rows
	if s.cfg.Rows == 0 {
		s.end = -1
	}
	if s.resume != nil {
		s.next = *s.resume
	}
	return nil
}

// SnapshotState writes the next id to emit: the source's offset.
func (s *sequence) SnapshotState(_ uint64, w io.Writer) error {
	_, err := w.Write(binary.BigEndian.AppendUint64(nil, uint64(s.next)))
	return err
}

// RestoreState resumes at a snapshotted offset. Ids are assigned per subtask, so the source
// cannot be restored at another parallelism.
func (s *sequence) RestoreState(r io.Reader) error {
	off, err := readOffset(r, s.resume != nil)
	if err != nil {
		return fmt.Errorf("restore sequence: %w", err)
	}
	s.resume = &off
	return nil
}

// readOffset reads an offset written as 8 big-endian bytes; again reports a second restored
// state, which a source of per-subtask offsets cannot merge.
func readOffset(r io.Reader, again bool) (int64, error) {
	if again {
		return 0, fmt.Errorf("%w: two offsets for one subtask (the source's parallelism changed)", ErrConfig)
	}
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	return int64(binary.BigEndian.Uint64(b[:])), nil
}

func (s *sequence) Poll(ctx context.Context, out Emitter) error {
	n := int64(s.cfg.BatchSize)
	if s.end >= 0 {
		n = min(n, s.end-s.next)
		if n <= 0 {
			return ErrEndOfInput
		}
	}
	rec := s.build(int(n))
	err := out.Emit(rec)
	rec.Release()
	if err != nil {
		return err
	}
	if s.cfg.Watermarks == nil || *s.cfg.Watermarks {
		maxTS := s.cfg.StartMillis + (s.next-1)*s.cfg.StepMillis
		return out.EmitWatermark(maxTS - s.cfg.DelayMillis)
	}
	return nil
}

func (s *sequence) build(n int) arrow.RecordBatch {
	cols := make([]arrow.Array, s.cfg.Width)
	first := s.next
	for c := range cols {
		buf := memory.NewResizableBuffer(s.mem)
		buf.Resize(n * 8)
		vals := unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), n)
		switch c {
		case 0:
			for i := range vals {
				vals[i] = first + int64(i)
			}
		case 1:
			k := first % s.cfg.Keys
			for i := range vals {
				vals[i] = k
				if k++; k == s.cfg.Keys {
					k = 0
				}
			}
		case 2:
			for i := range vals {
				vals[i] = s.cfg.StartMillis + (first+int64(i))*s.cfg.StepMillis
			}
		default:
			for i := range vals {
				vals[i] = (first + int64(i)) * int64(c)
			}
		}
		data := array.NewData(s.schema.Field(c).Type, n, []*memory.Buffer{nil, buf}, nil, 0, 0)
		cols[c] = array.MakeFromData(data)
		data.Release()
		buf.Release()
	}
	s.next += int64(n)
	rec := array.NewRecordBatch(s.schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// ProcessBatch rejects input: a source heads its chain.
func (s *sequence) ProcessBatch(int, arrow.RecordBatch, Emitter) error {
	return fmt.Errorf("%w: sequence is a source and takes no input", ErrConfig)
}
