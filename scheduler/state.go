package scheduler

import (
	"slices"

	"github.com/hashicorp/go-memdb"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/assign"
)

// Table names of the FSM's memdb.
const (
	tableMeta    = "meta"
	tableApplied = "applied"
	tableMembers = "members"
	tableWorkers = "workers"
	tableJobs    = "jobs"
)

// Meta is the cluster-wide singleton row.
type Meta struct {
	ID     string `json:"id"` // always "cluster"
	Secret []byte `json:"secret"`
}

// applied remembers a command id so a retried command changes nothing.
type applied struct {
	ID    string `json:"id"`
	Index uint64 `json:"index"`
	Code  string `json:"code,omitempty"` // the business error's code, "" when it succeeded
	Msg   string `json:"msg,omitempty"`
}

// Member is a scheduler server: its Raft and internal HTTP addresses.
type Member struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	HTTPAddr string `json:"http_addr"`
}

// WorkerState is a worker's registration state.
type WorkerState string

// Worker states. A lost worker's row stays as a tombstone so its polls answer Known=false.
const (
	WorkerActive WorkerState = "ACTIVE"
	WorkerLost   WorkerState = "LOST"
)

// Worker is a registered TaskManager.
type Worker struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Slots        int               `json:"slots"`
	DataAddr     string            `json:"data_addr"`
	Labels       map[string]string `json:"labels,omitempty"`
	State        WorkerState       `json:"state"`
	Reason       string            `json:"reason,omitempty"`
	RegisteredAt int64             `json:"registered_at"`
	LostAt       int64             `json:"lost_at,omitempty"`
	// AssignIndex is the Raft index of the last change of this worker's task set.
	AssignIndex uint64 `json:"assign_index"`
}

// JobStatus is a job's scheduling state.
type JobStatus string

// Job states.
const (
	JobScheduling JobStatus = "SCHEDULING" // waiting for its first slots
	JobDeploying  JobStatus = "DEPLOYING"  // placed; not every task reported RUNNING yet
	JobRunning    JobStatus = "RUNNING"
	JobRestarting JobStatus = "RESTARTING" // failed; waiting for the restart delay, then slots
	JobFailed     JobStatus = "FAILED"
	JobCanceled   JobStatus = "CANCELED"
	JobFinished   JobStatus = "FINISHED"
)

// Terminal reports whether the job will never run again.
func (s JobStatus) Terminal() bool { return s == JobFailed || s == JobCanceled || s == JobFinished }

// Causes of a job's last failure or restart (Job.Cause; the dispatcher's event types).
const (
	CauseWorkerLost       = "worker_lost"
	CauseTaskFailed       = "task_failed"
	CauseRestartRequested = "restarted"
	CauseNoSlots          = "insufficient_slots"
)

// Subtask is one parallel instance of a vertex in the execution graph, and where it runs.
type Subtask struct {
	Vertex dataflow.VertexID `json:"vertex"`
	Index  int               `json:"index"`
	Worker string            `json:"worker,omitempty"`
	Slot   int               `json:"slot"`
	State  assign.TaskState  `json:"state,omitempty"`
	Error  string            `json:"error,omitempty"`
}

// Job is one deployment's execution: the graph, the current attempt and its placement.
type Job struct {
	ID         string             `json:"id"`
	Deployment string             `json:"deployment,omitempty"`
	Project    string             `json:"project,omitempty"`
	Service    string             `json:"service,omitempty"`
	Graph      *dataflow.JobGraph `json:"graph"`
	Restart    RestartStrategy    `json:"restart"`
	Quota      int                `json:"quota,omitempty"`
	Status     JobStatus          `json:"status"`
	Attempt    uint64             `json:"attempt"`
	// Subtasks is the execution graph of the current attempt; empty while not placed.
	Subtasks []Subtask `json:"subtasks,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	// Cause classifies Reason: one of the Cause* constants.
	Cause string `json:"cause,omitempty"`
	// Failures are the times (unix ms) of the failures the restart strategy counts.
	Failures []int64 `json:"failures,omitempty"`
	// RestartAt (unix ms) is when a RESTARTING job may be placed again.
	RestartAt int64 `json:"restart_at,omitempty"`
	// WaitingSince (unix ms) is when the job started waiting for slots.
	WaitingSince     int64              `json:"waiting_since,omitempty"`
	SubmittedAt      int64              `json:"submitted_at"`
	UpdatedAt        int64              `json:"updated_at"`
	NextCheckpoint   uint64             `json:"next_checkpoint"`
	LatestCheckpoint *assign.Checkpoint `json:"latest_checkpoint,omitempty"`
	// CheckpointIntervalMS is the deployment's checkpoint interval (0: the server's default).
	CheckpointIntervalMS int64  `json:"checkpoint_interval_ms,omitempty"`
	ModifyIndex          uint64 `json:"modify_index"`
	// Generation is the deployment generation the job last acted on (submit or restart).
	Generation int64 `json:"generation,omitempty"`
	// Suspects are workers that ran tasks of a failed attempt and that the restart left out
	// because they had gone quiet: should one be declared lost later, that loss is the job's news
	// (LostWorkers) although the job no longer runs on it.
	Suspects []SuspectWorker `json:"suspects,omitempty"`
	// LostWorkers records such losses, newest last (at most maxLostWorkers): the dispatcher writes
	// one worker_lost event for each.
	LostWorkers []LostWorker `json:"lost_workers,omitempty"`
}

// maxLostWorkers bounds Job.LostWorkers.
const maxLostWorkers = 8

// SuspectWorker is a worker that ran tasks of attempt Attempt, which failed.
type SuspectWorker struct {
	ID      string `json:"id"`
	Attempt uint64 `json:"attempt"`
}

// LostWorker is a worker declared lost after the job had restarted without it.
type LostWorker struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	Attempt uint64 `json:"attempt"` // the failed attempt whose tasks it ran
	Reason  string `json:"reason"`
	Index   uint64 `json:"index"` // the Raft index of the worker-lost entry
}

// Slots is how many slots the job needs: its highest parallelism (slot sharing).
func (j *Job) Slots() int {
	n := 0
	if j.Graph == nil {
		return 0
	}
	for _, v := range j.Graph.Vertices {
		n = max(n, v.Parallelism)
	}
	return n
}

// Placed reports whether the current attempt holds slots.
func (j *Job) Placed() bool { return len(j.Subtasks) > 0 }

// clone copies the job deeply enough to mutate it (memdb objects are immutable once inserted).
func (j *Job) clone() *Job {
	c := *j
	c.Subtasks = slices.Clone(j.Subtasks)
	c.Failures = slices.Clone(j.Failures)
	c.Suspects = slices.Clone(j.Suspects)
	c.LostWorkers = slices.Clone(j.LostWorkers)
	return &c
}

// Workers returns the distinct workers of the current placement, sorted.
func (j *Job) Workers() []string {
	var ws []string
	for _, st := range j.Subtasks {
		if !slices.Contains(ws, st.Worker) {
			ws = append(ws, st.Worker)
		}
	}
	slices.Sort(ws)
	return ws
}

func idIndex() *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}}
}

func schema() *memdb.DBSchema {
	tables := map[string]*memdb.TableSchema{}
	for _, name := range []string{tableMeta, tableApplied, tableMembers, tableWorkers, tableJobs} {
		tables[name] = &memdb.TableSchema{Name: name, Indexes: map[string]*memdb.IndexSchema{"id": idIndex()}}
	}
	return &memdb.DBSchema{Tables: tables}
}

func newDB() *memdb.MemDB {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		panic(err) // the schema is static
	}
	return db
}
