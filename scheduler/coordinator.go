package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
)

// DefaultCheckpointsRetained is how many completed checkpoints a job keeps.
const DefaultCheckpointsRetained = 3

// CheckpointOptions configure the coordinators CheckpointCoordinators builds.
type CheckpointOptions struct {
	// Storage keeps the checkpoints' state and metadata (the same storage the workers reach
	// through Config.CheckpointStorage). Required.
	Storage checkpoint.Storage
	// Interval is the default checkpoint interval (checkpoint.DefaultInterval when zero); a
	// job's own interval (JobSpec.CheckpointIntervalMS) wins.
	Interval time.Duration
	// Timeout aborts a checkpoint not complete by then (checkpoint.DefaultTimeout when zero).
	Timeout time.Duration
	// Retained completed checkpoints are kept per job (DefaultCheckpointsRetained when zero).
	Retained int
}

// CheckpointCoordinators returns the Config.Checkpoints factory running dataflow/checkpoint's
// Coordinator for every job attempt.
func CheckpointCoordinators(o CheckpointOptions) NewCheckpointCoordinator {
	if o.Retained <= 0 {
		o.Retained = DefaultCheckpointsRetained
	}
	return func(h CheckpointHost) (CheckpointCoordinator, error) {
		if o.Storage == nil {
			return nil, fmt.Errorf("%w: checkpoint storage is required", ErrConfig)
		}
		tasks := make([]checkpoint.TaskID, 0, len(h.Job.Subtasks))
		for _, st := range h.Job.Subtasks {
			tasks = append(tasks, checkpoint.TaskID{Vertex: string(st.Vertex), Subtask: st.Index})
		}
		interval := o.Interval
		if h.Interval > 0 {
			interval = h.Interval
		}
		record := func(md *checkpoint.Metadata) CheckpointRecord {
			r := CheckpointRecord{ID: md.ID, Savepoint: md.Kind == checkpoint.KindSavepoint, Location: md.Location,
				SizeBytes: md.SizeBytes, TriggeredAt: md.TriggeredAt, Failure: md.Failure}
			if md.CompletedAt != nil {
				r.CompletedAt = *md.CompletedAt
			}
			return r
		}
		co := &coordinator{}
		c, err := checkpoint.NewCoordinator(checkpoint.CoordinatorConfig{
			Job: h.Job.ID, Attempt: h.Attempt, Tasks: tasks, Storage: o.Storage,
			Interval: interval, Timeout: o.Timeout, Retained: o.Retained, Logger: h.Logger,
			AllocateID: func(ctx context.Context) (uint64, error) {
				if !co.mayAllocate() {
					return 0, errSavepointFirst
				}
				return h.AllocateID(ctx)
			},
			Trigger: func(ctx context.Context, id uint64, kind checkpoint.Kind) error {
				return h.Trigger(ctx, id, kind == checkpoint.KindSavepoint)
			},
			RecordCompleted: func(ctx context.Context, md *checkpoint.Metadata) error {
				if md.Kind == checkpoint.KindSavepoint {
					if h.RecordSavepoint == nil {
						return nil
					}
					return h.RecordSavepoint(ctx, record(md))
				}
				return h.RecordCompleted(ctx, record(md))
			},
			RecordFailed: func(ctx context.Context, md *checkpoint.Metadata) {
				if h.RecordFailed != nil {
					r := record(md)
					if r.Failure == "" {
						r.Failure = "aborted"
					}
					h.RecordFailed(ctx, r)
				}
			},
			RecordDiscarded: h.RecordDiscarded,
			Notify:          h.Notify,
		})
		if err != nil {
			return nil, err
		}
		co.c = c
		return co, nil
	}
}

// errSavepointFirst declines a periodic checkpoint while a savepoint waits for the one in
// flight, so that short intervals cannot starve savepoints. It wraps checkpoint.ErrInFlight:
// the coordinator simply tries again at its next interval.
var errSavepointFirst = fmt.Errorf("%w: a savepoint goes first", checkpoint.ErrInFlight)

// coordinator adapts checkpoint.Coordinator to CheckpointCoordinator and SavepointCoordinator.
type coordinator struct {
	c *checkpoint.Coordinator

	mu      sync.Mutex
	waiting bool // a savepoint waits to start (its caller retries while one is in flight)
	ours    bool // a savepoint's TriggerNow is running
}

// mayAllocate reports whether an id may be allocated now: always for a savepoint, and for a
// periodic checkpoint only when no savepoint waits.
func (c *coordinator) mayAllocate() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ours || !c.waiting
}

func (c *coordinator) Run(ctx context.Context) error { return c.c.Run(ctx) }

func (c *coordinator) Ack(ctx context.Context, a assign.Ack) error {
	return c.c.Ack(ctx, checkpoint.TaskID{Vertex: string(a.Vertex), Subtask: a.Subtask}, a.Attempt, a.Checkpoint, a.States, a.Error)
}

// TriggerSavepoint starts a savepoint; while it fails because a checkpoint is in flight (the
// caller retries), no new periodic checkpoint starts.
func (c *coordinator) TriggerSavepoint(ctx context.Context) (uint64, error) {
	c.mu.Lock()
	c.waiting, c.ours = true, true
	c.mu.Unlock()
	id, err := c.c.TriggerNow(ctx, checkpoint.KindSavepoint)
	c.mu.Lock()
	c.ours = false
	if !errors.Is(err, checkpoint.ErrInFlight) {
		c.waiting = false // started or failed: no longer waiting
	}
	c.mu.Unlock()
	if errors.Is(err, checkpoint.ErrInFlight) {
		return 0, fmt.Errorf("%w: %w", ErrCheckpointInFlight, err)
	}
	return id, err
}
