// Package filesystem is the exactly-once filesystem sink: rows go to line-oriented part files
// in a directory (optionally in partition subdirectories), committed by rename when the
// checkpoint they belong to completes. It is the only filesystem sink: the filesystem_sink
// kind (JSON lines, Register) and the SQL filesystem connector (csv or json, PARTITIONED BY,
// dataflow/sql/exec) are configurations of NewSink with their own Encoder.
//
// A sink subtask writes rows to hidden in-progress files, one open file per partition:
//
//	<partition>/.<prefix>-<job>-<operator>-<attempt>-<subtask>-<seq>.<ext>.inprogress
//
// A file rolls when it reaches FileSize, when it is older than RolloverInterval (checked per
// batch) and at every checkpoint barrier: rolled files are synced, closed and recorded as
// pending for the next checkpoint in the sink's state. When checkpoint n (or a newer one)
// completes, its pending files are renamed to the same name without the leading dot and the
// .inprogress suffix, and their directories synced, so readers only ever see whole files of
// completed checkpoints. A pending file already renamed (a commit repeated after a restore) is
// skipped; one that is neither in progress nor committed is ErrMissingPart.
//
// After a restore, the pending files of the restored checkpoint are committed when the task
// opens, then in-progress files of older attempts that no checkpoint names are deleted
// (subtask i of parallelism p cleans those of old subtasks j with j % p == i, the ones whose
// state it inherits).
//
// At the end of a bounded input the remaining rows are committed at once; a failure after that
// but before the job finishes may write them again (end of input is at-least-once here, unlike
// the postgres sink, since a replay's files cannot be matched with the earlier ones).
package filesystem
