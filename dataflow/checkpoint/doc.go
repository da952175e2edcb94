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
// Coordinator side (scheduler leader), per checkpoint n of a job attempt:
//
//	p := checkpoint.NewPending(job, n, attempt, checkpoint.KindCheckpoint, now, maxPar, store.Location(), tasks)
//	done, err := p.Ack(task, states)        // for every ack, until done
//	md, err := p.Finalize(ctx, store, now)  // durable metadata; then record it in the FSM and PostgreSQL
//	// notify the tasks (sinks commit), then: checkpoint.Retain(ctx, store, job, checkpoint.DefaultRetained)
//	p.Abort(ctx, store, reason)             // instead, on decline, timeout or failover
//
// Recovery (new attempt, any parallelism): md, _ := checkpoint.Latest(ctx, store, job), then per
// subtask RestoreKeyed for keyed state and OperatorStates for source offsets and sink commits.
package checkpoint
