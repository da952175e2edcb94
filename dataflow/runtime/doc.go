// Package runtime runs subtasks of a job graph: the task runtime of the worker agent.
//
// A subtask runs its vertex's operator chain in one goroutine, looping over a single Inbox that
// all its input channels feed (data, watermarks, barriers, end of stream) and writing to output
// channels through partitioners (forward, hash on key groups, rebalance, broadcast). Flow control
// is credit-based: a consumer grants each channel a few batch buffers and returns a credit after
// processing each batch, so a slow consumer stalls only the producers feeding it and memory stays
// bounded by credits × batch size. The combined watermark of a subtask is the minimum over its
// inputs; an input silent for longer than the idle timeout stops holding it back.
//
// # Wiring (for the worker agent)
//
// Per worker, once:
//
//	mem := batch.NewPoolAllocator()                                       // recycles batch buffers
//	node, _ := exchange.Listen(exchange.Config{ListenAddr: ":7100",       // workers/exchange
//		AdvertiseAddr: "10.0.0.5:7100", Allocator: mem, Logger: log})
//	defer node.Close()
//	reg := operator.NewRegistry(); operator.RegisterBuiltins(reg, nil)    // + the SQL planner's kinds
//	col, _ := runtime.NewCollector(promRegistry)                          // optional /metrics export
//
// node.Addr() is the worker's data address to register with the scheduler (data_addr).
//
// Per assigned subtask:
//
//	task, err := runtime.StartTask(ctx, runtime.TaskSpec{
//		JobID: job, Attempt: attempt, Graph: graph, Vertex: "count", Subtask: 1,
//		Placement: map[dataflow.VertexID][]string{"source": {addrA, addrB}, "count": {addrA, addrB}},
//		Token: exchange.AttemptToken(secret, job, attempt),
//	}, runtime.Deps{Exchange: node, Registry: reg, Allocator: mem, Logger: log, Collector: col})
//	...
//	snap := task.Metrics()   // MetricsSnapshot for heartbeats
//	task.Stop()              // cancel and wait (to reconcile a removed assignment)
//	err = task.Wait()        // nil when finished, ErrTaskFailed wrapping the cause otherwise
//
// Placement holds the data address (Node.Addr) of the worker running each subtask of each
// vertex; channels whose consumer runs at the local node's address stay in memory. A task fails
// (Wait returns an error wrapping ErrTaskFailed) when a peer connection breaks (ErrPeerLost), a
// peer fences it (ErrFenced) or an operator errs; the scheduler then fails the attempt over.
//
// # Checkpoints (for the worker agent and the scheduler's coordinator)
//
// Deps.Storage is the checkpoint storage (checkpoint.RemoteStorage on workers) and Deps.Ack
// receives the task's acks (assign.Ack with the state handles of every operator, or Error to
// decline): queue them for the next heartbeat, where the coordinator takes them
// (checkpoint.Coordinator.Ack). For a heartbeat reply's assign.Trigger of the task's (job,
// attempt), call task.TriggerCheckpoint(id) on its source tasks (task.IsSource()); for an
// assign.Completed, call task.CompleteCheckpoint(id) on every task of the attempt. A task
// restores from TaskSpec.Restore (assign.Task.Restore) before its operators open.
//
// A source injects barrier n between two batches: it snapshots its chain and forwards the
// barrier on every output channel. A task with inputs aligns barriers: an input that delivered
// barrier n is blocked (its later events wait, unacknowledged, so credits bound them) until
// every input that has not ended delivered n; then the task snapshots and forwards the barrier.
// A newer barrier during an alignment abandons the older checkpoint. The snapshot freezes each
// operator's keyed state (operator.Context.State, a state.Backend of the subtask's key groups:
// O(1) per key group) and collects its small operator state (Operator.SnapshotState: offsets,
// a sink's sealed rows); only this in-memory step stops the pipeline (CheckpointStats.LastPause).
// Another goroutine then streams the state to storage and acks. Completion notices reach
// operator.CheckpointListener operators (exactly-once sinks commit); a notice subsumes older
// ones. On restore each operator gets the key groups of its range from every old subtask whose
// range overlaps (any old parallelism) and the operator states of old subtasks i with
// i % parallelism == subtask. Stop cancels state uploads in flight; no ack follows.
//
// Limits: a finished task (bounded input) no longer acks, so checkpoints triggered after a
// source ended cannot complete (the coordinator times them out); sources see triggers only
// between two Polls.
package runtime
