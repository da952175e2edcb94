package scheduler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// rawNode is a Raft node over the in-memory transport, for partition fuzzing only (every other
// test runs real TCP).
type rawNode struct {
	id    raft.ServerID
	fsm   *FSM
	r     *raft.Raft
	trans *raft.InmemTransport
}

func startRawCluster(t *testing.T, n int) []*rawNode {
	t.Helper()
	var nodes []*rawNode
	var servers []raft.Server
	for i := range n {
		addr, trans := raft.NewInmemTransport("")
		id := raft.ServerID(fmt.Sprint("n", i))
		nodes = append(nodes, &rawNode{id: id, fsm: NewFSM(), trans: trans})
		servers = append(servers, raft.Server{ID: id, Address: addr})
	}
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				a.trans.Connect(b.trans.LocalAddr(), b.trans)
			}
		}
	}
	for _, nd := range nodes {
		c := raft.DefaultConfig()
		c.LocalID = nd.id
		fastRaftConfig(c)
		c.Logger = newHCLog(testLogger(), "raft")
		store := raft.NewInmemStore()
		r, err := raft.NewRaft(c, nd.fsm, store, store, raft.NewInmemSnapshotStore(), nd.trans)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil {
			t.Fatal(err)
		}
		nd.r = r
		t.Cleanup(func() { _ = r.Shutdown().Error() })
	}
	return nodes
}

func fastRaftConfig(c *raft.Config) {
	c.HeartbeatTimeout, c.ElectionTimeout = 50*time.Millisecond, 50*time.Millisecond
	c.LeaderLeaseTimeout, c.CommitTimeout = 50*time.Millisecond, 5*time.Millisecond
}

func partition(nodes []*rawNode, isolated *rawNode) {
	for _, o := range nodes {
		if o != isolated {
			isolated.trans.Disconnect(o.trans.LocalAddr())
			o.trans.Disconnect(isolated.trans.LocalAddr())
		}
	}
}

func heal(nodes []*rawNode) {
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				a.trans.Connect(b.trans.LocalAddr(), b.trans)
			}
		}
	}
}

// TestPartitionFuzz proposes commands (some retried with the same id, as after an ambiguous
// ErrLeadershipLost) on whichever node leads while random nodes are cut off, then heals: every
// replica must end with the same state and no job twice.
func TestPartitionFuzz(t *testing.T) {
	t.Parallel()
	nodes := startRawCluster(t, 3)
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	g := testGraph(t, 2)
	propose := func(typ CommandType, id string, body any) {
		data, err := Command{Type: typ, ID: id, At: time.Now().UnixMilli(), Body: body}.Encode()
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Second)
		for time.Now().Before(deadline) {
			for _, nd := range nodes {
				if nd.r.State() == raft.Leader {
					_ = nd.r.Apply(data, 200*time.Millisecond).Error() // outcome may be unknown
					return
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	propose(CmdInitCluster, "init", initClusterBody{Secret: bytes.Repeat([]byte{1}, 32)})
	for step := range 150 {
		switch rng.IntN(8) {
		case 0:
			heal(nodes)
			partition(nodes, nodes[rng.IntN(len(nodes))])
		case 1:
			heal(nodes)
		case 2, 3:
			id := fmt.Sprint("w", rng.IntN(4))
			propose(CmdRegisterWorker, "reg-"+id, registerWorkerBody{ID: id, Slots: 2, DataAddr: "a:1"})
		case 4:
			job := fmt.Sprint("job", rng.IntN(5))
			propose(CmdSubmitJob, fmt.Sprint("submit-", job, "-", rng.IntN(2)), JobSpec{ID: job, Graph: g, Restart: zeroDelay()})
		case 5:
			w := fmt.Sprint("w", rng.IntN(4))
			propose(CmdWorkerLost, "lost-"+w, workerLostBody{ID: w, Reason: "fuzz"})
		case 6:
			job := fmt.Sprint("job", rng.IntN(5))
			propose(CmdScheduleJob, fmt.Sprint("sched-", step), scheduleJobBody{ID: job, Attempt: uint64(rng.IntN(4)), GiveUp: rng.IntN(3) == 0})
		case 7:
			job := fmt.Sprint("job", rng.IntN(5))
			propose(CmdTaskStatus, fmt.Sprint("ts-", step), taskStatusBody{Worker: fmt.Sprint("w", rng.IntN(4)), Updates: []taskUpdate{
				{JobID: job, Attempt: uint64(rng.IntN(3)), Vertex: "sink", Subtask: rng.IntN(2), State: []string{"RUNNING", "FAILED", "FINISHED"}[rng.IntN(3)]}}})
		}
	}
	heal(nodes)
	var leader *rawNode
	waitFor(t, 10*time.Second, "a leader after healing", func() bool {
		for _, nd := range nodes {
			if nd.r.State() == raft.Leader {
				leader = nd
				return true
			}
		}
		return false
	})
	if err := leader.r.Barrier(5 * time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	state := func(nd *rawNode) string {
		b, _ := json.Marshal(map[string]any{"jobs": nd.fsm.Jobs(), "workers": nd.fsm.Workers()})
		return string(b)
	}
	waitFor(t, 10*time.Second, "replicas converged", func() bool {
		for _, nd := range nodes {
			if nd.fsm.Index() != leader.fsm.Index() || state(nd) != state(leader) {
				return false
			}
		}
		return true
	})
	seen := map[string]bool{}
	for _, j := range leader.fsm.Jobs() {
		if seen[j.ID] {
			t.Errorf("job %s twice", j.ID)
		}
		seen[j.ID] = true
	}
	t.Logf("%d entries applied, %d jobs, %d workers", leader.fsm.Index(), len(leader.fsm.Jobs()), len(leader.fsm.Workers()))
}
