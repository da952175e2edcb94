// Package exec implements the SQL operator kinds the planner emits on Arrow record batches,
// using package eval for expressions: sources (nexmark, datagen, VALUES, filesystem, postgres,
// kafka), watermarks, calc, window assignment and aggregation, group aggregation, joins,
// Top-N, union and the print, blackhole, filesystem, postgres and kafka sinks, and the preview
// sink handing rows to Options.Collect. Register adds them to an operator registry; Options
// carries what connectors need from the worker (integration resolver, guarded dialer, storage
// directory, metrics).
//
// Checkpointed state: source offsets and positions, sink commits, and the state of every
// stateful operator in keyed state (key groups from the routing hash, restorable at another
// parallelism): group aggregate groups (group.go), window aggregate panes and per-key-group
// watermarks (window_state.go), Top-N and deduplication partitions (rank_state.go) and join rows
// with match counts (join_state.go). Operators note changed keys (keyed_store.go) and encode
// them at the barrier. Limits: Top-N does not accept retractions, and processing-time windows
// fire only at the end of input.
package exec
