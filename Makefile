# The README's first two commands are `make dev` and `make test`; CI runs exactly `make test`.
SHELL    := /bin/bash
GO       ?= go
BIN      := bin/flowplane
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# Stamp the VCS revision when building from a checkout (some machines set GOFLAGS=-buildvcs=false).
BUILDVCS := $(shell git rev-parse --git-dir >/dev/null 2>&1 && echo true || echo false)
GOBUILD  := $(GO) build -buildvcs=$(BUILDVCS) -ldflags '-X main.version=$(VERSION)'
GOFILES   = $(shell git ls-files --cached --others --exclude-standard '*.go' 2>/dev/null)

.PHONY: dev test build generate check-generated lint fmt-check vet go-test bench-api e2e-deps

## build: the single flowplane binary in bin/
build:
	$(GOBUILD) -o $(BIN) ./cmd/flowplane

## dev: run everything on this machine (throwaway PostgreSQL unless DATABASE_URL is set)
dev: build
	./$(BIN) dev

## test: the whole suite: formatting, vet, generated code up to date, all tests against real PostgreSQL
test: fmt-check vet check-generated go-test

go-test: e2e-deps
	$(GO) test -count=1 -timeout 15m ./...

## e2e-deps: the console's browser tests need playwright-core from npm (never a downloaded browser;
## they drive /usr/bin/chromium). Without npm they are skipped with a message.
e2e-deps:
	@if [ ! -d web/e2e/node_modules/playwright-core ]; then \
	  if command -v npm >/dev/null 2>&1; then (cd web/e2e && npm ci --no-audit --no-fund); \
	  else echo "npm not found: the console's browser tests (web/e2e) will be skipped"; fi; \
	fi

## generate: reproduce every generated file
generate:
	$(GO) generate ./...

## check-generated: fail when `go generate` would change a committed generated file
check-generated:
	@before=$$(cat $$(git ls-files '*.gen.go') | sha256sum); \
	$(GO) generate ./... && \
	after=$$(cat $$(git ls-files '*.gen.go') | sha256sum); \
	if [ "$$before" != "$$after" ]; then echo "generated code is stale: run 'make generate' and commit the result"; exit 1; fi

fmt-check:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## bench-checkpoint: p50/p99 of keyed-state snapshot pause and encoding for 10 MB of state, and of
## durable 10 MB blob writes to file and PostgreSQL checkpoint storage, sink commit rows/s, and the
## in-process job's throughput with checkpoints every CKPT_INTERVAL (default 1s) vs without, and the
## chaos job's recovery time from a restarted attempt to processing (lease detection not included)
## (BENCH_1GB=1 adds a 1 GB snapshot; needs ~4 GB of memory)
.PHONY: bench-checkpoint
bench-checkpoint:
	$(GO) test -run '^$$' -bench 'BenchmarkSnapshot' -benchtime $(or $(BENCH_N),30)x ./dataflow/state/ $(if $(BENCH_1GB),-args -bench1gb)
	$(GO) test -run '^$$' -bench 'BenchmarkPutState' -benchtime $(or $(BENCH_N),30)x ./dataflow/checkpoint/
	$(GO) test -run '^$$' -bench 'BenchmarkSinkCommit' -benchtime 10x ./dataflow/connectors/postgres/
	$(GO) test -run '^$$' -bench 'BenchmarkCheckpointThroughput' -benchtime 1x ./dataflow/runtime/ -args -ckpt.interval=$(or $(CKPT_INTERVAL),1s)
	$(GO) test -run '^$$' -bench 'BenchmarkRecovery' -benchtime 10x ./workers/chaos/

## test-chaos: the exactly-once chaos suite with more kill/restore rounds (CHAOS_ROUNDS, default 30):
## in process (workers/chaos), then over the real stack (3 Raft servers, worker processes killed
## with SIGKILL, leader kills, a worker partitioned from the servers by TCP proxies, the data plane
## between the job's two workers cut, PostgreSQL outages, 30% of completion notices dropped;
## CHAOS_STACK_ROUNDS, default 12); `make test` runs 4 and 3 rounds; and the exactly-once kafka
## sink's kill/restore cycles on kfake
.PHONY: test-chaos
test-chaos:
	$(GO) test -count=1 -timeout 15m -v -run 'ExactlyOnce' ./workers/chaos/ -args -chaos.rounds=$(or $(CHAOS_ROUNDS),30)
	$(GO) test -count=5 -timeout 5m -v -run 'TestKafkaExactlyOnce' ./dataflow/sql/exec/
	$(GO) test -count=1 -timeout 15m -v -run 'TestChaosRealStack' ./cmd/flowplane/ -args -chaos.stack-rounds=$(or $(CHAOS_STACK_ROUNDS),12)

## bench-exchange: one table of data-plane figures measured in the same run: remote exchange
## throughput vs a plain TCP copy of the same bytes (two processes, and two nodes in one), rows/s
## of a forward chain on one core, memory per idle subtask and per channel
## (BENCH_ARGS="-batches 4000 -rows 100000000" for longer runs)
.PHONY: bench-exchange
bench-exchange:
	bench/exchange.sh $(BENCH_ARGS)

## lint: gofmt, go vet and staticcheck
lint: fmt-check vet
	$(GO) tool staticcheck ./...

## bench-api: GET a service and POST an application through the real HTTP stack and store, next to a
## bare PostgreSQL SELECT 1 baseline measured in the same run (req/s, p50, p99)
bench-api:
	$(GO) test ./services/api/ -run '^$$' -bench '^BenchmarkAPI$$' -benchtime 3s -count 1

## bench-scheduler: medians of deployment created -> all tasks RUNNING, leader kill -> new leader
## serving, worker kill -> tasks running elsewhere (real Raft, HTTP, PostgreSQL; BENCH_ROUNDS=5)
.PHONY: bench-scheduler
bench-scheduler:
	$(GO) test ./scheduler/ -run '^$$' -bench '^BenchmarkScheduler$$' -benchtime 1x -count 1 -timeout 10m

## bench-nexmark: the Nexmark queries the SQL dialect covers, parallelism 2 on the built-in generator:
## events/s per core next to Flink 1.13's published per-core figures and a generator-only baseline
## (NEXMARK_SCALE=0.1 for a quick run)
.PHONY: bench-nexmark
bench-nexmark:
	$(GO) test -run '^$$' -bench '^BenchmarkNexmark$$' -benchtime 1x -timeout 30m ./dataflow/sql/exec/
