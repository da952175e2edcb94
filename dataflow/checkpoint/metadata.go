package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/flowplane/flowplane/dataflow/state"
)

// MetadataVersion is the version of the Metadata JSON encoding this build writes and reads.
const MetadataVersion = 1

// ErrCorruptMetadata is wrapped by errors about metadata that cannot be decoded or is invalid.
var ErrCorruptMetadata = errors.New("corrupt checkpoint metadata")

// Kind tells checkpoints (taken by the coordinator, retained automatically) from savepoints
// (owned by the user, kept until deleted).
type Kind string

// The kinds of checkpoint.
const (
	KindCheckpoint Kind = "checkpoint"
	KindSavepoint  Kind = "savepoint"
)

// Status is the state of a checkpoint.
type Status string

// The statuses of a checkpoint. Only completed checkpoints are recovery points.
const (
	StatusInProgress Status = "in_progress"
	StatusCompleted  Status = "completed"
	StatusFailed     Status = "failed"
)

// TaskState names the state blob one subtask of one operator wrote for a checkpoint.
type TaskState struct {
	Vertex      string              `json:"vertex"`
	Operator    string              `json:"operator"`
	Subtask     int                 `json:"subtask"`
	Parallelism int                 `json:"parallelism"`
	KeyGroups   state.KeyGroupRange `json:"key_groups"`
	Handle      Handle              `json:"handle"`
	Size        int64               `json:"size"`
}

// Metadata describes one checkpoint or savepoint of a job.
type Metadata struct {
	Version        int         `json:"version"`
	Job            string      `json:"job"`
	ID             uint64      `json:"id"`
	Attempt        int64       `json:"attempt"`
	Kind           Kind        `json:"kind"`
	Status         Status      `json:"status"`
	TriggeredAt    time.Time   `json:"triggered_at"`
	CompletedAt    *time.Time  `json:"completed_at,omitempty"`
	DurationMS     int64       `json:"duration_ms"`
	SizeBytes      int64       `json:"size_bytes"`
	Location       string      `json:"location"`
	MaxParallelism int         `json:"max_parallelism"`
	Tasks          []TaskState `json:"tasks"`
	Failure        string      `json:"failure,omitempty"`
}

// Complete marks md completed at t, setting its duration and total size from its tasks.
func (md *Metadata) Complete(t time.Time) {
	md.Status = StatusCompleted
	ct := t.UTC()
	md.CompletedAt = &ct
	md.DurationMS = t.Sub(md.TriggeredAt).Milliseconds()
	md.SizeBytes = 0
	for _, ts := range md.Tasks {
		md.SizeBytes += ts.Size
	}
}

// Validate checks md's fields for consistency.
func (md *Metadata) Validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: %s", ErrCorruptMetadata, fmt.Sprintf(f, a...)) }
	switch {
	case md.Version != MetadataVersion:
		return bad("version %d (this build reads %d)", md.Version, MetadataVersion)
	case md.Job == "" || md.ID == 0:
		return bad("job and id are required")
	case md.Kind != KindCheckpoint && md.Kind != KindSavepoint:
		return bad("kind %q", md.Kind)
	case md.Status != StatusInProgress && md.Status != StatusCompleted && md.Status != StatusFailed:
		return bad("status %q", md.Status)
	case md.Status == StatusCompleted && md.CompletedAt == nil:
		return bad("completed without completed_at")
	}
	for i, ts := range md.Tasks {
		if ts.Operator == "" || ts.Handle == "" || ts.Subtask < 0 || ts.Subtask >= max(ts.Parallelism, 1) {
			return bad("task %d: operator, handle and subtask < parallelism are required", i)
		}
	}
	return nil
}

// EncodeMetadata returns md's JSON.
func EncodeMetadata(md *Metadata) ([]byte, error) {
	if err := md.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(md)
}

// DecodeMetadata parses and validates metadata JSON; unknown fields are rejected.
func DecodeMetadata(data []byte) (*Metadata, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var md Metadata
	if err := dec.Decode(&md); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptMetadata, err)
	}
	if err := md.Validate(); err != nil {
		return nil, err
	}
	return &md, nil
}

// Handles returns the distinct state handles md names.
func (md *Metadata) Handles() []Handle {
	seen := make(map[Handle]bool, len(md.Tasks))
	var hs []Handle
	for _, ts := range md.Tasks {
		if !seen[ts.Handle] {
			seen[ts.Handle] = true
			hs = append(hs, ts.Handle)
		}
	}
	return hs
}

// RestoreSet returns the task states of operator whose key groups overlap rng: what a subtask
// owning rng must read to restore that operator's keyed state, at whatever parallelism the
// checkpoint was taken (pass every returned blob to state.Backend.Restore). For operators
// without keyed state (empty key group ranges), use the subtask's own TaskState instead.
func (md *Metadata) RestoreSet(operator string, rng state.KeyGroupRange) []TaskState {
	var out []TaskState
	for _, ts := range md.Tasks {
		if ts.Operator == operator && ts.KeyGroups.Intersect(rng).Len() > 0 {
			out = append(out, ts)
		}
	}
	return out
}

// decodeFor decodes metadata stored under (job, id) and checks it names itself.
func decodeFor(data []byte, job string, id uint64) (*Metadata, error) {
	md, err := DecodeMetadata(data)
	if err != nil {
		return nil, err
	}
	if md.Job != job || md.ID != id {
		return nil, fmt.Errorf("%w: stored as %s/%d but names %s/%d", ErrCorruptMetadata, job, id, md.Job, md.ID)
	}
	return md, nil
}
