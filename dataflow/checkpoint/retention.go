package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// DefaultRetained is how many completed checkpoints a job keeps unless configured otherwise.
const DefaultRetained = 3

// ErrNoCheckpoint is returned by Latest when a job has no completed checkpoint.
var ErrNoCheckpoint = errors.New("no completed checkpoint")

// ErrKindMismatch is returned when Discard is asked to delete a savepoint, or DeleteSavepoint a
// checkpoint.
var ErrKindMismatch = errors.New("checkpoint kind mismatch")

// Latest returns the job's newest completed checkpoint or savepoint: the recovery point.
func Latest(ctx context.Context, s Storage, job string) (*Metadata, error) {
	all, err := s.ListMetadata(ctx, job)
	if err != nil {
		return nil, err
	}
	for _, md := range slices.Backward(all) {
		if md.Status == StatusCompleted {
			return md, nil
		}
	}
	return nil, fmt.Errorf("%w for job %s", ErrNoCheckpoint, job)
}

// RetainResult says what Retain removed.
type RetainResult struct {
	Discarded      []uint64 // checkpoint ids whose metadata was deleted
	DeletedHandles int      // state blobs deleted
	KeptShared     int      // blobs of discarded checkpoints kept because a retained one names them
}

// Retain keeps the newest keep completed checkpoints (kind checkpoint) of job and discards the
// older completed ones: it deletes each one's blobs that no other remaining checkpoint names
// (retained checkpoints, savepoints, in-progress or failed checkpoints alike), then its
// metadata. Nothing of a savepoint or of a checkpoint that is not completed is deleted. It is
// safe to run again after a crash: deleting a missing blob is not an error.
func Retain(ctx context.Context, s Storage, job string, keep int) (RetainResult, error) {
	if keep < 1 {
		return RetainResult{}, fmt.Errorf("retain %d checkpoints: must keep at least one", keep)
	}
	all, err := s.ListMetadata(ctx, job)
	if err != nil {
		return RetainResult{}, err
	}
	res, _, err := retain(ctx, s, all, keep)
	return res, err
}

// retain is Retain on all, the job's metadata by ascending id. It also returns the handles the
// remaining checkpoints name, for sweepOrphans.
func retain(ctx context.Context, s Storage, all []*Metadata, keep int) (RetainResult, map[Handle]bool, error) {
	var res RetainResult
	var completed []*Metadata
	for _, md := range all {
		if md.Kind == KindCheckpoint && md.Status == StatusCompleted {
			completed = append(completed, md)
		}
	}
	if len(completed) <= keep {
		return res, referenced(all, nil), nil
	}
	discard := completed[:len(completed)-keep]
	gone := make(map[uint64]bool, len(discard))
	for _, md := range discard {
		gone[md.ID] = true
	}
	refs := referenced(all, gone)
	deleted := make(map[Handle]bool)
	for _, md := range discard {
		n, kept, err := deleteUnreferenced(ctx, s, md, refs, deleted)
		res.DeletedHandles += n
		res.KeptShared += kept
		if err != nil {
			return res, nil, err
		}
		if err := s.DeleteMetadata(ctx, md.Job, md.ID); err != nil {
			return res, nil, err
		}
		res.Discarded = append(res.Discarded, md.ID)
	}
	return res, refs, nil
}

// Discard deletes one checkpoint that is not a savepoint, e.g. a failed or aborted one: its
// blobs no other checkpoint names, then its metadata. Savepoints are deleted with
// DeleteSavepoint.
func Discard(ctx context.Context, s Storage, job string, id uint64) error {
	return discard(ctx, s, job, id, KindCheckpoint)
}

// DeleteSavepoint deletes a savepoint (at the user's request) the same way.
func DeleteSavepoint(ctx context.Context, s Storage, job string, id uint64) error {
	return discard(ctx, s, job, id, KindSavepoint)
}

func discard(ctx context.Context, s Storage, job string, id uint64, kind Kind) error {
	all, err := s.ListMetadata(ctx, job)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(all, func(md *Metadata) bool { return md.ID == id })
	if i < 0 {
		return fmt.Errorf("%w: checkpoint %s/%d", ErrNotFound, job, id)
	}
	if all[i].Kind != kind {
		return fmt.Errorf("%w: %s/%d is a %s", ErrKindMismatch, job, id, all[i].Kind)
	}
	refs := referenced(all, map[uint64]bool{id: true})
	if _, _, err := deleteUnreferenced(ctx, s, all[i], refs, map[Handle]bool{}); err != nil {
		return err
	}
	return s.DeleteMetadata(ctx, job, id)
}

// referenced returns the handles named by every checkpoint not in gone.
func referenced(all []*Metadata, gone map[uint64]bool) map[Handle]bool {
	refs := make(map[Handle]bool)
	for _, md := range all {
		if gone[md.ID] {
			continue
		}
		for _, h := range md.Handles() {
			refs[h] = true
		}
	}
	return refs
}

func deleteUnreferenced(ctx context.Context, s Storage, md *Metadata, refs, deleted map[Handle]bool) (n, kept int, err error) {
	for _, h := range md.Handles() {
		switch {
		case refs[h]:
			kept++
		case deleted[h]:
		default:
			if err := s.DeleteState(ctx, h); err != nil {
				return n, kept, fmt.Errorf("discard checkpoint %s/%d: %w", md.Job, md.ID, err)
			}
			deleted[h] = true
			n++
		}
	}
	return n, kept, nil
}

// SweepOrphans deletes blobs of job that no metadata names and that were written for a
// checkpoint older than below: those of aborted checkpoints whose tasks acked too late or never,
// and of interrupted writes. below must not exceed the id of any checkpoint still in progress
// (the coordinator passes the lowest id it still waits for, or the next id it will trigger);
// blobs of newer checkpoints are never touched, since their metadata may not exist yet.
func SweepOrphans(ctx context.Context, s Storage, job string, below uint64) (int, error) {
	all, err := s.ListMetadata(ctx, job)
	if err != nil {
		return 0, err
	}
	return sweepOrphans(ctx, s, job, below, referenced(all, nil))
}

// sweepOrphans is SweepOrphans with refs, the handles every metadata of job names.
func sweepOrphans(ctx context.Context, s Storage, job string, below uint64, refs map[Handle]bool) (int, error) {
	blobs, err := s.ListStates(ctx, job)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range blobs {
		if b.Checkpoint >= below || refs[b.Handle] {
			continue
		}
		if err := s.DeleteState(ctx, b.Handle); err != nil {
			return n, fmt.Errorf("sweep orphans of %s: %w", job, err)
		}
		n++
	}
	return n, nil
}
