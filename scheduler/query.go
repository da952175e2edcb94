package scheduler

import (
	"context"
	"sort"

	"github.com/hashicorp/go-memdb"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/assign"
)

// AttemptToken is the data-plane token of one job attempt (assign.AttemptToken, which the workers'
// tokens are derived with too).
func AttemptToken(secret []byte, job string, attempt uint64) []byte {
	return assign.AttemptToken(secret, job, attempt)
}

// Secret returns the cluster secret, nil before the first leader initialised it.
func (f *FSM) Secret() []byte {
	txn, _ := f.read()
	if raw, _ := txn.First(tableMeta, "id", "cluster"); raw != nil {
		return raw.(*Meta).Secret
	}
	return nil
}

// Worker returns one worker's row (tombstones included).
func (f *FSM) Worker(id string) (*Worker, bool) {
	txn, _ := f.read()
	w, err := getWorker(txn, id)
	return w, err == nil
}

// Workers lists every worker row.
func (f *FSM) Workers() []*Worker {
	txn, _ := f.read()
	return all[*Worker](txn, tableWorkers)
}

// Members lists the servers' addresses.
func (f *FSM) Members() []*Member {
	txn, _ := f.read()
	return all[*Member](txn, tableMembers)
}

// Job returns one job.
func (f *FSM) Job(id string) (*Job, bool) {
	txn, _ := f.read()
	j, err := getJob(txn, id)
	return j, err == nil
}

// Jobs lists every job.
func (f *FSM) Jobs() []*Job {
	txn, _ := f.read()
	return all[*Job](txn, tableJobs)
}

// assignments builds a worker's task set from one read transaction and adds what it read to ws.
func assignments(txn *memdb.Txn, ws memdb.WatchSet, workerID string) assign.Set {
	ch, raw, err := txn.FirstWatch(tableWorkers, "id", workerID)
	if err != nil {
		panic(err)
	}
	ws.Add(ch)
	if raw == nil {
		return assign.Set{Tasks: []assign.Task{}}
	}
	w := raw.(*Worker)
	set := assign.Set{Index: w.AssignIndex, Known: w.State == WorkerActive, Tasks: []assign.Task{}}
	if !set.Known {
		return set
	}
	var secret []byte
	if m, _ := txn.First(tableMeta, "id", "cluster"); m != nil {
		secret = m.(*Meta).Secret
	}
	addrs := map[string]string{}
	for _, o := range all[*Worker](txn, tableWorkers) {
		addrs[o.ID] = o.DataAddr
	}
	for _, j := range all[*Job](txn, tableJobs) {
		if !j.Placed() || !containsWorker(j, workerID) {
			continue
		}
		placement := map[dataflow.VertexID][]string{}
		for _, v := range j.Graph.Vertices {
			placement[v.ID] = make([]string, v.Parallelism)
		}
		for _, st := range j.Subtasks {
			placement[st.Vertex][st.Index] = addrs[st.Worker]
		}
		token := assign.AttemptToken(secret, j.ID, j.Attempt)
		for _, st := range j.Subtasks {
			if st.Worker != workerID {
				continue
			}
			set.Tasks = append(set.Tasks, assign.Task{ID: assign.TaskID(j.ID, j.Attempt, st.Vertex, st.Index),
				JobID: j.ID, Attempt: j.Attempt, Vertex: st.Vertex, Subtask: st.Index, Slot: st.Slot, Graph: j.Graph,
				Placement: placement, Token: token, Restore: j.LatestCheckpoint, Project: j.Project, Deployment: j.Deployment})
		}
	}
	sort.Slice(set.Tasks, func(a, b int) bool { return set.Tasks[a].ID < set.Tasks[b].ID })
	return set
}

// Assignments returns the worker's task set now.
func (f *FSM) Assignments(workerID string) assign.Set {
	txn, _ := f.read()
	return assignments(txn, memdb.NewWatchSet(), workerID)
}

// WaitAssignments is the blocking query: it returns as soon as the worker's assignment index is
// above minIndex, or with the current set when ctx ends.
func (f *FSM) WaitAssignments(ctx context.Context, workerID string, minIndex uint64) assign.Set {
	for {
		txn, abandon := f.read()
		ws := memdb.NewWatchSet()
		ws.Add(abandon)
		set := assignments(txn, ws, workerID)
		if set.Index > minIndex || ctx.Err() != nil {
			return set
		}
		if err := ws.WatchCtx(ctx); err != nil {
			return set
		}
	}
}
