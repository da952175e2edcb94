package exec

import (
	"context"

	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// kafkaSink is sql.sink for the kafka connector: it produces one record per row, the value
// in 'format' and, with 'key.fields', the key in 'key.format'. Records are produced
// asynchronously and flushed at every checkpoint and at the end of input, so with
// 'sink.delivery-guarantee' = 'at-least-once' (the default) a completed checkpoint's rows are
// in Kafka; 'none' does not wait at checkpoints. 'sink.partitioner': 'default' hashes the key
// (records without a key are spread), 'fixed' sends subtask i to partition i mod partitions,
// 'round-robin' cycles through the partitions. 'exactly-once' produces each checkpoint's rows
// in a Kafka transaction committed when the checkpoint completes (see kafka_sink_txn.go).
type kafkaSink struct {
	operator.Base
	opts      Options
	cfg       sql.SinkConfig
	value     *rowFormat
	key       *rowFormat
	keyIdx    []int
	client    *kgo.Client
	copts     []kgo.Opt // the client's options (exactly-once opens transactional clients with them)
	txn       *txnState // exactly-once only
	partition int32     // fixed partitioner: this subtask's partition
	rowBuf    []any
	keyBuf    []any
	mu        sync.Mutex
	failed    error
}

func newKafkaSink(cfg sql.SinkConfig, opts Options) (operator.Operator, error) {
	names, types, err := columnTypes(cfg.Columns)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", operator.ErrConfig, err)
	}
	s := &kafkaSink{opts: opts, cfg: cfg, partition: -1}
	if s.exactlyOnce() {
		s.txn = &txnState{}
	}
	delim := cfg.Options["csv.field-delimiter"]
	if s.value, err = newRowFormat(cfg.Options["format"], names, types, delim); err != nil {
		return nil, fmt.Errorf("%w: kafka sink %s: %w", operator.ErrConfig, cfg.Table, err)
	}
	if kf := cfg.Options["key.fields"]; kf != "" {
		var kn []string
		var kt = types[:0:0]
		for _, f := range strings.Split(kf, ";") {
			i := indexOfName(names, strings.TrimSpace(f))
			if i < 0 {
				return nil, fmt.Errorf("%w: kafka sink %s: key field %q is not a column", operator.ErrConfig, cfg.Table, f)
			}
			s.keyIdx, kn, kt = append(s.keyIdx, i), append(kn, names[i]), append(kt, types[i])
		}
		kfmt := cfg.Options["key.format"]
		if kfmt == "" {
			kfmt = "json"
		}
		if s.key, err = newRowFormat(kfmt, kn, kt, delim); err != nil {
			return nil, fmt.Errorf("%w: kafka sink %s key: %w", operator.ErrConfig, cfg.Table, err)
		}
	}
	return s, nil
}

func indexOfName(names []string, n string) int {
	for i, x := range names {
		if x == n {
			return i
		}
	}
	return -1
}

func (s *kafkaSink) Open(octx *operator.Context) error {
	base := octx.Ctx // carries the task's identity, which resolving an integration needs
	if base == nil {
		base = context.Background()
	}
	ctx, cancel := context.WithTimeout(base, connectTimeout)
	defer cancel()
	ep, err := kafkaEndpoint(ctx, s.cfg.Options, s.opts)
	if err != nil {
		return fmt.Errorf("kafka sink %s: %w", s.cfg.Table, err)
	}
	copts, err := kafkaClientOpts(ep, s.opts)
	if err != nil {
		return fmt.Errorf("kafka sink %s: %w", s.cfg.Table, err)
	}
	topic := s.cfg.Options["topic"]
	copts = append(copts, kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0))
	switch s.cfg.Options["sink.partitioner"] {
	case "fixed":
		copts = append(copts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	case "round-robin":
		copts = append(copts, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	}
	s.copts = copts
	if s.txn != nil {
		s.txn.prefix = fmt.Sprintf("flowplane-%s-%s-", octx.JobID, octx.Operator)
		s.txn.subtask = octx.Subtask
		tctx := octx.Ctx
		if tctx == nil {
			tctx = context.Background()
		}
		tctx, cancel := context.WithTimeout(tctx, txnCommitTimeout)
		defer cancel()
		if err := s.openTxn(tctx); err != nil {
			return fmt.Errorf("kafka sink %s: %w", s.cfg.Table, err)
		}
	} else if s.client, err = kgo.NewClient(copts...); err != nil {
		return fmt.Errorf("kafka sink %s: %w", s.cfg.Table, err)
	}
	if s.cfg.Options["sink.partitioner"] == "fixed" {
		ends, err := kadm.NewClient(s.client).ListEndOffsets(ctx, topic)
		if err == nil {
			err = ends.Error()
		}
		if err != nil || len(ends[topic]) == 0 {
			return fmt.Errorf("kafka sink %s: partitions of topic %s: %v", s.cfg.Table, topic, err)
		}
		s.partition = int32(octx.Subtask % len(ends[topic]))
	}
	return nil
}

func (s *kafkaSink) ProcessBatch(_ int, rec arrow.RecordBatch, _ operator.Emitter) error {
	if err := s.err(); err != nil {
		return err
	}
	ncols := len(s.cfg.Columns)
	for r := range int(rec.NumRows()) {
		row, err := readValues(rec, r, ncols, s.rowBuf)
		if err != nil {
			return err
		}
		s.rowBuf = row
		kr := &kgo.Record{Partition: s.partition}
		val, err := s.value.encode(row)
		if err != nil {
			return fmt.Errorf("kafka sink %s: %w", s.cfg.Table, err)
		}
		kr.Value = append([]byte(nil), val...)
		if s.key != nil {
			keyRow := s.keyBuf[:0]
			for _, i := range s.keyIdx {
				keyRow = append(keyRow, row[i])
			}
			s.keyBuf = keyRow
			k, err := s.key.encode(keyRow)
			if err != nil {
				return fmt.Errorf("kafka sink %s key: %w", s.cfg.Table, err)
			}
			kr.Key = append([]byte(nil), k...)
		}
		if s.txn != nil {
			s.txn.bufferRecord(kr)
			continue
		}
		s.client.Produce(context.Background(), kr, s.done)
	}
	return nil
}

func (s *kafkaSink) done(_ *kgo.Record, err error) {
	if err == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed == nil {
		s.failed = fmt.Errorf("kafka sink %s: produce: %w", s.cfg.Table, err)
	}
}

func (s *kafkaSink) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// flush waits until every record produced so far is acknowledged.
func (s *kafkaSink) flush(ctx context.Context) error {
	if err := s.client.Flush(ctx); err != nil {
		return err
	}
	return s.err()
}

// SnapshotState flushes (at-least-once): the checkpoint's rows are in Kafka when it
// completes. Exactly-once seals them as the checkpoint's pending commit.
func (s *kafkaSink) SnapshotState(checkpoint uint64, w io.Writer) error {
	if s.txn != nil {
		return s.txn.snapshotTxn(checkpoint, w)
	}
	if s.cfg.Options["sink.delivery-guarantee"] == "none" {
		return s.err()
	}
	return s.flush(context.Background())
}

// RestoreState takes the pending commits of exactly-once (nothing else has state).
func (s *kafkaSink) RestoreState(r io.Reader) error {
	if s.txn == nil {
		return nil
	}
	return s.txn.restoreTxn(r)
}

// Finish flushes every produced record; exactly-once commits every pending and buffered row.
func (s *kafkaSink) Finish(operator.Emitter) error {
	if s.txn != nil {
		return s.finishTxn()
	}
	return s.flush(context.Background())
}

func (s *kafkaSink) Close() error {
	if s.client != nil {
		s.client.Close()
	}
	return nil
}
