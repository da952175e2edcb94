package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/state"
)

// ErrNotSource is returned by TriggerCheckpoint on a task whose vertex has inputs: barriers
// enter a job at its sources only.
var ErrNotSource = errors.New("checkpoint trigger on a task that is not a source")

// IsSource reports whether the task heads a source vertex (one without inputs): the tasks the
// coordinator's triggers go to.
func (t *Task) IsSource() bool { return len(t.spec.Graph.Inputs(t.vertex.ID)) == 0 }

// TriggerCheckpoint asks a source task to inject barrier id: between two batches it snapshots
// its chain's state, sends the barrier on every output channel, and acks through Deps.Ack once
// its state is stored. Ids must increase; an id not above the last injected one is ignored. It
// returns at once (ErrNotSource for other tasks).
func (t *Task) TriggerCheckpoint(id uint64) error {
	if !t.IsSource() {
		return fmt.Errorf("%w: %s#%d", ErrNotSource, t.vertex.ID, t.spec.Subtask)
	}
	t.inbox.Push(Event{Slot: -1, Kind: eventTrigger, Value: int64(id)})
	return nil
}

// CompleteCheckpoint tells the task that checkpoint id is complete (every task acked and its
// metadata is durable): operators implementing operator.CheckpointListener (exactly-once
// sinks) commit what they sealed up to id. Notifications are best effort: a completion
// subsumes every older one, and one not above the last notified (or restored) is ignored. It
// returns at once; call it on every task of the attempt.
func (t *Task) CompleteCheckpoint(id uint64) {
	t.inbox.Push(Event{Slot: -1, Kind: eventComplete, Value: int64(id)})
}

// CheckpointStats describes a task's checkpoints so far.
type CheckpointStats struct {
	// Snapshots is the number of barriers the task snapshotted and forwarded.
	Snapshots int64
	// LastBarrier is the newest checkpoint id snapshotted; LastCompleted the newest notified.
	LastBarrier, LastCompleted uint64
	// LastPause and MaxPause are the time the pipeline stopped for a snapshot: from the last
	// barrier aligned (or the trigger) until the barrier was forwarded, i.e. the in-memory copy.
	LastPause, MaxPause time.Duration
	// LastAlignment is how long the last alignment blocked its first input (0 for sources).
	LastAlignment time.Duration
}

type checkpointStats struct {
	mu sync.Mutex
	s  CheckpointStats
}

// CheckpointStats returns the task's checkpoint statistics.
func (t *Task) CheckpointStats() CheckpointStats {
	t.ckpt.mu.Lock()
	defer t.ckpt.mu.Unlock()
	return t.ckpt.s
}

// control handles an event the task sent itself.
func (r *runner) control(ev *Event) error {
	id := uint64(ev.Value)
	switch ev.Kind {
	case eventTrigger:
		if len(r.slots) == 0 && id > r.lastBarrier {
			return r.snapshot(id, time.Time{})
		}
	case eventComplete:
		return r.complete(id)
	case eventPersisted:
		for _, b := range r.t.backends {
			b.Fold()
		}
	}
	return nil
}

// complete notifies the chain's listeners of a completed checkpoint.
func (r *runner) complete(id uint64) error {
	if id <= r.lastComplete || id > r.lastBarrier {
		return nil // old, or of a barrier this task never saw (its ack cannot have counted)
	}
	r.lastComplete = id
	for i, op := range r.t.ops {
		if l, ok := op.(operator.CheckpointListener); ok {
			if err := l.NotifyCheckpointComplete(r.ctx, id); err != nil {
				return fmt.Errorf("operator %q: checkpoint %d complete: %w", r.t.vertex.Operators[i].ID, id, err)
			}
		}
	}
	r.t.ckpt.mu.Lock()
	r.t.ckpt.s.LastCompleted = id
	r.t.ckpt.mu.Unlock()
	return nil
}

// pendingState is one state blob of a snapshot, still to be stored.
type pendingState struct {
	key  checkpoint.StateKey
	snap *state.Snapshot // keyed state, or
	blob []byte          // operator state
}

// snapshot takes checkpoint id on the task's goroutine: it freezes every operator's keyed state
// (O(1) per key group) and collects their operator state, forwards the barrier, then stores
// the state on another goroutine and acks. aligned is when alignment began (zero for sources).
func (r *runner) snapshot(id uint64, alignStart time.Time) error {
	t := r.t
	start := time.Now()
	var states []pendingState
	release := func() {
		for _, s := range states {
			if s.snap != nil {
				s.snap.Release()
			}
		}
	}
	for i, op := range t.ops {
		key := checkpoint.StateKey{Job: t.spec.JobID, Checkpoint: id, Operator: string(t.vertex.Operators[i].ID), Subtask: t.spec.Subtask}
		// SnapshotState first: an operator may write back to its keyed state there.
		var buf bytes.Buffer
		if err := op.SnapshotState(id, &buf); err != nil {
			release()
			return fmt.Errorf("operator %q: snapshot for checkpoint %d: %w", key.Operator, id, err)
		}
		if buf.Len() > 0 {
			states = append(states, pendingState{key: key, blob: buf.Bytes()})
		}
		if b := t.backends[i]; b.States() > 0 {
			states = append(states, pendingState{key: key, snap: b.Snapshot()})
		}
	}
	if err := r.out.barrier(id); err != nil {
		release()
		return err
	}
	r.lastBarrier = id
	pause := time.Since(start)
	t.ckpt.mu.Lock()
	s := &t.ckpt.s
	s.Snapshots++
	s.LastBarrier, s.LastPause, s.MaxPause = id, pause, max(s.MaxPause, pause)
	if !alignStart.IsZero() {
		s.LastAlignment = start.Sub(alignStart)
	}
	t.ckpt.mu.Unlock()
	t.writes.Add(1)
	go t.persist(id, states)
	return nil
}

// persist stores a snapshot's state and acks it (declines with the error if storing failed).
func (t *Task) persist(id uint64, states []pendingState) {
	defer t.writes.Done()
	ack := assign.Ack{
		TaskID: assign.TaskID(t.spec.JobID, t.spec.Attempt, t.vertex.ID, t.spec.Subtask),
		JobID:  t.spec.JobID, Attempt: t.spec.Attempt, Vertex: t.vertex.ID, Subtask: t.spec.Subtask, Checkpoint: id,
	}
	var errs []error
	for _, ps := range states {
		if t.deps.Storage == nil {
			if ps.snap != nil {
				ps.snap.Release()
			}
			errs = append(errs, errors.New("no checkpoint storage configured"))
			continue
		}
		var ts checkpoint.TaskState
		var err error
		if ps.snap != nil {
			ts, err = checkpoint.WriteKeyed(t.writeCtx, t.deps.Storage, ps.key, string(t.vertex.ID), t.vertex.Parallelism, ps.snap)
		} else {
			ts, err = checkpoint.WriteOperatorState(t.writeCtx, t.deps.Storage, ps.key, string(t.vertex.ID), t.vertex.Parallelism, ps.blob)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ack.States = append(ack.States, ts)
		ack.SizeBytes += ts.Size
	}
	t.inbox.Push(Event{Slot: -1, Kind: eventPersisted, Value: int64(id)})
	if t.writeCtx.Err() != nil {
		return // stopped: the attempt is over, nobody waits for this ack
	}
	if err := errors.Join(errs...); err != nil {
		ack.Error = err.Error()
		t.log.Warn("checkpoint state not stored", "checkpoint", id, "err", err)
	}
	if len(ack.States) > 0 {
		ack.Handle = string(ack.States[0].Handle)
	}
	if t.deps.Ack != nil {
		t.deps.Ack(ack)
	}
}

// restore loads the chain's state from spec.Restore before the operators open: each
// operator's keyed state for this subtask's key groups (from every old subtask whose range
// overlaps, at whatever parallelism the checkpoint was taken) and the operator states this
// subtask inherits (old subtask i goes to new subtask i % parallelism).
func (r *runner) restore(ctx context.Context) error {
	t := r.t
	rs := t.spec.Restore
	if rs == nil {
		return nil
	}
	job := rs.Job
	if job == "" {
		job = t.spec.JobID
	}
	md, err := t.deps.Storage.GetMetadata(ctx, job, rs.ID)
	if err != nil {
		return fmt.Errorf("restore checkpoint %d: %w", rs.ID, err)
	}
	if md.Status != checkpoint.StatusCompleted {
		return fmt.Errorf("restore checkpoint %d: %w: status %s", rs.ID, checkpoint.ErrNoCheckpoint, md.Status)
	}
	for i, op := range t.ops {
		name := string(t.vertex.Operators[i].ID)
		b := t.backends[i]
		if len(md.RestoreSet(name, b.Range())) > 0 {
			if err := checkpoint.RestoreKeyed(ctx, t.deps.Storage, md, name, b); err != nil {
				return err
			}
		}
		blobs, err := checkpoint.OperatorStates(ctx, t.deps.Storage, md, name, t.spec.Subtask, t.vertex.Parallelism)
		if err != nil {
			return err
		}
		for _, blob := range blobs {
			if err := op.RestoreState(bytes.NewReader(blob)); err != nil {
				return fmt.Errorf("operator %q: restore checkpoint %d: %w", name, rs.ID, err)
			}
		}
	}
	if job == t.spec.JobID {
		// The restored checkpoint is complete, and this job's new checkpoints have larger ids.
		r.lastBarrier, r.lastComplete = rs.ID, rs.ID
	}
	t.log.Info("restored", "checkpoint", rs.ID, "from_job", job)
	return nil
}
