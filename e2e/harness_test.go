package e2e

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/scheduler"
	"github.com/flowplane/flowplane/workers"
)

const joinToken = "e2e-join"

func testLogger(name string) *slog.Logger {
	if os.Getenv("E2E_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", name)
	}
	return slog.New(slog.DiscardHandler)
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// proxy forwards TCP connections to a target until it is cut: then every open connection is
// closed and new ones are accepted but never answered (a black hole) until Heal.
type proxy struct {
	ln       net.Listener
	target   atomic.Pointer[string]
	accepted atomic.Int64 // connections accepted

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	held  []net.Conn
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	p := &proxy{ln: listen(t), conns: map[net.Conn]struct{}{}}
	if target != "" {
		p.target.Store(&target)
	}
	go p.serve()
	t.Cleanup(func() {
		_ = p.ln.Close()
		p.Heal()
		p.closeAll()
	})
	return p
}

func (p *proxy) Addr() string { return p.ln.Addr().String() }
func (p *proxy) URL() string  { return "http://" + p.Addr() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		go p.handle(c)
	}
}

func (p *proxy) handle(c net.Conn) {
	p.mu.Lock()
	if p.cut {
		p.held = append(p.held, c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	var target *string
	for range 500 { // a target set after the listener started (a Raft address)
		if target = p.target.Load(); target != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if target == nil {
		_ = c.Close()
		return
	}
	up, err := net.Dial("tcp", *target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if p.cut {
		p.held = append(p.held, c)
		p.mu.Unlock()
		_ = up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := func() {
		_ = c.Close()
		_ = up.Close()
		p.mu.Lock()
		delete(p.conns, c)
		delete(p.conns, up)
		p.mu.Unlock()
	}
	go func() { _, _ = io.Copy(up, c); done() }()
	go func() { _, _ = io.Copy(c, up); done() }()
}

// Cut closes the open connections and black-holes new ones.
func (p *proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	p.mu.Unlock()
	p.closeAll()
}

// Heal forwards new connections again (the black-holed ones are closed).
func (p *proxy) Heal() {
	p.mu.Lock()
	p.cut = false
	held := p.held
	p.held = nil
	p.mu.Unlock()
	for _, c := range held {
		_ = c.Close()
	}
}

func (p *proxy) closeAll() {
	p.mu.Lock()
	conns := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// requestLog counts the worker API requests a server answered, by kind and time.
type requestLog struct {
	mu   sync.Mutex
	reqs []request
}

type request struct {
	kind string // register | assignments | heartbeat
	at   time.Time
}

func kindOf(path string) string {
	switch {
	case strings.HasSuffix(path, "/assignments"):
		return "assignments"
	case strings.HasSuffix(path, "/heartbeat"):
		return "heartbeat"
	case strings.HasSuffix(path, "/workers"):
		return "register"
	}
	return "other"
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.reqs = append(l.reqs, request{kind: kindOf(r.URL.Path), at: time.Now()})
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// count returns how many requests of kind ("" for all) arrived in [from, to).
func (l *requestLog) count(kind string, from, to time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.reqs {
		if (kind == "" || r.kind == kind) && !r.at.Before(from) && r.at.Before(to) {
			n++
		}
	}
	return n
}

// node is one scheduler server with its internal HTTP API.
type node struct {
	*scheduler.Server
	url      string
	addr     string // host:port of the HTTP listener
	raftBind string // the Raft listener's address
	hs       *http.Server
	reqs     *requestLog
}

func (n *node) kill() {
	_ = n.hs.Close()
	_ = n.Close()
}

type nodeOpts struct {
	expect    int
	join      []string
	lease     time.Duration
	advertise string // Raft advertise address (a proxy); RaftAddr is then a fresh loopback port
	name      string
}

func startNode(t testing.TB, o nodeOpts) *node {
	t.Helper()
	ln := listen(t)
	url := "http://" + ln.Addr().String()
	cfg := scheduler.Config{HTTPAddr: url, RaftAddr: "127.0.0.1:0", DataDir: t.TempDir(), BootstrapExpect: o.expect,
		Join: o.join, JoinToken: joinToken, Lease: o.lease, Logger: testLogger(o.name), SlotTimeout: 10 * time.Second,
		HeartbeatTimeout: 200 * time.Millisecond, ElectionTimeout: 200 * time.Millisecond,
		LeaderLeaseTimeout: 150 * time.Millisecond, CommitTimeout: 5 * time.Millisecond}
	if o.advertise != "" {
		// The transport reports the advertised address only: bind a port known in advance.
		l := listen(t)
		cfg.RaftAddr = l.Addr().String()
		_ = l.Close()
		cfg.RaftAdvertise = o.advertise
	}
	s, err := scheduler.New(cfg)
	if err != nil {
		t.Fatalf("scheduler.New: %v", err)
	}
	n := &node{Server: s, url: url, addr: ln.Addr().String(), raftBind: cfg.RaftAddr, reqs: &requestLog{}}
	n.hs = &http.Server{Handler: n.reqs.wrap(s.Handler()), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = n.hs.Serve(ln) }()
	t.Cleanup(n.kill)
	return n
}

func leaderOf(nodes []*node) *node {
	for _, n := range nodes {
		if n.IsLeader() {
			return n
		}
	}
	return nil
}

// probes records when probe source subtasks open and close, per worker.
type probes struct {
	mu     sync.Mutex
	events []probeEvent
}

type probeEvent struct {
	worker  string
	job     string
	attempt uint64
	subtask int
	open    bool
	at      time.Time
}

// probe is a source that emits nothing and runs until its task stops: an observable task.
type probe struct {
	operator.Base
	p      *probes
	worker string
	ctx    operator.Context
}

func (p *probe) record(open bool) {
	p.p.mu.Lock()
	defer p.p.mu.Unlock()
	p.p.events = append(p.p.events, probeEvent{worker: p.worker, job: p.ctx.JobID, attempt: p.ctx.Attempt,
		subtask: p.ctx.Subtask, open: open, at: time.Now()})
}

func (p *probe) Open(ctx *operator.Context) error {
	p.ctx = *ctx
	p.record(true)
	return nil
}

func (p *probe) Close() error {
	p.record(false)
	return nil
}

func (*probe) ProcessBatch(int, arrow.RecordBatch, operator.Emitter) error { return nil }

func (*probe) Poll(ctx context.Context, _ operator.Emitter) error {
	<-ctx.Done()
	return ctx.Err()
}

func (ps *probes) all() []probeEvent {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]probeEvent(nil), ps.events...)
}

// live returns the probes opened and not closed, as events of their opening.
func (ps *probes) live() []probeEvent {
	open := map[[4]any]probeEvent{}
	for _, e := range ps.all() {
		k := [4]any{e.worker, e.job, e.attempt, e.subtask}
		if e.open {
			open[k] = e
		} else {
			delete(open, k)
		}
	}
	out := make([]probeEvent, 0, len(open))
	for _, e := range open {
		out = append(out, e)
	}
	return out
}

// registry returns the agent registry with the built-ins (collect into coll) and the probe.
func (ps *probes) registry(t testing.TB, worker string, coll *operator.Collection) *operator.Registry {
	t.Helper()
	reg, err := workers.NewRegistry(coll, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Register("probe", func(dataflow.OperatorSpec) (operator.Operator, error) {
		return &probe{p: ps, worker: worker}, nil
	}); err != nil {
		t.Fatal(err)
	}
	return reg
}

// probeGraph is one vertex of probe subtasks.
func probeGraph(t testing.TB, par int) *dataflow.JobGraph {
	t.Helper()
	b := dataflow.NewGraphBuilder("probe")
	b.Vertex("src", par).Op("probe", nil)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// agent is a running worker agent.
type agent struct {
	*workers.Agent
	name   string
	cancel context.CancelFunc
	done   chan struct{}
}

// stop kills the agent (its tasks stop, its exchange closes) and waits for Run to return.
func (a *agent) stop(t testing.TB) {
	t.Helper()
	a.cancel()
	_ = a.Close()
	select {
	case <-a.done:
	case <-time.After(20 * time.Second):
		t.Errorf("agent %s did not stop", a.name)
	}
}

func startAgent(t testing.TB, name string, servers []string, slots int, reg *operator.Registry, tweak func(*workers.Config)) *agent {
	t.Helper()
	cfg := workers.Config{Servers: servers, Slots: slots, DataAddr: "127.0.0.1:0", JoinToken: joinToken, Name: name,
		Logger: testLogger(name), Registry: reg, Wait: time.Second,
		BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond}
	if tweak != nil {
		tweak(&cfg)
	}
	w, err := workers.New(cfg)
	if err != nil {
		t.Fatalf("workers.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &agent{Agent: w, name: name, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		if err := w.Run(ctx); err != nil {
			t.Errorf("agent %s: Run: %v", name, err)
		}
	}()
	t.Cleanup(func() { a.stop(t) })
	return a
}

// workerOf returns the scheduler's worker id of the agent named name (active registration).
func workerNamed(s *scheduler.Server, name string) string {
	for _, w := range s.FSM().Workers() {
		if w.Name == name && w.State == scheduler.WorkerActive {
			return w.ID
		}
	}
	return ""
}
