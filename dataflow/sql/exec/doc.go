// Package exec implements the SQL operator kinds the planner emits on Arrow record batches,
// using package eval for expressions: sources (nexmark, datagen, VALUES), watermarks, calc,
// window assignment and aggregation, group aggregation, joins, Top-N, union and the print and
// blackhole sinks, and the preview sink handing rows to Options.Collect. Register adds them to an
// operator registry.
//
// Limits: keyed state lives in memory and is not snapshotted (only source offsets are), the
// filesystem, postgres and kafka connectors are missing, Top-N does not accept retractions,
// and processing-time windows fire only at the end of input.
package exec
