// Package exec implements the stateless SQL operator kinds the planner emits (sql.calc,
// sql.watermark, and sql.sink for the print and blackhole connectors) on Arrow record batches,
// using package eval for expressions. Register adds them to an operator registry. The stateful
// kinds (aggregates, joins, rank, windows) are not implemented here yet.
package exec
