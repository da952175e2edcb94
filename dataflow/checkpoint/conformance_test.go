package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/state"
	"github.com/flowplane/flowplane/services/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// storages returns a fresh instance of every implementation, for the conformance suite.
func storages(t *testing.T) map[string]Storage {
	t.Helper()
	fs, err := NewFileStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ps, err := NewPostgresStorage(context.Background(), pgtest.NewPool(t))
	if err != nil {
		t.Fatal(err)
	}
	behind, err := NewFileStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(behind))
	t.Cleanup(srv.Close)
	rs := NewRemoteStorage(srv.URL, srv.Client(), nil)
	return map[string]Storage{"file": fs, "postgres": ps, "remote": rs}
}

// conform runs fn against every implementation as parallel subtests.
func conform(t *testing.T, fn func(t *testing.T, s Storage)) {
	t.Parallel()
	for name, s := range storages(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, s)
		})
	}
}

func key(job string, id uint64, op string, sub int) StateKey {
	return StateKey{Job: job, Checkpoint: id, Operator: op, Subtask: sub, KeyGroups: state.KeyGroupRange{Start: sub * 64, End: sub*64 + 64}}
}

func put(t *testing.T, s Storage, k StateKey, data []byte) Handle {
	t.Helper()
	h, n, err := s.PutState(context.Background(), k, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(data)) {
		t.Fatalf("PutState size = %d, want %d", n, len(data))
	}
	return h
}

func TestConformanceStateRoundTrip(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		big := bytes.Repeat([]byte("0123456789abcdef"), (3*chunkSize)/16+7) // spans several chunks
		for _, data := range [][]byte{{}, []byte("small"), big} {
			h := put(t, s, key("job-1", 1, "op", 0), data)
			got, err := s.GetState(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("GetState returned %d bytes, want %d", len(got), len(data))
			}
		}
	})
}

func TestConformanceDeleteState(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		h := put(t, s, key("j", 1, "op", 1), []byte("x"))
		if err := s.DeleteState(ctx, h); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetState(ctx, h); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetState after delete: %v, want ErrNotFound", err)
		}
		if err := s.DeleteState(ctx, h); err != nil {
			t.Fatalf("second delete: %v, want nil", err)
		}
	})
}

func TestConformanceRejectsBadHandlesAndKeys(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		for _, h := range []Handle{"", "file:../../etc/passwd", "file:/etc/passwd", "pg:-1", "pg:x", "s3://b/k"} {
			if _, err := s.GetState(ctx, h); !errors.Is(err, ErrInvalidHandle) && !errors.Is(err, ErrNotFound) {
				t.Fatalf("GetState(%q) = %v, want ErrInvalidHandle or ErrNotFound", h, err)
			}
		}
		for _, k := range []StateKey{key("", 1, "op", 0), key("..", 1, "op", 0), key("j", 0, "op", 0), key("j", 1, "", 0)} {
			if _, _, err := s.PutState(ctx, k, strings.NewReader("x")); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("PutState(%+v) = %v, want ErrInvalidKey", k, err)
			}
		}
	})
}

func TestConformanceHostileNamesStayInside(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		k := key("a/../../b", 3, "op/../x", 0)
		h := put(t, s, k, []byte("data"))
		got, err := s.GetState(ctx, h)
		if err != nil || string(got) != "data" {
			t.Fatalf("GetState = %q, %v", got, err)
		}
		md := meta(k.Job, 3, KindCheckpoint, StatusCompleted, h)
		if err := s.PutMetadata(ctx, md); err != nil {
			t.Fatal(err)
		}
		if list, err := s.ListMetadata(ctx, k.Job); err != nil || len(list) != 1 {
			t.Fatalf("ListMetadata = %d, %v", len(list), err)
		}
	})
}

func meta(job string, id uint64, kind Kind, status Status, hs ...Handle) *Metadata {
	md := &Metadata{Version: MetadataVersion, Job: job, ID: id, Kind: kind, Status: StatusInProgress,
		TriggeredAt: time.Unix(1700000000, 0).UTC(), MaxParallelism: 128, Location: "test"}
	for i, h := range hs {
		md.Tasks = append(md.Tasks, TaskState{Vertex: "v", Operator: "op", Subtask: i, Parallelism: len(hs),
			KeyGroups: state.KeyGroupRange{Start: i, End: i + 1}, Handle: h, Size: 1})
	}
	if status == StatusCompleted {
		md.Complete(md.TriggeredAt.Add(1500 * time.Millisecond))
	}
	md.Status = status
	return md
}

func TestConformanceMetadata(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		if _, err := s.GetMetadata(ctx, "job", 1); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetMetadata of nothing: %v, want ErrNotFound", err)
		}
		if list, err := s.ListMetadata(ctx, "job"); err != nil || len(list) != 0 {
			t.Fatalf("ListMetadata of nothing = %v, %v", list, err)
		}
		for _, id := range []uint64{10, 2, 1} {
			if err := s.PutMetadata(ctx, meta("job", id, KindCheckpoint, StatusInProgress, "h")); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PutMetadata(ctx, meta("job", 2, KindSavepoint, StatusCompleted, "h")); err != nil {
			t.Fatal(err)
		}
		if err := s.PutMetadata(ctx, meta("other", 5, KindCheckpoint, StatusCompleted, "h")); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListMetadata(ctx, "job")
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint64
		for _, md := range list {
			ids = append(ids, md.ID)
		}
		if fmt.Sprint(ids) != "[1 2 10]" {
			t.Fatalf("ids = %v, want [1 2 10]", ids)
		}
		got, err := s.GetMetadata(ctx, "job", 2)
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind != KindSavepoint || got.Status != StatusCompleted || got.DurationMS != 1500 || got.SizeBytes != 1 || !got.CompletedAt.Equal(got.TriggeredAt.Add(1500*time.Millisecond)) {
			t.Fatalf("replaced metadata = %+v", got)
		}
		if err := s.DeleteMetadata(ctx, "job", 2); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteMetadata(ctx, "job", 2); err != nil {
			t.Fatalf("second delete: %v", err)
		}
		if _, err := s.GetMetadata(ctx, "job", 2); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after delete: %v, want ErrNotFound", err)
		}
	})
}

func TestConformanceConcurrentPuts(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		var wg sync.WaitGroup
		hs := make([]Handle, 8)
		errs := make([]error, 8)
		for i := range hs {
			wg.Go(func() {
				hs[i], _, errs[i] = s.PutState(ctx, key("j", 7, "op", i), bytes.NewReader([]byte{byte(i)}))
			})
		}
		wg.Wait()
		for i, h := range hs {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			got, err := s.GetState(ctx, h)
			if err != nil || len(got) != 1 || got[0] != byte(i) {
				t.Fatalf("blob %d = %v, %v", i, got, err)
			}
		}
	})
}

type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, errors.New("disk on fire")
	}
	k := min(len(p), r.n)
	r.n -= k
	return k, nil
}

func TestConformanceFailedPutLeavesNothing(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		for _, r := range []io.Reader{&failingReader{n: chunkSize + 10}, &failingReader{n: 10, err: io.ErrUnexpectedEOF}} {
			if _, _, err := s.PutState(ctx, key("j", 1, "op", 0), r); err == nil {
				t.Fatal("PutState of a failing reader succeeded")
			}
		}
		// A remote server may still be cleaning up after the aborted upload: poll.
		deadline := time.Now().Add(10 * time.Second)
		for {
			refs, err := s.ListStates(ctx, "j")
			if err == nil && len(refs) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("blobs left behind: %v, %v", refs, err)
			}
			<-time.After(5 * time.Millisecond) // poll interval
		}
		if fsys, ok := s.(*FileStorage); ok {
			if leftovers := countFiles(t, fsys.dir); leftovers != 0 {
				t.Fatalf("%d files left behind", leftovers)
			}
		}
	})
}
