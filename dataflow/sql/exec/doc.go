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
// Checkpointed state: source offsets and positions, sink commits, and the state of every
// stateful operator in keyed state (key groups from the routing hash, restorable at another
// parallelism): group aggregate groups (group.go), window aggregate panes and per-key-group
// watermarks (window_state.go), Top-N and deduplication partitions (rank_state.go) and join rows
// with match counts (join_state.go). Operators note changed keys (keyed_store.go) and encode
// them at the barrier. Limits: Top-N does not accept retractions, and processing-time windows
// fire only at the end of input.
package exec
