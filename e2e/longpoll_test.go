package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/flowplane/flowplane/scheduler"
	"github.com/flowplane/flowplane/workers"
)

// cluster3 forms a 3-server cluster whose Raft and HTTP listeners sit behind proxies (cut a
// Raft proxy to stop a server receiving the log; cut an HTTP proxy to hide it from workers).
type cluster3 struct {
	nodes []*node
	raft  []*proxy
	http  []*proxy
}

func startCluster3(t *testing.T, lease time.Duration) *cluster3 {
	t.Helper()
	c := &cluster3{}
	for i := range 3 {
		rp := newProxy(t, "")
		o := nodeOpts{expect: 3, lease: lease, advertise: rp.Addr(), name: "s" + string(rune('1'+i))}
		if i > 0 {
			o.expect, o.join = 0, []string{c.nodes[0].url}
		}
		n := startNode(t, o)
		rp.target.Store(&n.raftBind)
		c.nodes, c.raft = append(c.nodes, n), append(c.raft, rp)
		c.http = append(c.http, newProxy(t, n.addr))
	}
	waitFor(t, 15*time.Second, "3 members and a leader", func() bool {
		l := leaderOf(c.nodes)
		return l != nil && len(l.Cluster().Members) == 3
	})
	return c
}

// roles returns the indexes of the leader and the two followers.
func (c *cluster3) roles(t *testing.T) (l, f1, f2 int) {
	t.Helper()
	var fs []int
	l = -1
	for i, n := range c.nodes {
		if n.IsLeader() {
			l = i
		} else {
			fs = append(fs, i)
		}
	}
	if l < 0 || len(fs) != 2 {
		t.Fatalf("no single leader among %d nodes", len(c.nodes))
	}
	return l, fs[0], fs[1]
}

func submitProbe(t *testing.T, s *scheduler.Server, id string, par int) {
	t.Helper()
	if err := s.SubmitJob(context.Background(), scheduler.JobSpec{ID: id, Graph: probeGraph(t, par)}); err != nil {
		t.Fatalf("SubmitJob %s: %v", id, err)
	}
}

// TestStaleFollowerNeverDropsLiveTasks: a worker reaches the servers through a follower that
// is cut from the Raft log (its replica stops advancing) after the worker already applied a
// newer task set from another server. Its stale answers never stop a live task, restart one
// or make the worker register again; the worker moves on to a current server.
func TestStaleFollowerNeverDropsLiveTasks(t *testing.T) {
	t.Parallel()
	const lease = 3 * time.Second
	c := startCluster3(t, lease)
	l, stale, other := c.roles(t)
	leader := c.nodes[l]
	ps := &probes{}
	// The worker knows two followers: `other`, then `stale` (both forward heartbeats).
	w := startAgent(t, "w", []string{c.http[other].URL(), c.http[stale].URL()}, 2, ps.registry(t, "w", nil), nil)
	waitFor(t, 10*time.Second, "the worker registered", func() bool { return leader.Cluster().ActiveWorker == 1 && w.WorkerID() != "" })
	submitProbe(t, leader.Server, "job1", 1)
	waitFor(t, 10*time.Second, "job1 running", func() bool { return len(ps.live()) == 1 })
	waitFor(t, 10*time.Second, "the stale-to-be follower applied job1", func() bool {
		return c.nodes[stale].FSM().Index() >= leader.FSM().Index()
	})

	c.raft[stale].Cut()
	staleIndex := c.nodes[stale].FSM().Index()
	submitProbe(t, leader.Server, "job2", 1)
	waitFor(t, 10*time.Second, "job2 running (assigned through the current follower)", func() bool { return len(ps.live()) == 2 })
	if got := c.nodes[stale].FSM().Index(); got != staleIndex {
		t.Fatalf("the cut follower applied entries: index %d -> %d", staleIndex, got)
	}

	// Hide the current follower until the worker has asked the stale one (its only other
	// server), then bring it back.
	c.http[other].Cut()
	cutAt := time.Now()
	waitFor(t, 10*time.Second, "a blocking query to the stale follower", func() bool {
		return c.nodes[stale].reqs.count("assignments", cutAt, time.Now()) >= 1
	})
	c.http[other].Heal()
	// Longer than a lease: the worker kept its tasks and registration throughout.
	id := w.WorkerID()
	waitFor(t, 15*time.Second, "a lease past the cut and heartbeats through the current follower", func() bool {
		return time.Since(cutAt) > lease+lease/2 && c.nodes[other].reqs.count("heartbeat", cutAt.Add(lease), time.Now()) >= 2
	})
	if c.nodes[stale].FSM().Index() != staleIndex {
		t.Fatalf("the cut follower caught up during the test: not stale any more")
	}
	events := ps.all()
	if len(events) != 2 || len(ps.live()) != 2 {
		t.Fatalf("probe events %+v: want only the 2 openings (no task stopped or restarted)", events)
	}
	if w.WorkerID() != id || leader.Cluster().ActiveWorker != 1 {
		t.Fatalf("the worker registered again (%s -> %s) or was lost", id, w.WorkerID())
	}
	for _, job := range []string{"job1", "job2"} {
		if j, _ := leader.FSM().Job(job); j.Attempt != 1 || j.Status != scheduler.JobRunning {
			t.Fatalf("%s = %s attempt %d (%s)", job, j.Status, j.Attempt, j.Reason)
		}
	}
	t.Logf("stale follower answered %d blocking queries, %d heartbeats after the cut",
		c.nodes[stale].reqs.count("assignments", cutAt, time.Now()), c.nodes[stale].reqs.count("heartbeat", cutAt, time.Now()))
}

// TestNoHotLoopWhenServersFail: a worker whose only server lost its quorum (every heartbeat is
// refused with 503, blocking queries see no change), and then whose server is dead (connection
// refused), keeps a bounded request rate.
func TestNoHotLoopWhenServersFail(t *testing.T) {
	t.Parallel()
	const lease = 2 * time.Second
	c := startCluster3(t, lease)
	l, f, other := c.roles(t)
	ps := &probes{}
	w := startAgent(t, "w", []string{c.http[f].URL()}, 1, ps.registry(t, "w", nil), func(cfg *workers.Config) {
		cfg.BackoffMin, cfg.BackoffMax = 50*time.Millisecond, 500*time.Millisecond
	})
	waitFor(t, 10*time.Second, "the worker registered", func() bool { return c.nodes[l].Cluster().ActiveWorker == 1 && w.WorkerID() != "" })
	submitProbe(t, c.nodes[l].Server, "job1", 1)
	waitFor(t, 10*time.Second, "job1 running", func() bool { return len(ps.live()) == 1 })

	// Quorum lost: the follower answers every heartbeat with an error.
	c.nodes[l].kill()
	c.nodes[other].kill()
	srv := c.nodes[f]
	waitFor(t, 10*time.Second, "the worker to fence itself", func() bool { return len(ps.live()) == 0 })
	from := time.Now()
	waitFor(t, 10*time.Second, "a 2 s window", func() bool { return time.Since(from) > 2*time.Second })
	to := time.Now()
	hb, polls, all := srv.reqs.count("heartbeat", from, to), srv.reqs.count("assignments", from, to), srv.reqs.count("", from, to)
	// Heartbeats retry about every lease/12 (jittered), blocking queries wait 1 s or back off
	// from 50 ms to 500 ms: a few dozen requests; a hot loop makes thousands.
	if hb < 2 || all > 60 {
		t.Fatalf("server without quorum got %d requests (%d heartbeats, %d polls) in %s", all, hb, polls, to.Sub(from))
	}
	t.Logf("server without quorum: %d heartbeats, %d polls in %s", hb, polls, to.Sub(from))

	// Dead: nothing answers behind the proxy (each request fails at once).
	srv.kill()
	waitFor(t, 10*time.Second, "a failed connection", func() bool { return c.http[f].accepted.Load() > 0 })
	start := c.http[f].accepted.Load()
	from = time.Now()
	waitFor(t, 10*time.Second, "a 2 s window", func() bool { return time.Since(from) > 2*time.Second })
	if n := c.http[f].accepted.Load() - start; n < 2 || n > 60 {
		t.Fatalf("%d connection attempts to a dead server in %s", n, time.Since(from))
	} else {
		t.Logf("dead server: %d connection attempts in %s", n, time.Since(from))
	}
}
