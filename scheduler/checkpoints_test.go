package scheduler

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
)

// fakeCoordinator takes one checkpoint: allocate, trigger, wait for every task's ack, record,
// notify.
type fakeCoordinator struct {
	host CheckpointHost
	acks chan assign.Ack
}

func (f *fakeCoordinator) Run(ctx context.Context) error {
	id, err := f.host.AllocateID(ctx)
	if err != nil {
		return err
	}
	if err := f.host.Trigger(ctx, id, false); err != nil {
		return err
	}
	got := map[string]bool{}
	for len(got) < len(f.host.Job.Subtasks) {
		select {
		case a := <-f.acks:
			if a.Checkpoint == id && a.Attempt == f.host.Attempt {
				got[a.TaskID] = true
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := f.host.RecordCompleted(ctx, CheckpointRecord{ID: id, Location: fmt.Sprintf("file:///ckpt/%d", id), SizeBytes: 10, CompletedAt: time.Now()}); err != nil {
		return err
	}
	f.host.Notify(id)
	<-ctx.Done()
	return ctx.Err()
}

func (f *fakeCoordinator) Ack(ctx context.Context, a assign.Ack) error {
	select {
	case f.acks <- a:
	case <-ctx.Done():
	}
	return nil
}

func TestCheckpointsThroughHeartbeats(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t, 1, func(c *Config) {
		c.Checkpoints = func(h CheckpointHost) (CheckpointCoordinator, error) {
			return &fakeCoordinator{host: h, acks: make(chan assign.Ack, 16)}, nil
		}
	})
	n := nodes[0]
	w := register(t, n.url, 2, "w")
	if err := n.SubmitJob(context.Background(), JobSpec{ID: "job1", Graph: testGraph(t, 2)}); err != nil {
		t.Fatal(err)
	}
	set, _ := w.poll(0, time.Second)
	if len(set.Tasks) != 3 {
		t.Fatalf("tasks = %d", len(set.Tasks))
	}
	var trigger assign.Trigger
	waitFor(t, 5*time.Second, "a trigger in a heartbeat reply", func() bool {
		reply, status := w.heartbeat(set, assign.TaskRunning)
		if status == http.StatusOK && len(reply.Triggers) == 1 {
			trigger = reply.Triggers[0]
			return true
		}
		return false
	})
	if trigger.JobID != "job1" || trigger.Attempt != 1 || trigger.Checkpoint != 1 {
		t.Fatalf("trigger = %+v", trigger)
	}
	hb := assign.Heartbeat{}
	for _, task := range set.Tasks {
		hb.Tasks = append(hb.Tasks, assign.TaskStatus{TaskID: task.ID, JobID: task.JobID, Attempt: task.Attempt,
			Vertex: task.Vertex, Subtask: task.Subtask, State: assign.TaskRunning})
		hb.Acks = append(hb.Acks, assign.Ack{TaskID: task.ID, JobID: task.JobID, Attempt: task.Attempt, Checkpoint: trigger.Checkpoint, Handle: "h"})
	}
	var reply assign.HeartbeatReply
	if status := w.do(http.MethodPost, assign.PathHeartbeat(w.id), w.token, hb, &reply); status != http.StatusOK {
		t.Fatalf("heartbeat with acks = %d", status)
	}
	waitFor(t, 5*time.Second, "completion notice", func() bool {
		reply, _ := w.heartbeat(set, assign.TaskRunning)
		return len(reply.Completed) == 1 && reply.Completed[0].Checkpoint == 1 && len(reply.Triggers) == 0
	})
	j, _ := n.fsm.Job("job1")
	if j.LatestCheckpoint == nil || j.LatestCheckpoint.ID != 1 || j.NextCheckpoint != 2 {
		t.Fatalf("job checkpoints: latest %+v next %d", j.LatestCheckpoint, j.NextCheckpoint)
	}
	// a restarted attempt restores from it
	if err := n.RestartJob(context.Background(), "job1", "test"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "attempt 2 assigned", func() bool {
		s, _ := w.poll(set.Index, time.Second)
		set = s
		return len(s.Tasks) == 3 && s.Tasks[0].Attempt == 2
	})
	if r := set.Tasks[0].Restore; r == nil || r.ID != 1 || r.Location != "file:///ckpt/1" {
		t.Errorf("attempt 2 restores from %+v", r)
	}
}

// TestCheckpointStorageForWorkers: the checkpoint storage the servers serve answers workers with
// their token and id only, lets a worker write state only of the jobs it runs, and lists and
// deletes nothing for workers (the coordinator does that on the server).
func TestCheckpointStorageForWorkers(t *testing.T) {
	t.Parallel()
	store, err := checkpoint.NewFileStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n := startCluster(t, 1, func(c *Config) { c.CheckpointStorage = store })[0]
	w1, w2 := register(t, n.url, 1, "w1"), register(t, n.url, 1, "w2")
	if err := n.SubmitJob(context.Background(), JobSpec{ID: "job1", Graph: testGraph(t, 1)}); err != nil {
		t.Fatal(err)
	}
	j, _ := n.fsm.Job("job1")
	holder, other := w1, w2
	if !containsWorker(j, w1.id) {
		holder, other = w2, w1
	}
	call := func(method, path, worker, token string) int {
		t.Helper()
		req, _ := http.NewRequest(method, n.url+assign.PathCheckpoints+path, strings.NewReader("state"))
		if worker != "" {
			req.Header.Set(assign.WorkerHeader, worker)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	put := "/states?job=job1&checkpoint=1&operator=op&subtask=0&kg_start=0&kg_end=127"
	for _, c := range []struct {
		what                 string
		method, path, worker string
		token                string
		want                 int
	}{
		{"holder writes", http.MethodPut, put, holder.id, holder.token, http.StatusCreated},
		{"other worker writes", http.MethodPut, put, other.id, other.token, http.StatusForbidden},
		{"a token of another worker", http.MethodPut, put, holder.id, other.token, http.StatusUnauthorized},
		{"no worker id", http.MethodPut, put, "", holder.token, http.StatusUnauthorized},
		{"holder reads metadata", http.MethodGet, "/metadata?job=job1&id=1", holder.id, holder.token, http.StatusNotFound},
		{"holder lists", http.MethodGet, "/states/list?job=job1", holder.id, holder.token, http.StatusForbidden},
		{"holder deletes", http.MethodDelete, "/metadata?job=job1&id=1", holder.id, holder.token, http.StatusForbidden},
		{"the join token", http.MethodGet, "/states/list?job=job1", "", testJoinToken, http.StatusUnauthorized},
	} {
		if got := call(c.method, c.path, c.worker, c.token); got != c.want {
			t.Errorf("%s: %d, want %d", c.what, got, c.want)
		}
	}
	if refs, err := store.ListStates(context.Background(), "job1"); err != nil || len(refs) != 1 {
		t.Errorf("stored states = %v %v, want the holder's one", refs, err)
	}
}
