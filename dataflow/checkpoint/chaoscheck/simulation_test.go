package chaoscheck

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/dataflow/connectors/postgres"
	"github.com/flowplane/flowplane/dataflow/state"
	"github.com/flowplane/flowplane/services/pgtest"
)

// The simulation runs a job source(2) -> count(P) -> sink(P) in one goroutine, without the
// runtime: sources emit (key, n) records from replayable offsets, count numbers each key's
// records in keyed state and emits (key, seq), and the exactly-once Postgres sink writes them.
// Checkpoints go through checkpoint.Pending and file or PostgreSQL storage; random crashes hit
// every phase of the protocol, each new attempt restores the latest completed checkpoint at a
// random parallelism, and zombie sinks of old attempts keep trying to commit. The table must
// end with every key's seqs 0..n-1 exactly once.

const (
	simKeys    = 12 // per source subtask
	simRecords = 3000
	maxPar     = state.DefaultMaxParallelism
)

type simTask struct {
	b     *state.Backend
	count *state.ValueState[int64]
	sink  *postgres.Sink
}

type simJob struct {
	t       *testing.T
	ctx     context.Context
	pool    *pgxpool.Pool
	store   checkpoint.Storage
	attempt int64
	offsets [2]int // source offsets: records emitted per source subtask
	tasks   []*simTask
}

func keyHash(k string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(k))
	return h.Sum64()
}

// start builds attempt a at parallelism p, restoring md when not nil.
func (j *simJob) start(p int, md *checkpoint.Metadata) {
	t := j.t
	j.attempt++
	j.tasks = nil
	j.offsets = [2]int{}
	if md != nil {
		for i := range 2 {
			blobs, err := checkpoint.OperatorStates(j.ctx, j.store, md, "source", i, 2)
			if err != nil || len(blobs) != 1 {
				t.Fatalf("source %d state: %d blobs, %v", i, len(blobs), err)
			}
			j.offsets[i] = int(binary.BigEndian.Uint64(blobs[0]))
		}
	}
	for i := range p {
		b, err := state.NewSubtaskBackend(maxPar, p, i)
		if err != nil {
			t.Fatal(err)
		}
		count, _ := state.NewValueState(b, "count", state.Int64Codec{})
		sink, err := postgres.NewSink(j.ctx, j.pool, postgres.SinkConfig{SinkID: "job/sink", Subtask: i, Attempt: j.attempt,
			Table: "out", Columns: []string{"k", "seq"}, Mode: postgres.Append})
		if err != nil {
			t.Fatal(err)
		}
		if err := sink.Claim(j.ctx); err != nil {
			t.Fatal(err)
		}
		if md != nil {
			if err := checkpoint.RestoreKeyed(j.ctx, j.store, md, "count", b); err != nil {
				t.Fatal(err)
			}
			blobs, err := checkpoint.OperatorStates(j.ctx, j.store, md, "sink", i, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, blob := range blobs {
				if err := sink.RestoreState(blob); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := sink.CommitRestored(j.ctx); err != nil {
				t.Fatal(err)
			}
		}
		j.tasks = append(j.tasks, &simTask{b: b, count: count, sink: sink})
	}
}

// emit runs n records of each source through count into the sinks.
func (j *simJob) emit(n int) {
	p := len(j.tasks)
	for s := range 2 {
		for range n {
			if j.offsets[s] >= simRecords {
				break
			}
			key := fmt.Sprintf("s%d-k%d", s, j.offsets[s]%simKeys)
			j.offsets[s]++
			g := state.KeyGroupOf(keyHash(key), maxPar)
			task := j.tasks[state.OperatorIndexOf(g, maxPar, p)]
			seq, _ := task.count.Get(g, []byte(key))
			task.count.Put(g, []byte(key), seq+1)
			if err := task.sink.Write(postgres.Row{Kind: postgres.Insert, Values: []any{key, seq}}); err != nil {
				j.t.Fatal(err)
			}
		}
	}
}

// checkpoint takes checkpoint id through the storage; it returns the pending checkpoint fully
// acked (not finalized).
func (j *simJob) checkpoint(id uint64) *checkpoint.Pending {
	t := j.t
	p := len(j.tasks)
	var ids []checkpoint.TaskID
	for i := range 2 {
		ids = append(ids, checkpoint.TaskID{Vertex: "source", Subtask: i})
	}
	for i := range p {
		ids = append(ids, checkpoint.TaskID{Vertex: "count", Subtask: i})
	}
	pend := checkpoint.NewPending("job", id, j.attempt, checkpoint.KindCheckpoint, time.Now(), maxPar, j.store.Location(), ids)
	for i := range 2 {
		ts, err := checkpoint.WriteOperatorState(j.ctx, j.store, checkpoint.StateKey{Job: "job", Checkpoint: id, Operator: "source", Subtask: i},
			"source", 2, binary.BigEndian.AppendUint64(nil, uint64(j.offsets[i])))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pend.Ack(ids[i], []checkpoint.TaskState{ts}); err != nil {
			t.Fatal(err)
		}
	}
	for i, task := range j.tasks {
		keyed, err := checkpoint.WriteKeyed(j.ctx, j.store, checkpoint.StateKey{Job: "job", Checkpoint: id, Operator: "count", Subtask: i},
			"count", p, task.b.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		pendingRows, err := task.sink.SnapshotState(id)
		if err != nil {
			t.Fatal(err)
		}
		sinkState, err := checkpoint.WriteOperatorState(j.ctx, j.store, checkpoint.StateKey{Job: "job", Checkpoint: id, Operator: "sink", Subtask: i},
			"count", p, pendingRows)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pend.Ack(ids[2+i], []checkpoint.TaskState{keyed, sinkState}); err != nil {
			t.Fatal(err)
		}
	}
	return pend
}

func TestSimulatedChaosRunIsExactlyOnce(t *testing.T) {
	t.Parallel()
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 99))
			pool := pgtest.NewPool(t)
			var store checkpoint.Storage
			var err error
			if seed%2 == 0 {
				store, err = checkpoint.NewFileStorage(t.TempDir())
			} else {
				store, err = checkpoint.NewPostgresStorage(context.Background(), pool)
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(context.Background(), "CREATE TABLE out (k text NOT NULL, seq bigint NOT NULL)"); err != nil {
				t.Fatal(err)
			}
			j := &simJob{t: t, ctx: context.Background(), pool: pool, store: store}
			j.start(1+rng.IntN(4), nil)
			var zombies []*simTask
			crashes := 0
			crash := func() {
				crashes++
				zombies = append(zombies, j.tasks...)
				md, err := checkpoint.Latest(j.ctx, store, "job")
				if errors.Is(err, checkpoint.ErrNoCheckpoint) {
					md = nil
				} else if err != nil {
					t.Fatal(err)
				}
				j.start(1+rng.IntN(4), md)
			}
			for id := uint64(1); j.offsets[0] < simRecords || j.offsets[1] < simRecords; id++ {
				j.emit(1 + rng.IntN(150))
				pend := j.checkpoint(id)
				switch rng.IntN(8) {
				case 0: // crash before the checkpoint completes
					crash()
					continue
				case 1: // crash after it completes, before any notification
					if _, err := pend.Finalize(j.ctx, store, time.Now()); err != nil {
						t.Fatal(err)
					}
					crash()
					continue
				}
				if _, err := pend.Finalize(j.ctx, store, time.Now()); err != nil {
					t.Fatal(err)
				}
				notified := len(j.tasks)
				if rng.IntN(6) == 0 {
					notified = rng.IntN(len(j.tasks)) // crash part-way through the notifications
				}
				for _, task := range j.tasks[:notified] {
					if _, err := task.sink.NotifyCheckpointComplete(j.ctx, id); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := checkpoint.Retain(j.ctx, store, "job", checkpoint.DefaultRetained); err != nil {
					t.Fatal(err)
				}
				if notified < len(j.tasks) {
					crash()
				}
				// Zombies of earlier attempts try to commit what they hold: they must be fenced.
				for _, z := range zombies {
					if _, err := z.sink.NotifyCheckpointComplete(j.ctx, id); err != nil && !errors.Is(err, postgres.ErrFenced) {
						t.Fatal(err)
					}
				}
			}
			id := uint64(1 << 20)
			pend := j.checkpoint(id)
			if _, err := pend.Finalize(j.ctx, store, time.Now()); err != nil {
				t.Fatal(err)
			}
			for _, task := range j.tasks {
				if _, err := task.sink.NotifyCheckpointComplete(j.ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			expect := make(map[string]int64)
			for s := range 2 {
				for k := range simKeys {
					expect[fmt.Sprintf("s%d-k%d", s, k)] = simRecords / simKeys
				}
			}
			rep, err := CheckTable(j.ctx, pool, "out", "k", "seq", Options{Expect: expect})
			if err != nil {
				t.Fatal(err)
			}
			if crashes == 0 {
				t.Fatalf("seed %d: no crash happened; the run proves nothing", seed)
			}
			if !rep.OK() {
				t.Fatalf("after %d crashes: %s", crashes, rep)
			}
		})
	}
}
