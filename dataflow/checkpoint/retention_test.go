package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// seed writes checkpoints 1..n (completed) where checkpoint i has a private blob and shares the
// blob "shared" written by checkpoint 1; it returns the handles by checkpoint.
func seed(t *testing.T, s Storage, n int) (map[uint64]Handle, Handle) {
	t.Helper()
	ctx := context.Background()
	shared := put(t, s, key("job", 1, "shared", 0), []byte("shared"))
	own := make(map[uint64]Handle)
	for i := uint64(1); i <= uint64(n); i++ {
		own[i] = put(t, s, key("job", i, "op", 0), []byte(fmt.Sprint(i)))
		if err := s.PutMetadata(ctx, meta("job", i, KindCheckpoint, StatusCompleted, own[i], shared)); err != nil {
			t.Fatal(err)
		}
	}
	return own, shared
}

func exists(t *testing.T, s Storage, h Handle) bool {
	t.Helper()
	_, err := s.GetState(context.Background(), h)
	if err != nil && !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestConformanceRetainKeepsNewestAndSharedBlobs(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		own, shared := seed(t, s, 6)
		// An in-progress checkpoint 7 and a failed 8 that name checkpoint 2's blob, and a savepoint 9
		// naming checkpoint 1's: none of these may lose anything.
		for id, st := range map[uint64]Status{7: StatusInProgress, 8: StatusFailed} {
			if err := s.PutMetadata(ctx, meta("job", id, KindCheckpoint, st, own[2])); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PutMetadata(ctx, meta("job", 9, KindSavepoint, StatusCompleted, own[1])); err != nil {
			t.Fatal(err)
		}
		res, err := Retain(ctx, s, "job", DefaultRetained)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(res.Discarded) != "[1 2 3]" || res.DeletedHandles != 1 {
			t.Fatalf("Retain = %+v, want checkpoints [1 2 3] discarded and one blob deleted", res)
		}
		for id, want := range map[uint64]bool{1: true, 2: true, 3: false, 4: true, 5: true, 6: true} {
			if got := exists(t, s, own[id]); got != want {
				t.Fatalf("blob of checkpoint %d exists = %v, want %v", id, got, want)
			}
		}
		if !exists(t, s, shared) {
			t.Fatal("shared blob deleted while retained checkpoints name it")
		}
		list, _ := s.ListMetadata(ctx, "job")
		var ids []uint64
		for _, md := range list {
			ids = append(ids, md.ID)
		}
		if fmt.Sprint(ids) != "[4 5 6 7 8 9]" {
			t.Fatalf("remaining checkpoints %v", ids)
		}
		again, err := Retain(ctx, s, "job", DefaultRetained)
		if err != nil || len(again.Discarded) != 0 {
			t.Fatalf("second Retain = %+v, %v; want nothing to do", again, err)
		}
	})
}

func TestConformanceDiscardAndDeleteSavepoint(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		own, _ := seed(t, s, 2)
		sp := put(t, s, key("job", 3, "op", 0), []byte("sp"))
		if err := s.PutMetadata(ctx, meta("job", 3, KindSavepoint, StatusCompleted, sp, own[2])); err != nil {
			t.Fatal(err)
		}
		if err := Discard(ctx, s, "job", 3); !errors.Is(err, ErrKindMismatch) {
			t.Fatalf("Discard of a savepoint = %v, want ErrKindMismatch", err)
		}
		if err := Discard(ctx, s, "job", 2); err != nil {
			t.Fatal(err)
		}
		if !exists(t, s, own[2]) {
			t.Fatal("blob named by a savepoint deleted")
		}
		if err := DeleteSavepoint(ctx, s, "job", 3); err != nil {
			t.Fatal(err)
		}
		if exists(t, s, sp) || exists(t, s, own[2]) {
			t.Fatal("savepoint blobs survive DeleteSavepoint")
		}
		if err := Discard(ctx, s, "job", 42); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Discard of nothing = %v, want ErrNotFound", err)
		}
	})
}

func TestConformanceLatest(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		if _, err := Latest(ctx, s, "job"); !errors.Is(err, ErrNoCheckpoint) {
			t.Fatalf("Latest of nothing = %v, want ErrNoCheckpoint", err)
		}
		seed(t, s, 3)
		if err := s.PutMetadata(ctx, meta("job", 4, KindCheckpoint, StatusInProgress, "h")); err != nil {
			t.Fatal(err)
		}
		md, err := Latest(ctx, s, "job")
		if err != nil || md.ID != 3 {
			t.Fatalf("Latest = %v, %v; want checkpoint 3", md, err)
		}
	})
}

func TestConformanceSweepOrphans(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		own, shared := seed(t, s, 2)
		orphanOld := put(t, s, key("job", 1, "late", 3), []byte("acked too late"))
		inFlight := put(t, s, key("job", 5, "op", 0), []byte("checkpoint 5 still running"))
		other := put(t, s, key("other", 1, "op", 0), []byte("another job"))
		n, err := SweepOrphans(ctx, s, "job", 5)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || exists(t, s, orphanOld) {
			t.Fatalf("swept %d, orphan exists %v; want exactly the orphan swept", n, exists(t, s, orphanOld))
		}
		for _, h := range []Handle{own[1], own[2], shared, inFlight, other} {
			if !exists(t, s, h) {
				t.Fatalf("SweepOrphans deleted %s", h)
			}
		}
		refs, err := s.ListStates(ctx, "job")
		if err != nil || len(refs) != 4 {
			t.Fatalf("ListStates = %v, %v; want 4 blobs", refs, err)
		}
	})
}
