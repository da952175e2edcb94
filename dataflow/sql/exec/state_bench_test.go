package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/state"
)

// BenchmarkKeyedStateBookkeeping measures what keeping window, join and Top-N state
// checkpointable costs per batch without a barrier (key groups and changed keys only): each
// operator runs with keyed state ("keyed") and without ("memory") in the same run; compare
// the two ns/op. Barriers are not part of it.
func BenchmarkKeyedStateBookkeeping(b *testing.B) {
	ops := []struct {
		name  string
		newOp opFactory
		steps func(t testing.TB, i int64) []step
	}{
		{"window", windowAggFactory("TUMBLE"), func(t testing.TB, i int64) []step {
			return []step{{rec: windowedRows(t, "TUMBLE", i*1000, i*1000+1000)}, {wm: i*1000 + 500}}
		}},
		{"join", joinFactory(joinCfgInterval()), func(t testing.TB, i int64) []step {
			return []step{{input: 0, rec: joinRows(t, i*1000, i*1000+1000, 997, 1, false)},
				{input: 1, rec: joinRows(t, i*1000, i*1000+1000, 997, 100, false)}, {wm: i*1000 + 900}}
		}},
		{"rank", rankFactory(rankCfgTop3()), func(t testing.TB, i int64) []step {
			return []step{{rec: rankRows(t, i*1000, i*1000+1000)}}
		}},
	}
	for _, o := range ops {
		inputs := make([][]step, 16)
		for i := range inputs {
			inputs[i] = o.steps(b, int64(i))
		}
		for _, keyed := range []bool{false, true} {
			name := o.name + "/memory"
			if keyed {
				name = o.name + "/keyed"
			}
			b.Run(name, func(b *testing.B) {
				for n := 0; b.Loop(); n++ {
					var be *state.Backend
					if keyed {
						be, _ = state.NewSubtaskBackend(state.DefaultMaxParallelism, 1, 0)
					}
					op := o.newOp(b)
					if err := op.Open(&operator.Context{Allocator: memory.DefaultAllocator, State: be}); err != nil {
						b.Fatal(err)
					}
					for _, in := range inputs {
						run(b, op, in, discard{})
					}
					_ = op.Close()
				}
			})
		}
	}
}

// discard drops the output.
type discard struct{}

func (discard) Emit(arrow.RecordBatch) error { return nil }
func (discard) EmitWatermark(int64) error    { return nil }
