package checkpoint

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Errors of ack collection.
var (
	// ErrUnexpectedAck: an ack from a task the checkpoint does not wait for, or after it ended.
	ErrUnexpectedAck = errors.New("unexpected checkpoint ack")
	// ErrIncomplete: Finalize before every task acked.
	ErrIncomplete = errors.New("checkpoint not acknowledged by every task")
)

// TaskID names one subtask of a job's execution graph.
type TaskID struct {
	Vertex  string `json:"vertex"`
	Subtask int    `json:"subtask"`
}

// Pending collects the acks of one triggered checkpoint for the coordinator: each task acks
// with the TaskStates of its operators (one per operator that has state). It is not safe for
// concurrent use; the coordinator owns it.
type Pending struct {
	md      Metadata
	waiting map[TaskID]bool
	acked   map[TaskID]bool
	ended   bool
}

// NewPending starts collecting acks for checkpoint id of job from tasks.
func NewPending(job string, id uint64, attempt int64, kind Kind, triggered time.Time, maxParallelism int, location string, tasks []TaskID) *Pending {
	p := &Pending{
		md: Metadata{Version: MetadataVersion, Job: job, ID: id, Attempt: attempt, Kind: kind, Status: StatusInProgress,
			TriggeredAt: triggered.UTC(), MaxParallelism: maxParallelism, Location: location},
		waiting: make(map[TaskID]bool, len(tasks)),
		acked:   make(map[TaskID]bool, len(tasks)),
	}
	for _, t := range tasks {
		p.waiting[t] = true
	}
	return p
}

// ID is the checkpoint id.
func (p *Pending) ID() uint64 { return p.md.ID }

// Ack records task's states. A repeated ack of the same task is ignored (acks travel in
// heartbeats and may be resent); it reports whether every task has now acked.
func (p *Pending) Ack(task TaskID, states []TaskState) (bool, error) {
	if p.ended || !p.waiting[task] && !p.acked[task] {
		return false, fmt.Errorf("%w: %s[%d] for checkpoint %d", ErrUnexpectedAck, task.Vertex, task.Subtask, p.md.ID)
	}
	if p.acked[task] {
		return p.Complete(), nil
	}
	for _, ts := range states {
		if ts.Vertex != task.Vertex || ts.Subtask != task.Subtask {
			return false, fmt.Errorf("%w: %s[%d] acked state of %s[%d]", ErrUnexpectedAck, task.Vertex, task.Subtask, ts.Vertex, ts.Subtask)
		}
	}
	delete(p.waiting, task)
	p.acked[task] = true
	p.md.Tasks = append(p.md.Tasks, states...)
	return p.Complete(), nil
}

// Complete reports whether every task has acked.
func (p *Pending) Complete() bool { return len(p.waiting) == 0 }

// Missing returns the tasks that have not acked yet, sorted.
func (p *Pending) Missing() []TaskID {
	out := make([]TaskID, 0, len(p.waiting))
	for t := range p.waiting {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b TaskID) int {
		return cmp.Or(strings.Compare(a.Vertex, b.Vertex), cmp.Compare(a.Subtask, b.Subtask))
	})
	return out
}

// Finalize makes a fully acked checkpoint complete: it writes its metadata durably and returns
// it. Only after Finalize returns may the coordinator record the checkpoint as completed (FSM,
// PostgreSQL) and notify the tasks; then it should run Retain.
func (p *Pending) Finalize(ctx context.Context, s Storage, now time.Time) (*Metadata, error) {
	if p.ended {
		return nil, fmt.Errorf("%w: checkpoint %d already ended", ErrUnexpectedAck, p.md.ID)
	}
	if !p.Complete() {
		return nil, fmt.Errorf("%w: %d tasks missing", ErrIncomplete, len(p.waiting))
	}
	md := p.md
	md.Tasks = slices.Clone(p.md.Tasks)
	md.Complete(now)
	if err := s.PutMetadata(ctx, &md); err != nil {
		return nil, fmt.Errorf("finalize checkpoint %d: %w", md.ID, err)
	}
	p.ended = true
	return &md, nil
}

// Abort ends a checkpoint that cannot complete (a task declined or failed, a timeout, a new
// attempt): it records it as failed, then deletes the blobs acked so far that no other
// checkpoint names, and the record. Blobs of tasks that never acked are not known here; they
// stay until their directory or rows are cleaned up with the job.
func (p *Pending) Abort(ctx context.Context, s Storage, reason string) error {
	if p.ended {
		return nil
	}
	p.ended = true
	md := p.md
	md.Status, md.Failure = StatusFailed, reason
	if err := s.PutMetadata(ctx, &md); err != nil {
		return fmt.Errorf("abort checkpoint %d: %w", md.ID, err)
	}
	return Discard(ctx, s, md.Job, md.ID)
}
