package workers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/dataflow/connectors/egress"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/runtime"
	"github.com/flowplane/flowplane/dataflow/sql/exec"
	"github.com/flowplane/flowplane/workers/exchange"
)

// Defaults of Config.
const (
	DefaultWait       = 30 * time.Second
	DefaultBackoffMin = 200 * time.Millisecond
	DefaultBackoffMax = 10 * time.Second
)

// ErrConfig wraps every invalid agent configuration.
var ErrConfig = errors.New("invalid worker configuration")

// Config configures an Agent.
type Config struct {
	// Servers are the base URLs of the servers' internal listeners, e.g. http://10.0.0.1:8081.
	// The agent uses one at a time and moves on to the next when it fails.
	Servers []string
	// Slots is the number of task slots offered (1..1024).
	Slots int
	// DataAddr is the exchange's listen address, e.g. ":7100" or "127.0.0.1:0".
	DataAddr string
	// AdvertiseAddr is the data address registered with the scheduler and dialed by peers
	// (default: the listener's address).
	AdvertiseAddr string
	// JoinToken authenticates the registration (bearer).
	JoinToken string
	// Labels and Name are registered as given (Name defaults to the host name).
	Labels map[string]string
	Name   string
	// Logger receives the agent's logs (slog.Default() when nil).
	Logger *slog.Logger
	// Registry holds the operator kinds tasks may use (when nil: the built-in and SQL operators,
	// with the agent resolving integrations through the servers; see Egress).
	Registry *operator.Registry
	// Allocator allocates batches (a batch.PoolAllocator when nil).
	Allocator memory.Allocator
	// HTTPClient calls the servers (a client without overall timeout when nil: each call has
	// its own deadline).
	HTTPClient *http.Client
	// Wait is the long-poll wait (DefaultWait when zero; at most assign.MaxWait).
	Wait time.Duration
	// BackoffMin and BackoffMax bound the jittered exponential backoff after errors.
	BackoffMin, BackoffMax time.Duration
	// IdleTimeout is passed to tasks (runtime.DefaultIdleTimeout when zero).
	IdleTimeout time.Duration
	// Egress is the SSRF policy connectors dial under (the zero Policy: public addresses
	// only), FileRoot the directory filesystem tables live in ("" refuses them) and Print where
	// print sinks write (os.Stdout when nil); all three only when Registry is nil.
	Egress   egress.Policy
	FileRoot string
	Print    io.Writer
	// DropCompleted is a test hook for lost checkpoint-complete notices: when it returns true
	// the delivery of that notice to a task is dropped (a later heartbeat repeats it unless a
	// newer checkpoint supersedes it). Nil delivers every notice.
	DropCompleted func(assign.Completed) bool
}

func (c *Config) validate() error {
	if len(c.Servers) == 0 {
		return fmt.Errorf("%w: at least one server URL is required", ErrConfig)
	}
	for i, s := range c.Servers {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: server %q: want http(s)://host:port", ErrConfig, s)
		}
		c.Servers[i] = strings.TrimRight(s, "/")
	}
	if c.Slots < 1 || c.Slots > 1024 {
		return fmt.Errorf("%w: slots must be 1..1024, got %d", ErrConfig, c.Slots)
	}
	if c.DataAddr == "" {
		return fmt.Errorf("%w: data address is required", ErrConfig)
	}
	if c.JoinToken == "" {
		return fmt.Errorf("%w: join token is required", ErrConfig)
	}
	if c.Wait <= 0 {
		c.Wait = DefaultWait
	}
	c.Wait = min(c.Wait, assign.MaxWait)
	if c.BackoffMin <= 0 {
		c.BackoffMin = DefaultBackoffMin
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = max(DefaultBackoffMax, c.BackoffMin)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Name == "" {
		c.Name, _ = os.Hostname()
	}
	return nil
}

// NewRegistry returns an operator registry with the built-in operators (collect writing into
// coll, left out when coll is nil) and the SQL operators (print sinks writing to print).
func NewRegistry(coll *operator.Collection, print io.Writer) (*operator.Registry, error) {
	return NewRegistryWith(coll, exec.Options{Print: print})
}

// Agent is one worker: it owns the exchange node, the running tasks and the protocol loops.
type Agent struct {
	cfg       Config
	log       *slog.Logger
	node      *exchange.Node
	client    *client
	prom      *prometheus.Registry
	collector *runtime.Collector
	deps      runtime.Deps
	tasks     *taskTable
	metrics   *agentMetrics
	kick      chan struct{} // asks the heartbeat loop for an early heartbeat
	acks      ackQueue

	mu        sync.Mutex
	sess      session
	running   bool
	closed    bool
	cancelRun context.CancelFunc
	runDone   chan struct{} // closed when Run has returned
}

// New validates cfg and starts the exchange listener; Run then registers and runs tasks.
// Close releases the listener when Run is never called.
func New(cfg Config) (*Agent, error) {
	cfg.Servers = append([]string(nil), cfg.Servers...)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	res := &serverResolver{}
	if cfg.Registry == nil {
		reg, err := agentRegistry(cfg, res)
		if err != nil {
			return nil, err
		}
		cfg.Registry = reg
	}
	if cfg.Allocator == nil {
		cfg.Allocator = batch.NewPoolAllocator()
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second,
			ResponseHeaderTimeout: 0, TLSHandshakeTimeout: 10 * time.Second,
		}}
	}
	prom := prometheus.NewRegistry()
	col, err := runtime.NewCollector(prom)
	if err != nil {
		return nil, err
	}
	node, err := exchange.Listen(exchange.Config{
		ListenAddr: cfg.DataAddr, AdvertiseAddr: cfg.AdvertiseAddr, Allocator: cfg.Allocator, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	if host, _, err := net.SplitHostPort(node.Addr()); err == nil && cfg.AdvertiseAddr == "" {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			_ = node.Close()
			return nil, fmt.Errorf("%w: data address %s listens on all interfaces: set the advertise address peers should dial", ErrConfig, node.Addr())
		}
	}
	a := &Agent{
		cfg: cfg, log: cfg.Logger, node: node, client: newClient(hc, cfg.Servers), prom: prom, collector: col,
		kick: make(chan struct{}, 1), runDone: make(chan struct{}),
	}
	a.deps = runtime.Deps{Exchange: node, Registry: cfg.Registry, Allocator: cfg.Allocator, Collector: col, IdleTimeout: cfg.IdleTimeout,
		Storage: newServerStorage(a, hc), Ack: func(ack assign.Ack) {
			a.acks.push(ack)
			a.taskEnded() // an early heartbeat carries the ack
		}}
	a.tasks = newTaskTable(a)
	a.metrics = newAgentMetrics(a)
	res.agent.Store(a)
	if err := prom.Register(a.metrics); err != nil {
		_ = node.Close()
		return nil, err
	}
	return a, nil
}

// DataAddr is the worker's data address (registered with the scheduler, dialed by peers).
func (a *Agent) DataAddr() string { return a.node.Addr() }

// WorkerID is the id of the current registration ("" before the first one).
func (a *Agent) WorkerID() string { return a.session().id }

// session is the current registration (zero before the first one).
func (a *Agent) session() session {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sess
}

// Tasks returns the status of every task the agent holds, as the next heartbeat reports it.
func (a *Agent) Tasks() []assign.TaskStatus { return a.tasks.statuses() }

// Registry is the agent's private Prometheus registry (task and agent metrics).
func (a *Agent) Registry() *prometheus.Registry { return a.prom }

// Close stops Run (waiting for it to return), every task and the exchange listener. Run calls
// it on return.
func (a *Agent) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	cancel := a.cancelRun
	a.mu.Unlock()
	if cancel != nil {
		cancel()
		<-a.runDone
	}
	a.tasks.stopAll("worker shutting down")
	return a.node.Close()
}

// Run registers with the servers and runs the assignment and heartbeat loops until ctx ends or
// Close is called; then it stops every task, closes the exchange listener and returns nil. It
// registers again (under a new worker id) whenever the scheduler says the worker is unknown.
func (a *Agent) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.running || a.closed {
		a.mu.Unlock()
		return fmt.Errorf("%w: Run called twice or after Close", ErrConfig)
	}
	a.running = true
	ctx, a.cancelRun = context.WithCancel(ctx)
	a.mu.Unlock()
	defer func() {
		a.tasks.stopAll("worker shutting down")
		close(a.runDone)
		_ = a.Close()
	}()
	reg := assign.Register{Slots: a.cfg.Slots, DataAddr: a.node.Addr(), Labels: a.cfg.Labels, Name: a.cfg.Name}
	bo := newBackoff(a.cfg.BackoffMin, a.cfg.BackoffMax)
	for ctx.Err() == nil {
		sentAt := time.Now()
		r, err := a.client.register(ctx, a.cfg.JoinToken, reg)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			a.log.Warn("worker registration failed", "err", err)
			if !bo.wait(ctx) {
				break
			}
			continue
		}
		s := newSession(r)
		a.log.Info("worker registered", "worker", s.id, "data_addr", a.node.Addr(), "lease", s.lease, "heartbeat", s.every)
		if a.runSession(ctx, s, sentAt) {
			bo.reset()
		}
		a.tasks.stopAll("worker unknown to the scheduler")
		if ctx.Err() == nil {
			a.log.Warn("scheduler does not know this worker: stopped its tasks, registering again", "worker", s.id)
			if !bo.wait(ctx) {
				break
			}
		}
	}
	return nil
}

func newSession(r assign.Registered) session {
	s := session{id: r.WorkerID, token: r.Token, lease: r.Lease(), every: time.Duration(r.HeartbeatMillis) * time.Millisecond, index: r.Index}
	if s.every <= 0 || s.every > s.lease/2 {
		s.every = s.lease / 3
	}
	return s
}

// runSession runs the poll and heartbeat loops of one registration until the scheduler says the
// worker is unknown or ctx ends. It reports whether the scheduler ever confirmed the worker.
func (a *Agent) runSession(ctx context.Context, s session, registeredAt time.Time) (confirmed bool) {
	a.mu.Lock()
	a.sess = s
	a.mu.Unlock()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.tasks.newSession(s)
	f := newFence(func() { a.tasks.fence("lease not renewed: worker self-fenced") })
	defer f.stop()
	f.renew(registeredAt, s.lease)
	var wg sync.WaitGroup
	var mu sync.Mutex
	confirm := func() {
		mu.Lock()
		confirmed = true
		mu.Unlock()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer cancel()
		a.pollLoop(sctx, s, confirm)
	}()
	go func() {
		defer wg.Done()
		defer cancel()
		a.heartbeatLoop(sctx, s, f, confirm)
	}()
	wg.Wait()
	return confirmed
}

// pollLoop long-polls the assignments and reconciles each answer. It returns when ctx ends or
// the worker is unknown.
func (a *Agent) pollLoop(ctx context.Context, s session, confirm func()) {
	bo := newBackoff(a.cfg.BackoffMin, a.cfg.BackoffMax)
	var index uint64
	for ctx.Err() == nil {
		// The client's deadline outlasts the server's wait and its jitter (up to wait/16).
		rctx, cancel := context.WithTimeout(ctx, a.cfg.Wait+a.cfg.Wait/8+5*time.Second)
		set, err := a.client.assignments(rctx, s, index, a.cfg.Wait)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && unknown(err):
			a.log.Warn("assignments: worker unknown", "worker", s.id, "err", err)
			return
		case err != nil:
			a.metrics.pollErrors.Inc()
			a.log.Warn("assignments failed: backing off", "worker", s.id, "err", err)
			bo.wait(ctx)
			continue
		case !set.Known && a.tasks.staleUnknown(set.Index):
			a.log.Debug("assignments: a replica behind this registration does not know the worker yet", "worker", s.id, "index", set.Index)
			bo.wait(ctx)
			continue
		case !set.Known:
			a.log.Warn("assignments: worker unknown to the answering server", "worker", s.id)
			return
		}
		bo.reset()
		confirm()
		a.tasks.known(set.Index)
		next := a.tasks.apply(set, index)
		if index > 0 && set.Index > index {
			// The scheduler changed something of this worker (e.g. a checkpoint of one of its
			// jobs started or completed): a heartbeat now fetches triggers and notices.
			a.taskEnded()
		}
		if set.Index <= index {
			// No progress (a server answering at once without news): never spin.
			sleepCtx(ctx, jitter(a.cfg.BackoffMin))
		}
		index = next
	}
}

// heartbeatLoop renews the lease every s.every (sooner when a task ended), reporting every
// task's status, and keeps the fence's deadline. It returns when ctx ends or the worker is
// unknown.
func (a *Agent) heartbeatLoop(ctx context.Context, s session, f *fence, confirm func()) {
	t := time.NewTimer(0)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.kick:
			if failing {
				continue // keep the retry pace while the servers fail
			}
		}
		sentAt := time.Now()
		hctx, cancel := context.WithTimeout(ctx, s.every)
		acks := a.acks.take()
		reply, err := a.client.heartbeat(hctx, s, assign.Heartbeat{Tasks: a.tasks.statuses(), Acks: acks})
		cancel()
		if err != nil {
			a.acks.putBack(acks)
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && unknown(err):
			a.log.Warn("heartbeat: worker unknown", "worker", s.id, "err", err)
			return
		case err != nil:
			a.metrics.heartbeatErrors.Inc()
			if !failing {
				a.log.Warn("heartbeat failed: retrying", "worker", s.id, "err", err)
			}
			failing = true
			resetTimer(t, jitter(s.every/3))
			continue
		case !reply.Known:
			a.log.Warn("heartbeat: scheduler declared this worker lost", "worker", s.id)
			return
		}
		if failing {
			a.log.Info("heartbeat succeeded again", "worker", s.id)
			failing = false
		}
		confirm()
		lease := s.lease
		if reply.LeaseMillis > 0 {
			lease = time.Duration(reply.LeaseMillis) * time.Millisecond
		}
		f.renew(sentAt, lease)
		a.tasks.unfence()
		a.tasks.checkpointNotices(reply.Triggers, reply.Completed)
		resetTimer(t, s.every)
	}
}

// taskEnded asks for an early heartbeat so the scheduler learns of it (a task's end or a
// checkpoint ack) at once.
func (a *Agent) taskEnded() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	t.Reset(d)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
