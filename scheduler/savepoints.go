package scheduler

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Savepointer is implemented by checkpoint coordinators that take savepoints on request.
type Savepointer interface {
	// Savepoint takes a savepoint of the running attempt now and waits until it is complete.
	Savepoint(ctx context.Context) (location string, sizeBytes int64, err error)
}

// savepointTimeout bounds one savepoint.
const savepointTimeout = 10 * time.Minute

// savepointRuns tracks the savepoints this leader is taking, by deployment.
type savepointRuns struct {
	mu       sync.Mutex
	inFlight map[string]bool
}

func (r *savepointRuns) start(dep string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inFlight == nil {
		r.inFlight = map[string]bool{}
	}
	if r.inFlight[dep] {
		return false
	}
	r.inFlight[dep] = true
	return true
}

func (r *savepointRuns) done(dep string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.inFlight, dep)
}

func (r *savepointRuns) busy(dep string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inFlight[dep]
}

type pendingSavepoint struct {
	ID, Deployment, Reason string
}

// savepoints serves the savepoints requested in Postgres (by the API, or by a stop): a running
// job whose coordinator is a Savepointer takes it (a stop then ends the job FINISHED); otherwise
// the request fails with a message, and a stop stops the job without one.
func (d *dispatcher) savepoints(ctx context.Context) {
	rows, err := d.pool.Query(ctx, `SELECT id, deployment_id, reason FROM savepoints WHERE status = 'PENDING' ORDER BY id`)
	if err != nil {
		d.s.log.Warn("dispatcher: read savepoints", "err", err)
		return
	}
	pending, err := pgx.CollectRows(rows, pgx.RowToStructByPos[pendingSavepoint])
	if err != nil {
		d.s.log.Warn("dispatcher: read savepoints", "err", err)
		return
	}
	for _, sp := range pending {
		if d.sp.busy(sp.Deployment) {
			continue
		}
		sv := d.savepointer(sp.Deployment)
		if sv == nil {
			msg := "no running job of this deployment can take a savepoint"
			if sp.Reason == "stop" {
				msg = "stop-with-savepoint is not available for this job: it was stopped without a savepoint"
			}
			d.finishSavepoint(ctx, sp.ID, "", 0, msg)
			continue
		}
		if !d.sp.start(sp.Deployment) {
			continue
		}
		go d.takeSavepoint(ctx, sp, sv)
	}
}

// savepointer returns the Savepointer of a deployment's running attempt, or nil.
func (d *dispatcher) savepointer(dep string) Savepointer {
	ls := d.s.leader.Load()
	if ls == nil || ls.checkpoints == nil {
		return nil
	}
	j, ok := d.s.fsm.Job(dep)
	if !ok || j.Status != JobRunning {
		return nil
	}
	ls.checkpoints.mu.Lock()
	defer ls.checkpoints.mu.Unlock()
	r := ls.checkpoints.runs[dep]
	if r == nil || r.attempt != j.Attempt {
		return nil
	}
	sv, _ := r.coord.(Savepointer)
	return sv
}

func (d *dispatcher) takeSavepoint(ctx context.Context, sp pendingSavepoint, sv Savepointer) {
	defer signal(d.wake)
	defer d.sp.done(sp.Deployment)
	sctx, cancel := context.WithTimeout(ctx, savepointTimeout)
	loc, size, err := sv.Savepoint(sctx)
	cancel()
	if ctx.Err() != nil {
		return // leadership lost: the next leader retries the PENDING savepoint
	}
	failure := ""
	if err != nil {
		failure = "savepoint failed: " + err.Error()
	}
	d.finishSavepoint(ctx, sp.ID, loc, size, failure)
	if sp.Reason == "stop" {
		// The job stops whether or not its savepoint succeeded (the failure is on the savepoint).
		if err := d.s.CancelJob(ctx, sp.Deployment, JobFinished, "stopped with a savepoint"); err != nil && ctx.Err() == nil {
			d.s.log.Warn("dispatcher: stop after savepoint", "job", sp.Deployment, "err", err)
		}
	}
}

func (d *dispatcher) finishSavepoint(ctx context.Context, id, location string, size int64, failure string) {
	status := "COMPLETED"
	if failure != "" {
		status = "FAILED"
	}
	if _, err := d.pool.Exec(ctx, `UPDATE savepoints SET status = $2, location = NULLIF($3, ''), size_bytes = $4,
		failure = NULLIF($5, ''), completed_at = now(), updated_at = clock_timestamp() WHERE id = $1 AND status = 'PENDING'`,
		id, status, location, size, failure); err != nil {
		d.s.log.Warn("dispatcher: record savepoint", "err", err)
	}
}
