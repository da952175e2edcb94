package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/flowplane/flowplane/scheduler"
)

// TestPartitionedWorkerFencesBeforeReassignment cuts one worker from the servers (its HTTP link
// goes through a proxy; its data plane and the other worker stay connected): the worker stops
// its tasks before the scheduler's replacement attempt starts any task, and after healing it
// registers again without restarting any task of the old attempt, so exactly one attempt runs.
func TestPartitionedWorkerFencesBeforeReassignment(t *testing.T) {
	t.Parallel()
	const lease = 1500 * time.Millisecond
	n := startNode(t, nodeOpts{expect: 1, lease: lease, name: "s1"})
	waitFor(t, 10*time.Second, "leader", n.IsLeader)
	link := newProxy(t, n.addr)
	ps := &probes{}
	cut := startAgent(t, "cut", []string{link.URL()}, 2, ps.registry(t, "cut", nil), nil)
	startAgent(t, "ok", []string{n.url}, 2, ps.registry(t, "ok", nil), nil)
	waitFor(t, 10*time.Second, "2 workers", func() bool { return n.Cluster().ActiveWorker == 2 })
	oldID := workerNamed(n.Server, "cut")

	ctx := context.Background()
	zero := int64(0)
	if err := n.SubmitJob(ctx, scheduler.JobSpec{ID: "job1", Graph: probeGraph(t, 2),
		Restart: scheduler.RestartStrategy{Type: scheduler.RestartFixed, DelayMillis: &zero}}); err != nil {
		t.Fatal(err)
	}
	// Spread: one subtask per worker.
	waitFor(t, 10*time.Second, "attempt 1 running on both workers", func() bool {
		live := ps.live()
		return len(live) == 2 && live[0].worker != live[1].worker
	})
	waitFor(t, 10*time.Second, "job RUNNING", func() bool { j, _ := n.FSM().Job("job1"); return j.Status == scheduler.JobRunning })

	link.Cut()
	cutAt := time.Now()
	waitFor(t, 10*time.Second, "attempt 2 running", func() bool {
		j, _ := n.FSM().Job("job1")
		return j.Attempt == 2 && j.Status == scheduler.JobRunning && len(ps.live()) == 2
	})
	var fencedAt, firstNew time.Time
	for _, e := range ps.all() {
		switch {
		case e.worker == "cut" && e.attempt == 1 && !e.open:
			fencedAt = e.at
		case e.attempt == 2 && e.open && (firstNew.IsZero() || e.at.Before(firstNew)):
			firstNew = e.at
			if e.worker != "ok" {
				t.Fatalf("attempt 2 placed a subtask on the partitioned worker: %+v", e)
			}
		}
	}
	if fencedAt.IsZero() {
		t.Fatalf("the partitioned worker never stopped its task: %+v", ps.all())
	}
	if !fencedAt.Before(firstNew) {
		t.Fatalf("partitioned worker stopped its task %s after the new attempt started (cut at +0, fenced +%s, new attempt +%s)",
			fencedAt.Sub(firstNew), fencedAt.Sub(cutAt), firstNew.Sub(cutAt))
	}
	t.Logf("cut at +0: fenced +%s, attempt 2 started +%s (lease %s)", fencedAt.Sub(cutAt), firstNew.Sub(cutAt), lease)

	link.Heal()
	waitFor(t, 10*time.Second, "the partitioned worker to register again", func() bool {
		id := workerNamed(n.Server, "cut")
		return id != "" && id != oldID && cut.WorkerID() == id
	})
	// A few heartbeat periods after the heal: exactly one attempt runs, nothing of attempt 1.
	healed := time.Now()
	waitFor(t, 10*time.Second, "heartbeats from the new registration", func() bool {
		return n.reqs.count("heartbeat", healed, time.Now()) >= 6
	})
	j, _ := n.FSM().Job("job1")
	if j.Attempt != 2 || j.Status != scheduler.JobRunning {
		t.Fatalf("job after healing = %s attempt %d (%s)", j.Status, j.Attempt, j.Reason)
	}
	live := ps.live()
	if len(live) != 2 {
		t.Fatalf("live tasks after healing = %+v, want the 2 subtasks of attempt 2", live)
	}
	for _, e := range live {
		if e.attempt != 2 || e.worker != "ok" {
			t.Fatalf("live task after healing: %+v", e)
		}
	}
	opened1 := 0
	for _, e := range ps.all() {
		if e.attempt == 1 && e.open {
			opened1++
		}
	}
	if opened1 != 2 {
		t.Fatalf("attempt 1 subtasks opened %d times, want 2 (none restarted)", opened1)
	}
	if got := cut.Tasks(); len(got) != 0 {
		t.Fatalf("the re-registered worker holds tasks: %+v", got)
	}
}
