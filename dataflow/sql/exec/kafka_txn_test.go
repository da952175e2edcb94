package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// txnKeys is the number of keys of the exactly-once kafka test's sequence source.
const txnKeys = 8

// txnJob drives exactly-once kafka sink subtasks the way task runtimes do: a keyed sequence
// source (per key strictly +1, offsets in the checkpoint) feeds the sink subtask owning the
// key (k mod parallelism); checkpoints seal the sinks' rows; completed checkpoints are
// recorded (what the scheduler restores from) and announced, some notices dropped.
type txnJob struct {
	t       *testing.T
	env     kafkaEnv
	rng     *rand.Rand
	nextID  uint64 // checkpoint ids, increasing across attempts
	latest  *txnCheckpoint
	attempt uint64
}

// txnCheckpoint is a completed checkpoint: source offsets and each sink subtask's state.
type txnCheckpoint struct {
	id      uint64
	offsets [txnKeys]int64
	states  [][]byte
}

// txnAttempt is one attempt's sink subtasks and source offsets.
type txnAttempt struct {
	sinks   []operator.Operator
	offsets [txnKeys]int64
}

func (j *txnJob) sink(t *testing.T) operator.Operator {
	t.Helper()
	op, err := newKafkaSink(sql.SinkConfig{Table: "out", Connector: "kafka", Options: map[string]string{
		"connector": "kafka", "integration": "k", "topic": "out", "format": "csv", "key.fields": "k", "key.format": "csv",
		"sink.delivery-guarantee": "exactly-once"},
		Columns: []sql.ColumnSpec{{Name: "k", Type: "BIGINT"}, {Name: "seq", Type: "BIGINT"}}}, j.env.opts)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// start opens an attempt at parallelism p restored from the latest completed checkpoint
// (old subtask i's state goes to new subtask i mod p, as checkpoint.OperatorStates does).
func (j *txnJob) start(p int) *txnAttempt {
	j.t.Helper()
	j.attempt++
	a := &txnAttempt{}
	for i := range p {
		op := j.sink(j.t)
		if j.latest != nil {
			a.offsets = j.latest.offsets
			for old, st := range j.latest.states {
				if old%p == i && len(st) > 0 {
					if err := op.RestoreState(bytes.NewReader(st)); err != nil {
						j.t.Fatal(err)
					}
				}
			}
		}
		err := op.Open(&operator.Context{Allocator: memory.DefaultAllocator, JobID: "job", Operator: "sink", Subtask: i,
			Parallelism: p, Attempt: j.attempt, Ctx: context.Background()})
		if err != nil {
			j.t.Fatalf("attempt %d: open sink %d: %v", j.attempt, i, err)
		}
		a.sinks = append(a.sinks, op)
	}
	return a
}

// step emits the next rows of every key (1..5 each) to the sink subtasks owning them.
func (j *txnJob) step(a *txnAttempt) {
	j.t.Helper()
	p := len(a.sinks)
	for i, op := range a.sinks {
		schema, err := outSchema([]sql.ColumnSpec{{Name: "k", Type: "BIGINT"}, {Name: "seq", Type: "BIGINT"}}, false)
		if err != nil {
			j.t.Fatal(err)
		}
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for k := range txnKeys {
			if k%p != i {
				continue
			}
			for range 1 + j.rng.IntN(5) {
				b.Field(0).(*array.Int64Builder).Append(int64(k))
				b.Field(1).(*array.Int64Builder).Append(a.offsets[k])
				a.offsets[k]++
			}
		}
		rec := b.NewRecordBatch()
		b.Release()
		if err := op.ProcessBatch(0, rec, nil); err != nil {
			j.t.Fatal(err)
		}
		rec.Release()
	}
}

// checkpoint snapshots every subtask; the checkpoint completes (is recorded) unless the
// attempt dies first, and each subtask is told unless its notice is dropped.
func (j *txnJob) checkpoint(a *txnAttempt, complete bool, drop float64) {
	j.t.Helper()
	j.nextID++
	cp := &txnCheckpoint{id: j.nextID, offsets: a.offsets}
	for _, op := range a.sinks {
		var buf bytes.Buffer
		if err := op.SnapshotState(cp.id, &buf); err != nil {
			j.t.Fatal(err)
		}
		cp.states = append(cp.states, buf.Bytes())
	}
	if !complete {
		return
	}
	j.latest = cp
	for i, op := range a.sinks {
		if j.rng.Float64() < drop {
			continue
		}
		if err := op.(operator.CheckpointListener).NotifyCheckpointComplete(context.Background(), cp.id); err != nil {
			j.t.Fatalf("commit of checkpoint %d by subtask %d: %v", cp.id, i, err)
		}
	}
}

// commitInFlight starts the commit of s's pending rows and leaves its transaction open, as a
// sink killed mid-commit does; it returns how many records the open transaction holds.
func (j *txnJob) commitInFlight(s *kafkaSink) int {
	j.t.Helper()
	var recs []*kgo.Record
	for _, p := range s.txn.pending {
		for _, r := range p.Records {
			recs = append(recs, &kgo.Record{Key: r.Key, Value: r.Value, Partition: r.Partition})
		}
	}
	if len(recs) == 0 {
		return 0
	}
	if err := s.client.BeginTransaction(); err != nil {
		j.t.Fatal(err)
	}
	if err := s.client.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		j.t.Fatal(err)
	}
	return len(recs)
}

// readTopic returns every record of topic out visible at isolation level iso, as k -> seqs.
func readTopic(t *testing.T, env kafkaEnv, iso kgo.IsolationLevel) (map[int64][]int64, int) {
	t.Helper()
	ends, err := kgo.NewClient(kgo.SeedBrokers(env.brokers...), kgo.ConsumeTopics("out"), kgo.FetchIsolationLevel(iso),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer ends.Close()
	out := map[int64][]int64{}
	n := 0
	// Poll until two consecutive polls of 300 ms return nothing: the topic is drained.
	for idle := 0; idle < 2; {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		fs := ends.PollFetches(ctx)
		cancel()
		got := 0
		fs.EachRecord(func(r *kgo.Record) {
			got++
			f := strings.Split(string(r.Value), ",")
			k, _ := strconv.ParseInt(f[0], 10, 64)
			seq, _ := strconv.ParseInt(f[1], 10, 64)
			out[k] = append(out[k], seq)
		})
		n += got
		if got == 0 {
			idle++
		} else {
			idle = 0
		}
	}
	return out, n
}

// TestKafkaExactlyOnceSinkUnderKillsAndRestores runs the exactly-once kafka sink on kfake
// through kill/restore cycles: each attempt runs at parallelism 1..3 from the latest completed
// checkpoint, completes a few checkpoints with 30% of the completion notices dropped, and dies
// at a random point (after a checkpoint that never completed, or with rows not yet sealed);
// its sinks are never closed but linger (the last one with a commit in flight: its open
// transaction is aborted by the next attempt's fencing), and one of them commits a checkpoint whose notices
// were all lost after the next attempt opened (and committed it): it is fenced. A read_committed consumer then sees every key's sequence
// exactly up to the final checkpoint's source offset: no gap, no duplicate.
func TestKafkaExactlyOnceSinkUnderKillsAndRestores(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	j := &txnJob{t: t, env: newKafkaEnv(t, 2, "out"), rng: rand.New(rand.NewPCG(seed, 11))}
	fenced, inflight := 0, 0
	var zombies []*txnAttempt
	for range 8 {
		a := j.start(1 + j.rng.IntN(3))
		// A lingering sink of the previous attempt commits now: the new attempt fenced it.
		if n := len(zombies); n > 0 {
			z := zombies[n-1].sinks[0].(*kafkaSink)
			due := false
			for _, p := range z.txn.pending {
				due = due || (p.Checkpoint <= j.latest.id && p.Checkpoint > z.txn.committed)
			}
			err := z.NotifyCheckpointComplete(context.Background(), j.latest.id)
			switch {
			case err != nil && errors.Is(err, ErrKafkaCommit):
				fenced++
			case err != nil:
				t.Fatalf("lingering commit: %v", err)
			case due:
				t.Fatal("a sink of an older attempt committed after the next attempt opened")
			default:
				t.Fatal("the lingering sink held no commit of the restored checkpoint")
			}
		}
		for range 1 + j.rng.IntN(4) {
			for range 1 + j.rng.IntN(3) {
				j.step(a)
			}
			j.checkpoint(a, true, 0.3)
		}
		// A checkpoint completes but every notice of it is lost: the next attempt commits it
		// when it opens, and the lingering sinks still hold it.
		j.step(a)
		j.checkpoint(a, true, 1)
		// Die: after a checkpoint that never completed, or with unsealed rows, or both.
		switch j.rng.IntN(3) {
		case 0:
			j.step(a)
			j.checkpoint(a, false, 0)
		case 1:
			j.step(a)
		default:
			j.step(a)
			j.checkpoint(a, false, 0)
			j.step(a)
		}
		// The last subtask was committing its pending rows when the attempt died: its
		// transaction stays open until the next attempt's fencing aborts it.
		inflight += j.commitInFlight(a.sinks[len(a.sinks)-1].(*kafkaSink))
		zombies = append(zombies, a)
	}
	// The last attempt completes a checkpoint announced to every subtask.
	a := j.start(2)
	j.step(a)
	j.checkpoint(a, true, 0)
	for _, z := range append(zombies, a) {
		for _, op := range z.sinks {
			_ = op.Close()
		}
	}

	got, committed := readTopic(t, j.env, kgo.ReadCommitted())
	for k := range int64(txnKeys) {
		want := j.latest.offsets[k]
		seqs := got[k]
		if int64(len(seqs)) != want {
			t.Errorf("key %d: %d records, want %d (the final checkpoint's offset)", k, len(seqs), want)
		}
		seen := map[int64]bool{}
		for _, s := range seqs {
			if seen[s] || s < 0 || s >= want {
				t.Errorf("key %d: seq %d duplicated or beyond the final checkpoint (%d)", k, s, want)
			}
			seen[s] = true
		}
	}
	_, all := readTopic(t, j.env, kgo.ReadUncommitted())
	if inflight == 0 || all < committed+inflight {
		t.Errorf("%d records in the log, want the %d committed and the %d of transactions in flight at a kill (aborted)", all, committed, inflight)
	}
	if fenced != len(zombies)-1 {
		t.Errorf("%d lingering commits of older attempts fenced, want %d", fenced, len(zombies)-1)
	}
	t.Logf("%d attempts, %d checkpoints: %d committed records (%d in the log with aborted ones; %d produced by transactions left open at kills), %d lingering commits fenced",
		j.attempt, j.nextID, committed, all, inflight, fenced)
}

// TestKafkaExactlyOnceSQLBoundedJob: a bounded SQL job into a kafka table with
// 'sink.delivery-guarantee' = 'exactly-once' commits its rows at the end of input; a
// read_committed consumer sees each exactly once.
func TestKafkaExactlyOnceSQLBoundedJob(t *testing.T) {
	t.Parallel()
	k := newKafkaEnv(t, 2, "in", "out")
	var vals []string
	for i := range 50 {
		vals = append(vals, fmt.Sprintf("%d,%d", i%txnKeys, i/txnKeys))
	}
	k.produce(t, "in", 0, vals...)
	runGraphWith(t, `
CREATE TABLE src (k BIGINT, seq BIGINT)
  WITH ('connector' = 'kafka', 'integration' = 'k', 'topic' = 'in', 'format' = 'csv',
        'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE out (k BIGINT, seq BIGINT)
  WITH ('connector' = 'kafka', 'integration' = 'k', 'topic' = 'out', 'format' = 'csv',
        'key.fields' = 'k', 'key.format' = 'csv', 'sink.delivery-guarantee' = 'exactly-once');
INSERT INTO out SELECT k, seq FROM src;`, 2, k.opts)
	got, n := readTopic(t, k, kgo.ReadCommitted())
	if n != len(vals) {
		t.Fatalf("read_committed sees %d records, want %d", n, len(vals))
	}
	for key, seqs := range got {
		slices.Sort(seqs)
		for i, s := range seqs {
			if s != int64(i) {
				t.Fatalf("key %d: seqs %v", key, seqs)
			}
		}
	}
}

// TestKafkaExactlyOnceStartFromSavepointOfAnotherJob: a job started from a savepoint of
// another job (a new deployment) restores that job's pending commit, which that job
// committed when the savepoint completed: the other job's marker makes the new one skip it.
func TestKafkaExactlyOnceStartFromSavepointOfAnotherJob(t *testing.T) {
	t.Parallel()
	j := &txnJob{t: t, env: newKafkaEnv(t, 1, "out"), rng: rand.New(rand.NewPCG(1, 2))}
	open := func(job string, state []byte) operator.Operator {
		op := j.sink(t)
		if state != nil {
			if err := op.RestoreState(bytes.NewReader(state)); err != nil {
				t.Fatal(err)
			}
		}
		if err := op.Open(&operator.Context{Allocator: memory.DefaultAllocator, JobID: job, Operator: "sink", Parallelism: 1,
			Attempt: 1, Ctx: context.Background()}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = op.Close() })
		return op
	}
	a := &txnAttempt{sinks: []operator.Operator{open("old", nil)}}
	j.step(a)
	j.checkpoint(a, true, 0) // the savepoint completes and is committed by the old job
	_, before := readTopic(t, j.env, kgo.ReadCommitted())

	b := &txnAttempt{sinks: []operator.Operator{open("new", j.latest.states[0])}, offsets: j.latest.offsets}
	j.step(b)
	j.checkpoint(b, true, 0)
	got, n := readTopic(t, j.env, kgo.ReadCommitted())
	var want int64
	for k := range int64(txnKeys) {
		want += j.latest.offsets[k]
		if int64(len(got[k])) != j.latest.offsets[k] {
			t.Errorf("key %d: %d records, want %d", k, len(got[k]), j.latest.offsets[k])
		}
	}
	if before == 0 || int64(n) != want {
		t.Fatalf("%d records after the old job's savepoint, %d after the new job's checkpoint, want %d", before, n, want)
	}
}
