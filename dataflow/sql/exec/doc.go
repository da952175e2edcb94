// Package exec implements the SQL operator kinds the planner emits on Arrow record batches,
// using package eval for expressions: sources (nexmark, datagen, VALUES, filesystem, postgres,
// kafka), watermarks, calc, window assignment and aggregation, group aggregation, joins,
// Top-N, union and the print, blackhole, filesystem, postgres and kafka sinks, and the preview
// sink handing rows to Options.Collect. Register adds them to an operator registry; Options
// carries what connectors need from the worker (integration resolver, guarded dialer, storage
// directory, metrics).
//
// Fast paths avoid boxing values into `any` where that dominated: calc evaluates common
// expressions (column references, integer/decimal/boolean literals and arithmetic, comparisons,
// AND/OR/NOT, IS NULL, CASTs between integers and decimals) with typed kernels on int64s read
// straight from Arrow columns, falling back to package eval for a whole batch on any other
// shape or any row that would overflow or fail; window aggregates encode group keys from the
// columns and pass integer arguments unboxed; builders reserve the previous batch's string
// bytes.
//
// Checkpointed state: source offsets and positions, sink commits, and the group aggregate's
// groups (keyed state in key groups, restorable at another parallelism). Limits: the state of
// window aggregates, joins and Top-N lives in memory only and is not snapshotted, Top-N does not
// accept retractions, and processing-time windows fire only at the end of input.
package exec
