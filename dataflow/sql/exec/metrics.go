package exec

import "sync/atomic"

// Metrics are counters of the operators registered with one Options, summed over their
// subtasks, for what the runtime's per-task metrics do not cover.
type Metrics struct {
	// LateRowsDropped counts rows event-time windows dropped because their window had
	// already fired (its end was at or before the watermark when they arrived). It counts
	// (row, window) pairs: a HOP or CUMULATE row late for k of its windows counts k.
	LateRowsDropped atomic.Int64
}
