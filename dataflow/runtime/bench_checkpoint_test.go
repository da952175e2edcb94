package runtime

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/dataflow/operator"
)

var (
	benchInterval = flag.Duration("ckpt.interval", time.Second, "checkpoint interval of BenchmarkCheckpointThroughput")
	benchWindow   = flag.Duration("ckpt.window", 2*time.Second, "measuring window per run of BenchmarkCheckpointThroughput")
	benchKeys     = flag.Int64("ckpt.keys", 50000, "keys per source subtask (keyed state entries) of BenchmarkCheckpointThroughput")
)

// BenchmarkCheckpointThroughput runs the in-process job keyed_sequence(2) -hash-> seq_count(2)
// -> blackhole at full speed, with checkpoints every -ckpt.interval to file storage and without
// (the baseline, same job and coordinator that never triggers), alternating three times, and
// prints the median rows/s of each and their ratio (target >= 90%).
func BenchmarkCheckpointThroughput(b *testing.B) {
	for range b.N {
		var base, ckpt []float64
		var snaps int64
		var maxPause time.Duration
		var size int64
		for range 3 {
			r, _, _, _ := runThroughput(b, time.Hour)
			base = append(base, r)
			r, n, p, sz := runThroughput(b, *benchInterval)
			ckpt = append(ckpt, r)
			snaps, maxPause, size = snaps+n, max(maxPause, p), sz
		}
		slices.Sort(base)
		slices.Sort(ckpt)
		ratio := ckpt[1] / base[1]
		fmt.Fprintf(os.Stdout, "\n%-34s %14s\n", "run (median of 3)", "rows/s")
		fmt.Fprintf(os.Stdout, "%-34s %14.0f\n", "no checkpoints (baseline)", base[1])
		fmt.Fprintf(os.Stdout, "%-34s %14.0f\n", fmt.Sprintf("checkpoint every %s", *benchInterval), ckpt[1])
		fmt.Fprintf(os.Stdout, "ratio %.1f%% (target >= 90%%); %d snapshots, max snapshot pause %s, last checkpoint %.1f MB\n",
			ratio*100, snaps, maxPause, float64(size)/(1<<20))
		b.ReportMetric(ratio*100, "%_of_baseline")
	}
}

// runThroughput runs the job for the window after a warm-up and returns the rows/s the
// counting tasks took in, the snapshots taken, the longest snapshot pause and the size of the
// last completed checkpoint.
func runThroughput(b *testing.B, interval time.Duration) (float64, int64, time.Duration, int64) {
	store, err := checkpoint.NewFileStorage(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	deps := Deps{Logger: quiet, Exchange: NewMemExchange(0), Registry: newRegistry(b, nil)}
	g := seqGraphOf(b, operator.KeyedSequenceConfig{Keys: *benchKeys, BatchSize: 1024}, 2, 2, operator.KindBlackhole, nil)
	a := startAttemptEvery(b, interval, g, 1, store, checkpoint.CounterIDs(0), nil, deps)
	defer a.kill()
	rowsIn := func() int64 {
		var n int64
		for _, task := range a.tasks {
			if !task.IsSource() {
				n += task.Metrics().RecordsIn
			}
		}
		return n
	}
	time.Sleep(300 * time.Millisecond) // warm up: fill the key space
	start, r0 := time.Now(), rowsIn()
	time.Sleep(*benchWindow)
	rate := float64(rowsIn()-r0) / time.Since(start).Seconds()
	var snaps int64
	var pause time.Duration
	for _, task := range a.tasks {
		st := task.CheckpointStats()
		snaps += st.Snapshots
		pause = max(pause, st.MaxPause)
	}
	var size int64
	if md, err := checkpoint.Latest(b.Context(), store, "job1"); err == nil {
		size = md.SizeBytes
	}
	return rate, snaps, pause, size
}
