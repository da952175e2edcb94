package bench

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/runtime"
	"github.com/flowplane/flowplane/workers/exchange"
)

// stall is a source that emits nothing until stopped.
type stall struct{ operator.Base }

func (stall) ProcessBatch(int, arrow.RecordBatch, operator.Emitter) error { return nil }
func (stall) Poll(ctx context.Context, _ operator.Emitter) error {
	<-ctx.Done()
	return ctx.Err()
}

func inUse() uint64 {
	goruntime.GC()
	goruntime.GC()
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// Memory is what idle subtasks and channels cost, in bytes each.
type Memory struct {
	PerSubtask      float64 // an idle subtask without channels (blocked source)
	PerLocalChannel float64 // an open in-memory channel between two idle subtasks
	PerTCPChannel   float64 // an open channel over the TCP exchange (both ends, before traffic)
}

// MeasureMemory starts idle subtasks and channels and divides the heap and stack growth.
func MeasureMemory(subtasks, fanout int) (Memory, error) {
	var m Memory
	reg := operator.NewRegistry()
	if err := operator.RegisterBuiltins(reg, nil); err != nil {
		return m, err
	}
	if err := reg.Register("stall", func(dataflow.OperatorSpec) (operator.Operator, error) { return stall{}, nil }); err != nil {
		return m, err
	}
	n1, err := exchange.Listen(exchange.Config{ListenAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		return m, err
	}
	defer n1.Close()
	n2, err := exchange.Listen(exchange.Config{ListenAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		return m, err
	}
	defer n2.Close()

	// Idle subtasks: one vertex of stalled sources.
	b := dataflow.NewGraphBuilder("idle")
	b.Vertex("idle", subtasks).Op("stall", nil)
	g, err := b.Build()
	if err != nil {
		return m, err
	}
	per, err := measure(g, reg, map[dataflow.VertexID]*exchange.Node{"idle": n1}, float64(subtasks), 0, nil)
	if err != nil {
		return m, err
	}
	m.PerSubtask = per

	// Channels: fanout stalled sources -> fanout blackholes, all-to-all (fanout² channels).
	b = dataflow.NewGraphBuilder("channels")
	src := b.Vertex("src", fanout).Op("stall", nil)
	b.Connect(src, b.Vertex("sink", fanout).Op(operator.KindBlackhole, nil), dataflow.RebalanceEdge, operator.SequenceSchema(3))
	if g, err = b.Build(); err != nil {
		return m, err
	}
	channels := float64(fanout * fanout)
	if m.PerLocalChannel, err = measure(g, reg, map[dataflow.VertexID]*exchange.Node{"src": n1, "sink": n1}, channels, 2*fanout, &m); err != nil {
		return m, err
	}
	if m.PerTCPChannel, err = measure(g, reg, map[dataflow.VertexID]*exchange.Node{"src": n1, "sink": n2}, channels, 2*fanout, &m); err != nil {
		return m, err
	}
	return m, nil
}

// measure starts every subtask of g on the node given per vertex, waits until they are set
// up, and returns the memory growth per unit after subtracting `tasks` idle subtasks.
func measure(g *dataflow.JobGraph, reg *operator.Registry, nodes map[dataflow.VertexID]*exchange.Node, units float64, tasks int, known *Memory) (float64, error) {
	addrs := map[dataflow.VertexID][]string{}
	for _, v := range g.Vertices {
		for range v.Parallelism {
			addrs[v.ID] = append(addrs[v.ID], nodes[v.ID].Addr())
		}
	}
	before := inUse()
	ctx, cancel := context.WithCancel(context.Background())
	var started []*runtime.Task
	defer func() {
		cancel()
		for _, t := range started {
			_ = t.Wait()
		}
	}()
	for _, v := range g.Vertices {
		for i := range v.Parallelism {
			t, err := runtime.StartTask(ctx, runtime.TaskSpec{JobID: "mem", Attempt: 1, Graph: g, Vertex: v.ID, Subtask: i,
				Placement: addrs, Token: []byte("t")}, runtime.Deps{Exchange: nodes[v.ID], Registry: reg, Allocator: memory.DefaultAllocator, Logger: quiet, IdleTimeout: -1})
			if err != nil {
				return 0, err
			}
			started = append(started, t)
		}
	}
	// Wait until every sink has opened its inputs and is idle in its inbox.
	deadline := time.Now().Add(30 * time.Second)
	for _, t := range started {
		for t.Metrics().IdleMillis == 0 && len(g.Inputs(t.Spec().Vertex)) > 0 {
			if time.Now().After(deadline) {
				return 0, errors.New("subtasks did not settle")
			}
			select {
			case <-t.Done():
				return 0, fmt.Errorf("subtask ended early: %w", t.Wait())
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	time.Sleep(100 * time.Millisecond) // let TCP opens and credits settle before sampling
	grown := float64(inUse()) - float64(before)
	if known != nil {
		grown -= float64(tasks) * known.PerSubtask
	}
	return grown / units, nil
}
