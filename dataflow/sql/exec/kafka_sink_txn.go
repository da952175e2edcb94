package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// With 'sink.delivery-guarantee' = 'exactly-once' the kafka sink buffers the rows between
// two checkpoint barriers, seals them at the barrier as a pending commit (the operator's
// state) and produces them in one Kafka transaction when the checkpoint is complete. The
// transaction also commits a marker: the offset of partition 0 of the sink's topic in the
// consumer group named after the transactional id is set to the checkpoint id, atomically
// with the rows. The transactional id is "flowplane-<job>-<operator>-<subtask>": a restarted
// attempt's InitProducerID under the same id fences a lingering producer of an older attempt
// (its open transaction is aborted, its later requests refused). After a restore the pending
// commits of the checkpoint are committed again unless the marker says they already were, so
// a completion notice lost before or after the commit neither loses nor repeats rows; a newer
// completed checkpoint commits every pending commit up to it. Readers use read_committed.

// txnCommitTimeout bounds one commit (producing a checkpoint's rows and ending the
// transaction) and the fencing at open.
const txnCommitTimeout = 30 * time.Second

// txnRecord is one buffered output record.
type txnRecord struct {
	Key       []byte `json:"k,omitempty"`
	Value     []byte `json:"v"`
	Partition int32  `json:"p"`
}

// pendingTxn is the rows of one checkpoint, sealed at its barrier by the subtask whose
// transactional id is TxnID (another job's when restored from its savepoint: its marker says
// what that job committed).
type pendingTxn struct {
	Checkpoint uint64      `json:"checkpoint"`
	TxnID      string      `json:"txn_id"`
	Records    []txnRecord `json:"records"`
}

// txnState is what the exactly-once sink keeps beyond the kafkaSink fields.
type txnState struct {
	prefix   string // transactional ids are prefix + subtask
	subtask  int
	buffer   []txnRecord
	pending  []pendingTxn
	restored []pendingTxn
	// committed is this subtask's marker: checkpoints up to it are in Kafka.
	committed uint64
}

// finalCheckpoint names the commit at the end of input: above every checkpoint id, so no
// replay commits those rows again.
const finalCheckpoint = math.MaxInt64

// ErrKafkaCommit wraps failures of the exactly-once kafka sink's transactions.
var ErrKafkaCommit = errors.New("kafka transaction failed")

func (s *kafkaSink) exactlyOnce() bool {
	return s.cfg.Options["sink.delivery-guarantee"] == "exactly-once"
}

func (t *txnState) id(subtask int) string { return t.prefix + strconv.Itoa(subtask) }

// markerGroup is the consumer group whose offset records the last committed checkpoint of
// the transactional id.
func markerGroup(txnID string) string { return txnID + "-commits" }

// txnClient returns a transactional client for txnID with the sink's options, fencing older
// producers of the same id (InitProducerID bumps the epoch and aborts their transaction).
// Request versions are pinned to Kafka 3.9's so the marker's TxnOffsetCommit names topics.
func (s *kafkaSink) txnClient(ctx context.Context, txnID string) (*kgo.Client, error) {
	opts := append(slices.Clip(s.copts), kgo.TransactionalID(txnID), kgo.TransactionTimeout(time.Minute),
		kgo.MaxVersions(kversion.V3_9_0()))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	if _, _, err := cl.ProducerID(ctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("%w: fencing %s: %w", ErrKafkaCommit, txnID, err)
	}
	return cl, nil
}

// openTxn fences older attempts of this subtask and of the transactional ids whose pending
// commits were restored (other subtasks' after a change of parallelism, another job's after a
// start from its savepoint), and commits those pending commits unless their markers show
// they were.
func (s *kafkaSink) openTxn(ctx context.Context) error {
	cl, err := s.txnClient(ctx, s.txn.id(s.txn.subtask))
	if err != nil {
		return err
	}
	s.client = cl
	if s.txn.committed, err = s.committedCheckpoint(ctx, cl, s.txn.id(s.txn.subtask)); err != nil {
		return err
	}
	own := s.txn.id(s.txn.subtask)
	byTxn := map[string][]pendingTxn{}
	for _, p := range s.txn.restored {
		byTxn[p.TxnID] = append(byTxn[p.TxnID], p)
	}
	s.txn.restored = nil
	for id, txns := range byTxn {
		c := cl
		if id != own {
			if c, err = s.txnClient(ctx, id); err != nil {
				return err
			}
		}
		done, err := s.commitPending(ctx, c, id, txns)
		if c != cl {
			c.Close()
		} else {
			s.txn.committed = done
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// commitPending commits txns (pending commits of transactional id txnID) in one transaction,
// skipping those the marker shows committed.
func (s *kafkaSink) commitPending(ctx context.Context, cl *kgo.Client, txnID string, txns []pendingTxn) (uint64, error) {
	done, err := s.committedCheckpoint(ctx, cl, txnID)
	if err != nil {
		return 0, err
	}
	var recs []*kgo.Record
	var last uint64
	for _, p := range txns {
		if p.Checkpoint <= done {
			continue
		}
		last = max(last, p.Checkpoint)
		for _, r := range p.Records {
			recs = append(recs, &kgo.Record{Key: r.Key, Value: r.Value, Partition: r.Partition})
		}
	}
	if last == 0 {
		return done, nil
	}
	return last, s.commitTxn(ctx, cl, txnID, recs, last)
}

// commitTxn produces recs and sets the marker to checkpoint in one transaction. Pending
// commits are never empty, so neither is recs (a transaction of offsets alone would not be
// ended by the client, which counts only its produced partitions).
func (s *kafkaSink) commitTxn(ctx context.Context, cl *kgo.Client, txnID string, recs []*kgo.Record, checkpoint uint64) error {
	if len(recs) == 0 {
		return nil
	}
	fail := func(err error) error {
		abortCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = cl.AbortBufferedRecords(abortCtx)
		_ = cl.EndTransaction(abortCtx, kgo.TryAbort)
		return fmt.Errorf("%w: sink %s checkpoint %d: %w", ErrKafkaCommit, s.cfg.Table, checkpoint, err)
	}
	if err := cl.BeginTransaction(); err != nil {
		return fail(err)
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fail(err)
	}
	if err := s.commitMarker(ctx, cl, txnID, checkpoint); err != nil {
		return fail(err)
	}
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return fail(err)
	}
	return nil
}

// commitMarker adds the marker group to the open transaction and commits checkpoint as its
// offset of partition 0 of the sink's topic.
func (s *kafkaSink) commitMarker(ctx context.Context, cl *kgo.Client, txnID string, checkpoint uint64) error {
	id, epoch, err := cl.ProducerID(ctx)
	if err != nil {
		return err
	}
	group := markerGroup(txnID)
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = txnID, id, epoch, group
	addResp, err := add.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(addResp.ErrorCode)
	}
	if err != nil {
		return fmt.Errorf("add marker group: %w", err)
	}
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = txnID, group, id, epoch
	req.Generation = -1
	topic := kmsg.NewTxnOffsetCommitRequestTopic()
	topic.Topic = s.cfg.Options["topic"]
	part := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	part.Partition, part.Offset, part.LeaderEpoch = 0, int64(checkpoint), -1
	topic.Partitions = append(topic.Partitions, part)
	req.Topics = append(req.Topics, topic)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("commit marker: %w", err)
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return fmt.Errorf("commit marker: %w", err)
			}
		}
	}
	return nil
}

// committedCheckpoint reads the marker of txnID: the last checkpoint committed (0: none). It
// waits for transactions still open on the marker to end.
func (s *kafkaSink) committedCheckpoint(ctx context.Context, cl *kgo.Client, txnID string) (uint64, error) {
	adm := kadm.NewClient(cl)
	for {
		offs, err := adm.FetchOffsets(kadm.RequireStable(ctx), markerGroup(txnID))
		if errors.Is(err, kerr.GroupIDNotFound) {
			return 0, nil // nothing committed yet
		}
		if err == nil {
			o, ok := offs.Lookup(s.cfg.Options["topic"], 0)
			switch {
			case !ok:
				return 0, nil
			case o.Err == nil:
				return uint64(max(o.At, 0)), nil
			default:
				err = o.Err
			}
		}
		if !errors.Is(err, kerr.UnstableOffsetCommit) && !errors.Is(err, kerr.CoordinatorLoadInProgress) {
			return 0, fmt.Errorf("%w: marker of %s: %w", ErrKafkaCommit, txnID, err)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%w: marker of %s: %w", ErrKafkaCommit, txnID, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// bufferRecord keeps a record for the transaction of the next checkpoint.
func (t *txnState) bufferRecord(r *kgo.Record) {
	t.buffer = append(t.buffer, txnRecord{Key: r.Key, Value: r.Value, Partition: r.Partition})
}

// snapshotTxn seals the buffered rows as checkpoint's pending commit and writes every
// pending commit.
func (t *txnState) snapshotTxn(checkpoint uint64, w io.Writer) error {
	if len(t.buffer) > 0 {
		t.pending = append(t.pending, pendingTxn{Checkpoint: checkpoint, TxnID: t.id(t.subtask), Records: t.buffer})
		t.buffer = nil
	}
	if len(t.pending) == 0 {
		return nil
	}
	return json.NewEncoder(w).Encode(t.pending)
}

func (t *txnState) restoreTxn(r io.Reader) error {
	var p []pendingTxn
	if err := json.NewDecoder(r).Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return fmt.Errorf("kafka sink state: %w", err)
	}
	t.restored = append(t.restored, p...)
	return nil
}

// NotifyCheckpointComplete commits, in one transaction, every pending commit up to
// checkpoint (a lost notice is made good by the next one).
func (s *kafkaSink) NotifyCheckpointComplete(ctx context.Context, checkpoint uint64) error {
	if s.txn == nil {
		return nil
	}
	var due []pendingTxn
	var keep []pendingTxn
	for _, p := range s.txn.pending {
		switch {
		case p.Checkpoint <= s.txn.committed: // committed before (a replay after the end of input)
		case p.Checkpoint <= checkpoint:
			due = append(due, p)
		default:
			keep = append(keep, p)
		}
	}
	if len(due) == 0 {
		s.txn.pending = keep
		return nil
	}
	var recs []*kgo.Record
	for _, p := range due {
		for _, r := range p.Records {
			recs = append(recs, &kgo.Record{Key: r.Key, Value: r.Value, Partition: r.Partition})
		}
	}
	ctx, cancel := context.WithTimeout(ctx, txnCommitTimeout)
	defer cancel()
	last := due[len(due)-1].Checkpoint
	if err := s.commitTxn(ctx, s.client, s.txn.id(s.txn.subtask), recs, last); err != nil {
		return err
	}
	s.txn.pending, s.txn.committed = keep, last
	return nil
}

// finishTxn commits every pending and buffered row at the end of input under finalCheckpoint.
func (s *kafkaSink) finishTxn() error {
	if len(s.txn.buffer) > 0 {
		s.txn.pending = append(s.txn.pending, pendingTxn{Checkpoint: finalCheckpoint, TxnID: s.txn.id(s.txn.subtask), Records: s.txn.buffer})
		s.txn.buffer = nil
	}
	return s.NotifyCheckpointComplete(context.Background(), finalCheckpoint)
}
