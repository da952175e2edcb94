package assign

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
)

// Paths and headers of the worker protocol.
const (
	PathRegister = "/internal/v1/workers"
	// PathCheckpoints is the prefix under which servers serve checkpoint storage to workers
	// (checkpoint.NewHandler; workers use checkpoint.RemoteStorage), authenticated with the
	// worker token as bearer and the worker id in WorkerHeader.
	PathCheckpoints = "/internal/v1/checkpoints"
	// WorkerHeader names the calling worker on requests not under its own path.
	WorkerHeader = "X-Flowplane-Worker"
	// IndexHeader carries the replica's FSM index on every assignments answer.
	IndexHeader = "X-Flowplane-Index"
	// MaxWait is the longest wait a blocking query honours; longer waits are clamped.
	MaxWait = 5 * time.Minute
)

// PathAssignments is the blocking-query path of one worker.
func PathAssignments(workerID string) string { return PathRegister + "/" + workerID + "/assignments" }

// PathHeartbeat is the heartbeat path of one worker.
func PathHeartbeat(workerID string) string { return PathRegister + "/" + workerID + "/heartbeat" }

// ErrInvalid wraps every validation failure of a message.
var ErrInvalid = errors.New("invalid worker protocol message")

// Register is a worker's request to join; it authenticates with the join token as a bearer token.
type Register struct {
	Slots    int               `json:"slots"`
	DataAddr string            `json:"data_addr"`
	Labels   map[string]string `json:"labels,omitempty"`
	// Name is a stable, human-readable name (host name by default); not an identity.
	Name string `json:"name,omitempty"`
}

// Validate checks a registration.
func (r Register) Validate() error {
	if r.Slots < 1 || r.Slots > 1024 {
		return fmt.Errorf("%w: slots must be 1..1024, got %d", ErrInvalid, r.Slots)
	}
	if r.DataAddr == "" {
		return fmt.Errorf("%w: data_addr is required", ErrInvalid)
	}
	return nil
}

// Registered answers a registration. Token authenticates the worker's later calls (bearer).
// The worker must renew its lease (heartbeat) well within LeaseMillis, and stop its tasks when it
// could not renew for LeaseMillis (self-fencing).
type Registered struct {
	WorkerID    string `json:"worker_id"`
	Token       string `json:"token"`
	LeaseMillis int64  `json:"lease_ms"`
	// HeartbeatMillis is the interval the scheduler expects heartbeats at.
	HeartbeatMillis int64 `json:"heartbeat_ms"`
	// Index is the FSM index at which the registration was committed (optional). A replica
	// answering a blocking query with Known=false at a lower index has not applied the
	// registration yet; the worker ignores that answer instead of registering again.
	Index uint64 `json:"index,omitempty"`
}

// Lease returns the lease as a duration.
func (r Registered) Lease() time.Duration { return time.Duration(r.LeaseMillis) * time.Millisecond }

// Task is one subtask assigned to a worker: the full description needed to run it. Together with
// the other tasks of a Set it is the worker's complete desired state.
type Task struct {
	// ID is stable for (job, attempt, vertex, subtask): "<job>/<attempt>/<vertex>/<subtask>".
	ID      string             `json:"id"`
	JobID   string             `json:"job_id"`
	Attempt uint64             `json:"attempt"`
	Vertex  dataflow.VertexID  `json:"vertex"`
	Subtask int                `json:"subtask"`
	Slot    int                `json:"slot"`
	Graph   *dataflow.JobGraph `json:"graph"`
	// Placement gives, for every vertex, the data address of each of its subtasks.
	Placement map[dataflow.VertexID][]string `json:"placement"`
	// Token is the attempt's data-plane token; peers present the same one.
	Token []byte `json:"token"`
	// Restore names the checkpoint to restore state from; zero means start empty.
	Restore *Checkpoint `json:"restore,omitempty"`
	// Project and Deployment are for logs and metrics labels.
	Project    string `json:"project,omitempty"`
	Deployment string `json:"deployment,omitempty"`
}

// TaskID builds a Task.ID.
func TaskID(job string, attempt uint64, vertex dataflow.VertexID, subtask int) string {
	return fmt.Sprintf("%s/%d/%s/%d", job, attempt, vertex, subtask)
}

// Checkpoint names a completed checkpoint and where its state lives.
type Checkpoint struct {
	ID       uint64 `json:"id"`
	Location string `json:"location"`
	// Job is the job that took the checkpoint when it is not the task's own (a deployment
	// started from another job's savepoint); empty means the task's job.
	Job string `json:"job,omitempty"`
}

// Set is the answer to a blocking query: every task the worker should be running now.
type Set struct {
	Index uint64 `json:"index"`
	Tasks []Task `json:"tasks"`
	// Known is false when the answering replica does not know the worker (never registered, or
	// declared lost): the worker stops its tasks and registers again.
	Known bool `json:"known"`
}

// TaskState is a subtask's state as the worker reports it.
type TaskState string

// Task states.
const (
	TaskStarting TaskState = "STARTING"
	TaskRunning  TaskState = "RUNNING"
	TaskFinished TaskState = "FINISHED"
	TaskFailed   TaskState = "FAILED"
	TaskCanceled TaskState = "CANCELED"
)

// Terminal reports whether the state is final.
func (s TaskState) Terminal() bool {
	return s == TaskFinished || s == TaskFailed || s == TaskCanceled
}

// TaskStatus is one task's state in a heartbeat.
type TaskStatus struct {
	TaskID  string            `json:"task_id"`
	JobID   string            `json:"job_id"`
	Attempt uint64            `json:"attempt"`
	Vertex  dataflow.VertexID `json:"vertex"`
	Subtask int               `json:"subtask"`
	State   TaskState         `json:"state"`
	// Error is the failure message of a FAILED task.
	Error string `json:"error,omitempty"`
	// Upstream marks a FAILED task that failed only because a task feeding it failed (its input
	// was aborted): the scheduler names the other failure as the cause when it has one.
	Upstream bool            `json:"upstream,omitempty"`
	Metrics  json.RawMessage `json:"metrics,omitempty"`
}

// Ack is a task's acknowledgement of a checkpoint: its state handles and size. States has one
// entry per state blob the task wrote (keyed state and operator state of each operator of its
// chain; none for a stateless task); Handle is the first of them and SizeBytes their total.
// A non-empty Error declines the checkpoint (the coordinator aborts it).
type Ack struct {
	TaskID     string                 `json:"task_id"`
	JobID      string                 `json:"job_id"`
	Attempt    uint64                 `json:"attempt"`
	Vertex     dataflow.VertexID      `json:"vertex,omitempty"`
	Subtask    int                    `json:"subtask"`
	Checkpoint uint64                 `json:"checkpoint"`
	Handle     string                 `json:"handle"`
	SizeBytes  int64                  `json:"size_bytes"`
	States     []checkpoint.TaskState `json:"states,omitempty"`
	Error      string                 `json:"error,omitempty"`
}

// Heartbeat renews a worker's lease and reports its tasks (all of them, every time) and any
// checkpoint acks since the last accepted heartbeat.
type Heartbeat struct {
	Tasks []TaskStatus `json:"tasks"`
	Acks  []Ack        `json:"acks,omitempty"`
}

// HeartbeatReply answers a heartbeat. Known=false means the scheduler declared the worker lost:
// it must stop its tasks and register again.
type HeartbeatReply struct {
	Known       bool  `json:"known"`
	LeaseMillis int64 `json:"lease_ms"`
	// Index is the FSM index the leader had when it accepted the heartbeat.
	Index uint64 `json:"index"`
	// Triggers asks source tasks to inject barriers (checkpoint coordinator).
	Triggers []Trigger `json:"triggers,omitempty"`
	// Completed announces completed checkpoints (best effort; newer subsumes older).
	Completed []Completed `json:"completed,omitempty"`
}

// Trigger asks the sources of (job, attempt) to inject barrier Checkpoint.
type Trigger struct {
	JobID      string `json:"job_id"`
	Attempt    uint64 `json:"attempt"`
	Checkpoint uint64 `json:"checkpoint"`
	Savepoint  bool   `json:"savepoint,omitempty"`
}

// Completed tells tasks of (job, attempt) that Checkpoint is complete, so sinks commit.
type Completed struct {
	JobID      string `json:"job_id"`
	Attempt    uint64 `json:"attempt"`
	Checkpoint uint64 `json:"checkpoint"`
}
