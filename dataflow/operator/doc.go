// Package operator owns the operator contract of the dataflow runtime and the built-in operators.
//
// An Operator processes record batches and watermarks of one subtask; the runtime calls it from a
// single goroutine, so operators need no locking. A Source additionally produces batches when
// polled. Operators are instantiated from a graph's OperatorSpec{Kind, Config} through a Registry;
// the built-in kinds (sequence, project, filter, keyed_count, blackhole, collect) serve tests and
// benchmarks, and the SQL planner registers its own kinds on the same Registry.
//
// Ownership: a batch passed to ProcessBatch or Emit is borrowed; a callee that keeps it past the
// call must Retain it (and Release it later).
package operator
