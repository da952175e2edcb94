package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/state"
)

func TestPendingCollectsAcksThenFinalizes(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		tasks := []TaskID{{"agg", 0}, {"agg", 1}, {"src", 0}}
		p := NewPending("job", 4, 2, KindCheckpoint, time.Now(), 128, s.Location(), tasks)
		if _, err := p.Finalize(ctx, s, time.Now()); !errors.Is(err, ErrIncomplete) {
			t.Fatalf("Finalize before acks = %v, want ErrIncomplete", err)
		}
		if _, err := p.Ack(TaskID{"nope", 0}, nil); !errors.Is(err, ErrUnexpectedAck) {
			t.Fatalf("ack of an unknown task = %v, want ErrUnexpectedAck", err)
		}
		if _, err := p.Ack(TaskID{"agg", 0}, []TaskState{{Vertex: "agg", Subtask: 1}}); !errors.Is(err, ErrUnexpectedAck) {
			t.Fatalf("ack carrying another task's state = %v, want ErrUnexpectedAck", err)
		}
		for i, task := range tasks {
			rng, _ := state.RangeFor(128, 2, task.Subtask)
			ts, err := WriteOperatorState(ctx, s, StateKey{Job: "job", Checkpoint: 4, Operator: task.Vertex + "-op", Subtask: task.Subtask},
				task.Vertex, 2, []byte(fmt.Sprint(i)))
			if err != nil {
				t.Fatal(err)
			}
			if task.Vertex == "agg" {
				ts.KeyGroups = rng
			}
			for range 2 { // a resent ack changes nothing
				done, err := p.Ack(task, []TaskState{ts})
				if err != nil || done != (i == len(tasks)-1) {
					t.Fatalf("ack %d = %v, %v", i, done, err)
				}
			}
			if got := len(p.Missing()); got != len(tasks)-1-i {
				t.Fatalf("missing %d, want %d", got, len(tasks)-1-i)
			}
		}
		md, err := p.Finalize(ctx, s, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.GetMetadata(ctx, "job", 4)
		if err != nil || stored.Status != StatusCompleted || len(stored.Tasks) != 3 || stored.Attempt != 2 || md.SizeBytes != 3 {
			t.Fatalf("stored = %+v, %v", stored, err)
		}
		if _, err := p.Ack(tasks[0], nil); !errors.Is(err, ErrUnexpectedAck) {
			t.Fatalf("ack after Finalize = %v, want ErrUnexpectedAck", err)
		}
	})
}

func TestPendingAbortDeletesAckedBlobs(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		p := NewPending("job", 9, 1, KindCheckpoint, time.Now(), 128, s.Location(), []TaskID{{"v", 0}, {"v", 1}})
		ts, err := WriteOperatorState(ctx, s, StateKey{Job: "job", Checkpoint: 9, Operator: "op", Subtask: 0}, "v", 2, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Ack(TaskID{"v", 0}, []TaskState{ts}); err != nil {
			t.Fatal(err)
		}
		if err := p.Abort(ctx, s, "task v[1] failed"); err != nil {
			t.Fatal(err)
		}
		if exists(t, s, ts.Handle) {
			t.Fatal("acked blob of an aborted checkpoint survives")
		}
		if _, err := s.GetMetadata(ctx, "job", 9); !errors.Is(err, ErrNotFound) {
			t.Fatalf("aborted checkpoint's metadata: %v, want ErrNotFound", err)
		}
	})
}

func TestWriteKeyedAndRestoreKeyedRescale(t *testing.T) {
	conform(t, func(t *testing.T, s Storage) {
		ctx := context.Background()
		md := &Metadata{MaxParallelism: state.DefaultMaxParallelism}
		for i := range 4 {
			b, _ := state.NewSubtaskBackend(state.DefaultMaxParallelism, 4, i)
			v, _ := state.NewValueState(b, "n", state.Int64Codec{})
			for g := b.Range().Start; g < b.Range().End; g++ {
				v.Put(g, []byte{byte(g)}, int64(g))
			}
			ts, err := WriteKeyed(ctx, s, StateKey{Job: "job", Checkpoint: 1, Operator: "agg", Subtask: i}, "agg", 4, b.Snapshot())
			if err != nil {
				t.Fatal(err)
			}
			md.Tasks = append(md.Tasks, ts)
		}
		b, _ := state.NewSubtaskBackend(state.DefaultMaxParallelism, 3, 2)
		v, _ := state.NewValueState(b, "n", state.Int64Codec{})
		if err := RestoreKeyed(ctx, s, md, "agg", b); err != nil {
			t.Fatal(err)
		}
		if v.Len() != b.Range().Len() {
			t.Fatalf("restored %d keys, want %d", v.Len(), b.Range().Len())
		}
		for g := b.Range().Start; g < b.Range().End; g++ {
			if got, ok := v.Get(g, []byte{byte(g)}); !ok || got != int64(g) {
				t.Fatalf("group %d = %d, %v", g, got, ok)
			}
		}
	})
}
