// Package workers is the TaskManager agent (DESIGN §5): a worker registers its slots with the
// scheduler tier, long-polls its assignments, runs the assigned subtasks on the task runtime
// (dataflow/runtime) with the peer TCP exchange (workers/exchange), and renews its lease with
// heartbeats that carry every task's status and metrics.
//
// The agent treats each assignment Set as the full desired state and reconciles: it starts
// missing tasks, stops extra ones and drops tasks of a job attempt older than the newest it has
// seen (attempt fencing). A task that ended (finished, failed, stopped) is never restarted under
// the same id: a restart is a new attempt with new task ids.
//
// Self-fencing: when no heartbeat has succeeded for the lease (measured from the send time of
// the last successful one, less a margin), the agent stops all its tasks, so they are gone
// before the scheduler may reassign them, and reports them FAILED. It keeps heartbeating; when
// a server answers that the worker is unknown (Known=false) it registers again under a new id.
//
// A replica answering Known=false at an index below the one where the worker was already known
// (assign.Registered.Index, or an earlier Set) has not applied the registration yet; the agent
// ignores that answer. An answer behind the highest index applied (a stale follower) changes no
// task until it has been behind for a whole lease. Heartbeat replies come from the leader and
// are always authoritative.
//
// Checkpoints (DESIGN §7): tasks write their state to the servers' checkpoint storage over HTTP
// (checkpoint.RemoteStorage under assign.PathCheckpoints of the server the agent uses, with the
// worker token), so workers need neither the database nor a shared disk. Their acks are queued
// and carried by the next heartbeat (an ack asks for an early one); a heartbeat reply's triggers
// go to the attempt's source tasks and its completion notices to all its tasks, each id once per
// task; a task of a restarted attempt restores from assign.Task.Restore.
//
// Wire types and paths are in dataflow/assign; errors from servers are problem+json documents
// with a stable code (401, 403 and 404 on a worker call mean "register again").
//
// Connectors (Config.Egress, Config.FileRoot): SQL connectors dial through the worker's egress
// policy (--egress-allow) and keep filesystem tables under its file root. A table naming a
// service integration gets its settings from a server when the task connects
// (assign.PathIntegration with the worker token and the task's job and attempt, carried on the
// task's context); a 404 there means the integration is not this task's, never "register again".
//
// Use:
//
//	a, err := workers.New(workers.Config{Servers: []string{"http://10.0.0.1:8080"}, Slots: 4,
//		DataAddr: ":7100", AdvertiseAddr: "10.0.0.5:7100", JoinToken: join, Logger: log})
//	go http.ListenAndServe(":9100", a.Handler())  // /metrics, /healthz
//	err = a.Run(ctx)                               // until ctx ends; stops the tasks
package workers
