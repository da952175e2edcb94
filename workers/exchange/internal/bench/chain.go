package bench

import (
	"context"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/runtime"
)

// ChainWidth is the row width of the forward-chain benchmark (BIGINT columns).
const ChainWidth = 8

// ForwardChainGraph is one vertex chaining a sequence source of 8-column rows, a projection
// that keeps 7 columns and computes an eighth (id + c3), and a blackhole sink.
func ForwardChainGraph(rows int64, batchSize int) (*dataflow.JobGraph, error) {
	b := dataflow.NewGraphBuilder("forward-chain")
	b.Vertex("chain", 1).
		Op(operator.KindSequence, operator.SequenceConfig{Rows: rows, BatchSize: batchSize, Width: ChainWidth}).
		Op(operator.KindProject, operator.ProjectConfig{
			Columns: []string{"id", "k", "ts", "c3", "c4", "c5", "c6"},
			Sum:     &operator.SumExpr{Name: "s", Left: "id", Right: "c3"},
		}).
		Op(operator.KindBlackhole, nil)
	return b.Build()
}

// ForwardChain runs ForwardChainGraph in one subtask, allocating from mem, and returns rows
// and elapsed time.
func ForwardChain(rows int64, batchSize int, mem memory.Allocator) (int64, time.Duration, error) {
	g, err := ForwardChainGraph(rows, batchSize)
	if err != nil {
		return 0, 0, err
	}
	reg := operator.NewRegistry()
	if err := operator.RegisterBuiltins(reg, nil); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	task, err := runtime.StartTask(context.Background(), runtime.TaskSpec{JobID: "bench", Attempt: 1, Graph: g, Vertex: "chain"},
		runtime.Deps{Exchange: runtime.NewMemExchange(0), Registry: reg, Allocator: mem, Logger: quiet})
	if err != nil {
		return 0, 0, err
	}
	if err := task.Wait(); err != nil {
		return 0, 0, err
	}
	return rows, time.Since(start), nil
}
