package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// coordHarness runs a coordinator over file storage, recording what its hooks see.
type coordHarness struct {
	c        *Coordinator
	store    Storage
	mu       sync.Mutex
	triggers []uint64
	recorded []uint64
	failed   []string
	notified []uint64
	dropped  []uint64
	cancel   context.CancelFunc
	done     chan error
}

var twoTasks = []TaskID{{Vertex: "src", Subtask: 0}, {Vertex: "sink", Subtask: 0}}

func newCoordHarness(t *testing.T, store Storage, ids func(context.Context) (uint64, error), cfg CoordinatorConfig) *coordHarness {
	t.Helper()
	h := &coordHarness{store: store, done: make(chan error, 1)}
	cfg.Job, cfg.Attempt, cfg.Tasks, cfg.Storage, cfg.AllocateID = "job", 1, twoTasks, store, ids
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if cfg.Interval == 0 {
		cfg.Interval = time.Hour // tests trigger with TriggerNow
	}
	cfg.Trigger = func(_ context.Context, id uint64, _ Kind) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.triggers = append(h.triggers, id)
		return nil
	}
	cfg.RecordCompleted = func(_ context.Context, md *Metadata) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.recorded = append(h.recorded, md.ID)
		return nil
	}
	cfg.RecordFailed = func(_ context.Context, md *Metadata) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.failed = append(h.failed, md.Failure)
	}
	cfg.Notify = func(id uint64) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.notified = append(h.notified, id)
	}
	cfg.RecordDiscarded = func(_ context.Context, ids []uint64) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.dropped = append(h.dropped, ids...)
	}
	c, err := NewCoordinator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- c.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

func (h *coordHarness) stop() {
	h.cancel()
	<-h.done
	h.done <- nil // stop is idempotent
}

// ackAll acks checkpoint id from every task with one private blob each.
func (h *coordHarness) ackAll(t *testing.T, id uint64) []Handle {
	t.Helper()
	var hs []Handle
	for _, task := range twoTasks {
		hd := put(t, h.store, StateKey{Job: "job", Checkpoint: id, Operator: task.Vertex, Subtask: task.Subtask}, []byte("state"))
		hs = append(hs, hd)
		ts := TaskState{Vertex: task.Vertex, Operator: task.Vertex, Subtask: task.Subtask, Parallelism: 1, Handle: hd, Size: 5}
		if err := h.c.Ack(context.Background(), task, 1, id, []TaskState{ts}, ""); err != nil {
			t.Fatal(err)
		}
	}
	return hs
}

func waitStats(t *testing.T, c *Coordinator, cond func(CoordinatorStats) bool) CoordinatorStats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := c.Stats()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %+v", s)
		}
		time.Sleep(time.Millisecond)
	}
}

func fileStore(t *testing.T) Storage {
	t.Helper()
	s, err := NewFileStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCoordinatorCompletesRetainsAndSweeps(t *testing.T) {
	t.Parallel()
	store := fileStore(t)
	h := newCoordHarness(t, store, CounterIDs(0), CoordinatorConfig{})
	ctx := context.Background()
	blobs := map[uint64][]Handle{}
	for i := 1; i <= 5; i++ {
		id, err := h.c.TriggerNow(ctx, KindCheckpoint)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.c.TriggerNow(ctx, KindCheckpoint); !errors.Is(err, ErrInFlight) {
			t.Fatalf("second trigger: %v, want ErrInFlight", err)
		}
		if err := h.c.Ack(ctx, twoTasks[0], 2, id, nil, ""); !errors.Is(err, ErrStaleAck) {
			t.Fatalf("ack of another attempt: %v, want ErrStaleAck", err)
		}
		blobs[id] = h.ackAll(t, id)
		waitStats(t, h.c, func(s CoordinatorStats) bool { return s.LastCleaned == id })
	}
	h.mu.Lock()
	recorded, notified, dropped := append([]uint64(nil), h.recorded...), append([]uint64(nil), h.notified...), append([]uint64(nil), h.dropped...)
	h.mu.Unlock()
	if len(recorded) != 5 || recorded[4] != 5 || len(notified) != 5 || fmt.Sprint(dropped) != "[1 2]" {
		t.Fatalf("recorded %v, notified %v, discarded %v", recorded, notified, dropped)
	}
	all, err := store.ListMetadata(ctx, "job")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != DefaultRetained || all[0].ID != 3 || all[0].Status != StatusCompleted || all[0].SizeBytes != 10 {
		t.Fatalf("kept %d checkpoints, first %+v", len(all), all[0])
	}
	for id, hs := range blobs {
		for _, hd := range hs {
			if got, want := exists(t, store, hd), id >= 3; got != want {
				t.Fatalf("blob of checkpoint %d exists = %v, want %v", id, got, want)
			}
		}
	}
}

func TestCoordinatorAbortsDeclinedAndLateCheckpoints(t *testing.T) {
	t.Parallel()
	store := fileStore(t)
	h := newCoordHarness(t, store, CounterIDs(0), CoordinatorConfig{Timeout: time.Second}) // long enough for the acks below on a loaded machine
	ctx := context.Background()

	id, err := h.c.TriggerNow(ctx, KindCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	hd := put(t, store, StateKey{Job: "job", Checkpoint: id, Operator: "src", Subtask: 0}, []byte("x"))
	ts := TaskState{Vertex: "src", Operator: "src", Subtask: 0, Parallelism: 1, Handle: hd}
	if err := h.c.Ack(ctx, twoTasks[0], 1, id, []TaskState{ts}, ""); err != nil {
		t.Fatal(err)
	}
	if err := h.c.Ack(ctx, twoTasks[1], 1, id, nil, "disk full"); err != nil {
		t.Fatal(err)
	}
	waitStats(t, h.c, func(s CoordinatorStats) bool { return s.Aborted == 1 && s.Pending == 0 })
	if exists(t, store, hd) {
		t.Fatal("the declined checkpoint's state was kept")
	}

	// Nobody acks the next one: it times out.
	if _, err := h.c.TriggerNow(ctx, KindCheckpoint); err != nil {
		t.Fatal(err)
	}
	waitStats(t, h.c, func(s CoordinatorStats) bool { return s.Aborted == 2 && s.Pending == 0 })
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.failed) != 2 || !strings.Contains(h.failed[0], "disk full") || !strings.Contains(h.failed[1], "timed out") {
		t.Fatalf("failures recorded: %q", h.failed)
	}
	if all, _ := store.ListMetadata(ctx, "job"); len(all) != 0 {
		t.Fatalf("metadata of aborted checkpoints kept: %d", len(all))
	}
}

func TestCoordinatorStopDeletesNothingAndSuccessorSweeps(t *testing.T) {
	t.Parallel()
	store := fileStore(t)
	ids := CounterIDs(0)
	ctx := context.Background()
	h := newCoordHarness(t, store, ids, CoordinatorConfig{})
	id, err := h.c.TriggerNow(ctx, KindCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	orphan := put(t, store, StateKey{Job: "job", Checkpoint: id, Operator: "src", Subtask: 0}, []byte("x"))
	h.stop() // leader lost with checkpoint 1 in flight
	if !exists(t, store, orphan) {
		t.Fatal("stopping the coordinator deleted state")
	}

	// The next leader's coordinator allocates a larger id; its first completion sweeps the
	// state of the checkpoint that never completed.
	h2 := newCoordHarness(t, store, ids, CoordinatorConfig{})
	id2, err := h2.c.TriggerNow(ctx, KindCheckpoint)
	if err != nil || id2 <= id {
		t.Fatalf("TriggerNow = %d, %v; want an id above %d", id2, err, id)
	}
	h2.ackAll(t, id2)
	waitStats(t, h2.c, func(s CoordinatorStats) bool { return s.LastCleaned == id2 })
	if exists(t, store, orphan) {
		t.Fatal("state of the interrupted checkpoint was not swept")
	}
}

// TestCoordinatorTriggersAgainSoonAfterADecline: a checkpoint declined by a task (e.g. its
// state could not be stored during a storage outage) frees the slot for the next periodic
// checkpoint at once, not when the declined one would have timed out.
func TestCoordinatorTriggersAgainSoonAfterADecline(t *testing.T) {
	t.Parallel()
	h := newCoordHarness(t, fileStore(t), CounterIDs(0), CoordinatorConfig{Interval: 20 * time.Millisecond, Timeout: time.Hour})
	first := waitStats(t, h.c, func(s CoordinatorStats) bool { return s.Pending != 0 }).Pending
	if err := h.c.Ack(context.Background(), twoTasks[1], 1, first, nil, "storage down"); err != nil {
		t.Fatal(err)
	}
	waitStats(t, h.c, func(s CoordinatorStats) bool { return s.Aborted == 1 && s.Pending > first })
}
