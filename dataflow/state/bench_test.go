package state

import (
	"encoding/binary"
	"flag"
	"io"
	"slices"
	"testing"
	"time"
)

var bench1GB = flag.Bool("bench1gb", false, "also run the 1 GB snapshot benchmark (needs ~4 GB of memory)")

func BenchmarkSnapshot10MB(b *testing.B) { benchSnapshot(b, 10<<20) }

func BenchmarkSnapshot1GB(b *testing.B) {
	if !*bench1GB {
		b.Skip("1 GB of state: run with -args -bench1gb (make bench-checkpoint BENCH_1GB=1)")
	}
	benchSnapshot(b, 1<<30)
}

// benchSnapshot fills a backend with about size bytes of value state (100-byte entries), then
// per iteration takes a snapshot, encodes it on another goroutine while 0.5% of the keys are
// updated, releases it, folds (Backend.Fold) and updates another 0.5%. It reports p50/p99 of
// the pause (Backend.Snapshot: what stops the pipeline), of the encoding (off the pipeline), of
// the updates made while the snapshot is encoded (they go to the overlay), of the fold and of
// the updates after it.
func benchSnapshot(b *testing.B, size int) {
	const valueLen = 92 // + 8-byte key = 100 bytes per entry
	n := size / (valueLen + 8)
	be, err := NewSubtaskBackend(DefaultMaxParallelism, 1, 0)
	if err != nil {
		b.Fatal(err)
	}
	v, _ := NewValueState(be, "v", BytesCodec{})
	val := make([]byte, valueLen)
	keys := make([][]byte, n)
	groups := make([]int, n)
	for i := range n {
		keys[i] = binary.BigEndian.AppendUint64(nil, uint64(i))
		groups[i] = be.KeyGroup(uint64(i) * 0x9e3779b97f4a7c15)
		v.Put(groups[i], keys[i], val)
	}
	update := func(it, part int) time.Duration {
		t := time.Now()
		for j := 0; j < n/200; j++ {
			k := (it*7919 + j*104729 + part*n/2) % n
			v.Put(groups[k], keys[k], val)
		}
		return time.Since(t)
	}
	var pause, encode, during, fold, after []time.Duration
	var bytes int64
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		t0 := time.Now()
		snap := be.Snapshot()
		pause = append(pause, time.Since(t0))
		done := make(chan error)
		go func() {
			t := time.Now()
			w, err := snap.WriteTo(io.Discard)
			encode = append(encode, time.Since(t))
			bytes = w
			done <- err
		}()
		during = append(during, update(it, 0))
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		snap.Release()
		t2 := time.Now()
		be.Fold()
		fold = append(fold, time.Since(t2))
		after = append(after, update(it, 1))
	}
	b.StopTimer()
	report(b, "pause", pause)
	report(b, "encode", encode)
	report(b, "update0.5%-during", during)
	report(b, "fold", fold)
	report(b, "update0.5%-after", after)
	b.ReportMetric(float64(bytes)/(1<<20), "MB/snapshot")
	b.ReportMetric(0, "ns/op") // the percentiles above are the result
}

func report(b *testing.B, name string, ds []time.Duration) {
	slices.Sort(ds)
	pct := func(p float64) float64 {
		return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), name+"-p50-ms")
	b.ReportMetric(pct(0.99), name+"-p99-ms")
}
