package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowplane/flowplane/dataflow/state"
)

// Coordinator defaults.
const (
	DefaultInterval = 10 * time.Second
	DefaultTimeout  = 10 * time.Minute
)

// Errors of the coordinator.
var (
	// ErrInFlight: a checkpoint is already in flight (one at a time).
	ErrInFlight = errors.New("a checkpoint is already in flight")
	// ErrCoordinatorConfig: an invalid CoordinatorConfig.
	ErrCoordinatorConfig = errors.New("invalid checkpoint coordinator config")
	// ErrStaleAck: an ack of another attempt or of a checkpoint no longer pending.
	ErrStaleAck = errors.New("stale checkpoint ack")
)

// CoordinatorConfig configures the checkpoint coordinator of one job attempt. The hooks
// connect it to its host (the scheduler leader): ids come from and completions go to the FSM,
// triggers and completion notices go to the workers.
type CoordinatorConfig struct {
	Job     string
	Attempt uint64
	// Tasks are every subtask of the attempt; a checkpoint completes when all of them acked.
	Tasks   []TaskID
	Storage Storage
	// Interval between triggers (DefaultInterval when zero); Timeout aborts a checkpoint not
	// complete by then (DefaultTimeout when zero); Retained completed checkpoints are kept
	// (DefaultRetained when zero); MaxParallelism is the job's key groups
	// (state.DefaultMaxParallelism when zero).
	Interval       time.Duration
	Timeout        time.Duration
	Retained       int
	MaxParallelism int

	// AllocateID returns the next checkpoint id of the job, larger than every id it returned
	// before, also across leader changes (the FSM persists it). Required.
	AllocateID func(ctx context.Context) (uint64, error)
	// Trigger asks the attempt's source tasks to inject barrier id (workers learn it from
	// their heartbeat replies). Required.
	Trigger func(ctx context.Context, id uint64, kind Kind) error
	// RecordCompleted records a completed checkpoint (FSM, then the checkpoints table) after
	// its metadata is durable and before any task is notified. An error leaves the checkpoint
	// completed in storage, unannounced; nothing is deleted. Optional.
	RecordCompleted func(ctx context.Context, md *Metadata) error
	// RecordFailed records an aborted checkpoint (md.Failure says why). Optional.
	RecordFailed func(ctx context.Context, md *Metadata)
	// Notify tells every task of the attempt that checkpoint id is complete (best effort:
	// sinks commit up to id). Optional.
	Notify func(id uint64)
	// RecordDiscarded learns the completed checkpoints retention deleted (their state and
	// metadata are gone; e.g. drop them from the checkpoints table). Optional.
	RecordDiscarded func(ctx context.Context, ids []uint64)

	Logger *slog.Logger
	Now    func() time.Time
}

// Coordinator triggers the checkpoints of one job attempt, one in flight at a time, collects
// the tasks' acks, completes checkpoints (durable metadata, RecordCompleted, Notify), aborts
// those that time out or that a task declines, and keeps the newest Retained completed ones,
// deleting only state no remaining checkpoint names. It is a plain type: the scheduler runs it
// on the leader (Run) and feeds it the acks of heartbeats (Ack); stopping Run (leader loss)
// deletes nothing.
type Coordinator struct {
	cfg   CoordinatorConfig
	log   *slog.Logger
	ready chan struct{}
	// trigger serialises TriggerNow, so the id allocation (a Raft round trip) runs outside mu.
	trigger sync.Mutex

	mu      sync.Mutex
	pending *Pending
	started time.Time
	last    time.Time // last trigger
	stats   CoordinatorStats
	// kick wakes Run when TriggerNow started a checkpoint, to arm its timeout.
	kick chan struct{}
	runs atomic.Bool
}

// CoordinatorStats counts a coordinator's checkpoints.
type CoordinatorStats struct {
	Triggered, Completed, Aborted int64
	LastCompleted                 uint64
	LastDuration                  time.Duration
	// LastCleaned is the newest completed checkpoint after which retention and the sweep of
	// unreferenced state ran to the end.
	LastCleaned uint64
	Pending     uint64 // id in flight, 0 if none
}

// NewCoordinator validates cfg and returns a coordinator; call Run to start triggering.
func NewCoordinator(cfg CoordinatorConfig) (*Coordinator, error) {
	switch {
	case cfg.Job == "" || cfg.Storage == nil || len(cfg.Tasks) == 0:
		return nil, fmt.Errorf("%w: job, storage and tasks are required", ErrCoordinatorConfig)
	case cfg.AllocateID == nil || cfg.Trigger == nil:
		return nil, fmt.Errorf("%w: AllocateID and Trigger hooks are required", ErrCoordinatorConfig)
	case cfg.Interval < 0 || cfg.Timeout < 0 || cfg.Retained < 0:
		return nil, fmt.Errorf("%w: negative interval, timeout or retention", ErrCoordinatorConfig)
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Retained == 0 {
		cfg.Retained = DefaultRetained
	}
	if cfg.MaxParallelism == 0 {
		cfg.MaxParallelism = state.DefaultMaxParallelism
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Coordinator{
		cfg: cfg, log: cfg.Logger.With("job", cfg.Job, "attempt", cfg.Attempt),
		ready: make(chan struct{}, 1), kick: make(chan struct{}, 1),
	}, nil
}

// CounterIDs returns an AllocateID hook counting up from after (for tests and single-process
// use; the scheduler allocates from its FSM).
func CounterIDs(after uint64) func(context.Context) (uint64, error) {
	var mu sync.Mutex
	return func(context.Context) (uint64, error) {
		mu.Lock()
		defer mu.Unlock()
		after++
		return after, nil
	}
}

// Stats returns the coordinator's counters.
func (c *Coordinator) Stats() CoordinatorStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	if c.pending != nil {
		s.Pending = c.pending.ID()
	}
	return s
}

// Run triggers a checkpoint every Interval while none is in flight, completes checkpoints as
// their last ack arrives and aborts those past Timeout, until ctx ends. Stopping it deletes
// nothing: a checkpoint in flight is left to the next coordinator (whose first completion
// sweeps its state) or to Abort.
func (c *Coordinator) Run(ctx context.Context) error {
	if !c.runs.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: Run called twice", ErrCoordinatorConfig)
	}
	defer c.runs.Store(false)
	timer := time.NewTimer(c.cfg.Interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.ready:
			c.finish(ctx)
		case <-c.kick:
		case <-timer.C:
			// The timer serves both the pending checkpoint's timeout and the interval.
			if c.due() {
				if _, err := c.TriggerNow(ctx, KindCheckpoint); err != nil && !errors.Is(err, ErrInFlight) && ctx.Err() == nil {
					c.log.Warn("checkpoint trigger failed", "err", err)
				}
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.expire(ctx)
		timer.Reset(c.nextWake())
	}
}

// due reports whether the next periodic checkpoint is due: none in flight and an interval
// passed since the last trigger.
func (c *Coordinator) due() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending == nil && !c.cfg.Now().Before(c.last.Add(c.cfg.Interval))
}

// nextWake is how long Run sleeps: until the pending checkpoint's timeout, or the next trigger.
func (c *Coordinator) nextWake() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if c.pending != nil {
		return max(c.started.Add(c.cfg.Timeout).Sub(now), time.Millisecond)
	}
	return max(c.last.Add(c.cfg.Interval).Sub(now), time.Millisecond)
}

// TriggerNow starts a checkpoint (or a savepoint) now, unless one is in flight (ErrInFlight).
// It returns the new checkpoint's id.
func (c *Coordinator) TriggerNow(ctx context.Context, kind Kind) (uint64, error) {
	c.trigger.Lock()
	defer c.trigger.Unlock()
	if s := c.Stats(); s.Pending != 0 {
		return 0, fmt.Errorf("%w: checkpoint %d", ErrInFlight, s.Pending)
	}
	id, err := c.cfg.AllocateID(ctx)
	if err != nil {
		return 0, fmt.Errorf("allocate checkpoint id: %w", err)
	}
	c.mu.Lock()
	now := c.cfg.Now()
	p := NewPending(c.cfg.Job, id, int64(c.cfg.Attempt), kind, now, c.cfg.MaxParallelism, c.cfg.Storage.Location(), c.cfg.Tasks)
	c.pending, c.started, c.last = p, now, now
	c.stats.Triggered++
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}: // re-arm Run's timer for the timeout
	default:
	}
	if err := c.cfg.Trigger(ctx, id, kind); err != nil {
		c.abortIf(ctx, p, fmt.Sprintf("trigger failed: %v", err))
		return 0, fmt.Errorf("trigger checkpoint %d: %w", id, err)
	}
	c.log.Debug("checkpoint triggered", "checkpoint", id, "kind", kind)
	return id, nil
}

// Ack records one task's ack of checkpoint id in attempt. A non-empty failure declines the
// checkpoint, which is aborted. Acks of other attempts or of checkpoints no longer pending
// return ErrStaleAck (harmless: e.g. a resent heartbeat, or a checkpoint that timed out).
func (c *Coordinator) Ack(ctx context.Context, task TaskID, attempt, id uint64, states []TaskState, failure string) error {
	c.mu.Lock()
	p := c.pending
	if attempt != c.cfg.Attempt || p == nil || p.ID() != id {
		c.mu.Unlock()
		return fmt.Errorf("%w: %s[%d] attempt %d checkpoint %d", ErrStaleAck, task.Vertex, task.Subtask, attempt, id)
	}
	if failure != "" {
		c.mu.Unlock()
		c.abortIf(ctx, p, fmt.Sprintf("declined by %s[%d]: %s", task.Vertex, task.Subtask, failure))
		return nil
	}
	done, err := p.Ack(task, states)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if done {
		select {
		case c.ready <- struct{}{}:
		default:
		}
	}
	return nil
}

// Abort aborts the checkpoint in flight, if any, deleting what it stored so far: for a failed
// attempt or a cancelled job. On leader loss, stop Run instead (nothing is deleted).
func (c *Coordinator) Abort(ctx context.Context, reason string) {
	c.mu.Lock()
	p := c.pending
	c.mu.Unlock()
	if p != nil {
		c.abortIf(ctx, p, reason)
	}
}

// detach takes p out of the coordinator if it is still the pending checkpoint.
func (c *Coordinator) detach(p *Pending) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending != p {
		return false
	}
	c.pending = nil
	return true
}

func (c *Coordinator) abortIf(ctx context.Context, p *Pending, reason string) {
	if c.detach(p) {
		c.abortDetached(ctx, p, reason)
	}
}

// abortDetached aborts p, which is no longer the pending checkpoint.
func (c *Coordinator) abortDetached(ctx context.Context, p *Pending, reason string) {
	defer func() {
		c.mu.Lock()
		c.stats.Aborted++
		c.mu.Unlock()
		// Re-arm Run's timer: it sleeps until the aborted checkpoint's timeout otherwise, and
		// no periodic checkpoint would start before then.
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}()
	c.log.Info("checkpoint aborted", "checkpoint", p.ID(), "reason", reason)
	if err := p.Abort(ctx, c.cfg.Storage, reason); err != nil {
		c.log.Warn("discard aborted checkpoint", "checkpoint", p.ID(), "err", err)
	}
	if c.cfg.RecordFailed != nil {
		md := p.md
		md.Status, md.Failure = StatusFailed, reason
		c.cfg.RecordFailed(ctx, &md)
	}
}

// expire aborts the pending checkpoint when it is past its timeout.
func (c *Coordinator) expire(ctx context.Context) {
	c.mu.Lock()
	p := c.pending
	late := p != nil && c.cfg.Now().Sub(c.started) >= c.cfg.Timeout
	c.mu.Unlock()
	if late {
		c.abortIf(ctx, p, fmt.Sprintf("timed out after %s, waiting for %v", c.cfg.Timeout, p.Missing()))
	}
}

// finish completes the pending checkpoint once every task acked: durable metadata, record,
// notify, then retention and the sweep of state no checkpoint names.
func (c *Coordinator) finish(ctx context.Context) {
	c.mu.Lock()
	p := c.pending
	if p == nil || !p.Complete() {
		c.mu.Unlock()
		return
	}
	c.pending = nil
	started := c.started
	c.mu.Unlock()
	md, err := p.Finalize(ctx, c.cfg.Storage, c.cfg.Now())
	if err != nil {
		if ctx.Err() != nil {
			return // stopped: leave everything for the next coordinator
		}
		c.abortDetached(ctx, p, fmt.Sprintf("metadata not stored: %v", err))
		return
	}
	if c.cfg.RecordCompleted != nil {
		if err := c.cfg.RecordCompleted(ctx, md); err != nil {
			c.log.Warn("completed checkpoint not recorded", "checkpoint", md.ID, "err", err)
			return
		}
	}
	c.mu.Lock()
	c.stats.Completed++
	c.stats.LastCompleted = md.ID
	c.stats.LastDuration = c.cfg.Now().Sub(started)
	c.mu.Unlock()
	c.log.Debug("checkpoint completed", "checkpoint", md.ID, "size", md.SizeBytes, "duration_ms", md.DurationMS)
	if c.cfg.Notify != nil {
		c.cfg.Notify(md.ID)
	}
	if ctx.Err() != nil {
		return
	}
	if !c.cleanUp(ctx, md.ID) {
		return
	}
	c.mu.Lock()
	c.stats.LastCleaned = md.ID
	c.mu.Unlock()
}

// cleanUp runs retention and then the sweep of unreferenced state older than completed, on
// one listing of the job's metadata, and reports whether both ran to the end.
func (c *Coordinator) cleanUp(ctx context.Context, completed uint64) bool {
	all, err := c.cfg.Storage.ListMetadata(ctx, c.cfg.Job)
	var res RetainResult
	var refs map[Handle]bool
	if err == nil {
		res, refs, err = retain(ctx, c.cfg.Storage, all, c.cfg.Retained)
	}
	if len(res.Discarded) > 0 && c.cfg.RecordDiscarded != nil {
		c.cfg.RecordDiscarded(ctx, res.Discarded)
	}
	if err != nil {
		c.log.Warn("checkpoint retention", "err", err)
		return false
	}
	// Nothing is in flight: every blob of an older checkpoint is either named by a metadata or
	// left over from an aborted checkpoint or a failed attempt.
	if _, err := sweepOrphans(ctx, c.cfg.Storage, c.cfg.Job, completed, refs); err != nil {
		c.log.Warn("checkpoint orphan sweep", "err", err)
		return false
	}
	return true
}
