package scheduler

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/hashicorp/go-memdb"
)

func init() {
	appliers[CmdInitCluster] = applyInitCluster
	appliers[CmdSetMember] = applySetMember
	appliers[CmdRegisterWorker] = applyRegisterWorker
	appliers[CmdWorkerLost] = applyWorkerLost
	appliers[CmdForget] = applyForget
}

// applyForget drops terminal jobs and lost workers' tombstones; anything else listed stays.
func applyForget(c *applyCtx, raw json.RawMessage) (any, error) {
	var b forgetBody
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	n := 0
	for _, id := range b.Jobs {
		if j, err := getJob(c.txn, id); err == nil && j.Status.Terminal() {
			if err := c.txn.Delete(tableJobs, j); err != nil {
				panic(err)
			}
			n++
		}
	}
	for _, id := range b.Workers {
		if w, err := getWorker(c.txn, id); err == nil && w.State == WorkerLost {
			if err := c.txn.Delete(tableWorkers, w); err != nil {
				panic(err)
			}
			n++
		}
	}
	return n, nil
}

// applyInitCluster stores the cluster secret once; later proposals keep the first.
func applyInitCluster(c *applyCtx, raw json.RawMessage) (any, error) {
	var b initClusterBody
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	if existing, _ := c.txn.First(tableMeta, "id", "cluster"); existing != nil {
		return existing.(*Meta).Secret, nil
	}
	if len(b.Secret) < 16 {
		return nil, fmt.Errorf("%w: cluster secret shorter than 16 bytes", ErrInvalidCommand)
	}
	mustInsert(c.txn, tableMeta, &Meta{ID: "cluster", Secret: b.Secret})
	return b.Secret, nil
}

func applySetMember(c *applyCtx, raw json.RawMessage) (any, error) {
	var b setMemberBody
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	if b.ID == "" || b.RaftAddr == "" {
		return nil, fmt.Errorf("%w: member needs id and raft_addr", ErrInvalidCommand)
	}
	m := Member(b)
	mustInsert(c.txn, tableMembers, &m)
	return nil, nil
}

func applyRegisterWorker(c *applyCtx, raw json.RawMessage) (any, error) {
	var b registerWorkerBody
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	if b.ID == "" || b.Slots < 1 || b.Slots > 1024 || b.DataAddr == "" {
		return nil, fmt.Errorf("%w: worker needs id, 1..1024 slots and a data address", ErrInvalidCommand)
	}
	if existing, _ := c.txn.First(tableWorkers, "id", b.ID); existing != nil {
		return nil, fmt.Errorf("%w: worker %s already registered", ErrStale, b.ID)
	}
	mustInsert(c.txn, tableWorkers, &Worker{ID: b.ID, Name: b.Name, Slots: b.Slots, DataAddr: b.DataAddr,
		Labels: b.Labels, State: WorkerActive, RegisteredAt: c.at, AssignIndex: c.index})
	return nil, nil
}

// applyWorkerLost marks a worker lost (a tombstone) and fails every job placed on it. A job that
// already restarted without it after a failure of an attempt that ran on it (a survivor's task
// lost its exchange peer first) records the loss instead, so the deployment's events name it.
func applyWorkerLost(c *applyCtx, raw json.RawMessage) (any, error) {
	var b workerLostBody
	if err := decodeBody(raw, &b); err != nil {
		return nil, err
	}
	w, err := getWorker(c.txn, b.ID)
	if err != nil {
		return nil, err
	}
	if w.State == WorkerLost {
		return nil, nil
	}
	nw := *w
	nw.State, nw.Reason, nw.AssignIndex, nw.LostAt = WorkerLost, b.Reason, c.index, c.at
	mustInsert(c.txn, tableWorkers, &nw)
	reason := fmt.Sprintf("worker %s lost: %s", workerLabel(w), b.Reason)
	for _, j := range all[*Job](c.txn, tableJobs) {
		switch {
		case j.Placed() && containsWorker(j, w.ID):
			failJob(c, j, CauseWorkerLost, reason)
		case !j.Status.Terminal():
			noteLostWorker(c, j, w, b.Reason)
		}
	}
	return nil, nil
}

// noteLostWorker records w's loss on j when w is one of its suspects.
func noteLostWorker(c *applyCtx, j *Job, w *Worker, reason string) {
	i := slices.IndexFunc(j.Suspects, func(s SuspectWorker) bool { return s.ID == w.ID })
	if i < 0 {
		return
	}
	nj := j.clone()
	nj.Suspects = slices.Delete(nj.Suspects, i, i+1)
	nj.LostWorkers = append(nj.LostWorkers, LostWorker{ID: w.ID, Name: w.Name, Attempt: j.Suspects[i].Attempt,
		Reason: reason, Index: c.index})
	if n := len(nj.LostWorkers); n > maxLostWorkers {
		nj.LostWorkers = slices.Clone(nj.LostWorkers[n-maxLostWorkers:])
	}
	// Neither UpdatedAt (the job master times a restart from the failure) nor any worker's
	// assignments change.
	nj.ModifyIndex = c.index
	mustInsert(c.txn, tableJobs, nj)
}

func workerLabel(w *Worker) string {
	if w.Name != "" && w.Name != w.ID {
		return w.ID + " (" + w.Name + ")"
	}
	return w.ID
}

func containsWorker(j *Job, id string) bool {
	for _, st := range j.Subtasks {
		if st.Worker == id {
			return true
		}
	}
	return false
}

func getWorker(txn *memdb.Txn, id string) (*Worker, error) {
	raw, err := txn.First(tableWorkers, "id", id)
	if err != nil {
		panic(err)
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: worker %s", ErrNotFound, id)
	}
	return raw.(*Worker), nil
}

func getJob(txn *memdb.Txn, id string) (*Job, error) {
	raw, err := txn.First(tableJobs, "id", id)
	if err != nil {
		panic(err)
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: job %s", ErrNotFound, id)
	}
	return raw.(*Job), nil
}

// touchWorkers bumps the assignment index of workers whose task set changed.
func touchWorkers(c *applyCtx, ids []string) {
	for _, id := range ids {
		w, err := getWorker(c.txn, id)
		if err != nil || w.AssignIndex == c.index {
			continue
		}
		nw := *w
		nw.AssignIndex = c.index
		mustInsert(c.txn, tableWorkers, &nw)
	}
}
