package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// savepoints are the savepoint requests (savepoints rows with status PENDING) the leader works
// on. They live in memory only: after a leader change the new dispatcher finds the rows still
// PENDING and asks again.
type savepoints struct {
	rows map[string]*savepointReq // by savepoints row id
}

type savepointReq struct {
	row     string
	job     string
	stop    bool   // the savepoint of a stop: the job stops once it completed
	attempt uint64 // the attempt it was triggered on (0: not triggered yet)
	id      uint64 // the checkpoint id (0: not triggered yet)
}

// requestSavepoint asks for a savepoint of job for the savepoints row; it is triggered as soon as
// the job's attempt has a coordinator. Asking again for a row in flight changes nothing.
func (c *checkpointer) requestSavepoint(job, row string, stop bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sp.rows[row]; ok {
		return
	}
	c.sp.rows[row] = &savepointReq{row: row, job: job, stop: stop}
	c.startSavepointsLocked(job)
}

// forgetSavepoint drops the request of a row that failed elsewhere.
func (c *checkpointer) forgetSavepoint(row string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.sp.rows, row)
}

// startSavepointsLocked triggers the job's requests not triggered yet on its running attempt's
// coordinator, retrying while a checkpoint is in flight; c.mu is held.
func (c *checkpointer) startSavepointsLocked(job string) {
	r := c.runs[job]
	if r == nil {
		return
	}
	for _, req := range c.sp.rows {
		if req.job != job || req.attempt != 0 {
			continue
		}
		sc, ok := r.coord.(SavepointCoordinator)
		if !ok {
			go c.failSavepoint(r.ctx, req.row, "the checkpoint coordinator takes no savepoints")
			delete(c.sp.rows, req.row)
			continue
		}
		req.attempt = r.attempt
		go c.triggerSavepoint(r.ctx, sc, req, r.attempt)
	}
}

func (c *checkpointer) triggerSavepoint(ctx context.Context, sc SavepointCoordinator, req *savepointReq, attempt uint64) {
	for ctx.Err() == nil {
		id, err := sc.TriggerSavepoint(ctx)
		if errors.Is(err, ErrCheckpointInFlight) {
			sleepCtx(ctx, 20*time.Millisecond)
			continue
		}
		c.mu.Lock()
		cur, ok := c.sp.rows[req.row]
		if !ok || cur != req || req.attempt != attempt {
			c.mu.Unlock()
			return
		}
		if err == nil {
			req.id = id
			c.mu.Unlock()
			c.s.log.Info("savepoint triggered", "job", req.job, "savepoint", req.row, "checkpoint", id)
			return
		}
		delete(c.sp.rows, req.row)
		c.mu.Unlock()
		if ctx.Err() == nil {
			c.failSavepoint(ctx, req.row, err.Error())
		}
		return
	}
}

// resetSavepointsLocked returns the requests of a stopped attempt to "not triggered": the
// next attempt triggers them again; c.mu is held.
func (c *checkpointer) resetSavepointsLocked(job string) {
	for _, req := range c.sp.rows {
		if req.job == job {
			req.attempt, req.id = 0, 0
		}
	}
}

// savepointDone records the outcome of savepoint r of job in its savepoints row; a completed
// stop savepoint then stops the job (once its workers got the completion notice, so
// exactly-once sinks commit up to it).
func (c *checkpointer) savepointDone(ctx context.Context, j *Job, r CheckpointRecord) error {
	c.mu.Lock()
	var req *savepointReq
	for _, x := range c.sp.rows {
		if x.job == j.ID && x.id == r.ID && x.attempt == j.Attempt {
			req = x
		}
	}
	if req != nil {
		delete(c.sp.rows, req.row)
	}
	c.mu.Unlock()
	if req == nil {
		return nil // not asked by a row this leader knows: a new leader asks again
	}
	if r.Failure != "" {
		c.failSavepoint(ctx, req.row, r.Failure)
		return nil
	}
	if c.s.cfg.Pool != nil {
		if _, err := c.s.cfg.Pool.Exec(ctx, `UPDATE savepoints SET status = 'COMPLETED', location = $2, size_bytes = $3,
			checkpoint_id = $4, completed_at = now(), updated_at = clock_timestamp() WHERE id = $1 AND status = 'PENDING'`,
			req.row, r.Location, r.SizeBytes, int64(r.ID)); err != nil {
			return err
		}
	}
	c.s.log.Info("savepoint completed", "job", j.ID, "project", j.Project, "savepoint", req.row, "checkpoint", r.ID)
	if req.stop {
		go c.stopAfterNotice(j, r.ID, req.row)
	}
	return nil
}

// stopAfterNotice ends the job FINISHED once every worker of the attempt received the notice
// that savepoint id completed (or a lease passed).
func (c *checkpointer) stopAfterNotice(j *Job, id uint64, row string) {
	deadline := time.Now().Add(c.s.cfg.Lease)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		all := true
		for _, w := range j.Workers() {
			if c.delivered[j.ID][w] < id {
				all = false
			}
		}
		c.mu.Unlock()
		if all {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.s.CancelJob(ctx, j.ID, JobFinished, "stopped with savepoint "+row); err != nil {
		c.s.log.Warn("stop after savepoint", "job", j.ID, "project", j.Project, "err", err)
	}
}

// failSavepoint marks a savepoints row FAILED; a failed stop savepoint leaves the deployment
// running (desired action back to run) with a message saying why.
func (c *checkpointer) failSavepoint(ctx context.Context, row, reason string) {
	c.s.log.Warn("savepoint failed", "savepoint", row, "reason", reason)
	if c.s.cfg.Pool == nil {
		return
	}
	// Before the deployment's desired action goes back to run, the job records the stop's
	// generation as acted on (the command the dispatcher applies for a stop, same id): otherwise
	// a dispatcher pass in between would take that generation for a restart request.
	observe := func(ctx context.Context, dep string, gen int64) error {
		_, err := c.s.leaderApply(ctx, CmdRestartJob, stopCommandID(dep, gen),
			restartJobBody{ID: dep, Generation: gen, Observe: true})
		return err
	}
	if err := failSavepointRow(ctx, c.s.cfg.Pool, row, reason, observe); err != nil {
		c.s.log.Warn("record failed savepoint", "savepoint", row, "err", err)
	}
}

// execer is what failSavepointRow needs of a pool.
type execer interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// failSavepointRow marks row FAILED; with keepRunning (called with the stop's deployment and
// generation before the change commits), a stop's failed savepoint leaves the deployment running.
func failSavepointRow(ctx context.Context, pool execer, row, reason string, keepRunning func(ctx context.Context, dep string, gen int64) error) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var dep, project, why string
		err := tx.QueryRow(ctx, `UPDATE savepoints SET status = 'FAILED', failure = $2, updated_at = clock_timestamp()
			WHERE id = $1 AND status = 'PENDING' RETURNING deployment_id, project_id, reason`, row, reason).Scan(&dep, &project, &why)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil || why != "stop" || keepRunning == nil {
			return err
		}
		var gen int64
		err = tx.QueryRow(ctx, `UPDATE deployments SET desired_action = 'run', status = 'RUNNING', status_message = $2,
			updated_at = clock_timestamp() WHERE id = $1 AND desired_action = 'stop' AND status = 'SAVING_AND_STOP'
			RETURNING desired_generation`, dep, "stop with savepoint failed: "+reason).Scan(&gen)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := keepRunning(ctx, dep, gen); err != nil {
			return fmt.Errorf("record the stop's generation: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO deployment_events (project_id, deployment_id, type, status, message)
			VALUES ($1, $2, 'savepoint_failed', 'RUNNING', $3)`, project, dep, fmt.Sprintf("SAVING_AND_STOP -> RUNNING: savepoint %s failed: %s", row, reason))
		return err
	})
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
