package exec

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/connectors/nexmark"
)

// nexmarkQueries are the Nexmark queries the dialect covers, with the events each run
// generates (stateful queries get fewer so every run takes seconds).
var nexmarkQueries = []struct {
	name   string
	events int
}{
	{"q0", 2_000_000}, {"q1", 1_000_000}, {"q2", 2_000_000}, {"q3", 2_000_000}, {"q4", 500_000},
	{"q5", 300_000}, {"q7", 1_000_000}, {"q8", 2_000_000}, {"q9", 500_000}, {"q10", 1_000_000},
	{"q11_tvf", 200_000}, {"q12", 1_000_000}, {"q13", 1_000_000}, {"q15", 500_000}, {"q16", 300_000}, {"q17", 500_000}, {"q18", 1_000_000},
	{"q19", 1_000_000}, {"q20", 1_000_000}, {"q21", 500_000}, {"q22", 2_000_000},
}

// nexmarkUncovered are the standard queries the dialect does not run, with the missing feature.
var nexmarkUncovered = map[string]string{
	"q6":  "OVER window aggregate (AVG ... OVER (PARTITION BY ... ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)); Flink 1.13 cannot run it either",
	"q11": "legacy GROUP BY SESSION(...) group-window syntax (q11_tvf, the same query with the SESSION TVF, runs)",
	"q14": "user-defined functions (CREATE FUNCTION count_char)",
}

// flinkPerCore are Flink 1.13's published Nexmark throughputs per core (events/s), as given
// in issue 6.
var flinkPerCore = map[string]float64{"q0": 155_000, "q5": 22_000, "q7": 12_000}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type nexmarkResult struct {
	name           string
	events         int
	wall, cpu      time.Duration
	perCore, wall2 float64
}

// BenchmarkNexmark runs every covered Nexmark query on the built-in generator at parallelism 2
// (sources through blackhole sinks, the runtime's in-memory exchange) and prints a table of
// events/s per core: events over the CPU time the process spent (so other load on the machine
// does not count), next to Flink 1.13's figures and to a generator-only baseline measured in
// the same run. NEXMARK_SCALE multiplies the event counts. Run with -benchtime 1x.
func BenchmarkNexmark(b *testing.B) {
	scale := 1.0
	if s, err := strconv.ParseFloat(os.Getenv("NEXMARK_SCALE"), 64); err == nil && s > 0 {
		scale = s
	}
	var results []nexmarkResult
	b.Run("generator", func(b *testing.B) {
		results = append(results, measure(b, "generator", int(4_000_000*scale), func(events int) {
			g, err := nexmark.NewGenerator(nexmark.Config{Seed: 3, NumEvents: int64(events)}, 0, 1)
			if err != nil {
				b.Fatal(err)
			}
			for _, ok := g.NextReused(); ok; _, ok = g.NextReused() {
			}
		}, 1))
	})
	root := b.TempDir() // q10 writes files there, q13 reads its side input from there
	var side strings.Builder
	for k := range 10000 {
		fmt.Fprintf(&side, "%d,value-%d\n", k, k)
	}
	if err := os.MkdirAll(root+"/tmp", 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(root+"/tmp/side_input.txt", []byte(side.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, q := range nexmarkQueries {
		b.Run(q.name, func(b *testing.B) {
			src := nexmarkBenchScript(b, q.name, int(float64(q.events)*scale))
			results = append(results, measure(b, q.name, int(float64(q.events)*scale), func(int) {
				runGraphFor(b, src, 2, Options{FileRoot: root}, 10*time.Minute)
			}, 2))
		})
	}
	printNexmarkTable(results)
}

// measure runs fn once and reports events/s per core (CPU time) and per second (wall).
func measure(b *testing.B, name string, events int, fn func(events int), cores int) nexmarkResult {
	b.Helper()
	c0, t0 := cpuTime(), time.Now()
	for range b.N {
		fn(events)
	}
	r := nexmarkResult{name: name, events: events * b.N, wall: time.Since(t0), cpu: cpuTime() - c0}
	r.perCore = float64(r.events) / r.cpu.Seconds()
	r.wall2 = float64(r.events) / r.wall.Seconds() / float64(cores)
	b.ReportMetric(r.perCore, "events/s/core")
	return r
}

func nexmarkBenchScript(b *testing.B, q string, events int) string {
	data, err := os.ReadFile("../testdata/nexmark_" + q + ".sql")
	if err != nil {
		b.Fatal(err)
	}
	return strings.ReplaceAll(string(data), "'events-per-second' = '10000'",
		"'events-per-second' = '10000', 'number-of-events' = '"+strconv.Itoa(events)+"', 'seed' = '3'")
}

func printNexmarkTable(results []nexmarkResult) {
	if len(results) == 0 {
		return
	}
	var base float64
	for _, r := range results {
		if r.name == "generator" {
			base = r.perCore
		}
	}
	fmt.Printf("\nNexmark, parallelism 2, built-in generator (events/s per core = events / CPU seconds of the process)\n")
	fmt.Printf("%-10s %10s %9s %9s %14s %14s %12s %10s %12s\n", "query", "events", "wall s", "cpu s",
		"ev/s/core", "ev/s/core wall", "Flink 1.13", "x Flink", "x generator")
	for _, r := range results {
		flink, ratio := "-", "-"
		if f, ok := flinkPerCore[r.name]; ok {
			flink, ratio = fmt.Sprintf("%.0f", f), fmt.Sprintf("%.1f", r.perCore/f)
		}
		gen := "-"
		if base > 0 {
			gen = fmt.Sprintf("%.3f", r.perCore/base)
		}
		fmt.Printf("%-10s %10d %9.2f %9.2f %14.0f %14.0f %12s %10s %12s\n", r.name, r.events, r.wall.Seconds(),
			r.cpu.Seconds(), r.perCore, r.wall2, flink, ratio, gen)
	}
	fmt.Printf("not covered:\n")
	for _, q := range []string{"q6", "q11", "q14"} {
		fmt.Printf("  %-4s %s\n", q, nexmarkUncovered[q])
	}
}
