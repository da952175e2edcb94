package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// notifyChannel is the channel migrations/002 NOTIFYs on every change of desired state.
const notifyChannel = "deployments_changed"

// reasonRestartRequested is the reason of a restart the user asked for (not a failure).
const reasonRestartRequested = "restart requested"

// desired is one deployment row joined with its version and service.
type desired struct {
	ID, Project, Service, Version string
	Statement                     string
	Sources, Sinks                []tableRef
	Parallelism                   int
	RestartStrategy               []byte
	Action                        string
	Generation, Observed          int64
	Status                        string
	ServiceSlots                  int
	IntervalMS                    int64
	// Restore is the starting savepoint's checkpoint (nil: start empty).
	Restore *assign.Checkpoint
}

type tableRef struct {
	CreateTable string `json:"create_table"`
}

const desiredQuery = `SELECT d.id, d.project_id, d.service_id, d.version_id, v.statement, v.sources, v.sinks, d.parallelism,
	d.restart_strategy, d.desired_action, d.desired_generation, d.observed_generation, d.status, s.plan_slots,
	COALESCE(d.checkpoint_interval_ms, 0), COALESCE(sp.checkpoint_id, 0), COALESCE(sp.location, ''), COALESCE(sp.deployment_id, '')
	FROM deployments d JOIN versions v ON v.id = d.version_id JOIN services s ON s.id = d.service_id
	LEFT JOIN savepoints sp ON sp.id = d.starting_savepoint_id AND sp.status = 'COMPLETED'
	WHERE d.status NOT IN ('FAILED', 'CANCELED', 'FINISHED', 'SUSPENDED') OR d.desired_generation > d.observed_generation
	ORDER BY d.id`

// dispatcher converges Postgres' desired deployments into FSM jobs and writes the observed state
// back (leader only; rebuilt from the FSM and Postgres on every leadership).
type dispatcher struct {
	s       *Server
	pool    *pgxpool.Pool
	written map[string]reported // what this leader last wrote per deployment
}

type reported struct {
	status  JobStatus
	attempt uint64
	reason  string
	lost    uint64 // the Raft index of the newest LostWorkers record written
}

// runDispatcher runs the dispatcher until ctx ends.
func (s *Server) runDispatcher(ctx context.Context) {
	d := &dispatcher{s: s, pool: s.cfg.Pool, written: map[string]reported{}}
	notified := make(chan struct{}, 1)
	go d.listen(ctx, notified)
	ticker := time.NewTicker(s.cfg.ReconcileInterval)
	defer ticker.Stop()
	d.reconcile(ctx)
	for ctx.Err() == nil {
		changed := s.fsm.Changed()
		d.writeBack(ctx)
		select {
		case <-ctx.Done():
		case <-notified:
			d.reconcile(ctx)
		case <-ticker.C:
			d.reconcile(ctx)
		case <-changed:
		}
	}
}

// listen forwards NOTIFY deployments_changed to notified, reconnecting on errors.
func (d *dispatcher) listen(ctx context.Context, notified chan<- struct{}) {
	for ctx.Err() == nil {
		err := d.listenOnce(ctx, notified)
		if ctx.Err() != nil {
			return
		}
		d.s.log.Warn("dispatcher: LISTEN failed; retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (d *dispatcher) listenOnce(ctx context.Context, notified chan<- struct{}) error {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	signal(notified) // changes made before LISTEN
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			return err
		}
		signal(notified)
	}
}

func signal(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// reconcile acts on every deployment whose desired state is not converged.
func (d *dispatcher) reconcile(ctx context.Context) {
	rows, err := d.pool.Query(ctx, desiredQuery)
	if err != nil {
		d.s.log.Warn("dispatcher: read deployments", "err", err)
		return
	}
	deps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (desired, error) {
		var x desired
		var spID int64
		var spLocation, spJob string
		err := r.Scan(&x.ID, &x.Project, &x.Service, &x.Version, &x.Statement, &x.Sources, &x.Sinks, &x.Parallelism,
			&x.RestartStrategy, &x.Action, &x.Generation, &x.Observed, &x.Status, &x.ServiceSlots,
			&x.IntervalMS, &spID, &spLocation, &spJob)
		if spID > 0 {
			x.Restore = &assign.Checkpoint{ID: uint64(spID), Location: spLocation, Job: spJob}
		}
		return x, err
	})
	if err != nil {
		d.s.log.Warn("dispatcher: read deployments", "err", err)
		return
	}
	active := map[string]bool{}
	for _, dep := range deps {
		active[dep.ID] = true
		if err := d.converge(ctx, dep); err != nil && ctx.Err() == nil {
			d.s.log.Warn("dispatcher: converge", "job", dep.ID, "project", dep.Project, "err", err)
		}
	}
	d.cancelOrphans(ctx, active)
	d.savepoints(ctx)
}

// cancelOrphans cancels the running jobs whose deployment was deleted (e.g. with its service) or
// already ended in Postgres.
func (d *dispatcher) cancelOrphans(ctx context.Context, active map[string]bool) {
	var ids []string
	for _, j := range d.s.fsm.Jobs() {
		if j.Deployment != "" && !j.Status.Terminal() && !active[j.Deployment] {
			ids = append(ids, j.Deployment)
		}
	}
	if len(ids) == 0 {
		return
	}
	rows, err := d.pool.Query(ctx, `SELECT id FROM deployments WHERE id = ANY($1)
		AND status NOT IN ('FAILED', 'CANCELED', 'FINISHED', 'SUSPENDED')`, ids)
	if err != nil {
		d.s.log.Warn("dispatcher: look up orphans", "err", err)
		return
	}
	alive, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		d.s.log.Warn("dispatcher: look up orphans", "err", err)
		return
	}
	for _, id := range ids {
		if slices.Contains(alive, id) {
			continue
		}
		d.s.log.Info("canceling the job of a deleted or ended deployment", "job", id)
		if err := d.s.CancelJob(ctx, id, JobCanceled, "deployment deleted or ended"); err != nil && ctx.Err() == nil {
			d.s.log.Warn("dispatcher: cancel orphan", "job", id, "err", err)
		}
	}
}

func (d *dispatcher) converge(ctx context.Context, dep desired) error {
	job, exists := d.s.fsm.Job(dep.ID)
	switch dep.Action {
	case "cancel", "stop":
		if dep.Action == "stop" && exists && d.stopsWithSavepoint(job) && !d.stopSavepointDone(ctx, dep.ID) {
			// The stop's savepoint row (d.savepoints) stops the job once it completed; should it
			// fail, the job runs on and this generation is no restart.
			if job.Generation < dep.Generation {
				_, err := d.s.leaderApply(ctx, CmdRestartJob, stopCommandID(dep.ID, dep.Generation),
					restartJobBody{ID: dep.ID, Generation: dep.Generation, Observe: true})
				return err
			}
			return nil
		}
		final := JobCanceled
		if dep.Action == "stop" {
			final = JobFinished
		}
		if exists && !job.Status.Terminal() {
			if err := d.s.CancelJob(ctx, dep.ID, final, dep.Action+" requested"); err != nil {
				return err
			}
		}
		if !exists {
			return d.report(ctx, dep.ID, dep.Project, dep.Generation, string(final), dep.Action+" requested", 0, "")
		}
		return d.markObserved(ctx, dep)
	}
	if !exists {
		return d.submit(ctx, dep)
	}
	if job.Generation < dep.Generation && !job.Status.Terminal() {
		if _, err := d.s.leaderApply(ctx, CmdRestartJob, fmt.Sprintf("restart-%s-%d", dep.ID, dep.Generation),
			restartJobBody{ID: dep.ID, Reason: reasonRestartRequested, Generation: dep.Generation}); err != nil {
			return err
		}
	}
	return d.markObserved(ctx, dep)
}

// stopCommandID is the id of the command recording a stop's generation as acted on without a
// restart; the dispatcher and a failed stop savepoint apply it alike, so it applies once.
func stopCommandID(dep string, gen int64) string { return fmt.Sprintf("stop-%s-%d", dep, gen) }

// submit compiles the version and submits its job; a compile failure fails the deployment.
func (d *dispatcher) submit(ctx context.Context, dep desired) error {
	strategy, err := ParseRestartStrategy(dep.RestartStrategy)
	if err != nil {
		return d.report(ctx, dep.ID, dep.Project, dep.Generation, string(JobFailed), err.Error(), 0, "compile_failed")
	}
	var parts []sql.Part
	for i, s := range dep.Sources {
		parts = append(parts, sql.Part{Name: fmt.Sprintf("sources[%d]", i), SQL: trimSemicolon(s.CreateTable)})
	}
	for i, s := range dep.Sinks {
		parts = append(parts, sql.Part{Name: fmt.Sprintf("sinks[%d]", i), SQL: trimSemicolon(s.CreateTable)})
	}
	parts = append(parts, sql.Part{Name: "statement", SQL: trimSemicolon(dep.Statement)})
	graph, diags, err := d.deploymentGraph(ctx, dep, parts)
	if err != nil {
		return err
	}
	if len(diags) > 0 || graph == nil {
		msg := "compile failed"
		if len(diags) > 0 {
			dg := diags[0]
			msg = fmt.Sprintf("compile failed: %s:%d:%d: %s", dg.Part, dg.Line, dg.Column, dg.Message)
		}
		return d.report(ctx, dep.ID, dep.Project, dep.Generation, string(JobFailed), msg, 0, "compile_failed")
	}
	err = d.s.SubmitJob(ctx, JobSpec{ID: dep.ID, Deployment: dep.ID, Project: dep.Project, Service: dep.Service,
		Graph: graph, Restart: strategy, Quota: dep.ServiceSlots, Generation: dep.Generation,
		Restore: dep.Restore, CheckpointIntervalMS: dep.IntervalMS})
	if err != nil {
		return err
	}
	d.s.log.Info("job submitted", "job", dep.ID, "project", dep.Project, "parallelism", dep.Parallelism)
	return d.markObserved(ctx, dep)
}

func trimSemicolon(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), ";")
}

// markObserved records dep's desired generation as acted on. observed_generation only grows, so
// a deployment read as observed already needs no round trip (most of them, on every reconcile).
func (d *dispatcher) markObserved(ctx context.Context, dep desired) error {
	if dep.Observed >= dep.Generation {
		return nil
	}
	_, err := d.pool.Exec(ctx, `UPDATE deployments SET observed_generation = $2, updated_at = clock_timestamp()
		WHERE id = $1 AND observed_generation < $2`, dep.ID, dep.Generation)
	return err
}

// deploymentStatus maps a job's state to the deployment status list of the API.
func deploymentStatus(j *Job) string {
	switch j.Status {
	case JobScheduling:
		return "INITIALIZING"
	case JobDeploying:
		if j.Attempt <= 1 {
			return "INITIALIZING"
		}
		return "RESTARTING"
	default:
		return string(j.Status)
	}
}

// writeBack writes the status of every job whose state changed since this leader last wrote it.
func (d *dispatcher) writeBack(ctx context.Context) {
	jobs := d.s.fsm.Jobs()
	if len(d.written) > len(jobs) { // forgotten jobs
		present := map[string]bool{}
		for _, j := range jobs {
			present[j.ID] = true
		}
		for id := range d.written {
			if !present[id] {
				delete(d.written, id)
			}
		}
	}
	for _, j := range jobs {
		if j.Deployment == "" {
			continue
		}
		r := reported{status: j.Status, attempt: j.Attempt, reason: j.Reason}
		if n := len(j.LostWorkers); n > 0 {
			r.lost = j.LostWorkers[n-1].Index
		}
		prev := d.written[j.ID]
		if prev == r {
			continue
		}
		var err error
		if prev.status != r.status || prev.attempt != r.attempt || prev.reason != r.reason {
			err = d.writeJob(ctx, j, prev)
		}
		if err == nil && prev.lost != r.lost {
			err = d.writeLostWorkers(ctx, j, prev.lost)
		}
		if err != nil {
			if ctx.Err() == nil {
				d.s.log.Warn("dispatcher: write back", "job", j.ID, "project", j.Project, "err", err)
			}
			continue
		}
		d.written[j.ID] = r
	}
}

// writeLostWorkers appends a worker_lost event for every LostWorkers record after the Raft index
// after, unless one was written already (by an earlier leader): the event's message is
// derived from the record alone, so it identifies it.
func (d *dispatcher) writeLostWorkers(ctx context.Context, j *Job, after uint64) error {
	for _, l := range j.LostWorkers {
		if l.Index <= after {
			continue
		}
		msg := fmt.Sprintf("worker %s lost: %s; it ran tasks of attempt %d, which failed and restarted without it",
			workerLabel(&Worker{ID: l.ID, Name: l.Name}), l.Reason, l.Attempt)
		err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
			// The row lock serializes this check with an old leader still writing.
			var locked string
			err := tx.QueryRow(ctx, `SELECT id FROM deployments WHERE id = $1 FOR UPDATE`, j.Deployment).Scan(&locked)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil // deleted meanwhile
			}
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO deployment_events (project_id, deployment_id, attempt, type, message)
				SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM deployment_events
					WHERE deployment_id = $2 AND type = $4 AND message = $5)`,
				j.Project, j.Deployment, int64(l.Attempt), CauseWorkerLost, msg)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *dispatcher) writeJob(ctx context.Context, j *Job, prev reported) error {
	if err := d.writeJobRow(ctx, j); err != nil {
		return err
	}
	failing := j.Status == JobRestarting || j.Status == JobFailed
	// A failure this leader saw happen but whose restart finished before this write is still
	// announced (RESTARTING with its cause). A job first seen by this leader is only brought up
	// to date: its old reason is history already written by the previous leader.
	missed := prev.status != "" && j.Reason != "" && j.Reason != prev.reason && !failing &&
		j.Status != JobCanceled && j.Status != JobFinished
	if missed {
		if err := d.report(ctx, j.Deployment, j.Project, 0, "RESTARTING", j.Reason, j.Attempt, j.Cause); err != nil {
			return err
		}
	}
	msg, typ := "", ""
	if failing || (j.Status == JobDeploying && j.Attempt > 1) {
		msg = j.Reason
	}
	if failing {
		typ = j.Cause
	}
	return d.report(ctx, j.Deployment, j.Project, 0, deploymentStatus(j), msg, j.Attempt, typ)
}

// writeJobRow upserts the jobs row of the current attempt and ends the earlier ones.
func (d *dispatcher) writeJobRow(ctx context.Context, j *Job) error {
	if j.Attempt == 0 {
		return nil
	}
	graph, err := json.Marshal(map[string]any{"graph": j.Graph, "subtasks": j.Subtasks})
	if err != nil {
		return err
	}
	failure := ""
	if j.Status == JobFailed || j.Status == JobRestarting {
		failure = j.Reason
	}
	ended := j.Status.Terminal() || j.Status == JobRestarting
	_, err = d.pool.Exec(ctx, `WITH prior AS (
			UPDATE jobs SET status = CASE WHEN status IN ('RUNNING', 'DEPLOYING', 'SCHEDULING') THEN 'RESTARTING' ELSE status END,
				ended_at = COALESCE(ended_at, now()), updated_at = clock_timestamp()
			WHERE deployment_id = $1 AND attempt < $3 AND ended_at IS NULL)
		INSERT INTO jobs (project_id, deployment_id, attempt, status, graph, started_at, ended_at, failure)
		SELECT $2, $1, $3, $4, $5, now(), CASE WHEN $6 THEN now() END, NULLIF($7, '')
		WHERE EXISTS (SELECT 1 FROM deployments WHERE id = $1) -- deleted: nothing to record
		ON CONFLICT (deployment_id, attempt) DO UPDATE SET status = EXCLUDED.status,
			graph = CASE WHEN jobs.ended_at IS NULL THEN EXCLUDED.graph ELSE jobs.graph END,
			ended_at = COALESCE(jobs.ended_at, EXCLUDED.ended_at), failure = COALESCE(EXCLUDED.failure, jobs.failure),
			updated_at = clock_timestamp()`,
		j.Deployment, j.Project, int64(j.Attempt), string(j.Status), graph, ended, failure)
	return err
}

// report writes a deployment's status (and observed generation when generation > 0), appending
// an event when the status or message changed.
func (d *dispatcher) report(ctx context.Context, id, project string, generation int64, status, message string, attempt uint64, typ string) error {
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		var old, oldMsg string
		err := tx.QueryRow(ctx, `SELECT status, status_message FROM deployments WHERE id = $1 FOR UPDATE`, id).Scan(&old, &oldMsg)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE deployments SET status = $2, status_message = $3,
			observed_generation = GREATEST(observed_generation, $4), updated_at = clock_timestamp() WHERE id = $1`,
			id, status, message, generation); err != nil {
			return err
		}
		if old == status && oldMsg == message {
			return nil
		}
		if typ == "" {
			typ = "status_changed"
		}
		text := fmt.Sprintf("%s -> %s", old, status)
		if message != "" {
			text += ": " + message
		}
		var att any
		if attempt > 0 {
			att = int64(attempt)
		}
		_, err = tx.Exec(ctx, `INSERT INTO deployment_events (project_id, deployment_id, attempt, type, status, message)
			VALUES ($1, $2, $3, $4, $5, $6)`, project, id, att, typ, status, text)
		return err
	})
}

// stopsWithSavepoint reports whether a stop of job waits for its savepoint: checkpoints are on
// and the job runs or is about to (a job that cannot run any more is stopped at once).
func (d *dispatcher) stopsWithSavepoint(job *Job) bool {
	if d.s.cfg.Checkpoints == nil {
		return false
	}
	switch job.Status {
	case JobRunning, JobDeploying, JobRestarting:
		return true
	}
	return false
}

// stopSavepointDone reports whether the stop's savepoint completed a lease ago and the job
// still runs: the leader that was to stop it once its workers got the notice is gone, so the
// stop proceeds now.
func (d *dispatcher) stopSavepointDone(ctx context.Context, dep string) bool {
	var done bool
	err := d.pool.QueryRow(ctx, `SELECT COALESCE((SELECT status = 'COMPLETED' AND completed_at < now() - make_interval(secs => $2)
		FROM savepoints WHERE deployment_id = $1 AND reason = 'stop' ORDER BY id DESC LIMIT 1), false)`,
		dep, d.s.cfg.Lease.Seconds()).Scan(&done)
	return err == nil && done
}

// savepoints acts on the savepoints rows still PENDING: the running job's coordinator takes
// them; those of a deployment that does not run (or of a cluster without checkpoints) fail.
func (d *dispatcher) savepoints(ctx context.Context) {
	rows, err := d.pool.Query(ctx, `SELECT id, deployment_id, reason FROM savepoints WHERE status = 'PENDING' ORDER BY id`)
	if err != nil {
		d.s.log.Warn("dispatcher: read savepoints", "err", err)
		return
	}
	type row struct{ id, dep, reason string }
	pending, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.id, &x.dep, &x.reason)
	})
	if err != nil {
		d.s.log.Warn("dispatcher: read savepoints", "err", err)
		return
	}
	ls := d.s.leader.Load()
	for _, sp := range pending {
		job, exists := d.s.fsm.Job(sp.dep)
		var why string
		switch {
		case ls == nil || ls.checkpoints == nil:
			why = "checkpoints are not enabled on this scheduler"
		case !exists || job.Status.Terminal():
			why = "the deployment's job is not running"
		}
		if why != "" {
			if ls != nil && ls.checkpoints != nil {
				ls.checkpoints.forgetSavepoint(sp.id)
			}
			if err := failSavepointRow(ctx, d.pool, sp.id, why, nil); err != nil {
				d.s.log.Warn("dispatcher: fail savepoint", "savepoint", sp.id, "err", err)
			}
			continue
		}
		ls.checkpoints.requestSavepoint(sp.dep, sp.id, sp.reason == "stop")
	}
}
