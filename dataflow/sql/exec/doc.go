// Package exec implements the SQL operator kinds the planner emits on Arrow record batches,
// using package eval for expressions: sources (nexmark, datagen, VALUES), watermarks, calc,
// window assignment and aggregation, group aggregation, joins, Top-N, union and the print and
// blackhole sinks, and the preview sink handing rows to Options.Collect. Register adds them to an
// operator registry.
//
// Checkpointed state: source offsets (nexmark, datagen) and the group aggregate's groups
// (keyed state in key groups, restorable at another parallelism). Limits: the state of window
// aggregates, joins and Top-N lives in memory only and is not snapshotted; the filesystem,
// postgres and kafka connectors are missing from sql.sink, Top-N does not accept retractions,
// and processing-time windows fire only at the end of input.
package exec
