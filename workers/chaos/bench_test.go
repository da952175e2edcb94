package chaos

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/checkpoint"
)

// BenchmarkRecovery measures, on the chaos job (two TCP exchange nodes, file checkpoint
// storage, PostgreSQL sink), the time from starting a new attempt after a kill until every
// counting task processes rows again: restoring keyed state and offsets, committing the
// restored sink commits, reconnecting channels. Failure detection (the worker lease) comes on
// top of it. It prints p50 and max over b.N kills.
func BenchmarkRecovery(b *testing.B) {
	c := newCluster(b, 1)
	a := c.start(b, 1, parallelism, nil)
	var ds []time.Duration
	for i := range b.N {
		a.waitFor(b, "a checkpoint", func(s checkpoint.CoordinatorStats) bool { return s.Completed >= 1 })
		c.kill(a, true)
		start := time.Now()
		a = c.start(b, uint64(i+2), parallelism, c.latest())
		for !processing(a) {
			if time.Since(start) > 30*time.Second {
				b.Fatal("the restored attempt does not process rows")
			}
			time.Sleep(100 * time.Microsecond)
		}
		ds = append(ds, time.Since(start))
	}
	c.kill(a, true)
	slices.Sort(ds)
	fmt.Fprintf(os.Stdout, "\nrecovery (restore to processing), %d kills: p50 %s, max %s\n",
		len(ds), ds[len(ds)/2].Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond))
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "ms_p50")
}

// processing reports whether every counting task has taken in rows.
func processing(a *attempt) bool {
	for _, task := range a.tasks {
		if !task.IsSource() && task.Metrics().RecordsIn == 0 {
			return false
		}
	}
	return true
}
