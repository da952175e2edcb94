// Package bench measures the data plane: exchange throughput against a plain TCP copy, rows per
// second of a chained subtask, and the memory an idle subtask and a channel cost. The Go
// benchmarks in this package and the benchtable program (which prints one comparison table)
// share these functions. Nothing here runs under a plain `go test`.
package bench
