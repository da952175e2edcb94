package exec

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/connectors/nexmark"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// BatchRows is the number of rows a source emits per batch.
const BatchRows = 1024

// nexmarkSource is sql.source for the nexmark connector: it generates the table's stream and
// emits the declared columns, as fast as it is polled. Its state is the generator offset.
type nexmarkSource struct {
	operator.Base
	cfg    nexmark.Config
	kind   nexmark.Kind
	cols   []int // position of each declared column in the stream's row
	schema *arrow.Schema
	gen    *nexmark.Generator
	mem    memory.Allocator
	offset *int64 // restored offset, applied at Open
	size   sizeHint
}

func newSource(spec dataflow.OperatorSpec, opts Options) (operator.Operator, error) {
	var cfg sql.SourceConfig
	if err := operator.DecodeConfig(spec, &cfg); err != nil {
		return nil, err
	}
	switch cfg.Connector {
	case "datagen":
		return newDatagen(cfg)
	case "postgres":
		return newPostgresSource(cfg, opts)
	case "kafka":
		return newKafkaSource(cfg, opts)
	case "filesystem":
		return newFSSource(cfg, opts)
	case "nexmark":
	default:
		return nil, fmt.Errorf("%w: source connector %q", ErrNotImplemented, cfg.Connector)
	}
	ncfg, kind, err := nexmark.FromOptions(cfg.Options)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", operator.ErrConfig, err)
	}
	s := &nexmarkSource{cfg: ncfg, kind: kind}
	fields := nexmark.Fields(kind)
	var out dataflow.Schema
	for _, c := range cfg.Columns {
		i := indexOf(fields, c.Name)
		if i < 0 {
			return nil, fmt.Errorf("%w: nexmark %s has no column %q", operator.ErrConfig, kind, c.Name)
		}
		s.cols = append(s.cols, i)
		out.Fields = append(out.Fields, dataflow.Field{Name: c.Name, Type: fields[i].Type, Nullable: c.Nullable})
	}
	if s.schema, err = batch.ArrowSchema(out); err != nil {
		return nil, err
	}
	return s, nil
}

func indexOf(fields []dataflow.Field, name string) int {
	for i, f := range fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

func (s *nexmarkSource) Open(ctx *operator.Context) error {
	s.mem = ctx.Allocator
	if s.mem == nil {
		s.mem = memory.DefaultAllocator
	}
	par := max(ctx.Parallelism, 1)
	var err error
	if s.gen, err = nexmark.NewStream(s.cfg, s.kind, ctx.Subtask, par); err != nil {
		return fmt.Errorf("%w: %w", operator.ErrConfig, err)
	}
	if s.offset != nil {
		s.gen.Restore(*s.offset)
	}
	return nil
}

// Poll emits the next batch of events, or ErrEndOfInput after the last one.
func (s *nexmarkSource) Poll(_ context.Context, out operator.Emitter) error {
	b := array.NewRecordBuilder(s.mem, s.schema)
	defer b.Release()
	b.Reserve(BatchRows)
	s.size.reserve(b)
	n := 0
	for n < BatchRows {
		ev, ok := s.gen.NextReused()
		if !ok {
			break
		}
		if err := s.appendEvent(b, ev); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return operator.ErrEndOfInput
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	s.size.note(rec)
	return out.Emit(rec)
}

func (s *nexmarkSource) ProcessBatch(int, arrow.RecordBatch, operator.Emitter) error {
	return fmt.Errorf("%w: a source has no inputs", operator.ErrConfig)
}

// SnapshotState writes the generator offset.
func (s *nexmarkSource) SnapshotState(_ uint64, w io.Writer) error {
	return binary.Write(w, binary.BigEndian, s.gen.Offset())
}

// RestoreState reads the offset written by SnapshotState.
func (s *nexmarkSource) RestoreState(r io.Reader) error {
	var off int64
	if err := binary.Read(r, binary.BigEndian, &off); err != nil {
		return err
	}
	s.offset = &off
	if s.gen != nil {
		s.gen.Restore(off)
	}
	return nil
}
