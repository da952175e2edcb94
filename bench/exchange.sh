#!/usr/bin/env bash
# Prints the data-plane benchmark table: exchange throughput vs a plain TCP copy (two processes
# and one), rows/s of a chained subtask on one core, memory per idle subtask and per channel.
# Extra flags go to the program, e.g. bench/exchange.sh -batches 4000 -rows 100000000
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./workers/exchange/internal/benchtable "$@"
