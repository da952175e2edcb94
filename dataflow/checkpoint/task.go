package checkpoint

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/flowplane/flowplane/dataflow/state"
)

// WriteKeyed streams a keyed-state snapshot into s (encoding on the calling goroutine while the
// storage writes) and releases the snapshot. Run it off the subtask's goroutine; the returned
// TaskState goes into the task's ack.
func WriteKeyed(ctx context.Context, s Storage, key StateKey, vertex string, parallelism int, snap *state.Snapshot) (TaskState, error) {
	key.KeyGroups = snap.Range()
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := snap.WriteTo(pw)
		pw.CloseWithError(err)
	}()
	h, n, err := s.PutState(ctx, key, pr)
	pr.CloseWithError(io.ErrClosedPipe) // unblock the encoder if PutState stopped early
	<-done
	snap.Release()
	if err != nil {
		return TaskState{}, fmt.Errorf("write keyed state of %s[%d]: %w", key.Operator, key.Subtask, err)
	}
	return TaskState{Vertex: vertex, Operator: key.Operator, Subtask: key.Subtask, Parallelism: parallelism,
		KeyGroups: key.KeyGroups, Handle: h, Size: n}, nil
}

// WriteOperatorState stores non-keyed operator state (source offsets, sink pending commits),
// which belongs to one subtask rather than to key groups.
func WriteOperatorState(ctx context.Context, s Storage, key StateKey, vertex string, parallelism int, data []byte) (TaskState, error) {
	key.KeyGroups = state.KeyGroupRange{}
	h, n, err := s.PutState(ctx, key, bytes.NewReader(data))
	if err != nil {
		return TaskState{}, fmt.Errorf("write operator state of %s[%d]: %w", key.Operator, key.Subtask, err)
	}
	return TaskState{Vertex: vertex, Operator: key.Operator, Subtask: key.Subtask, Parallelism: parallelism, Handle: h, Size: n}, nil
}

// RestoreKeyed loads operator's keyed state from md into b: the blobs of every old subtask
// whose key groups overlap b's range, whatever the old parallelism.
func RestoreKeyed(ctx context.Context, s Storage, md *Metadata, operator string, b *state.Backend) error {
	if md.MaxParallelism != b.MaxParallelism() {
		return fmt.Errorf("%w: checkpoint %d has max parallelism %d, the job %d", state.ErrKeyGroupRange, md.ID, md.MaxParallelism, b.MaxParallelism())
	}
	var blobs [][]byte
	for _, ts := range md.RestoreSet(operator, b.Range()) {
		blob, err := s.GetState(ctx, ts.Handle)
		if err != nil {
			return fmt.Errorf("restore %s from checkpoint %d: %w", operator, md.ID, err)
		}
		blobs = append(blobs, blob)
	}
	if err := b.Restore(blobs...); err != nil {
		return fmt.Errorf("restore %s from checkpoint %d: %w", operator, md.ID, err)
	}
	return nil
}

// OperatorStates returns the non-keyed states of operator that new subtask index of
// parallelism p restores: old subtask i goes to new subtask i % p, so each old state is
// restored exactly once (a source's offsets, a sink's pending commits), at any parallelism.
func OperatorStates(ctx context.Context, s Storage, md *Metadata, operator string, index, p int) ([][]byte, error) {
	var out [][]byte
	for _, ts := range md.Tasks {
		if ts.Operator != operator || ts.KeyGroups.Len() != 0 || ts.Subtask%p != index {
			continue
		}
		blob, err := s.GetState(ctx, ts.Handle)
		if err != nil {
			return nil, fmt.Errorf("restore %s[%d] from checkpoint %d: %w", operator, ts.Subtask, md.ID, err)
		}
		out = append(out, blob)
	}
	return out, nil
}
