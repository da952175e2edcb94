package scheduler

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
)

func TestClusterFailover(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t, 3, nil)
	leader := waitLeader(t, nodes)
	// workers register through a follower (forwarded to the leader)
	var follower *testNode
	for _, n := range nodes {
		if n != leader {
			follower = n
		}
	}
	w1 := register(t, follower.url, 2, "w1")
	w2 := register(t, follower.url, 2, "w2")
	// a follower never answers with a set older than what the worker saw
	if _, status := w1.poll(1<<40, 100*time.Millisecond); status != http.StatusServiceUnavailable {
		t.Errorf("follower poll beyond its index = %d, want 503", status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w1.runLoop(ctx)
	w2.runLoop(ctx)
	if err := leader.SubmitJob(ctx, JobSpec{ID: "job1", Graph: testGraph(t, 2)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "job1 RUNNING", func() bool {
		j, ok := leader.fsm.Job("job1")
		return ok && j.Status == JobRunning
	})
	// a follower serves the job's live metrics from the leader
	waitFor(t, 5*time.Second, "metrics through a follower", func() bool {
		info, err := follower.LiveJobStatus(ctx, "job1")
		return err == nil && info.Metrics && info.Vertices[1].RecordsIn > 0 && info.Vertices[1].States["RUNNING"] == 2
	})
	if info, _ := follower.JobStatus("job1"); info.Metrics {
		t.Error("a follower's local JobStatus claims metrics")
	}
	// kill the leader: a new one is elected, with the state intact and the attempt unchanged
	leader.kill()
	var rest []*testNode
	for _, n := range nodes {
		if n != leader {
			rest = append(rest, n)
		}
	}
	newLeader := waitLeader(t, rest)
	j, ok := newLeader.fsm.Job("job1")
	if !ok || j.Attempt != 1 || j.Status != JobRunning {
		t.Fatalf("after failover job1 = %+v", j)
	}
	// heartbeats keep flowing through the survivors (the test workers use the follower URL)
	if w1.base == leader.url || w2.base == leader.url {
		t.Fatal("test workers talk to the killed leader")
	}
	if err := newLeader.SubmitJob(ctx, JobSpec{ID: "job2", Graph: testGraph(t, 2)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "job2 RUNNING on the new leader", func() bool {
		j, ok := newLeader.fsm.Job("job2")
		return ok && j.Status == JobRunning
	})
	if j, _ := newLeader.fsm.Job("job1"); j.Attempt != 1 {
		t.Errorf("job1 restarted by the failover: attempt %d", j.Attempt)
	}
	info := newLeader.Cluster()
	if info.LeaderID != newLeader.ID() || len(info.Members) != 3 || info.Term < 2 || info.LastApplied == 0 {
		t.Errorf("cluster info = %+v", info)
	}
}

func TestLongPoll(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t, 1, nil)
	n := nodes[0]
	w := register(t, n.url, 2, "w")
	begin := time.Now()
	set, status := w.poll(0, 10*time.Second)
	if status != http.StatusOK || !set.Known || set.Index == 0 || len(set.Tasks) != 0 {
		t.Fatalf("first poll = %d %+v", status, set)
	}
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("poll below the worker's index took %s; it must answer at once", took)
	}
	// nothing changed: the poll waits for the whole (short) wait
	start := time.Now()
	again, _ := w.poll(set.Index, 300*time.Millisecond)
	if waited := time.Since(start); waited < 250*time.Millisecond || again.Index != set.Index {
		t.Errorf("idle poll returned after %s with index %d (want ~300ms, %d)", waited, again.Index, set.Index)
	}
	// a change wakes a waiting poll at once
	done := make(chan assign.Set, 1)
	start = time.Now()
	go func() { s, _ := w.poll(set.Index, 10*time.Second); done <- s }()
	time.Sleep(50 * time.Millisecond) // let the poll block (its result does not depend on it)
	if err := n.SubmitJob(context.Background(), JobSpec{ID: "job1", Graph: testGraph(t, 2)}); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if time.Since(start) > 5*time.Second || got.Index <= set.Index || len(got.Tasks) != 3 {
		t.Errorf("woken poll = index %d with %d tasks after %s", got.Index, len(got.Tasks), time.Since(start))
	}
	// wait is clamped and jittered below the client's deadline
	r, _ := http.NewRequest(http.MethodGet, "/x?index=1&wait=1h", nil)
	if _, wait, ok := waitParams(r); !ok || wait > assign.MaxWait || wait < assign.MaxWait-assign.MaxWait/16 {
		t.Errorf("wait=1h -> %s", wait)
	}
	// bad token, unknown worker
	bad := *w
	bad.token = "nope"
	if _, status := bad.poll(0, time.Second); status != http.StatusUnauthorized {
		t.Errorf("bad token poll = %d", status)
	}
	ghost := *w
	ghost.id = "wrk_ghost"
	ghost.token = workerToken(n.fsm.Secret(), ghost.id)
	if s, status := ghost.poll(0, 100*time.Millisecond); status != http.StatusOK || s.Known {
		t.Errorf("unknown worker poll = %d known=%v", status, s.Known)
	}
	if hb, status := ghost.heartbeat(assign.Set{}, assign.TaskRunning); status != http.StatusOK || hb.Known {
		t.Errorf("unknown worker heartbeat = %d known=%v", status, hb.Known)
	}
}

func TestLeaseExpiryRestartsOnRemainingSlots(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t, 1, func(c *Config) { c.Lease = time.Second })
	n := nodes[0]
	w1 := register(t, n.url, 2, "w1")
	w2 := register(t, n.url, 2, "w2")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w1ctx, killW1 := context.WithCancel(ctx)
	w1.runLoop(w1ctx)
	w2.runLoop(ctx)
	d := int64(0)
	if err := n.SubmitJob(ctx, JobSpec{ID: "job1", Graph: testGraph(t, 2), Restart: RestartStrategy{Type: RestartFixed, DelayMillis: &d}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "job1 RUNNING", func() bool { j, _ := n.fsm.Job("job1"); return j.Status == JobRunning })
	if j, _ := n.fsm.Job("job1"); len(j.Workers()) != 2 {
		t.Fatalf("job1 should spread over both workers: %v", j.Workers())
	}
	killW1()
	lostAt := time.Now()
	waitFor(t, 5*time.Second, "job1 restarted on w2", func() bool {
		j, _ := n.fsm.Job("job1")
		return j.Status == JobRunning && j.Attempt == 2
	})
	j, _ := n.fsm.Job("job1")
	if ws := j.Workers(); len(ws) != 1 || ws[0] != w2.id {
		t.Errorf("attempt 2 runs on %v, want [%s]", ws, w2.id)
	}
	if !strings.Contains(j.Reason, w1.id) {
		t.Errorf("reason %q does not name the lost worker", j.Reason)
	}
	if wk, _ := n.fsm.Worker(w1.id); wk.State != WorkerLost {
		t.Errorf("w1 = %s, want LOST", wk.State)
	}
	t.Logf("worker lost -> running elsewhere in %s (lease 1s)", time.Since(lostAt))
	if set, _ := w1.poll(0, time.Second); set.Known {
		t.Errorf("lost worker still known")
	}
}

func TestInsufficientSlotsFails(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t, 1, func(c *Config) { c.SlotTimeout = 200 * time.Millisecond })
	n := nodes[0]
	register(t, n.url, 1, "w1")
	if err := n.SubmitJob(context.Background(), JobSpec{ID: "big", Graph: testGraph(t, 3)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "job FAILED", func() bool { j, _ := n.fsm.Job("big"); return j.Status == JobFailed })
	j, _ := n.fsm.Job("big")
	if !strings.Contains(j.Reason, "needs 3 slots") {
		t.Errorf("reason = %q", j.Reason)
	}
}

func TestLeadershipFlappingLeavesNoDuplicates(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t, 3, nil)
	register(t, nodes[0].url, 8, "w")
	// watch every node: no term may see two leaders
	var mu sync.Mutex
	leaders := map[uint64]string{}
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			for _, n := range nodes {
				c := n.Cluster()
				if c.State != "Leader" {
					continue
				}
				mu.Lock()
				if prev, ok := leaders[c.Term]; ok && prev != c.Self {
					t.Errorf("term %d has two leaders: %s and %s", c.Term, prev, c.Self)
				}
				leaders[c.Term] = c.Self
				mu.Unlock()
			}
		}
	}()
	spec := JobSpec{ID: "job1", Graph: testGraph(t, 2)}
	for i := range 4 {
		l := waitLeader(t, nodes)
		// the same command (as after an ambiguous ErrLeadershipLost) and a fresh submission of
		// the same job, on every new leader
		if err := l.SubmitJob(context.Background(), spec); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if _, err := l.apply(CmdSubmitJob, newID("cmd"), spec); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		_ = l.TransferLeadership(context.Background())
		waitFor(t, 5*time.Second, "leadership moved", func() bool { return !l.IsLeader() })
	}
	close(stop)
	<-watched
	l := waitLeader(t, nodes)
	waitFor(t, 5*time.Second, "replicas caught up", func() bool {
		for _, n := range nodes {
			if n.fsm.Index() != l.fsm.Index() {
				return false
			}
		}
		return true
	})
	for _, n := range nodes {
		if jobs := n.fsm.Jobs(); len(jobs) != 1 || jobs[0].Attempt != 1 {
			t.Errorf("node %s has %d jobs", n.ID(), len(jobs))
		}
	}
	if len(leaders) < 4 {
		t.Errorf("saw %d terms with a leader, want at least 4", len(leaders))
	}
}

func TestLeaderStepsDownWhenItCannotStart(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t, 3, nil)
	l := waitLeader(t, nodes)
	for _, n := range nodes {
		n.failStarts.Store(1) // whoever wins the next election fails to start once
	}
	_ = l.TransferLeadership(context.Background())
	// a node that cannot start its subsystems hands leadership on; eventually one runs them
	failed := func() int {
		n := 0
		for _, x := range nodes {
			if x.failStarts.Load() < 0 {
				n++
			}
		}
		return n
	}
	waitFor(t, 10*time.Second, "a failed start, then a working leader", func() bool {
		nl := leaderOf(nodes)
		return failed() > 0 && nl != nil && nl.raft.State().String() == "Leader" && nl.failStarts.Load() < 0
	})
}

// TestEveryServerExpectsAndJoinsAll is the docker-compose formation: every server starts with
// --bootstrap-expect 3 and --join naming all three (itself included).
func TestEveryServerExpectsAndJoinsAll(t *testing.T) {
	t.Parallel()
	lns := []net.Listener{listen(t), listen(t), listen(t)}
	var urls []string
	for _, ln := range lns {
		urls = append(urls, "http://"+ln.Addr().String())
	}
	var nodes []*testNode
	for _, ln := range lns {
		nodes = append(nodes, startNodeOn(t, ln, Config{BootstrapExpect: 3, Join: urls}))
	}
	waitFor(t, 10*time.Second, "one cluster of three", func() bool {
		l := leaderOf(nodes)
		return l != nil && len(l.Cluster().Members) == 3 && len(l.fsm.Members()) == 3
	})
	l := leaderOf(nodes)
	for _, n := range nodes {
		if c := n.Cluster(); c.LeaderID != l.ID() || len(c.Members) != 3 {
			t.Errorf("node %s sees leader %q and %d members", n.ID(), c.LeaderID, len(c.Members))
		}
	}
}

func TestTaskFailureRestartsTheJob(t *testing.T) {
	t.Parallel()
	n := startCluster(t, 1, nil)[0]
	w := register(t, n.url, 2, "w")
	d := int64(0)
	if err := n.SubmitJob(context.Background(), JobSpec{ID: "job1", Graph: testGraph(t, 2),
		Restart: RestartStrategy{Type: RestartFixed, Attempts: 1, DelayMillis: &d}}); err != nil {
		t.Fatal(err)
	}
	set, _ := w.poll(0, time.Second)
	if _, status := w.heartbeat(set, assign.TaskFailed); status != http.StatusOK {
		t.Fatalf("heartbeat = %d", status)
	}
	waitFor(t, 5*time.Second, "attempt 2 assigned", func() bool {
		s, _ := w.poll(set.Index, time.Second)
		if len(s.Tasks) > 0 && s.Tasks[0].Attempt == 2 {
			set = s
			return true
		}
		return false
	})
	// the strategy allows one restart: the next failure is final
	w.heartbeat(set, assign.TaskFailed)
	waitFor(t, 5*time.Second, "job FAILED", func() bool { j, _ := n.fsm.Job("job1"); return j.Status == JobFailed })
	j, _ := n.fsm.Job("job1")
	if !strings.Contains(j.Reason, "gave up") || j.Cause != CauseTaskFailed || j.Placed() {
		t.Errorf("job = %s %q cause %q placed=%v", j.Status, j.Reason, j.Cause, j.Placed())
	}
}
