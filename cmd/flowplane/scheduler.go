package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/pflag"

	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/scheduler"
	"github.com/flowplane/flowplane/services/api"
)

// schedulerConfig is the scheduler node of `flowplane server` (and dev).
type schedulerConfig struct {
	raftAddr        string
	raftAdvertise   string
	dataDir         string
	bootstrapExpect int
	join            []string
	joinToken       string
	clusterToken    string
	lease           time.Duration
	advertise       string
	checkpoints     checkpointConfig
}

// checkpointConfig is where and how often the scheduler checkpoints jobs (DESIGN §7).
type checkpointConfig struct {
	storage  string // file or postgres
	dir      string // file storage: directory or file:// URL (default <data-dir>/checkpoints)
	interval time.Duration
	timeout  time.Duration
	retained int
}

func addSchedulerFlags(f *pflag.FlagSet, c *schedulerConfig) {
	f.StringVar(&c.raftAddr, "raft-addr", "127.0.0.1:7946", "address of this server's Raft (scheduler) transport")
	f.StringVar(&c.raftAdvertise, "raft-advertise", "", "the Raft address other servers dial (default: --raft-addr; required when it binds 0.0.0.0)")
	f.StringVar(&c.dataDir, "data-dir", "flowplane-data", "directory of the scheduler's Raft log, stable store and snapshots")
	f.IntVar(&c.bootstrapExpect, "bootstrap-expect", 0, "form a new scheduler cluster once this many servers joined (1: alone)")
	f.StringSliceVar(&c.join, "join", nil, "internal URLs (http://host:port) of servers to join through")
	f.StringVar(&c.joinToken, "worker-join-token", "", "secret workers present to register (required with a scheduler)")
	f.StringVar(&c.clusterToken, "cluster-token", "", "secret servers present to join each other (default: the worker join token)")
	f.DurationVar(&c.lease, "lease", 10*time.Second, "how long a worker's lease lasts without a heartbeat")
	f.StringVar(&c.advertise, "advertise", "", "this server's URL as other servers reach it (default: http:// + the --http address)")
	f.StringVar(&c.checkpoints.storage, "checkpoint-storage", "file", "where checkpoints are kept: 'file' (--checkpoint-dir; one server or a shared disk) or 'postgres' (the Flowplane database; several servers)")
	f.StringVar(&c.checkpoints.dir, "checkpoint-dir", "", "checkpoint directory (path or file:// URL) of --checkpoint-storage file (default: <data-dir>/checkpoints)")
	f.DurationVar(&c.checkpoints.interval, "checkpoint-interval", checkpoint.DefaultInterval, "default interval between a job's checkpoints (a deployment may set its own)")
	f.DurationVar(&c.checkpoints.timeout, "checkpoint-timeout", checkpoint.DefaultTimeout, "a checkpoint not complete by then is aborted")
	f.IntVar(&c.checkpoints.retained, "checkpoints-retained", scheduler.DefaultCheckpointsRetained, "completed checkpoints kept per job")
}

// enabled reports whether the server runs a scheduler node.
func (c schedulerConfig) enabled() bool { return c.bootstrapExpect > 0 || len(c.join) > 0 }

func (c schedulerConfig) validate() error {
	if !c.enabled() {
		return nil
	}
	if c.joinToken == "" {
		return errors.New("--worker-join-token (FLOWPLANE_WORKER_JOIN_TOKEN) is required with --bootstrap-expect or --join")
	}
	if _, _, err := net.SplitHostPort(c.raftAddr); err != nil {
		return fmt.Errorf("--raft-addr %q: want host:port", c.raftAddr)
	}
	if c.lease <= 0 {
		return errors.New("--lease must be positive")
	}
	return c.checkpoints.validate()
}

func (c checkpointConfig) validate() error {
	switch c.storage {
	case "file", "postgres":
	default:
		return fmt.Errorf("--checkpoint-storage %q: want file or postgres", c.storage)
	}
	if c.interval < 10*time.Millisecond || c.timeout <= 0 || c.retained < 1 {
		return errors.New("--checkpoint-interval must be at least 10ms, --checkpoint-timeout positive and --checkpoints-retained at least 1")
	}
	return nil
}

// openCheckpointStorage opens the configured checkpoint storage.
func openCheckpointStorage(ctx context.Context, c schedulerConfig, pool *pgxpool.Pool) (checkpoint.Storage, error) {
	if c.checkpoints.storage == "postgres" {
		if pool == nil {
			return nil, errors.New("--checkpoint-storage postgres needs the database")
		}
		return checkpoint.NewPostgresStorage(ctx, pool)
	}
	dir := strings.TrimPrefix(c.checkpoints.dir, "file://")
	if dir == "" {
		dir = filepath.Join(c.dataDir, "checkpoints")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("--checkpoint-dir: %w", err)
	}
	return checkpoint.NewFileStorage(abs)
}

// startScheduler starts the node; internalURL is where the other servers reach this one.
// store is the checkpoint storage (openCheckpointStorage), served to the workers.
func startScheduler(c schedulerConfig, log *slog.Logger, pool *pgxpool.Pool, store checkpoint.Storage, internalURL string) (*scheduler.Server, error) {
	if c.advertise != "" {
		internalURL = c.advertise
	}
	log.Info("checkpoint storage", "location", store.Location(), "interval", c.checkpoints.interval)
	if c.checkpoints.storage == "file" && (c.bootstrapExpect > 1 || len(c.join) > 0) {
		log.Warn("file checkpoint storage in a cluster of several servers: a new leader finds the checkpoints only if --checkpoint-dir is a disk all servers share; use --checkpoint-storage postgres otherwise")
	}
	return scheduler.New(scheduler.Config{RaftAddr: c.raftAddr, RaftAdvertise: c.raftAdvertise, HTTPAddr: internalURL, DataDir: c.dataDir,
		BootstrapExpect: c.bootstrapExpect, Join: c.join, JoinToken: c.joinToken, ClusterToken: c.clusterToken,
		Lease: c.lease, Pool: pool, Logger: log.With("component", "scheduler"),
		CheckpointStorage: store,
		Checkpoints: scheduler.CheckpointCoordinators(scheduler.CheckpointOptions{Storage: store,
			Interval: c.checkpoints.interval, Timeout: c.checkpoints.timeout, Retained: c.checkpoints.retained}),
	})
}

// schedulerView adapts the scheduler node to the API's SchedulerView.
type schedulerView struct{ s *scheduler.Server }

func (v schedulerView) Cluster(context.Context) api.ClusterView {
	c := v.s.Cluster()
	out := api.ClusterView{Self: c.Self, State: c.State, LeaderID: c.LeaderID, LeaderAddr: c.LeaderAddr, Term: c.Term,
		LastApplied: c.LastApplied, CommitIndex: c.CommitIndex, Workers: c.Workers, ActiveWorkers: c.ActiveWorker}
	for _, m := range c.Members {
		out.Members = append(out.Members, api.MemberView{ID: m.ID, RaftAddr: m.RaftAddr, HTTPAddr: m.HTTPAddr, Voter: m.Voter, Leader: m.Leader})
	}
	return out
}

func (v schedulerView) TransferLeadership(ctx context.Context) error {
	err := v.s.TransferLeadership(ctx)
	if errors.Is(err, scheduler.ErrNotLeader) {
		return fmt.Errorf("%w: %w", api.ErrNotLeader, err)
	}
	return err
}

func (v schedulerView) LeaderKnown(ctx context.Context) error { return v.s.LeaderKnown(ctx) }

func (v schedulerView) ServiceUsage(_ context.Context, serviceID string) (int, int) {
	u := v.s.ServiceUsage(serviceID)
	return u.Workers, u.SlotsUsed
}

func (v schedulerView) JobVertices(ctx context.Context, deploymentID string) ([]api.VertexView, bool) {
	info, err := v.s.LiveJobStatus(ctx, deploymentID)
	if err != nil {
		return nil, false
	}
	var out []api.VertexView
	for _, x := range info.Vertices {
		out = append(out, api.VertexView{ID: x.ID, Name: x.Name, Parallelism: x.Parallelism, States: x.States,
			RecordsIn: x.RecordsIn, RecordsOut: x.RecordsOut, RecordsInPerSec: x.RecordsInPerSec,
			RecordsOutPerSec: x.RecordsOutPerSec, Backpressure: x.Backpressure, Busy: x.Busy, Watermark: x.Watermark})
	}
	return out, true
}
