package scheduler

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow/checkpoint"
)

// Errors of the node.
var (
	ErrNoLeader  = errors.New("no scheduler leader known")
	ErrNotLeader = errors.New("this scheduler node is not the leader")
	ErrConfig    = errors.New("invalid scheduler configuration")
)

// Raft timing defaults of a scheduler node (LAN: a lost leader is replaced in about a second).
const (
	DefaultHeartbeatTimeout   = 500 * time.Millisecond
	DefaultElectionTimeout    = 500 * time.Millisecond
	DefaultLeaderLeaseTimeout = 250 * time.Millisecond
)

// Config configures one scheduler node.
type Config struct {
	// ID names the node in the Raft configuration (default: the Raft address).
	ID string
	// RaftAddr is the TCP address the Raft transport binds, e.g. 127.0.0.1:7946 (":0" picks one).
	RaftAddr string
	// RaftAdvertise is the Raft address the other servers dial (default RaftAddr; required when
	// RaftAddr binds a wildcard address such as 0.0.0.0:7946).
	RaftAdvertise string
	// HTTPAddr is this server's internal HTTP base URL (http://host:port), where the others
	// forward writes and joins.
	HTTPAddr string
	// DataDir holds raft.db (log and stable store) and the snapshots.
	DataDir string
	// BootstrapExpect forms a new cluster once this many servers (this one included) asked to
	// join; 1 bootstraps alone. 0 with Join set joins an existing cluster.
	BootstrapExpect int
	// Join lists other servers' internal HTTP base URLs to join through.
	Join []string
	// JoinToken authenticates worker registration (bearer).
	JoinToken string
	// ClusterToken authenticates server-to-server calls (default: JoinToken).
	ClusterToken string
	// Lease is how long a worker's lease lasts without a heartbeat (default 10 s).
	Lease time.Duration
	// SlotTimeout is how long a job waits for enough free slots before it fails (default 30 s).
	SlotTimeout time.Duration
	// Retention is how long terminal jobs and lost workers stay in the FSM (default 1 h); the
	// control plane keeps their history in Postgres.
	Retention time.Duration
	// Pool is the control plane's database; nil runs no dispatcher.
	Pool *pgxpool.Pool
	// Checkpoints builds the checkpoint coordinator of each running job attempt; nil runs none.
	Checkpoints NewCheckpointCoordinator
	// CheckpointStorage, when set, is served to the workers under assign.PathCheckpoints (for
	// workers without the server's database or disk).
	CheckpointStorage checkpoint.Storage
	// ReconcileInterval is the dispatcher's periodic reconcile (default 5 s).
	ReconcileInterval time.Duration
	Logger            *slog.Logger

	// Raft timing (zero: hashicorp/raft defaults); tests shorten them.
	HeartbeatTimeout, ElectionTimeout, LeaderLeaseTimeout, CommitTimeout time.Duration
	// SnapshotThreshold is how many entries trigger a snapshot (default 8192).
	SnapshotThreshold uint64
	// ResolveIntegration opens the integrations workers ask for (see SetIntegrationResolver).
	ResolveIntegration IntegrationResolver
}

func (c *Config) defaults() error {
	if c.DataDir == "" || c.RaftAddr == "" || c.HTTPAddr == "" {
		return fmt.Errorf("%w: data dir, raft address and HTTP address are required", ErrConfig)
	}
	if c.BootstrapExpect == 0 && len(c.Join) == 0 {
		return fmt.Errorf("%w: set --bootstrap-expect or --join", ErrConfig)
	}
	if c.JoinToken == "" {
		return fmt.Errorf("%w: a worker join token is required", ErrConfig)
	}
	if c.ClusterToken == "" {
		c.ClusterToken = c.JoinToken
	}
	if c.Lease <= 0 {
		c.Lease = 10 * time.Second
	}
	if c.SlotTimeout <= 0 {
		c.SlotTimeout = 30 * time.Second
	}
	if c.Retention <= 0 {
		c.Retention = time.Hour
	}
	if c.ReconcileInterval <= 0 {
		c.ReconcileInterval = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	// Faster than hashicorp/raft's WAN-friendly defaults: a lost leader is replaced in about a
	// second on a LAN.
	if c.HeartbeatTimeout <= 0 {
		c.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
	if c.ElectionTimeout <= 0 {
		c.ElectionTimeout = DefaultElectionTimeout
	}
	if c.LeaderLeaseTimeout <= 0 {
		c.LeaderLeaseTimeout = DefaultLeaderLeaseTimeout
	}
	return nil
}

// Server is one scheduler node: Raft, the FSM replica, the leader subsystems when it leads, and
// the internal HTTP API.
type Server struct {
	cfg       Config
	log       *slog.Logger
	fsm       *FSM
	raft      *raft.Raft
	transport *raft.NetworkTransport
	store     *raftboltdb.BoltStore
	id        raft.ServerID
	client    *http.Client
	notify    <-chan bool

	leader atomic.Pointer[leaderState] // non-nil while the leader subsystems run
	// failStarts makes the next startLeading calls fail (tests of stepping down).
	failStarts atomic.Int32
	pending    pendingPeers // bootstrap-expect: servers that asked to join
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	closeErr   error
	once       sync.Once

	resolver atomic.Pointer[IntegrationResolver] // SetIntegrationResolver
}

// New opens the node's stores, starts Raft and, as configured, bootstraps or joins.
func New(cfg Config) (*Server, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("scheduler data dir: %w", err)
	}
	hl := newHCLog(cfg.Logger, "raft")
	var advertise net.Addr
	if cfg.RaftAdvertise != "" {
		a, err := net.ResolveTCPAddr("tcp", cfg.RaftAdvertise)
		if err != nil {
			return nil, fmt.Errorf("%w: raft advertise address %q: %w", ErrConfig, cfg.RaftAdvertise, err)
		}
		advertise = a
	}
	transport, err := raft.NewTCPTransportWithLogger(cfg.RaftAddr, advertise, 3, 10*time.Second, hl)
	if err != nil {
		return nil, fmt.Errorf("raft transport on %s: %w", cfg.RaftAddr, err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, fsm: NewFSM(), transport: transport,
		client: &http.Client{Timeout: 10 * time.Second}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.open(hl); err != nil {
		_ = transport.Close()
		if s.store != nil {
			_ = s.store.Close()
		}
		return nil, err
	}
	s.wg.Add(1)
	go s.leadershipLoop()
	s.wg.Add(1)
	go s.joinLoop()
	return s, nil
}

func (s *Server) open(hl hclog.Logger) error {
	store, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(s.cfg.DataDir, "raft.db")}) // NoSync false: fsync on
	if err != nil {
		return fmt.Errorf("raft store: %w", err)
	}
	s.store = store
	logs, err := raft.NewLogCache(512, store)
	if err != nil {
		return err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(s.cfg.DataDir, 2, hl)
	if err != nil {
		return fmt.Errorf("raft snapshots: %w", err)
	}
	s.id = raft.ServerID(s.cfg.ID)
	if s.id == "" {
		s.id = raft.ServerID(s.transport.LocalAddr())
	}
	rc := raft.DefaultConfig()
	rc.LocalID = s.id
	rc.Logger = hl
	notify := make(chan bool, 16)
	rc.NotifyCh = notify
	if s.cfg.HeartbeatTimeout > 0 {
		rc.HeartbeatTimeout = s.cfg.HeartbeatTimeout
	}
	if s.cfg.ElectionTimeout > 0 {
		rc.ElectionTimeout = s.cfg.ElectionTimeout
	}
	if s.cfg.LeaderLeaseTimeout > 0 {
		rc.LeaderLeaseTimeout = s.cfg.LeaderLeaseTimeout
	}
	if s.cfg.CommitTimeout > 0 {
		rc.CommitTimeout = s.cfg.CommitTimeout
	}
	if s.cfg.SnapshotThreshold > 0 {
		rc.SnapshotThreshold = s.cfg.SnapshotThreshold
	}
	existing, err := raft.HasExistingState(logs, store, snaps)
	if err != nil {
		return err
	}
	r, err := raft.NewRaft(rc, s.fsm, logs, store, snaps, s.transport)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	s.raft = r
	s.notify = notify
	if !existing && s.cfg.BootstrapExpect == 1 {
		s.bootstrap(nil)
	}
	return nil
}

// bootstrap forms the cluster from this node and peers.
func (s *Server) bootstrap(peers []raft.Server) {
	servers := append([]raft.Server{{ID: s.id, Address: s.transport.LocalAddr()}}, peers...)
	if err := s.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		s.log.Error("bootstrap raft cluster", "err", err)
		return
	}
	s.log.Info("bootstrapped the scheduler cluster", "servers", len(servers))
}

// ID is this node's Raft server id.
func (s *Server) ID() string { return string(s.id) }

// RaftAddr is the address the Raft transport listens on.
func (s *Server) RaftAddr() string { return string(s.transport.LocalAddr()) }

// FSM is the node's replica (read-only use).
func (s *Server) FSM() *FSM { return s.fsm }

// IsLeader reports whether this node leads and its leader subsystems run.
func (s *Server) IsLeader() bool { return s.leader.Load() != nil }

// Close stops the leader subsystems and Raft, and closes the stores.
func (s *Server) Close() error {
	s.once.Do(func() {
		s.cancel()
		err := s.raft.Shutdown().Error()
		s.wg.Wait()
		s.closeErr = errors.Join(err, s.transport.Close(), s.store.Close())
	})
	return s.closeErr
}

const applyTimeout = 5 * time.Second

// apply proposes a command on this node (which must lead) and returns the applier's value or
// business failure; raft errors (ErrNotLeader, ErrLeadershipLost) leave the outcome unknown, and
// retrying with the same id is safe.
func (s *Server) apply(t CommandType, id string, body any) (any, error) {
	v, _, err := s.applyIndex(t, id, body)
	return v, err
}

// applyIndex is apply that also returns the log index the command was committed at.
func (s *Server) applyIndex(t CommandType, id string, body any) (any, uint64, error) {
	data, err := Command{Type: t, ID: id, At: time.Now().UnixMilli(), Body: body}.Encode()
	if err != nil {
		return nil, 0, err
	}
	f := s.raft.Apply(data, applyTimeout)
	if err := f.Error(); err != nil {
		return nil, 0, err
	}
	r, _ := f.Response().(Result)
	return r.Value, f.Index(), r.Err
}

// randomSecret returns 32 random bytes.
func randomSecret() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// splitHostPort validates an address.
func splitHostPort(addr string) error {
	_, _, err := net.SplitHostPort(addr)
	return err
}
