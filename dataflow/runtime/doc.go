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
// Not yet here: checkpoint barrier alignment and state snapshots (the operator hooks exist; the
// runtime drops barriers), and sources reading their inbox for barriers.
package runtime
