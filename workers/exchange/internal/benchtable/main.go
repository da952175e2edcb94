// Command benchtable measures the data plane and prints one table with the ratios measured in
// the same run: remote exchange throughput against a plain TCP copy of the same bytes, rows per
// second of a chained subtask, and memory per idle subtask and per channel.
//
//	go run ./workers/exchange/internal/benchtable [-batches 2000] [-rows 50000000]
package main

import (
	"flag"
	"fmt"
	"os"
	goruntime "runtime"

	"github.com/flowplane/flowplane/dataflow/batch"
	"github.com/flowplane/flowplane/workers/exchange/internal/bench"
)

func main() {
	batches := flag.Int("batches", 2000, "batches sent through the exchange")
	batchRows := flag.Int("batch-rows", 4096, "rows per exchanged batch (8 BIGINT columns)")
	chainRows := flag.Int64("rows", 50_000_000, "rows through the forward chain")
	subtasks := flag.Int("subtasks", 1000, "idle subtasks for the memory measurement")
	fanout := flag.Int("fanout", 32, "producers and consumers of the channel memory measurement")
	flag.Parse()
	if err := run(*batches, *batchRows, *chainRows, *subtasks, *fanout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(batches, batchRows int, chainRows int64, subtasks, fanout int) error {
	rec, err := bench.Batch(batchRows, bench.ChainWidth)
	if err != nil {
		return err
	}
	defer rec.Release()
	// Warm up both paths once, then measure.
	if _, err := bench.ExchangeThroughput(rec, batches/10+1); err != nil {
		return err
	}
	ex, err := bench.ExchangeThroughput(rec, batches)
	if err != nil {
		return err
	}
	chunk := int(ex.Bytes / int64(batches))
	raw, err := bench.RawTCP(ex.Bytes, chunk)
	if err != nil {
		return err
	}
	rows, elapsed, err := bench.ForwardChain(chainRows, 4096, batch.NewPoolAllocator())
	if err != nil {
		return err
	}
	rowsPerSec := float64(rows) / elapsed.Seconds()
	mem, err := bench.MeasureMemory(subtasks, fanout)
	if err != nil {
		return err
	}

	fmt.Printf("Flowplane data plane, %s/%s, GOMAXPROCS=%d, exchange in one process over loopback TCP\n\n",
		goruntime.GOOS, goruntime.GOARCH, goruntime.GOMAXPROCS(0))
	fmt.Printf("| %-58s | %16s | %16s | %7s | %-12s |\n", "measurement", "value", "baseline", "ratio", "target")
	fmt.Printf("|%s|%s|%s|%s|%s|\n", dash(60), dash(18), dash(18), dash(9), dash(14))
	fmt.Printf("| %-58s | %11.0f MB/s | %11.0f MB/s | %6.0f%% | %-12s |\n",
		fmt.Sprintf("exchange, 2 nodes, 1 channel, %d x %d KiB batches", batches, chunk>>10), ex.MBps(), raw.MBps(), 100*ex.MBps()/raw.MBps(), ">= 50%")
	fmt.Printf("| %-58s | %10.1f M/s | %16s | %7s | %-12s |\n",
		fmt.Sprintf("forward chain source->project->blackhole, %d cols", bench.ChainWidth), rowsPerSec/1e6, "-", "-", ">= 20 M/s")
	fmt.Printf("| %-58s | %12.1f KiB | %16s | %7s | %-12s |\n", fmt.Sprintf("memory per idle subtask (%d subtasks)", subtasks), mem.PerSubtask/1024, "-", "-", "-")
	fmt.Printf("| %-58s | %12.1f KiB | %16s | %7s | %-12s |\n", fmt.Sprintf("memory per in-memory channel (%d channels)", fanout*fanout), mem.PerLocalChannel/1024, "-", "-", "-")
	fmt.Printf("| %-58s | %12.1f KiB | %16s | %7s | %-12s |\n", fmt.Sprintf("memory per TCP channel, both ends (%d channels)", fanout*fanout), mem.PerTCPChannel/1024, "-", "-", "-")
	fmt.Printf("\nbaseline of the exchange row: the same bytes in the same chunk size copied with plain net.Conn writes over loopback.\n")
	return nil
}

func dash(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '-'
	}
	return string(b)
}
