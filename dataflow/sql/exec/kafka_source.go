package exec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// pollWait bounds one Poll of an unbounded Kafka source that finds no records, so the task
// loop gets control back.
const pollWait = 100 * time.Millisecond

// kafkaSource is sql.source for the kafka connector. Subtask i of n reads the partitions p
// with p mod n = i directly (no consumer group), from the offsets its state holds or else
// from 'scan.startup.mode'. With 'scan.bounded.mode' = 'latest-offset' it ends once every
// partition reaches the end offset it had when the source started. Its state is the next
// offset per partition; with 'properties.group.id' the offsets of a completed checkpoint are
// committed to the group (for monitoring; the source restores from its own state).
type kafkaSource struct {
	operator.Base
	opts     Options
	cfg      sql.SourceConfig
	format   *rowFormat
	ignore   bool
	schema   *arrow.Schema
	mem      memory.Allocator
	subtask  int
	par      int
	client   *kgo.Client
	next     map[int32]int64 // next offset to read per assigned partition
	end      map[int32]int64 // bounded mode: stop offset per partition
	restored map[int32]int64
	snaps    map[uint64]map[int32]int64 // offsets per checkpoint awaiting completion
	rowBuf   []any
}

func newKafkaSource(cfg sql.SourceConfig, opts Options) (operator.Operator, error) {
	names, types, err := columnTypes(cfg.Columns)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", operator.ErrConfig, err)
	}
	if _, ok := cfg.Options["key.fields"]; ok {
		return nil, fmt.Errorf("%w: kafka source %s: 'key.fields' is supported by sinks only", operator.ErrConfig, cfg.Table)
	}
	s := &kafkaSource{opts: opts, cfg: cfg, snaps: map[uint64]map[int32]int64{}}
	if s.format, s.ignore, err = tableFormat(cfg.Options, names, types); err != nil {
		return nil, fmt.Errorf("%w: kafka source %s: %w", operator.ErrConfig, cfg.Table, err)
	}
	if s.schema, err = outSchema(cfg.Columns, false); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *kafkaSource) Open(ctx *operator.Context) error {
	s.mem = allocator(ctx)
	s.subtask, s.par = ctx.Subtask, max(ctx.Parallelism, 1)
	return nil
}

// start connects, assigns this subtask's partitions and resolves their start offsets.
func (s *kafkaSource) start(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	ep, err := kafkaEndpoint(cctx, s.cfg.Options, s.opts)
	if err != nil {
		return err
	}
	copts, err := kafkaClientOpts(ep, s.opts)
	if err != nil {
		return err
	}
	admin, err := kgo.NewClient(copts...)
	if err != nil {
		return err
	}
	adm := kadm.NewClient(admin)
	defer admin.Close()
	topic := s.cfg.Options["topic"]
	ends, err := adm.ListEndOffsets(cctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return fmt.Errorf("list offsets of topic %s: %w", topic, err)
	}
	starts, err := s.startOffsets(cctx, adm, topic, ends)
	if err != nil {
		return err
	}
	s.next, s.end = map[int32]int64{}, nil
	if s.cfg.Options["scan.bounded.mode"] == "latest-offset" {
		s.end = map[int32]int64{}
	}
	assign := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if int(o.Partition)%s.par != s.subtask {
			return
		}
		at := starts[o.Partition]
		if r, ok := s.restored[o.Partition]; ok {
			at = r
		}
		s.next[o.Partition] = at
		if s.end != nil {
			s.end[o.Partition] = o.Offset
		}
		assign[o.Partition] = kgo.NewOffset().At(at)
	})
	if len(assign) == 0 || s.finished() {
		return nil
	}
	copts = append(copts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign}))
	s.client, err = kgo.NewClient(copts...)
	return err
}

// startOffsets resolves 'scan.startup.mode' to an offset per partition.
func (s *kafkaSource) startOffsets(ctx context.Context, adm *kadm.Client, topic string, ends kadm.ListedOffsets) (map[int32]int64, error) {
	out := map[int32]int64{}
	firsts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = firsts.Error()
	}
	if err != nil {
		return nil, err
	}
	firsts.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	o := s.cfg.Options
	switch o["scan.startup.mode"] {
	case "latest-offset":
		ends.Each(func(e kadm.ListedOffset) { out[e.Partition] = e.Offset })
	case "timestamp":
		ms, _ := strconv.ParseInt(o["scan.startup.timestamp-millis"], 10, 64)
		after, err := adm.ListOffsetsAfterMilli(ctx, ms, topic)
		if err != nil {
			return nil, err
		}
		after.Each(func(a kadm.ListedOffset) {
			if a.Err == nil && a.Offset >= 0 {
				out[a.Partition] = a.Offset
			}
		})
	case "specific-offsets":
		spec, err := parseSpecificOffsets(o["scan.startup.specific-offsets"])
		if err != nil {
			return nil, fmt.Errorf("%w: %w", operator.ErrConfig, err)
		}
		for p, off := range spec {
			out[p] = off
		}
	case "group-offsets":
		group := o["properties.group.id"]
		if group == "" {
			return nil, fmt.Errorf("%w: scan.startup.mode 'group-offsets' needs 'properties.group.id'", operator.ErrConfig)
		}
		committed, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			return nil, err
		}
		for p, c := range committed[topic] {
			if c.Err == nil && c.At >= 0 {
				out[p] = c.At
			}
		}
	}
	return out, nil
}

// finished reports whether a bounded source has read every partition to its end offset.
func (s *kafkaSource) finished() bool {
	if s.end == nil {
		return len(s.next) == 0
	}
	for p, e := range s.end {
		if s.next[p] < e {
			return false
		}
	}
	return true
}

// Poll emits the records fetched so far (up to BatchRows).
func (s *kafkaSource) Poll(ctx context.Context, out operator.Emitter) error {
	return sourceError(s.poll(ctx, out))
}

func (s *kafkaSource) poll(ctx context.Context, out operator.Emitter) error {
	if s.next == nil {
		if err := s.start(ctx); err != nil {
			return fmt.Errorf("kafka source %s: %w", s.cfg.Table, err)
		}
	}
	if s.client == nil || s.finished() {
		return operator.ErrEndOfInput
	}
	pctx, cancel := context.WithTimeout(ctx, pollWait)
	fetches := s.client.PollRecords(pctx, BatchRows)
	cancel()
	var err error
	fetches.EachError(func(_ string, _ int32, e error) {
		if err == nil && !errors.Is(e, context.DeadlineExceeded) && !errors.Is(e, context.Canceled) {
			err = e
		}
	})
	if err != nil {
		return fmt.Errorf("kafka source %s: %w", s.cfg.Table, err)
	}
	b := array.NewRecordBuilder(s.mem, s.schema)
	defer b.Release()
	n := 0
	for it := fetches.RecordIter(); !it.Done() && err == nil; {
		err = s.add(b, it.Next(), &n)
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return out.Emit(rec)
}

// add appends one record's row to b (unless it is past the bounded end or, with
// ignore-parse-errors, malformed).
func (s *kafkaSource) add(b *array.RecordBuilder, r *kgo.Record, n *int) error {
	if s.end != nil && r.Offset >= s.end[r.Partition] {
		return nil
	}
	s.next[r.Partition] = r.Offset + 1
	row, err := s.format.decode(r.Value, s.rowBuf[:0])
	if err != nil {
		if s.ignore && errors.Is(err, errFormat) {
			return nil
		}
		return fmt.Errorf("kafka source %s: partition %d offset %d: %w", s.cfg.Table, r.Partition, r.Offset, err)
	}
	s.rowBuf = row
	for j, v := range row {
		if err := appendValue(b.Field(j), v); err != nil {
			return fmt.Errorf("kafka source %s column %s: %w", s.cfg.Table, s.cfg.Columns[j].Name, err)
		}
	}
	*n++
	return nil
}

func (s *kafkaSource) ProcessBatch(int, arrow.RecordBatch, operator.Emitter) error {
	return fmt.Errorf("%w: a source has no inputs", operator.ErrConfig)
}

// SnapshotState writes the next offset of every assigned partition.
func (s *kafkaSource) SnapshotState(id uint64, w io.Writer) error {
	parts := make([]int32, 0, len(s.next))
	for p := range s.next {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	buf := binary.BigEndian.AppendUint32(nil, uint32(len(parts)))
	snap := make(map[int32]int64, len(parts))
	for _, p := range parts {
		buf = binary.BigEndian.AppendUint32(buf, uint32(p))
		buf = binary.BigEndian.AppendUint64(buf, uint64(s.next[p]))
		snap[p] = s.next[p]
	}
	if s.cfg.Options["properties.group.id"] != "" {
		s.snaps[id] = snap
	}
	_, err := w.Write(buf)
	return err
}

// RestoreState reads offsets written by SnapshotState (several states after a rescale).
func (s *kafkaSource) RestoreState(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(data) < 4 || len(data) != 4+12*int(binary.BigEndian.Uint32(data)) {
		return fmt.Errorf("kafka source %s: corrupt offset state", s.cfg.Table)
	}
	if s.restored == nil {
		s.restored = map[int32]int64{}
	}
	for i := 4; i < len(data); i += 12 {
		s.restored[int32(binary.BigEndian.Uint32(data[i:]))] = int64(binary.BigEndian.Uint64(data[i+4:]))
	}
	return nil
}

// NotifyCheckpointComplete commits the checkpoint's offsets to 'properties.group.id'.
func (s *kafkaSource) NotifyCheckpointComplete(ctx context.Context, id uint64) error {
	snap, ok := s.snaps[id]
	for old := range s.snaps {
		if old <= id {
			delete(s.snaps, old)
		}
	}
	if !ok || s.client == nil || len(snap) == 0 {
		return nil
	}
	offs := kadm.Offsets{}
	for p, at := range snap {
		offs.Add(kadm.Offset{Topic: s.cfg.Options["topic"], Partition: p, At: at, LeaderEpoch: -1})
	}
	resp, err := kadm.NewClient(s.client).CommitOffsets(ctx, s.cfg.Options["properties.group.id"], offs)
	if err == nil {
		err = resp.Error()
	}
	return err
}

func (s *kafkaSource) Close() error {
	if s.client != nil {
		s.client.Close()
	}
	return nil
}
