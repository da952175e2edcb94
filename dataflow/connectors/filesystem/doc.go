// Package filesystem is the exactly-once filesystem sink: rows go to JSON-lines part files in a
// directory, committed by rename when the checkpoint they belong to completes.
//
// A sink subtask writes the rows since the last barrier to a hidden in-progress file
// (.<prefix>-<subtask>-<attempt>-<n>.inprogress). At barrier n it syncs and closes that file
// and records it as pending for checkpoint n in its state; when checkpoint n (or a newer one)
// completes it renames the file to <prefix>-<subtask>-<checkpoint>.jsonl and syncs the
// directory, so readers only ever see whole files of completed checkpoints. A pending file
// already renamed (a commit repeated after a restore) is skipped. After a restore, the pending
// files of the restored checkpoint are committed when the task opens and in-progress files of
// older attempts that no checkpoint names are deleted (subtask i of parallelism p cleans those
// of old subtasks j with j % p == i, the ones whose state it inherits).
//
// At the end of a bounded input the remaining rows are committed at once under the next
// checkpoint id; a failure after that but before the job finishes may write them again.
package filesystem
