package workers

import (
	"context"
	"io"
	"net/http"
	"sync"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
)

// serverStorage is the checkpoint storage the servers serve under assign.PathCheckpoints,
// reached through the server the agent's client uses now (so it follows the client's
// failover), with the current registration's worker token.
type serverStorage struct {
	c      *client
	stores []*checkpoint.RemoteStorage
}

func newServerStorage(a *Agent, hc *http.Client) *serverStorage {
	auth := func(r *http.Request) {
		s := a.session()
		r.Header.Set("Authorization", "Bearer "+s.token)
		r.Header.Set(assign.WorkerHeader, s.id)
	}
	st := &serverStorage{c: a.client}
	for _, base := range a.cfg.Servers {
		st.stores = append(st.stores, checkpoint.NewRemoteStorage(base+assign.PathCheckpoints, hc, auth))
	}
	return st
}

func (s *serverStorage) cur() *checkpoint.RemoteStorage {
	i, _ := s.c.server()
	return s.stores[i]
}

func (s *serverStorage) Location() string { return s.cur().Location() }

func (s *serverStorage) PutState(ctx context.Context, key checkpoint.StateKey, r io.Reader) (checkpoint.Handle, int64, error) {
	return s.cur().PutState(ctx, key, r)
}

func (s *serverStorage) GetState(ctx context.Context, h checkpoint.Handle) ([]byte, error) {
	return s.cur().GetState(ctx, h)
}

func (s *serverStorage) DeleteState(ctx context.Context, h checkpoint.Handle) error {
	return s.cur().DeleteState(ctx, h)
}

func (s *serverStorage) PutMetadata(ctx context.Context, md *checkpoint.Metadata) error {
	return s.cur().PutMetadata(ctx, md)
}

func (s *serverStorage) GetMetadata(ctx context.Context, job string, id uint64) (*checkpoint.Metadata, error) {
	return s.cur().GetMetadata(ctx, job, id)
}

func (s *serverStorage) ListMetadata(ctx context.Context, job string) ([]*checkpoint.Metadata, error) {
	return s.cur().ListMetadata(ctx, job)
}

func (s *serverStorage) DeleteMetadata(ctx context.Context, job string, id uint64) error {
	return s.cur().DeleteMetadata(ctx, job, id)
}

func (s *serverStorage) ListStates(ctx context.Context, job string) ([]checkpoint.StateRef, error) {
	return s.cur().ListStates(ctx, job)
}

// ackQueue holds the tasks' checkpoint acks until a heartbeat carries them.
type ackQueue struct {
	mu   sync.Mutex
	acks []assign.Ack
}

// maxQueuedAcks bounds the queue while the servers are unreachable (older acks are of
// checkpoints that timed out meanwhile).
const maxQueuedAcks = 4096

func (q *ackQueue) push(a assign.Ack) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.acks) >= maxQueuedAcks {
		q.acks = q.acks[1:]
	}
	q.acks = append(q.acks, a)
}

// take empties the queue.
func (q *ackQueue) take() []assign.Ack {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.acks
	q.acks = nil
	return out
}

// putBack returns acks a failed heartbeat did not deliver to the front of the queue.
func (q *ackQueue) putBack(acks []assign.Ack) {
	if len(acks) == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.acks = append(acks, q.acks...)
	if n := len(q.acks) - maxQueuedAcks; n > 0 {
		q.acks = q.acks[n:]
	}
}

// checkpointNotices acts on a heartbeat reply: triggers go to the attempt's source tasks,
// completion notices to all its tasks. Both repeat in later replies until superseded; each
// task gets each id once.
func (tt *taskTable) checkpointNotices(triggers []assign.Trigger, completed []assign.Completed) {
	if len(triggers) == 0 && len(completed) == 0 {
		return
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	for _, e := range tt.entries {
		if e.task == nil || isDone(e.task) {
			continue
		}
		for _, t := range triggers {
			if t.JobID == e.spec.JobID && t.Attempt == e.spec.Attempt && t.Checkpoint > e.triggered && e.task.IsSource() {
				e.triggered = t.Checkpoint
				if err := e.task.TriggerCheckpoint(t.Checkpoint); err != nil {
					tt.a.log.Warn("checkpoint trigger", "job", e.spec.JobID, "task", e.spec.ID, "err", err)
				}
			}
		}
		for _, c := range completed {
			if c.JobID == e.spec.JobID && c.Attempt == e.spec.Attempt && c.Checkpoint > e.completed {
				if drop := tt.a.cfg.DropCompleted; drop != nil && drop(c) {
					continue
				}
				e.completed = c.Checkpoint
				e.task.CompleteCheckpoint(c.Checkpoint)
			}
		}
	}
}
