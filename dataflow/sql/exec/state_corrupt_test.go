package exec

import (
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/state"
)

// Restoring truncated or altered entries of window, Top-N and join state fails with an error
// wrapping errCorruptState (or restores something harmless), never panics.
func TestRestoreOfCorruptOperatorStateFails(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		state string
		newOp opFactory
		steps func(t *testing.T) []step
	}{
		{"window", "windows", windowAggFactory("TUMBLE"), func(t *testing.T) []step {
			return []step{{rec: windowedRows(t, "TUMBLE", 0, 30)}}
		}},
		{"session", "windows", windowAggFactory("SESSION"), func(t *testing.T) []step {
			return []step{{rec: windowedRows(t, "SESSION", 0, 30)}}
		}},
		{"rank", "partitions", rankFactory(rankCfgTop3()), func(t *testing.T) []step {
			return []step{{rec: rankRows(t, 0, 40)}}
		}},
		{"join", "rows", joinFactory(sql.JoinConfig{Kind: "LEFT", Updating: true}), func(t *testing.T) []step {
			return []step{{input: 0, rec: joinRows(t, 0, 30, 9, 1, false)}, {input: 1, rec: joinRows(t, 0, 30, 12, 100, false)}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b, _ := state.NewSubtaskBackend(state.DefaultMaxParallelism, 1, 0)
			op := openOp(t, c.newOp, b, 1, 0, memory.DefaultAllocator)
			run(t, op, c.steps(t), &rowLog{})
			if err := op.SnapshotState(1, nil); err != nil {
				t.Fatal(err)
			}
			closeOp(t, op)
			entries := 0
			for kg := range state.DefaultMaxParallelism {
				for k, v := range valueEntries(t, b, c.state, kg) {
					entries++
					for cut := range len(v) {
						for _, bad := range [][]byte{v[:cut], append(append([]byte(nil), v[:cut]...), 0xff, 0xff, 0xff)} {
							checkCorruptRestore(t, c.newOp, c.state, kg, k, bad)
						}
					}
				}
			}
			if entries == 0 {
				t.Fatal("no state to corrupt")
			}
		})
	}
}

// valueEntries returns the entries of value state name in key group kg of b.
func valueEntries(t *testing.T, b *state.Backend, name string, kg int) map[string][]byte {
	t.Helper()
	snap := b.Snapshot()
	defer snap.Release()
	frame := snap.AppendKeyGroup(nil, kg)
	out := map[string][]byte{}
	if len(frame) == 0 {
		return out
	}
	d, err := state.DecodeKeyGroup(frame)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.States {
		if s.Name == name {
			for _, e := range s.Entries {
				out[string(e.Key)] = e.Fields[0]
			}
		}
	}
	return out
}

// checkCorruptRestore opens an operator whose state holds only entry (key, v) in key group kg.
func checkCorruptRestore(t *testing.T, newOp opFactory, name string, kg int, key string, v []byte) {
	t.Helper()
	src, _ := state.NewSubtaskBackend(state.DefaultMaxParallelism, 1, 0)
	vs, err := state.NewValueState(src, name, state.BytesCodec{})
	if err != nil {
		t.Fatal(err)
	}
	vs.Put(kg, []byte(key), v)
	snap := src.Snapshot()
	blob := snap.Encode()
	snap.Release()
	dst, _ := state.NewSubtaskBackend(state.DefaultMaxParallelism, 1, 0)
	if err := dst.Restore(blob); err != nil {
		t.Fatal(err)
	}
	op := newOp(t)
	err = op.Open(&operator.Context{Allocator: memory.DefaultAllocator, Parallelism: 1, State: dst, Restored: 1})
	if err != nil && !errors.Is(err, errCorruptState) {
		t.Fatalf("restore of %x: %v, want an error wrapping errCorruptState", v, err)
	}
	closeOp(t, op)
}
