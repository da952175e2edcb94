package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
)

// CheckpointHost is what the leader offers the checkpoint coordinator of one job attempt
// (DESIGN §7): ids from the FSM (monotonic across failover), triggers and completion notices
// delivered to the workers in heartbeat replies, completions recorded in the FSM and Postgres.
type CheckpointHost struct {
	Job     *Job // the job as the attempt started (read-only)
	Attempt uint64
	// AllocateID returns the job's next checkpoint id.
	AllocateID func(ctx context.Context) (uint64, error)
	// Trigger asks the attempt's tasks (the sources act on it) to inject barrier id.
	Trigger func(ctx context.Context, id uint64, savepoint bool) error
	// RecordCompleted makes checkpoint r.ID the job's restore point (FSM, then the checkpoints
	// table when the job belongs to a deployment).
	RecordCompleted func(ctx context.Context, r CheckpointRecord) error
	// RecordSavepoint records a completed savepoint (checkpoints table and the savepoints row
	// that asked for it; a stop's savepoint then stops the job).
	RecordSavepoint func(ctx context.Context, r CheckpointRecord) error
	// RecordFailed records an aborted checkpoint or savepoint.
	RecordFailed func(ctx context.Context, r CheckpointRecord)
	// RecordDiscarded drops the checkpoints retention deleted from the checkpoints table.
	RecordDiscarded func(ctx context.Context, ids []uint64)
	// Notify tells the attempt's tasks that checkpoint id is complete (best effort).
	Notify func(id uint64)
	// Interval is the job's checkpoint interval (0: the coordinator's default).
	Interval time.Duration
	Logger   *slog.Logger
}

// SavepointCoordinator is implemented by coordinators that take savepoints on request
// (POST …/savepoints, stop with savepoint).
type SavepointCoordinator interface {
	// TriggerSavepoint starts a savepoint unless a checkpoint is in flight (then it fails
	// wrapping ErrCheckpointInFlight) and returns its id.
	TriggerSavepoint(ctx context.Context) (uint64, error)
}

// ErrCheckpointInFlight: a savepoint could not start because a checkpoint is in flight; retry.
var ErrCheckpointInFlight = errors.New("a checkpoint is in flight")

// CheckpointCoordinator coordinates one job attempt's checkpoints. The leader runs it while the
// attempt is RUNNING and stops it (cancels Run's context) when the attempt ends or leadership is
// lost; the acks of the attempt's tasks arrive through Ack.
type CheckpointCoordinator interface {
	Run(ctx context.Context) error
	Ack(ctx context.Context, ack assign.Ack) error
}

// NewCheckpointCoordinator builds the coordinator of one attempt (Config.Checkpoints).
type NewCheckpointCoordinator func(host CheckpointHost) (CheckpointCoordinator, error)

// checkpointer runs the coordinators on the leader and holds what heartbeats deliver.
type checkpointer struct {
	s         *Server
	mu        sync.Mutex
	runs      map[string]*coordRun // by job id
	triggers  map[string]assign.Trigger
	completed map[string]assign.Completed
	// delivered is the newest completion notice each worker received per job.
	delivered map[string]map[string]uint64
	sp        savepoints
	// publishing holds the jobs whose checkpoint allocation or completion is being committed
	// to the FSM (which wakes their workers' polls, and the workers heartbeat at once) and is
	// not yet in triggers or completed; a heartbeat of their workers waits for it, briefly.
	publishing map[string]time.Time
	published  chan struct{} // closed and replaced whenever a job leaves publishing
}

// publishWait bounds how long a heartbeat waits for a trigger or notice being published: a
// small part of the heartbeat's own deadline.
func (c *checkpointer) publishWait() time.Duration {
	return min(250*time.Millisecond, c.s.cfg.Lease/16)
}

func (c *checkpointer) beginPublish(job string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.publishing[job] = time.Now().Add(c.publishWait())
}

func (c *checkpointer) endPublish(job string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endPublishLocked(job)
}

func (c *checkpointer) endPublishLocked(job string) {
	if _, ok := c.publishing[job]; ok {
		delete(c.publishing, job)
		close(c.published)
		c.published = make(chan struct{})
	}
}

// awaitPublished waits until no trigger or notice of a job of worker is being published (or
// publishWait passed), so the heartbeat the worker sent on waking carries it.
func (c *checkpointer) awaitPublished(ctx context.Context, worker string) {
	for {
		c.mu.Lock()
		now := time.Now()
		var until time.Time
		for job, t := range c.publishing {
			if t.After(now) && until.Before(t) {
				if j, ok := c.s.fsm.Job(job); ok && containsWorker(j, worker) {
					until = t
				}
			}
		}
		ch := c.published
		c.mu.Unlock()
		if until.IsZero() {
			return
		}
		timer := time.NewTimer(until.Sub(now))
		select {
		case <-ch:
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
		if ctx.Err() != nil {
			return
		}
	}
}

type coordRun struct {
	ctx     context.Context
	attempt uint64
	coord   CheckpointCoordinator
	cancel  context.CancelFunc
	done    chan struct{}
}

func newCheckpointer(s *Server) *checkpointer {
	return &checkpointer{s: s, runs: map[string]*coordRun{}, triggers: map[string]assign.Trigger{},
		completed: map[string]assign.Completed{}, delivered: map[string]map[string]uint64{},
		sp: savepoints{rows: map[string]*savepointReq{}}, publishing: map[string]time.Time{}, published: make(chan struct{})}
}

// run keeps one coordinator per RUNNING job attempt until ctx ends.
func (c *checkpointer) run(ctx context.Context) {
	defer c.stopAll()
	for ctx.Err() == nil {
		changed := c.s.fsm.Changed()
		c.sync(ctx)
		select {
		case <-ctx.Done():
		case <-changed:
		}
	}
}

func (c *checkpointer) sync(ctx context.Context) {
	running := map[string]*Job{}
	for _, j := range c.s.fsm.Jobs() {
		if j.Status == JobRunning {
			running[j.ID] = j
		}
	}
	c.mu.Lock()
	var stopped []*coordRun
	for id, r := range c.runs {
		if j, ok := running[id]; !ok || j.Attempt != r.attempt {
			stopped = append(stopped, r)
			delete(c.runs, id)
			delete(c.triggers, id)
			delete(c.delivered, id)
			delete(c.completed, id)
			c.endPublishLocked(id)
			c.resetSavepointsLocked(id)
		}
	}
	c.mu.Unlock()
	stop(stopped) // outside the lock: a stopping coordinator may be calling a hook
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, j := range running {
		if _, ok := c.runs[id]; ok {
			continue
		}
		coord, err := c.s.cfg.Checkpoints(c.host(j))
		if err != nil {
			c.s.log.Error("checkpoint coordinator", "job", j.ID, "project", j.Project, "err", err)
			continue
		}
		rctx, cancel := context.WithCancel(ctx)
		r := &coordRun{ctx: rctx, attempt: j.Attempt, coord: coord, cancel: cancel, done: make(chan struct{})}
		c.runs[id] = r
		c.startSavepointsLocked(id)
		go func() {
			defer close(r.done)
			_ = coord.Run(rctx)
		}()
	}
}

func (c *checkpointer) stopAll() {
	c.mu.Lock()
	var all []*coordRun
	for id, r := range c.runs {
		all = append(all, r)
		delete(c.runs, id)
	}
	c.mu.Unlock()
	stop(all)
}

func stop(runs []*coordRun) {
	for _, r := range runs {
		r.cancel()
	}
	for _, r := range runs {
		<-r.done
	}
}

func (c *checkpointer) host(j *Job) CheckpointHost {
	s := c.s
	return CheckpointHost{Job: j, Attempt: j.Attempt, Logger: s.log.With("job", j.ID, "project", j.Project),
		Interval: time.Duration(j.CheckpointIntervalMS) * time.Millisecond,
		AllocateID: func(ctx context.Context) (uint64, error) {
			c.beginPublish(j.ID) // until Trigger
			v, err := s.leaderApply(ctx, CmdCheckpoint, newID("cmd"), checkpointBody{JobID: j.ID})
			if err != nil {
				c.endPublish(j.ID)
			}
			id, _ := v.(uint64)
			return id, err
		},
		Trigger: func(_ context.Context, id uint64, savepoint bool) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.triggers[j.ID] = assign.Trigger{JobID: j.ID, Attempt: j.Attempt, Checkpoint: id, Savepoint: savepoint}
			c.endPublishLocked(j.ID)
			return nil
		},
		RecordCompleted: func(ctx context.Context, r CheckpointRecord) error {
			c.beginPublish(j.ID) // until Notify
			if _, err := s.leaderApply(ctx, CmdCheckpoint, newID("cmd"), checkpointBody{JobID: j.ID, Complete: r.ID, Location: r.Location}); err != nil {
				c.endPublish(j.ID)
				return err
			}
			if err := c.recordRow(ctx, j, r); err != nil {
				c.endPublish(j.ID)
				return err
			}
			return nil
		},
		RecordSavepoint: func(ctx context.Context, r CheckpointRecord) error {
			if err := c.recordRow(ctx, j, r); err != nil {
				return err
			}
			return c.savepointDone(ctx, j, r)
		},
		RecordFailed: func(ctx context.Context, r CheckpointRecord) {
			if err := c.recordRow(ctx, j, r); err != nil {
				s.log.Warn("record failed checkpoint", "job", j.ID, "project", j.Project, "err", err)
			}
			if r.Savepoint {
				if err := c.savepointDone(ctx, j, r); err != nil {
					s.log.Warn("record failed savepoint", "job", j.ID, "project", j.Project, "err", err)
				}
			}
		},
		RecordDiscarded: func(ctx context.Context, ids []uint64) {
			if s.cfg.Pool == nil || j.Deployment == "" {
				return
			}
			n := make([]int64, len(ids))
			for i, id := range ids {
				n[i] = int64(id)
			}
			if _, err := s.cfg.Pool.Exec(ctx, `DELETE FROM checkpoints WHERE deployment_id = $1 AND checkpoint_id = ANY($2) AND NOT is_savepoint`, j.Deployment, n); err != nil {
				s.log.Warn("drop discarded checkpoints", "job", j.ID, "project", j.Project, "err", err)
			}
		},
		Notify: func(id uint64) {
			c.mu.Lock()
			defer c.mu.Unlock()
			if t, ok := c.triggers[j.ID]; ok && t.Checkpoint <= id {
				delete(c.triggers, j.ID)
			}
			if cur, ok := c.completed[j.ID]; !ok || cur.Attempt != j.Attempt || cur.Checkpoint < id {
				c.completed[j.ID] = assign.Completed{JobID: j.ID, Attempt: j.Attempt, Checkpoint: id}
			}
			c.endPublishLocked(j.ID)
		},
	}
}

// CheckpointRecord is a completed or failed checkpoint (or savepoint) as the coordinator
// reports it to its host.
type CheckpointRecord struct {
	ID          uint64
	Savepoint   bool
	Location    string // the storage's location (e.g. file:///var/lib/flowplane/checkpoints)
	SizeBytes   int64
	TriggeredAt time.Time
	CompletedAt time.Time // zero when failed
	Failure     string    // why it failed; "" when completed
}

// recordRow writes a checkpoints row when the job belongs to a deployment.
func (c *checkpointer) recordRow(ctx context.Context, j *Job, r CheckpointRecord) error {
	s := c.s
	if s.cfg.Pool == nil || j.Deployment == "" {
		return nil
	}
	status := "COMPLETED"
	var completed any
	if r.Failure != "" {
		status = "FAILED"
	} else {
		completed = r.CompletedAt
	}
	triggered := r.TriggeredAt
	if triggered.IsZero() {
		triggered = time.Now()
	}
	_, err := s.cfg.Pool.Exec(ctx, `INSERT INTO checkpoints (project_id, deployment_id, job_id, checkpoint_id, status, location, size_bytes,
			triggered_at, completed_at, is_savepoint, failure_message)
		SELECT d.project_id, d.id, (SELECT id FROM jobs WHERE deployment_id = d.id AND attempt = $2), $3, $4, NULLIF($5, ''), $6, $7, $8, $9, NULLIF($10, '')
		FROM deployments d WHERE d.id = $1
		ON CONFLICT (deployment_id, checkpoint_id) DO NOTHING`,
		j.Deployment, int64(j.Attempt), int64(r.ID), status, r.Location, r.SizeBytes, triggered, completed, r.Savepoint, r.Failure)
	return err
}

// ack routes a heartbeat's acks to the coordinators of their attempts.
func (c *checkpointer) ack(ctx context.Context, acks []assign.Ack) {
	for _, a := range acks {
		c.mu.Lock()
		r := c.runs[a.JobID]
		c.mu.Unlock()
		if r == nil || r.attempt != a.Attempt {
			continue // a stale attempt's ack: harmless
		}
		if err := r.coord.Ack(ctx, a); err != nil {
			c.s.log.Debug("checkpoint ack", "job", a.JobID, "task", a.TaskID, "err", err)
		}
	}
}

// forWorker returns the triggers and completion notices of the jobs placed on a worker.
func (c *checkpointer) forWorker(worker string) ([]assign.Trigger, []assign.Completed) {
	c.mu.Lock()
	defer c.mu.Unlock()
	txn, _ := c.s.fsm.read() // one read for all the jobs: this runs on every heartbeat
	runsOn := func(id string, attempt uint64) bool {
		j, err := getJob(txn, id)
		return err == nil && j.Attempt == attempt && containsWorker(j, worker)
	}
	var ts []assign.Trigger
	var cs []assign.Completed
	for id, t := range c.triggers {
		if runsOn(id, t.Attempt) {
			ts = append(ts, t)
		}
	}
	for id, done := range c.completed {
		if runsOn(id, done.Attempt) {
			cs = append(cs, done)
			if c.delivered[id] == nil {
				c.delivered[id] = map[string]uint64{}
			}
			c.delivered[id][worker] = max(c.delivered[id][worker], done.Checkpoint)
		}
	}
	return ts, cs
}
