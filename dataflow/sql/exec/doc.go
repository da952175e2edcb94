// Package exec implements the SQL operator kinds the planner emits on Arrow record batches,
// using package eval for expressions: sources (nexmark, datagen, VALUES, filesystem, postgres,
// kafka), watermarks, calc, window assignment and aggregation, group aggregation, joins,
// Top-N, union and the print, blackhole, filesystem, postgres and kafka sinks. Register adds
// them to an operator registry; Options carries what connectors need from the worker
// (integration resolver, guarded dialer, storage directory, metrics).
//
// Limits: keyed state lives in memory and is not snapshotted (only source positions and sink
// commits are), Top-N does not accept retractions, and processing-time windows fire only at
// the end of input.
package exec
