package scheduler

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/assign"
)

// CommandType is the first byte of every Raft log entry the FSM applies.
type CommandType byte

// The commands. Values are stored in the log: never renumber, only append.
const (
	CmdInitCluster    CommandType = 1
	CmdSetMember      CommandType = 2
	CmdRegisterWorker CommandType = 3
	CmdWorkerLost     CommandType = 4
	CmdSubmitJob      CommandType = 5
	CmdScheduleJob    CommandType = 6
	CmdTaskStatus     CommandType = 7
	CmdCancelJob      CommandType = 8
	CmdRestartJob     CommandType = 9
	CmdCheckpoint     CommandType = 10
	CmdFailJob        CommandType = 11
	CmdForget         CommandType = 12
)

// commandVersion is the envelope version this build writes and reads.
const commandVersion = 1

// Errors of the command layer. Business failures are returned by Apply as values wrapping these;
// an entry that cannot be decoded at all panics the FSM (ErrUndecodable), because a replica that
// skipped it would silently diverge from the others.
var (
	ErrUndecodable       = errors.New("undecodable raft log entry")
	ErrInvalidCommand    = errors.New("invalid command")
	ErrNotFound          = errors.New("not found")
	ErrInsufficientSlots = errors.New("insufficient slots")
	ErrStale             = errors.New("stale command")
)

// envelope is the versioned JSON body after the type byte.
type envelope struct {
	V    int             `json:"v"`
	ID   string          `json:"id"`
	At   int64           `json:"at"` // the proposer's clock, unix ms: appliers never read time
	Body json.RawMessage `json:"body"`
}

// Command is one proposal: a type, an id that makes it idempotent, and its body.
type Command struct {
	Type CommandType
	ID   string
	At   int64
	Body any
}

// Encode renders the log entry: one type byte followed by the JSON envelope.
func (c Command) Encode() ([]byte, error) {
	if c.ID == "" {
		return nil, fmt.Errorf("%w: command without id", ErrInvalidCommand)
	}
	body, err := json.Marshal(c.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCommand, err)
	}
	env, err := json.Marshal(envelope{V: commandVersion, ID: c.ID, At: c.At, Body: body})
	if err != nil {
		return nil, err
	}
	return append([]byte{byte(c.Type)}, env...), nil
}

// decodeEntry splits a log entry into its type and envelope.
func decodeEntry(data []byte) (CommandType, envelope, error) {
	var env envelope
	if len(data) < 2 {
		return 0, env, fmt.Errorf("%w: %d bytes", ErrUndecodable, len(data))
	}
	t := CommandType(data[0])
	if _, ok := appliers[t]; !ok {
		return 0, env, fmt.Errorf("%w: unknown command type %d", ErrUndecodable, t)
	}
	if err := json.Unmarshal(data[1:], &env); err != nil {
		return 0, env, fmt.Errorf("%w: %w", ErrUndecodable, err)
	}
	if env.V != commandVersion {
		return 0, env, fmt.Errorf("%w: command version %d (this build reads %d)", ErrUndecodable, env.V, commandVersion)
	}
	if env.ID == "" {
		return 0, env, fmt.Errorf("%w: command without id", ErrUndecodable)
	}
	return t, env, nil
}

// UndecodablePanic is the value Apply panics with on an undecodable entry.
type UndecodablePanic struct {
	Index uint64
	Err   error
}

func (p *UndecodablePanic) Error() string {
	return fmt.Sprintf("raft log entry %d: %v", p.Index, p.Err)
}

func (p *UndecodablePanic) Unwrap() error { return p.Err }

// newID returns prefix_<16 random hex bytes>.
func newID(prefix string) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + "_" + hex.EncodeToString(b[:])
}

// Command bodies.

type initClusterBody struct {
	Secret []byte `json:"secret"`
}

type setMemberBody struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	HTTPAddr string `json:"http_addr"`
}

type registerWorkerBody struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Slots    int               `json:"slots"`
	DataAddr string            `json:"data_addr"`
	Labels   map[string]string `json:"labels,omitempty"`
}

type workerLostBody struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// JobSpec is what a job submission carries.
type JobSpec struct {
	ID         string             `json:"id"`
	Deployment string             `json:"deployment,omitempty"`
	Project    string             `json:"project,omitempty"`
	Service    string             `json:"service,omitempty"`
	Graph      *dataflow.JobGraph `json:"graph"`
	Restart    RestartStrategy    `json:"restart"`
	Quota      int                `json:"quota,omitempty"` // the service's slot quota; 0 = none
	// Restore is where the first attempt restores from: a savepoint, of this or another job
	// (Restore.Job).
	Restore *assign.Checkpoint `json:"restore,omitempty"`
	// CheckpointIntervalMS is the job's checkpoint interval (0: the server's default).
	CheckpointIntervalMS int64 `json:"checkpoint_interval_ms,omitempty"`
	// Generation is the deployment's desired generation the job was submitted for.
	Generation int64 `json:"generation,omitempty"`
}

type scheduleJobBody struct {
	ID      string `json:"id"`
	Attempt uint64 `json:"attempt"` // the attempt to start: the job's current attempt + 1
	GiveUp  bool   `json:"give_up"` // fail the job when the slots are insufficient
	// Avoid names workers to leave out when the others have enough free slots (suspected lost).
	Avoid []string `json:"avoid,omitempty"`
}

type taskUpdate struct {
	JobID   string `json:"job_id"`
	Attempt uint64 `json:"attempt"`
	Vertex  string `json:"vertex"`
	Subtask int    `json:"subtask"`
	State   string `json:"state"`
	Error   string `json:"error,omitempty"`
	// Upstream: the task failed only because a task feeding it failed (assign.TaskStatus).
	Upstream bool `json:"upstream,omitempty"`
}

type taskStatusBody struct {
	Worker  string       `json:"worker"`
	Updates []taskUpdate `json:"updates"`
}

type cancelJobBody struct {
	ID     string `json:"id"`
	Status string `json:"status"` // CANCELED or FINISHED
	Reason string `json:"reason,omitempty"`
}

type restartJobBody struct {
	ID         string `json:"id"`
	Reason     string `json:"reason"`
	Generation int64  `json:"generation,omitempty"`
	// Observe only records Generation as acted on (a stop waiting for its savepoint), without
	// restarting: if the stop fails and the deployment runs on, that generation is not a restart.
	Observe bool `json:"observe,omitempty"`
}

type checkpointBody struct {
	JobID    string `json:"job_id"`
	Complete uint64 `json:"complete,omitempty"` // 0: allocate the next id
	Location string `json:"location,omitempty"`
}

type failJobBody struct {
	ID      string `json:"id"`
	Attempt uint64 `json:"attempt"`
	Reason  string `json:"reason"`
}

type forgetBody struct {
	Jobs    []string `json:"jobs,omitempty"`    // terminal jobs to drop
	Workers []string `json:"workers,omitempty"` // lost workers' tombstones to drop
}
