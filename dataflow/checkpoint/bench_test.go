package checkpoint

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/flowplane/flowplane/services/pgtest"
)

// BenchmarkPutState10MB measures writing (and fsyncing / committing) one 10 MB state blob and
// its metadata, per storage; p50/p99 are of the whole durable write.
func BenchmarkPutState10MB(b *testing.B) {
	blob := bytes.Repeat([]byte("flowplane state "), (10<<20)/16)
	fs, err := NewFileStorage(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ps, err := NewPostgresStorage(context.Background(), pgtest.NewPool(b))
	if err != nil {
		b.Fatal(err)
	}
	for name, s := range map[string]Storage{"file": fs, "postgres": ps} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			b.SetBytes(int64(len(blob)))
			var ds []time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				h, _, err := s.PutState(ctx, StateKey{Job: "bench", Checkpoint: uint64(i + 1), Operator: "op"}, bytes.NewReader(blob))
				if err != nil {
					b.Fatal(err)
				}
				md := meta("bench", uint64(i+1), KindCheckpoint, StatusCompleted, h)
				if err := s.PutMetadata(ctx, md); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(t0))
				if _, err := Retain(ctx, s, "bench", DefaultRetained); err != nil {
					b.Fatal(err)
				}
			}
			reportDurations(b, "write", ds)
		})
	}
}

func reportDurations(b *testing.B, name string, ds []time.Duration) {
	slices.Sort(ds)
	pct := func(p float64) float64 {
		return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), name+"-p50-ms")
	b.ReportMetric(pct(0.99), name+"-p99-ms")
}
