// Package postgres connects jobs to a user's PostgreSQL database.
//
// The sink (Sink) is exactly-once: rows are buffered per checkpoint, and when a checkpoint is
// complete the rows of every pending checkpoint up to it are written in one transaction together
// with a commit marker (sink, subtask, checkpoint) in the table flowplane_sink_commits of the
// target database. A marker that is already there means the rows were committed before (a replay
// after restore), so they are skipped; pending commits are part of the sink's checkpointed state
// and retried after a restore. A fence row per sink in flowplane_sink_fences holds the newest
// attempt of the job that claimed it; every commit holds it with a share lock and fails with
// ErrFenced once a newer attempt has claimed it, so no subtask of an older attempt (even one the
// new parallelism no longer has) can write after its replacement started. Both tables are
// created by the sink in the target database.
//
// SinkID must be unique per job (e.g. "<job id>/<operator id>"): markers compare checkpoint ids,
// which are monotonic within a job only. Pending commits restored from another job's savepoint
// keep their original sink id and are committed under its markers.
//
// Append mode writes rows with COPY; upsert mode folds a commit's changelog per primary key and
// writes it as batched INSERT … ON CONFLICT (pk) DO UPDATE and DELETE for retractions.
//
// NewSinkOperator runs Sink as an operator, the only one: the postgres_sink kind
// (RegisterSink) and the SQL sink of the postgres connector (dataflow/sql/exec, ByPosition)
// are configurations of it. It fences older attempts when it opens, commits restored pending
// commits, commits on NotifyCheckpointComplete (a failed commit stays pending and is retried),
// and commits the end of a bounded input under a final marker above every checkpoint id.
package postgres
