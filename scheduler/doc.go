// Package scheduler is Flowplane's HA JobManager (DESIGN §4–5): a hashicorp/raft node whose FSM
// (go-memdb) holds workers, slots and jobs; leader-only subsystems (resource manager with
// in-memory worker leases, job master with placement and restart strategies, the dispatcher
// converging Postgres' desired deployments, per-attempt checkpoint coordinators); and the
// worker-facing HTTP API of dataflow/assign, which any server answers from its own replica
// (writes are forwarded to the leader).
//
// Checkpoints: with Config.Checkpoints (CheckpointCoordinators) the leader runs one coordinator
// per RUNNING attempt; a new attempt's tasks restore from the job's latest completed checkpoint
// (Job.LatestCheckpoint, or the starting savepoint of a deployment, which may be another job's).
// A savepoints row PENDING is taken by the running attempt's coordinator; a stop's savepoint
// ends the job FINISHED once its workers got the completion notice; a failed one leaves the
// deployment RUNNING with the reason.
//
// Files:
//
//	command.go        log entries: one type byte + versioned JSON envelope with a command id
//	state.go          the FSM's tables and rows
//	fsm.go            Apply (idempotent by command id), snapshots, watches
//	apply_*.go        one applier per command; placement with slot sharing
//	restart.go        restart strategies
//	query.go          reads and the blocking assignments query
//	node.go           Raft (boltdb with log cache, file snapshots, TCP) and configuration
//	hclog.go          hclog -> slog adapter
//	leader.go         leadership: subsystems switched on after Barrier, off on loss
//	leases.go         worker leases (resource manager)
//	jobmaster.go      starting waiting and restarting jobs
//	dispatcher.go     Postgres -> FSM, status/jobs/events back
//	checkpoints.go    hosting checkpoint coordinators on the leader (triggers, acks, notices)
//	coordinator.go    CheckpointCoordinators: dataflow/checkpoint's Coordinator per attempt
//	savepoints.go     savepoints rows -> TriggerSavepoint; stop with savepoint; outcomes back
//	workerapi.go      the worker protocol (register, assignments, heartbeat) and checkpoint
//	                  storage served to workers (Config.CheckpointStorage)
//	internal.go       server-to-server: join, forwarding to the leader
//	admin.go          Cluster, TransferLeadership, JobStatus, submit/cancel/restart
//	integrations.go   workers' integration route: FSM check, then Config.ResolveIntegration
//	plan.go           the graph a deployment runs: its stored plan (integrations by id)
//	metrics.go        tasks' metrics on the leader; prometheus.go the /metrics collector
package scheduler
