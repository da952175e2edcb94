package scheduler

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/flowplane/flowplane/dataflow/assign"
)

func init() {
	appliers[CmdSubmitJob] = applySubmitJob
	appliers[CmdScheduleJob] = applyScheduleJob
	appliers[CmdTaskStatus] = applyTaskStatus
	appliers[CmdCancelJob] = applyCancelJob
	appliers[CmdRestartJob] = applyRestartJob
	appliers[CmdCheckpoint] = applyCheckpoint
	appliers[CmdFailJob] = applyFailJob
}

// applySubmitJob creates a job and places its first attempt when the slots are there. A job id
// that exists already changes nothing, so resubmissions never duplicate a job.
func applySubmitJob(c *applyCtx, raw json.RawMessage) (any, error) {
	var b JobSpec
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	if b.ID == "" || b.Graph == nil {
		return nil, fmt.Errorf("%w: job needs an id and a graph", ErrInvalidCommand)
	}
	if existing, _ := c.txn.First(tableJobs, "id", b.ID); existing != nil {
		return existing.(*Job).Attempt, nil
	}
	if err := b.Graph.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCommand, err)
	}
	j := &Job{ID: b.ID, Deployment: b.Deployment, Project: b.Project, Service: b.Service, Graph: b.Graph,
		Restart: b.Restart, Quota: b.Quota, Status: JobScheduling, SubmittedAt: c.at, WaitingSince: c.at,
		NextCheckpoint: 1, LatestCheckpoint: b.Restore, Generation: b.Generation,
		CheckpointIntervalMS: b.CheckpointIntervalMS}
	if j.Slots() < 1 {
		return nil, fmt.Errorf("%w: job %s has no vertices", ErrInvalidCommand, b.ID)
	}
	if subtasks, err := place(c.txn, j, nil); err == nil {
		j.Attempt, j.Subtasks, j.Status, j.WaitingSince = 1, subtasks, JobDeploying, 0
	}
	putJob(c, j, nil)
	return j.Attempt, nil
}

// applyScheduleJob places attempt b.Attempt of a waiting or restarting job.
func applyScheduleJob(c *applyCtx, raw json.RawMessage) (any, error) {
	var b scheduleJobBody
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	j, err := getJob(c.txn, b.ID)
	if err != nil {
		return nil, err
	}
	if (j.Status != JobScheduling && j.Status != JobRestarting) || b.Attempt != j.Attempt+1 {
		return nil, fmt.Errorf("%w: job %s is %s at attempt %d; cannot start attempt %d", ErrStale, j.ID, j.Status, j.Attempt, b.Attempt)
	}
	nj := j.clone()
	avoided := len(b.Avoid) > 0
	subtasks, err := place(c.txn, nj, b.Avoid)
	if err != nil && avoided {
		avoided = false
		subtasks, err = place(c.txn, nj, nil)
	}
	if err != nil {
		if !b.GiveUp {
			return nil, err
		}
		endJob(c, j, JobFailed, err.Error(), CauseNoSlots)
		return nil, nil
	}
	nj.Attempt, nj.Subtasks, nj.Status, nj.WaitingSince, nj.RestartAt = b.Attempt, subtasks, JobDeploying, 0, 0
	// The failed attempt's workers this restart left out stay suspects; the others are alive
	// (they renewed) or run the new attempt, whose failure reports their loss.
	var suspects []SuspectWorker
	for _, s := range nj.Suspects {
		if avoided && slices.Contains(b.Avoid, s.ID) {
			suspects = append(suspects, s)
		}
	}
	nj.Suspects = suspects
	putJob(c, nj, nil)
	return nj.Attempt, nil
}

// place assigns slots to every subtask of j with slot sharing: slot k of the job runs subtask k
// of every vertex, so the job needs max-parallelism slots; slots are spread over the workers
// with the most free slots first, leaving out the workers in avoid. It is deterministic
// (replicas must agree).
func place(txn *memdb.Txn, j *Job, avoid []string) ([]Subtask, error) {
	need := j.Slots()
	used := map[string]map[int]bool{}
	svcUsed := 0
	for _, o := range all[*Job](txn, tableJobs) {
		if o.ID == j.ID || !o.Placed() {
			continue
		}
		for _, st := range o.Subtasks {
			if used[st.Worker] == nil {
				used[st.Worker] = map[int]bool{}
			}
			used[st.Worker][st.Slot] = true
		}
		if j.Service != "" && o.Service == j.Service {
			svcUsed += o.Slots()
		}
	}
	if j.Quota > 0 && svcUsed+need > j.Quota {
		return nil, fmt.Errorf("%w: job needs %d slots but the service's quota of %d has %d left", ErrInsufficientSlots, need, j.Quota, j.Quota-svcUsed)
	}
	type freeSlots struct {
		id    string
		slots []int
	}
	var workers []*freeSlots
	total, active := 0, 0
	for _, w := range all[*Worker](txn, tableWorkers) {
		if w.State != WorkerActive || slices.Contains(avoid, w.ID) {
			continue
		}
		active++
		f := &freeSlots{id: w.ID}
		for s := range w.Slots {
			if !used[w.ID][s] {
				f.slots = append(f.slots, s)
			}
		}
		total += len(f.slots)
		workers = append(workers, f)
	}
	if total < need {
		return nil, fmt.Errorf("%w: job needs %d slots, %d free on %d active workers", ErrInsufficientSlots, need, total, active)
	}
	type pick struct {
		worker string
		slot   int
	}
	picks := make([]pick, 0, need)
	for range need {
		best := -1
		for i, w := range workers {
			if len(w.slots) > 0 && (best < 0 || len(w.slots) > len(workers[best].slots)) {
				best = i
			}
		}
		picks = append(picks, pick{workers[best].id, workers[best].slots[0]})
		workers[best].slots = workers[best].slots[1:]
	}
	var subtasks []Subtask
	for _, v := range j.Graph.Vertices {
		for i := range v.Parallelism {
			subtasks = append(subtasks, Subtask{Vertex: v.ID, Index: i, Worker: picks[i].worker, Slot: picks[i].slot, State: assign.TaskStarting})
		}
	}
	return subtasks, nil
}

// putJob stores a changed job and bumps the assignment index of the workers it left or joined.
func putJob(c *applyCtx, nj *Job, old *Job) {
	nj.ModifyIndex, nj.UpdatedAt = c.index, c.at
	mustInsert(c.txn, tableJobs, nj)
	touched := nj.Workers()
	if old != nil {
		touched = append(touched, old.Workers()...)
	}
	touchWorkers(c, touched)
}

// endJob ends j in a terminal status without a restart: its tasks stop.
func endJob(c *applyCtx, j *Job, status JobStatus, reason, cause string) {
	nj := j.clone()
	nj.Status, nj.Subtasks, nj.Reason, nj.Cause = status, nil, reason, cause
	putJob(c, nj, j)
}

// failJob handles a failure of j's current attempt: the restart strategy either schedules a
// restart (RESTARTING, every task stopped) or gives up (FAILED).
func failJob(c *applyCtx, j *Job, cause, reason string) {
	nj := j.clone()
	nj.Cause = cause
	nj.Subtasks = nil
	keep, delay, giveUp := j.Restart.decide(append(nj.Failures, c.at), c.at)
	nj.Failures = keep
	if giveUp != "" {
		nj.Status, nj.Reason, nj.Suspects = JobFailed, reason+"; "+giveUp, nil
	} else {
		nj.Suspects = suspectsAfterFailure(c, j)
		nj.Status, nj.Reason, nj.RestartAt, nj.WaitingSince = JobRestarting, reason, c.at+delay, c.at+delay
	}
	putJob(c, nj, j)
}

// suspectsAfterFailure lists the active workers of j's failed attempt, and the earlier suspects
// still active, sorted by id (a worker of both keeps the newer attempt).
func suspectsAfterFailure(c *applyCtx, j *Job) []SuspectWorker {
	var out []SuspectWorker
	add := func(s SuspectWorker) {
		if w, err := getWorker(c.txn, s.ID); err != nil || w.State != WorkerActive {
			return
		}
		if !slices.ContainsFunc(out, func(o SuspectWorker) bool { return o.ID == s.ID }) {
			out = append(out, s)
		}
	}
	for _, id := range j.Workers() {
		add(SuspectWorker{ID: id, Attempt: j.Attempt})
	}
	for _, s := range j.Suspects {
		add(s)
	}
	slices.SortFunc(out, func(a, b SuspectWorker) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// applyTaskStatus records the states a worker reported for the current attempts of its jobs.
func applyTaskStatus(c *applyCtx, raw json.RawMessage) (any, error) {
	var b taskStatusBody
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	w, err := getWorker(c.txn, b.Worker)
	if err != nil {
		return nil, err
	}
	if w.State != WorkerActive {
		return nil, fmt.Errorf("%w: worker %s is %s", ErrStale, w.ID, w.State)
	}
	byJob := map[string][]taskUpdate{}
	var order []string
	for _, u := range b.Updates {
		if _, ok := byJob[u.JobID]; !ok {
			order = append(order, u.JobID)
		}
		byJob[u.JobID] = append(byJob[u.JobID], u)
	}
	for _, id := range order {
		j, err := getJob(c.txn, id)
		if err != nil || !j.Placed() {
			continue
		}
		updateTasks(c, j, w, byJob[id])
	}
	return nil, nil
}

func updateTasks(c *applyCtx, j *Job, w *Worker, updates []taskUpdate) {
	nj := j.clone()
	changed := false
	failure, rootCause := "", false
	for _, u := range updates {
		if u.Attempt != j.Attempt {
			continue
		}
		i := slices.IndexFunc(nj.Subtasks, func(st Subtask) bool {
			return string(st.Vertex) == u.Vertex && st.Index == u.Subtask && st.Worker == w.ID
		})
		state := assign.TaskState(u.State)
		if i < 0 || nj.Subtasks[i].State == state {
			continue
		}
		nj.Subtasks[i].State, nj.Subtasks[i].Error, changed = state, u.Error, true
		// The job fails with the first failure of the batch that is not merely an upstream
		// task's failure seen downstream (that one only when it is all there is).
		if state == assign.TaskFailed && !rootCause && (failure == "" || !u.Upstream) {
			failure = fmt.Sprintf("task %s[%d] on worker %s failed: %s", u.Vertex, u.Subtask, workerLabel(w), u.Error)
			rootCause = !u.Upstream
		}
	}
	if !changed {
		return
	}
	if failure != "" {
		failJob(c, j, CauseTaskFailed, failure)
		return
	}
	running, finished := 0, 0
	for _, st := range nj.Subtasks {
		switch st.State {
		case assign.TaskRunning:
			running++
		case assign.TaskFinished:
			finished++
		}
	}
	switch {
	case finished == len(nj.Subtasks):
		nj.Status, nj.Subtasks = JobFinished, nil
	case running+finished == len(nj.Subtasks) && nj.Status == JobDeploying:
		nj.Status = JobRunning
	}
	putJob(c, nj, j)
}

func applyCancelJob(c *applyCtx, raw json.RawMessage) (any, error) {
	var b cancelJobBody
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	status := JobStatus(b.Status)
	if status != JobCanceled && status != JobFinished {
		return nil, fmt.Errorf("%w: cancel to %q", ErrInvalidCommand, b.Status)
	}
	j, err := getJob(c.txn, b.ID)
	if err != nil {
		return nil, err
	}
	if j.Status.Terminal() {
		return nil, nil
	}
	endJob(c, j, status, b.Reason, "")
	return nil, nil
}

// applyRestartJob restarts a job on request (not a failure: the strategy does not count it).
func applyRestartJob(c *applyCtx, raw json.RawMessage) (any, error) {
	var b restartJobBody
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	j, err := getJob(c.txn, b.ID)
	if err != nil {
		return nil, err
	}
	if j.Status.Terminal() {
		return nil, fmt.Errorf("%w: job %s is %s", ErrStale, j.ID, j.Status)
	}
	if b.Generation != 0 && b.Generation <= j.Generation {
		return nil, nil // this restart request was served already
	}
	nj := j.clone()
	if b.Observe {
		nj.Generation = b.Generation
		nj.ModifyIndex, nj.UpdatedAt = c.index, c.at
		mustInsert(c.txn, tableJobs, nj)
		return nil, nil
	}
	nj.Status, nj.Subtasks, nj.Reason, nj.RestartAt, nj.WaitingSince = JobRestarting, nil, b.Reason, c.at, c.at
	nj.Cause = CauseRestartRequested
	nj.Generation = max(nj.Generation, b.Generation)
	putJob(c, nj, j)
	return nil, nil
}

// applyFailJob fails a job whose attempt could not get slots in time.
func applyFailJob(c *applyCtx, raw json.RawMessage) (any, error) {
	var b failJobBody
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	j, err := getJob(c.txn, b.ID)
	if err != nil {
		return nil, err
	}
	if j.Status.Terminal() || j.Attempt != b.Attempt {
		return nil, fmt.Errorf("%w: job %s is %s at attempt %d", ErrStale, j.ID, j.Status, j.Attempt)
	}
	endJob(c, j, JobFailed, b.Reason, CauseNoSlots)
	return nil, nil
}

// applyCheckpoint allocates the next checkpoint id of a job, or records a completed one.
func applyCheckpoint(c *applyCtx, raw json.RawMessage) (any, error) {
	var b checkpointBody
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	j, err := getJob(c.txn, b.JobID)
	if err != nil {
		return nil, err
	}
	nj := j.clone()
	if b.Complete == 0 {
		id := nj.NextCheckpoint
		nj.NextCheckpoint++
		// putJob wakes the workers' assignment polls: they heartbeat at once and get the trigger.
		putJob(c, nj, nil)
		return id, nil
	}
	if b.Complete >= nj.NextCheckpoint {
		return nil, fmt.Errorf("%w: checkpoint %d was never allocated", ErrInvalidCommand, b.Complete)
	}
	// A restore point of another job (a starting savepoint) yields to the job's own first one.
	if l := nj.LatestCheckpoint; l == nil || (l.Job != "" && l.Job != nj.ID) || b.Complete > l.ID {
		nj.LatestCheckpoint = &assign.Checkpoint{ID: b.Complete, Location: b.Location}
		putJob(c, nj, nil) // the workers' polls wake: they heartbeat and get the completion notice
	}
	return nil, nil
}
