// End-to-end tests of the scheduler with the real worker agent (workers.Agent).

package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/scheduler"
	"github.com/flowplane/flowplane/workers"
)

func TestAgentsRestartOnWorkerLoss(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	url := "http://" + ln.Addr().String()
	s, err := scheduler.New(scheduler.Config{RaftAddr: "127.0.0.1:0", HTTPAddr: url, DataDir: t.TempDir(), BootstrapExpect: 1,
		JoinToken: "jt", Lease: time.Second, Logger: log,
		HeartbeatTimeout: 150 * time.Millisecond, ElectionTimeout: 150 * time.Millisecond, LeaderLeaseTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go http.Serve(ln, s.Handler())
	waitFor(t, "leader", 10*time.Second, s.IsLeader)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var agents []*workers.Agent
	var cancels []context.CancelFunc
	for i := range 2 {
		a, err := workers.New(workers.Config{Servers: []string{url}, Slots: 2, DataAddr: "127.0.0.1:0", JoinToken: "jt",
			Name: "w" + string(rune('1'+i)), Logger: log, Wait: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		actx, acancel := context.WithCancel(ctx)
		cancels = append(cancels, acancel)
		agents = append(agents, a)
		go a.Run(actx)
	}
	waitFor(t, "2 workers", 10*time.Second, func() bool { return s.Cluster().ActiveWorker == 2 })
	b := dataflow.NewGraphBuilder("compat")
	src := b.Vertex("src", 2).Op(operator.KindSequence, operator.SequenceConfig{Rows: 0, BatchSize: 100})
	b.Connect(src, b.Vertex("sink", 2).Op(operator.KindBlackhole, nil), dataflow.RebalanceEdge, operator.SequenceSchema(3))
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	d := int64(600)
	if err := s.SubmitJob(ctx, scheduler.JobSpec{ID: "job1", Graph: g, Restart: scheduler.RestartStrategy{Type: scheduler.RestartFixed, DelayMillis: &d}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "job RUNNING", 10*time.Second, func() bool { j, _ := s.FSM().Job("job1"); return j.Status == scheduler.JobRunning })
	waitFor(t, "metrics", 10*time.Second, func() bool {
		info, _ := s.JobStatus("job1")
		return info.Vertices[1].RecordsIn > 0
	})
	start := time.Now()
	cancels[0]()
	_ = agents[0].Close()
	waitFor(t, "attempt 2 RUNNING", 10*time.Second, func() bool {
		j, _ := s.FSM().Job("job1")
		return j.Status == scheduler.JobRunning && j.Attempt == 2
	})
	t.Logf("worker lost -> running elsewhere in %s", time.Since(start))
}

func TestAgentsSurviveLeaderKill(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	var lns []net.Listener
	var urls []string
	for range 3 {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		lns = append(lns, ln)
		urls = append(urls, "http://"+ln.Addr().String())
	}
	var nodes []*scheduler.Server
	var https []*http.Server
	for i, ln := range lns {
		s, err := scheduler.New(scheduler.Config{RaftAddr: "127.0.0.1:0", HTTPAddr: urls[i], DataDir: t.TempDir(), BootstrapExpect: 3,
			// The lease outlasts an election on a loaded machine: a leader change must never
			// make workers fence themselves (that would restart the job).
			Join: urls, JoinToken: "jt", Lease: 4 * time.Second, Logger: log.With("node", i),
			HeartbeatTimeout: 300 * time.Millisecond, ElectionTimeout: 300 * time.Millisecond, LeaderLeaseTimeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		hs := &http.Server{Handler: s.Handler()}
		go hs.Serve(ln)
		nodes = append(nodes, s)
		https = append(https, hs)
	}
	leader := func() int {
		for i, n := range nodes {
			if n.IsLeader() {
				return i
			}
		}
		return -1
	}
	waitFor(t, "leader", 10*time.Second, func() bool { return leader() >= 0 && len(nodes[leader()].Cluster().Members) == 3 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 2 {
		a, err := workers.New(workers.Config{Servers: urls, Slots: 2, DataAddr: "127.0.0.1:0", JoinToken: "jt",
			Name: "w" + string(rune('1'+i)), Logger: log, Wait: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		go a.Run(ctx)
	}
	l := leader()
	waitFor(t, "2 workers", 10*time.Second, func() bool { return nodes[l].Cluster().ActiveWorker == 2 })
	b := dataflow.NewGraphBuilder("compat")
	src := b.Vertex("src", 2).Op(operator.KindSequence, operator.SequenceConfig{Rows: 0, BatchSize: 100})
	b.Connect(src, b.Vertex("sink", 2).Op(operator.KindBlackhole, nil), dataflow.RebalanceEdge, operator.SequenceSchema(3))
	g, _ := b.Build()
	if err := nodes[l].SubmitJob(ctx, scheduler.JobSpec{ID: "job1", Graph: g}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "job RUNNING", 10*time.Second, func() bool { j, _ := nodes[l].FSM().Job("job1"); return j.Status == scheduler.JobRunning })
	start := time.Now()
	https[l].Close()
	nodes[l].Close()
	var nl int
	waitFor(t, "new leader", 10*time.Second, func() bool { nl = leader(); return nl >= 0 && nl != l })
	t.Logf("new leader after %s", time.Since(start))
	// the job must stay RUNNING at attempt 1 while the new leader takes over the workers
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		j, _ := nodes[nl].FSM().Job("job1")
		if j.Attempt != 1 || j.Status != scheduler.JobRunning {
			t.Fatalf("after the leader kill job1 = %s attempt %d (%s)", j.Status, j.Attempt, j.Reason)
		}
		time.Sleep(100 * time.Millisecond)
	}
	info, _ := nodes[nl].JobStatus("job1")
	t.Logf("job after failover: %s attempt %d, sink records in %d, metrics %v, active workers %d", info.Status, info.Attempt, info.Vertices[1].RecordsIn, info.Metrics, nodes[nl].Cluster().ActiveWorker)
	if nodes[nl].Cluster().ActiveWorker != 2 {
		t.Errorf("workers lost over the failover")
	}
}
