// Package checkpoint owns checkpoint storage: where the state blobs of a checkpoint's tasks and
// the checkpoint's metadata are kept, how they are read back for recovery and rescaling, and
// which of them may be deleted.
//
// Storage is one interface with two implementations: a directory (file:///path, for a single
// host and dev; writes are atomic by temp file, fsync, rename and fsync of the directory) and
// PostgreSQL (blobs as bytea chunks in the Flowplane database, for several hosts without a
// shared disk). Workers, which have no database connection, reach the server's storage through
// RemoteStorage, a client of the HTTP handler NewHandler that the server mounts on its internal
// listener. All three pass the same conformance suite.
//
// A checkpoint is written in two steps: every task puts its state blob (PutState returns a
// Handle, which the task reports in its ack), then the coordinator writes the Metadata naming
// every handle (PutMetadata, durable on return). A checkpoint without metadata, or with
// metadata that is not completed, is never a recovery point, and nothing it wrote is deleted
// by retention (Retain): only completed checkpoints beyond the newest N lose their blobs, and
// only blobs no retained checkpoint, savepoint or unfinished checkpoint names. Savepoints are
// kept until deleted explicitly (DeleteSavepoint).
//
// # Wiring
//
// Task side (worker), at barrier n of a subtask, for each operator with state:
//
//	snap := backend.Snapshot()                                 // on the subtask goroutine: O(1) per key group
//	go func() { ts, err := checkpoint.WriteKeyed(ctx, store, key, vertex, p, snap) ... }()
//	blob, err := sink.SnapshotState(n)                         // non-keyed state: sink commits, offsets
//	ts, err := checkpoint.WriteOperatorState(ctx, store, key, vertex, p, blob)
//	// ack {job, attempt, vertex, subtask, n, []TaskState} in the next heartbeat
//
// Coordinator side (scheduler leader): one Coordinator per job attempt (plain Go, no Raft):
//
//	c, _ := checkpoint.NewCoordinator(checkpoint.CoordinatorConfig{Job: job, Attempt: attempt,
//		Tasks: allSubtasks, Storage: store, Interval: deployment.Interval,
//		AllocateID:      func(ctx) (uint64, error) { /* FSM command: next id, monotonic across leaders */ },
//		Trigger:         func(ctx, id, kind) error { /* assign.Trigger in the source workers' heartbeat replies */ },
//		RecordCompleted: func(ctx, md) error { /* FSM command + checkpoints table row */ },
//		RecordFailed:    func(ctx, md) { /* checkpoints table row, status failed */ },
//		Notify:          func(id) { /* assign.Completed in every worker's heartbeat reply */ },
//	})
//	go c.Run(leaderCtx)                                       // stops on leader loss; deletes nothing
//	c.Ack(ctx, TaskID{string(a.Vertex), a.Subtask}, a.Attempt, a.Checkpoint, a.States, a.Error) // per heartbeat ack
//	c.TriggerNow(ctx, checkpoint.KindSavepoint)               // savepoint API / stop-with-savepoint
//	c.Abort(ctx, "attempt failed")                            // the attempt failed or the job is cancelled
//
// One checkpoint is in flight at a time; it completes when every task acked: Finalize writes
// its metadata durably, then RecordCompleted, then Notify, then Retain and SweepOrphans (below
// the completed id: state of aborted checkpoints and failed attempts). A declined or timed out
// checkpoint is aborted and its acked state deleted. Underneath, Pending collects the acks:
//
//	p := checkpoint.NewPending(job, n, attempt, checkpoint.KindCheckpoint, now, maxPar, store.Location(), tasks)
//	done, err := p.Ack(task, states)        // for every ack, until done
//	md, err := p.Finalize(ctx, store, now)  // durable metadata; then record it in the FSM and PostgreSQL
//
// Recovery (new attempt, any parallelism): md, _ := checkpoint.Latest(ctx, store, job), then per
// subtask RestoreKeyed for keyed state and OperatorStates for source offsets and sink commits
// (the task runtime does this from assign.Task.Restore).
package checkpoint
