package workers

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/runtime"
)

// taskTable holds the worker's tasks and reconciles them with the desired Set.
type taskTable struct {
	a *Agent

	// op serialises the operations that start or stop tasks (apply, fence, unfence, stopAll).
	op sync.Mutex

	mu      sync.Mutex
	entries map[string]*entry
	// latest is the newest attempt seen per job: tasks of older attempts are never run.
	latest map[string]uint64
	// desired is the last Set applied (tasks of the newest attempts only).
	desired []assign.Task
	fenced  bool
	fenceAt time.Time // when the last fence had stopped every task
	sess    session
	// floor is the highest index applied this session; behindSince is when answers started
	// coming from a replica behind it (zero when not behind).
	floor       uint64
	behindSince time.Time
	// knownAt is the highest assignment index at which a replica confirmed this registration
	// (or the registration's own index): a replica behind it that says the worker is unknown
	// has not applied the registration. Heartbeat replies are answered by the leader and are
	// authoritative either way.
	knownAt uint64
}

// entry is one task the worker holds: running, or ended and still desired (never restarted).
type entry struct {
	spec  assign.Task
	task  *runtime.Task // nil while starting or when it could not start
	state assign.TaskState
	err   string // failure of a task without runtime task, or the reason it was fenced
	// triggered and completed are the newest checkpoint trigger and completion notice passed
	// to the task.
	triggered, completed uint64
}

func newTaskTable(a *Agent) *taskTable {
	return &taskTable{a: a, entries: make(map[string]*entry), latest: make(map[string]uint64)}
}

// newSession forgets the index history of the previous registration.
func (tt *taskTable) newSession(s session) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	tt.sess, tt.floor, tt.behindSince, tt.fenced, tt.knownAt = s, 0, time.Time{}, false, s.index
}

// workerID is the current registration's id, for logs.
func (tt *taskTable) workerID() string {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return tt.sess.id
}

// known records that the scheduler knew the worker at index.
func (tt *taskTable) known(index uint64) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	tt.knownAt = max(tt.knownAt, index)
}

// staleUnknown reports whether an answer saying the worker is unknown comes from a replica that
// has not caught up with a point where the worker was known.
func (tt *taskTable) staleUnknown(index uint64) bool {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return index < tt.knownAt
}

// apply reconciles with set, the answer to a blocking query at index, and returns the index of
// the next query. An answer whose index went backwards restarts the query from 0. An answer
// from a replica behind what this session already applied (a stale follower) changes nothing
// until it has been behind for a whole lease; then it is taken as the new history (a restored
// cluster).
func (tt *taskTable) apply(set assign.Set, index uint64) uint64 {
	next := set.Index
	if set.Index < index {
		tt.a.log.Info("assignment index went backwards: starting over", "worker", tt.workerID(), "index", set.Index, "previous", index)
		next = 0
	}
	tt.mu.Lock()
	if set.Index < tt.floor {
		now := time.Now()
		if tt.behindSince.IsZero() {
			tt.behindSince = now
		}
		if now.Sub(tt.behindSince) < tt.sess.lease {
			tt.mu.Unlock()
			return next
		}
	}
	tt.floor, tt.behindSince = set.Index, time.Time{}
	tt.mu.Unlock()
	tt.reconcile(set.Tasks)
	return next
}

// reconcile makes the running tasks match tasks: it stops tasks not in it (and all tasks of a
// job attempt older than the newest seen), then starts the missing ones unless fenced.
func (tt *taskTable) reconcile(tasks []assign.Task) {
	tt.op.Lock()
	defer tt.op.Unlock()
	tt.mu.Lock()
	for _, t := range tasks {
		tt.latest[t.JobID] = max(tt.latest[t.JobID], t.Attempt)
	}
	want := make(map[string]assign.Task, len(tasks))
	desired := make([]assign.Task, 0, len(tasks))
	for _, t := range tasks {
		if t.Attempt == tt.latest[t.JobID] && t.ID != "" {
			if _, dup := want[t.ID]; !dup {
				desired = append(desired, t)
			}
			want[t.ID] = t
		}
	}
	tt.desired = desired
	var stop []*entry
	for id, e := range tt.entries {
		if _, ok := want[id]; !ok {
			delete(tt.entries, id)
			stop = append(stop, e)
		}
	}
	fenced := tt.fenced
	var start []*entry
	if !fenced {
		for _, t := range desired {
			if tt.entries[t.ID] == nil {
				e := &entry{spec: t, state: assign.TaskStarting}
				tt.entries[t.ID] = e
				start = append(start, e)
			}
		}
	}
	tt.mu.Unlock()
	stopTasks(stop)
	for _, e := range stop {
		tt.a.log.Info("task removed", "worker", tt.workerID(), "project", e.spec.Project, "job", e.spec.JobID, "task", e.spec.ID)
	}
	for _, e := range start {
		tt.start(e)
	}
}

// start runs e's task on the runtime.
func (tt *taskTable) start(e *entry) {
	t := e.spec
	log := tt.a.log.With("worker", tt.workerID(), "project", t.Project)
	deps := tt.a.deps
	deps.Logger = log
	task, err := runtime.StartTask(withTask(context.Background(), t), runtime.TaskSpec{
		JobID: t.JobID, Attempt: t.Attempt, Graph: t.Graph, Vertex: t.Vertex, Subtask: t.Subtask,
		Placement: t.Placement, Token: t.Token, Restore: t.Restore,
	}, deps)
	tt.mu.Lock()
	if err != nil {
		e.state, e.err = assign.TaskFailed, err.Error()
	} else {
		e.task, e.state = task, assign.TaskRunning
	}
	tt.mu.Unlock()
	if err != nil {
		log.Warn("task could not start", "job", t.JobID, "task", t.ID, "err", err)
		tt.a.taskEnded()
		return
	}
	log.Info("task started", "job", t.JobID, "task", t.ID, "slot", t.Slot)
	go func() {
		<-task.Done()
		tt.a.taskEnded()
	}()
}

// stopTasks stops the running tasks of entries, in parallel, and waits for them.
func stopTasks(entries []*entry) {
	var wg sync.WaitGroup
	for _, e := range entries {
		if e.task != nil {
			wg.Add(1)
			go func(t *runtime.Task) {
				defer wg.Done()
				t.Stop()
			}(e.task)
		}
	}
	wg.Wait()
}

// fence stops every task because the lease could not be renewed; the tasks stay in the table
// as FAILED with reason (never restarted), and no task starts until unfence.
func (tt *taskTable) fence(reason string) {
	tt.op.Lock()
	defer tt.op.Unlock()
	tt.mu.Lock()
	if tt.fenced {
		tt.mu.Unlock()
		return
	}
	tt.fenced = true
	var stop []*entry
	for _, e := range tt.entries {
		if e.task != nil && !isDone(e.task) {
			e.err = reason
			stop = append(stop, e)
		}
	}
	tt.mu.Unlock()
	tt.a.log.Warn("self-fencing: stopping all tasks", "worker", tt.workerID(), "tasks", len(stop), "reason", reason)
	tt.a.metrics.fences.Inc()
	stopTasks(stop)
	tt.mu.Lock()
	tt.fenceAt = time.Now()
	tt.mu.Unlock()
}

// lastFence is when the last fence had stopped every task (zero if never).
func (tt *taskTable) lastFence() time.Time {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return tt.fenceAt
}

// unfence lets tasks start again after a heartbeat was accepted, and starts the desired tasks
// that are missing (tasks stopped by the fence stay failed).
func (tt *taskTable) unfence() {
	tt.mu.Lock()
	if !tt.fenced {
		tt.mu.Unlock()
		return
	}
	tt.fenced = false
	desired := tt.desired
	tt.mu.Unlock()
	tt.a.log.Info("lease renewed: worker no longer fenced", "worker", tt.workerID())
	tt.reconcile(desired)
}

// stopAll stops every task and forgets them (the registration they belonged to is over).
func (tt *taskTable) stopAll(reason string) {
	tt.op.Lock()
	defer tt.op.Unlock()
	tt.mu.Lock()
	stop := make([]*entry, 0, len(tt.entries))
	for _, e := range tt.entries {
		stop = append(stop, e)
	}
	clear(tt.entries)
	tt.desired = nil
	tt.mu.Unlock()
	if len(stop) > 0 {
		tt.a.log.Info("stopping all tasks", "worker", tt.workerID(), "tasks", len(stop), "reason", reason)
	}
	stopTasks(stop)
}

func isDone(t *runtime.Task) bool {
	select {
	case <-t.Done():
		return true
	default:
		return false
	}
}

// status returns e's state, its error and whether it failed only because its input was
// aborted by a failed producer; tt.mu is held.
func (e *entry) status() (state assign.TaskState, msg string, upstream bool) {
	if e.task == nil {
		return e.state, e.err, false
	}
	if !isDone(e.task) {
		return assign.TaskRunning, "", false
	}
	err := e.task.Wait()
	upstream = errors.Is(err, runtime.ErrUpstreamFailed)
	switch {
	case e.err != "":
		return assign.TaskFailed, e.err, upstream
	case err == nil:
		return assign.TaskFinished, "", false
	case errors.Is(err, context.Canceled):
		return assign.TaskCanceled, "", false
	default:
		return assign.TaskFailed, err.Error(), upstream
	}
}

// statuses reports every task, sorted by id, with its metrics.
func (tt *taskTable) statuses() []assign.TaskStatus {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	out := make([]assign.TaskStatus, 0, len(tt.entries))
	for _, e := range tt.entries {
		state, msg, upstream := e.status()
		st := assign.TaskStatus{
			TaskID: e.spec.ID, JobID: e.spec.JobID, Attempt: e.spec.Attempt, Vertex: e.spec.Vertex,
			Subtask: e.spec.Subtask, State: state, Error: msg, Upstream: upstream,
		}
		if e.task != nil {
			if raw, err := json.Marshal(e.task.Metrics()); err == nil {
				st.Metrics = raw
			}
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TaskID < out[j].TaskID })
	return out
}

// counts returns the number of tasks per state.
func (tt *taskTable) counts() map[assign.TaskState]int {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	out := map[assign.TaskState]int{}
	for _, e := range tt.entries {
		s, _, _ := e.status()
		out[s]++
	}
	return out
}

func (tt *taskTable) isFenced() bool {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return tt.fenced
}
