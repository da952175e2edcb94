package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/dataflow/checkpoint/chaoscheck"
	"github.com/flowplane/flowplane/dataflow/connectors/postgres"
	"github.com/flowplane/flowplane/scheduler"
	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/workers"
)

var chaosRounds = flag.Int("chaos.stack-rounds", 3, "rounds of the real-stack chaos test (worker kill -9, leader kill and worker partition in turn)")

// Environment of a chaos worker process (this test binary started again by chaosWorker).
const (
	envChaosWorker  = "FLOWPLANE_CHAOS_WORKER" // comma-separated server URLs
	envChaosSinkDSN = "FLOWPLANE_CHAOS_SINK_DSN"
	envChaosName    = "FLOWPLANE_CHAOS_NAME"
	envChaosData    = "FLOWPLANE_CHAOS_DATA"      // data listen address
	envChaosAdv     = "FLOWPLANE_CHAOS_ADVERTISE" // data address peers dial (a proxy)
	envChaosDrop    = "FLOWPLANE_CHAOS_DROP"      // fraction of completion notices dropped
)

// chaosWorkerMain runs a worker agent when this process is a chaos worker (it never returns
// then): the job's operators plus the operator-level exactly-once Postgres sink writing to the
// test's database. It runs until killed. It offers one slot, so the job's two slots are one on
// each worker: a killed worker always held tasks.
func chaosWorkerMain() {
	servers := os.Getenv(envChaosWorker)
	if servers == "" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		// The test holds our stdin open: when it is gone (even killed), so are we.
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(3)
	}()
	pool, err := pgxpool.New(ctx, os.Getenv(envChaosSinkDSN))
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos worker:", err)
		os.Exit(2)
	}
	reg, err := workers.NewRegistry(nil, io.Discard)
	if err == nil {
		err = postgres.RegisterSink(reg, func(context.Context, string) (*pgxpool.Pool, error) { return pool, nil })
	}
	var a *workers.Agent
	if err == nil {
		a, err = workers.New(workers.Config{Servers: strings.Split(servers, ","), Slots: 1, DataAddr: os.Getenv(envChaosData),
			AdvertiseAddr: os.Getenv(envChaosAdv), JoinToken: stackJoinToken, Registry: reg,
			Logger: testLog().With("component", "worker"), Wait: 2 * time.Second, Name: os.Getenv(envChaosName),
			DropCompleted: dropNotices(os.Getenv(envChaosDrop))})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos worker:", err)
		os.Exit(2)
	}
	_ = a.Run(ctx)
	os.Exit(0)
}

// dropNotices is the worker's DropCompleted hook dropping a fraction of completion notices
// (nil when the fraction is empty or zero).
func dropNotices(fraction string) func(assign.Completed) bool {
	p, err := strconv.ParseFloat(fraction, 64)
	if err != nil || p <= 0 {
		return nil
	}
	return func(assign.Completed) bool { return rand.Float64() < p }
}

// chaosWorker is a worker process that reaches the servers through its own TCP proxies (one
// per server), so it can be partitioned from them, and whose peers reach its data address
// through another proxy (data), so it can be cut off from its peers alone; kill9 ends it
// with SIGKILL.
type chaosWorker struct {
	name    string
	cmd     *exec.Cmd
	proxies []*tcpProxy
	data    *tcpProxy
}

func startChaosWorker(t *testing.T, name string, servers []string, dsn string, drop float64) *chaosWorker {
	t.Helper()
	w := &chaosWorker{name: name}
	var urls []string
	for _, s := range servers {
		p := startProxy(t, strings.TrimPrefix(s, "http://"))
		w.proxies = append(w.proxies, p)
		urls = append(urls, "http://"+p.addr())
	}
	listen := freeAddr(t)
	w.data = startProxy(t, listen)
	w.cmd = exec.Command(os.Args[0], "-test.run=^$")
	w.cmd.Env = append(os.Environ(), envChaosWorker+"="+strings.Join(urls, ","), envChaosSinkDSN+"="+dsn, envChaosName+"="+name,
		envChaosData+"="+listen, envChaosAdv+"="+w.data.addr(), envChaosDrop+"="+strconv.FormatFloat(drop, 'f', -1, 64))
	w.cmd.Stdout, w.cmd.Stderr = os.Stderr, os.Stderr
	stdin, err := w.cmd.StdinPipe() // closed when this process ends: the worker then exits
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stdin.Close() })
	t.Cleanup(w.kill9)
	return w
}

// partition cuts (or heals) the worker's connections to every server.
func (w *chaosWorker) partition(cut bool) {
	for _, p := range w.proxies {
		p.setCut(cut)
	}
}

func (w *chaosWorker) kill9() {
	if w.cmd.ProcessState == nil {
		_ = w.cmd.Process.Signal(syscall.SIGKILL)
		_ = w.cmd.Wait()
	}
}

// tcpProxy forwards connections to target; while cut, it closes every connection (those open
// and new ones).
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { _ = ln.Close(); p.setCut(true) })
	go p.serve()
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *tcpProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		_ = c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *tcpProxy) forward(c net.Conn) {
	if !p.track(c) {
		return
	}
	u, err := net.DialTimeout("tcp", p.target, time.Second)
	if err != nil || !p.track(u) {
		_ = c.Close()
		if u != nil {
			_ = u.Close()
		}
		return
	}
	go func() { _, _ = io.Copy(u, c); _ = u.Close() }()
	_, _ = io.Copy(c, u)
	_ = c.Close()
}

func (p *tcpProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			_ = c.Close()
		}
		clear(p.conns)
	}
}

// chaosNode is one scheduler server of the cluster: Raft and its internal HTTP API, restartable
// on the same addresses and data directory (the same Raft server id).
type chaosNode struct {
	httpAddr, raftAddr, dir string
	cfg                     scheduler.Config
	s                       *scheduler.Server
	hs                      *http.Server
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (n *chaosNode) start(t *testing.T) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 100 { // the port of a killed node may take a moment to be free again
		if ln, err = net.Listen("tcp", n.httpAddr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg := n.cfg
	cfg.HTTPAddr, cfg.RaftAddr, cfg.DataDir = "http://"+n.httpAddr, n.raftAddr, n.dir
	if n.s, err = scheduler.New(cfg); err != nil {
		_ = ln.Close()
		t.Fatal(err)
	}
	n.hs = &http.Server{Handler: n.s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = n.hs.Serve(ln) }()
}

// kill stops the node abruptly: its HTTP API and Raft end at once.
func (n *chaosNode) kill() {
	if n.s != nil {
		_ = n.hs.Close()
		_ = n.s.Close()
		n.s = nil
	}
}

// chaosCluster is the real stack of the chaos tests: 3 scheduler servers with PostgreSQL
// checkpoint storage, one-slot worker processes and the chaos job (keyed sequence -> keyed
// count -> exactly-once Postgres sink into chaos_out) running on two of them.
type chaosCluster struct {
	t     *testing.T
	pool  *pgxpool.Pool
	dsn   string
	store checkpoint.Storage
	base  scheduler.Config
	nodes []*chaosNode
	urls  []string
	procs map[string]*chaosWorker
	drop  float64
	n     int    // worker processes spawned
	last  uint64 // latest completed checkpoint seen
}

// chaosOptions: Drop is the fraction of completion notices the workers drop; Dispatcher runs
// the servers' dispatchers on the test database; Pool and DSN name a migrated database to use
// instead of a fresh one of the shared server (pgtest).
type chaosOptions struct {
	Drop       float64
	Dispatcher bool
	Pool       *pgxpool.Pool
	DSN        string
}

const chaosJob = "chaos-real"

func startChaosCluster(t *testing.T, o chaosOptions) *chaosCluster {
	t.Helper()
	ctx := context.Background()
	c := &chaosCluster{t: t, pool: o.Pool, dsn: o.DSN, procs: map[string]*chaosWorker{}, drop: o.Drop}
	if c.pool == nil {
		c.pool = pgtest.NewPool(t)
		c.dsn = c.pool.Config().ConnString()
	}
	if _, err := c.pool.Exec(ctx, "CREATE TABLE chaos_out (k bigint NOT NULL, seq bigint NOT NULL, n bigint NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	var err error
	if c.store, err = checkpoint.NewPostgresStorage(ctx, c.pool); err != nil {
		t.Fatal(err)
	}
	c.base = scheduler.Config{JoinToken: stackJoinToken, Lease: time.Second, Logger: testLog().With("component", "scheduler"),
		HeartbeatTimeout: 150 * time.Millisecond, ElectionTimeout: 150 * time.Millisecond,
		LeaderLeaseTimeout: 100 * time.Millisecond, CommitTimeout: 5 * time.Millisecond,
		CheckpointStorage: c.store,
		Checkpoints: scheduler.CheckpointCoordinators(scheduler.CheckpointOptions{Storage: c.store,
			Interval: 200 * time.Millisecond, Timeout: 5 * time.Second})}
	if o.Dispatcher {
		c.base.Pool, c.base.ReconcileInterval = c.pool, 300*time.Millisecond
	}
	c.nodes = make([]*chaosNode, 3)
	for i := range c.nodes {
		c.nodes[i] = &chaosNode{httpAddr: freeAddr(t), raftAddr: freeAddr(t), dir: t.TempDir(), cfg: c.base}
		c.urls = append(c.urls, "http://"+c.nodes[i].httpAddr)
		if i == 0 {
			c.nodes[i].cfg.BootstrapExpect = 3
		} else {
			c.nodes[i].cfg.Join = []string{c.urls[0]}
		}
	}
	for _, n := range c.nodes {
		n.start(t)
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			n.kill()
		}
	})
	waitFor(t, "a leader of 3 servers", 20*time.Second, func() bool {
		l := c.leader()
		return l != nil && len(l.s.Cluster().Members) == 3
	})
	for range 3 {
		c.spawn() // one slot each: the job's two slots, and a spare
	}
	restart, err := scheduler.ParseRestartStrategy([]byte(`{"type":"fixed-delay","delay_ms":300,"attempts":1000}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.leader().s.SubmitJob(ctx, scheduler.JobSpec{ID: chaosJob, Graph: seqGraph(t, "chaos_out"), Restart: restart}); err != nil {
		t.Fatal(err)
	}
	c.progress("checkpoints of attempt 1", 1)
	return c
}

func (c *chaosCluster) leader() *chaosNode {
	for _, n := range c.nodes {
		if n.s != nil && n.s.IsLeader() {
			return n
		}
	}
	return nil
}

func (c *chaosCluster) spawn() {
	c.n++
	w := startChaosWorker(c.t, fmt.Sprintf("chaos-%d", c.n), c.urls, c.dsn, c.drop)
	c.procs[w.name] = w
}

func (c *chaosCluster) job() *scheduler.Job {
	if l := c.leader(); l != nil {
		if j, ok := l.s.FSM().Job(chaosJob); ok {
			return j
		}
	}
	return &scheduler.Job{}
}

// progress waits until the job runs attempt or a later one and completed two more
// checkpoints, and checks checkpoint ids only grew.
func (c *chaosCluster) progress(what string, attempt uint64) {
	c.t.Helper()
	waitFor(c.t, what, 30*time.Second, func() bool {
		j := c.job()
		return j.Status == scheduler.JobRunning && j.Attempt >= attempt && latestCheckpoint(j) >= c.last+2
	})
	now := latestCheckpoint(c.job())
	if now < c.last {
		c.t.Fatalf("checkpoint ids went backwards: %d after %d", now, c.last)
	}
	c.last = now
}

// victim is a worker process running tasks of the job.
func (c *chaosCluster) victim() *chaosWorker {
	c.t.Helper()
	var found *chaosWorker
	waitFor(c.t, "a worker process running the job", 10*time.Second, func() bool {
		l := c.leader()
		if l == nil {
			return false
		}
		for _, id := range c.job().Workers() {
			if w, ok := l.s.FSM().Worker(id); ok && c.procs[w.Name] != nil {
				found = c.procs[w.Name]
				return true
			}
		}
		return false
	})
	return found
}

// waitAttempt waits until an attempt after attempt runs.
func (c *chaosCluster) waitAttempt(what string, attempt uint64) {
	c.t.Helper()
	waitFor(c.t, what, 30*time.Second, func() bool {
		j := c.job()
		return j.Attempt > attempt && j.Status == scheduler.JobRunning
	})
}

// finish checks storage holds no state of discarded checkpoints, cancels the job and checks
// every key's sequence in the sink has no gap and no duplicate.
func (c *chaosCluster) finish(rounds int) {
	c.t.Helper()
	ctx := context.Background()
	waitFor(c.t, "no state left of discarded checkpoints", 10*time.Second, func() bool {
		return noLeftovers(c.t, c.store, chaosJob, latestCheckpoint(c.job()))
	})
	if err := c.leader().s.CancelJob(ctx, chaosJob, scheduler.JobCanceled, "chaos done"); err != nil {
		c.t.Fatal(err)
	}
	rep, err := chaoscheck.CheckTable(ctx, c.pool, "chaos_out", "k", "seq", chaoscheck.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	if !rep.OK() || rep.Rows == 0 {
		c.t.Fatalf("exactly-once violated: %s", rep)
	}
	var commits int
	if err := c.pool.QueryRow(ctx, `SELECT count(*) FROM flowplane_sink_commits WHERE sink_id = $1`, chaosJob+"/sink").Scan(&commits); err != nil {
		c.t.Fatal(err)
	}
	c.t.Logf("%d rounds: %d rows of %d keys, no gap, no duplicate; last checkpoint %d, attempt %d; %d sink commits of 2 subtasks (notices dropped: %.0f%%)",
		rounds, rep.Rows, rep.Keys, c.last, c.job().Attempt, commits, c.drop*100)
}

// TestChaosRealStackExactlyOnce runs the chaos job (keyed sequence -> keyed count ->
// exactly-once Postgres sink) on a 3-server scheduler cluster with PostgreSQL checkpoint
// storage and three one-slot worker processes (the job needs two), and in turn kill -9s a
// worker process running tasks (a new one joins), kills the Raft leader (restarted on its data
// directory) and partitions a worker running tasks from every server (TCP proxies; healed
// after the job moved). After each the job recovers from the latest checkpoint and keeps
// checkpointing; at the end every key's sequence in the sink has no gap and no duplicate,
// checkpoint ids only grew, and no state of discarded checkpoints is left.
func TestChaosRealStackExactlyOnce(t *testing.T) {
	t.Parallel()
	c := startChaosCluster(t, chaosOptions{})
	for round := range *chaosRounds {
		attempt := c.job().Attempt
		switch round % 3 {
		case 0: // kill -9 a worker process running tasks; a new one joins
			w := c.victim()
			killed := time.Now()
			w.kill9()
			delete(c.procs, w.name)
			c.spawn()
			c.waitAttempt("the next attempt running", attempt)
			running := time.Since(killed)
			c.progress(fmt.Sprintf("round %d: recovery after kill -9 of %s", round, w.name), attempt+1)
			t.Logf("round %d: kill -9 of a worker -> attempt %d RUNNING after %s, checkpointing again after %s (lease %s)",
				round, c.job().Attempt, running.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond), c.base.Lease)
		case 1: // kill the Raft leader; it comes back on its data directory as a follower
			l := c.leader()
			l.kill()
			waitFor(t, "a new leader", 20*time.Second, func() bool { n := c.leader(); return n != nil && n != l })
			l.start(t)
			c.progress(fmt.Sprintf("round %d: checkpoints after a leader kill", round), attempt)
		case 2: // partition a worker running tasks from every server: it fences itself, the job
			// moves to the spare; healed, it registers again as the new spare
			w := c.victim()
			w.partition(true)
			c.progress(fmt.Sprintf("round %d: recovery while %s is partitioned", round, w.name), attempt+1)
			w.partition(false)
		}
	}
	c.finish(*chaosRounds)
}

// noLeftovers reports whether the job keeps at most the retained completed checkpoints and no
// state blob of a checkpoint up to latest that none of them names (newer blobs belong to the
// checkpoint in flight).
func noLeftovers(t *testing.T, s checkpoint.Storage, job string, latest uint64) bool {
	t.Helper()
	ctx := context.Background()
	mds, err := s.ListMetadata(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	named := map[checkpoint.Handle]bool{}
	completed := 0
	for _, md := range mds {
		if md.Status == checkpoint.StatusCompleted && md.Kind == checkpoint.KindCheckpoint {
			completed++
		}
		for _, h := range md.Handles() {
			named[h] = true
		}
	}
	refs, err := s.ListStates(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		if r.Checkpoint <= latest && !named[r.Handle] {
			return false
		}
	}
	return completed <= scheduler.DefaultCheckpointsRetained
}
