package checkpoint

import (
	"context"
	"encoding/binary"
	"io"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/state"
)

// TestConformanceCheckpointAndRescale takes a checkpoint of keyed state at parallelism 3
// through the storage and restores it at parallelism 2: the path recovery will take.
func TestConformanceCheckpointAndRescale(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		const n, maxPar = 1000, state.DefaultMaxParallelism
		md := &Metadata{Version: MetadataVersion, Job: "job", ID: 1, Kind: KindCheckpoint, Status: StatusInProgress,
			TriggeredAt: time.Now(), MaxParallelism: maxPar, Location: s.Location()}
		for i := range 3 {
			b, err := state.NewSubtaskBackend(maxPar, 3, i)
			if err != nil {
				t.Fatal(err)
			}
			v, _ := state.NewValueState(b, "count", state.Int64Codec{})
			for k := range n {
				if g := b.KeyGroup(uint64(k) * 7919); b.Range().Contains(g) {
					v.Put(g, binary.AppendUvarint(nil, uint64(k)), int64(k))
				}
			}
			snap := b.Snapshot()
			pr, pw := io.Pipe()
			go func() { _, err := snap.WriteTo(pw); pw.CloseWithError(err) }()
			h, size, err := s.PutState(ctx, StateKey{Job: "job", Checkpoint: 1, Operator: "count", Subtask: i, KeyGroups: b.Range()}, pr)
			if err != nil {
				t.Fatal(err)
			}
			md.Tasks = append(md.Tasks, TaskState{Vertex: "agg", Operator: "count", Subtask: i, Parallelism: 3, KeyGroups: b.Range(), Handle: h, Size: size})
		}
		md.Complete(time.Now())
		if err := s.PutMetadata(ctx, md); err != nil {
			t.Fatal(err)
		}

		latest, err := Latest(ctx, s, "job")
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for i := range 2 {
			before := total
			b, _ := state.NewSubtaskBackend(latest.MaxParallelism, 2, i)
			v, _ := state.NewValueState(b, "count", state.Int64Codec{})
			var blobs [][]byte
			for _, ts := range latest.RestoreSet("count", b.Range()) {
				blob, err := s.GetState(ctx, ts.Handle)
				if err != nil {
					t.Fatal(err)
				}
				blobs = append(blobs, blob)
			}
			if err := b.Restore(blobs...); err != nil {
				t.Fatal(err)
			}
			for k := range n {
				g := b.KeyGroup(uint64(k) * 7919)
				if !b.Range().Contains(g) {
					continue
				}
				if got, ok := v.Get(g, binary.AppendUvarint(nil, uint64(k))); !ok || got != int64(k) {
					t.Fatalf("key %d after rescale = %d,%v", k, got, ok)
				}
				total++
			}
			if v.Len() != total-before {
				t.Fatalf("subtask %d restored %d keys, %d of them its own", i, v.Len(), total-before)
			}
		}
		if total != n {
			t.Fatalf("restored %d keys, want %d", total, n)
		}
	})
}
