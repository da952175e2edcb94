// Package scheduler is Flowplane's HA JobManager (DESIGN §4–5): a hashicorp/raft node whose FSM
// (go-memdb) holds workers, slots and jobs; leader-only subsystems (resource manager with
// in-memory worker leases, job masters with placement and restart strategies, the dispatcher
// converging Postgres' desired deployments); and the worker-facing HTTP API of dataflow/assign,
// which any server answers from its own replica (writes are forwarded to the leader).
//
// Files: command.go (log entry encoding), state.go (tables), fsm.go and apply_*.go (appliers),
// node.go (Raft and formation), leader.go (leader subsystems), leases.go, jobmaster.go,
// restart.go, workerapi.go, internal.go (server-to-server HTTP), dispatcher.go, admin.go.
package scheduler
