# The README's first two commands are `make dev` and `make test`; CI runs exactly `make test`.
SHELL    := /bin/bash
GO       ?= go
BIN      := bin/flowplane
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# Stamp the VCS revision when building from a checkout (some machines set GOFLAGS=-buildvcs=false).
BUILDVCS := $(shell git rev-parse --git-dir >/dev/null 2>&1 && echo true || echo false)
GOBUILD  := $(GO) build -buildvcs=$(BUILDVCS) -ldflags '-X main.version=$(VERSION)'
GOFILES   = $(shell git ls-files --cached --others --exclude-standard '*.go' 2>/dev/null)

.PHONY: dev test build generate check-generated lint fmt-check vet go-test bench-api

## build: the single flowplane binary in bin/
build:
	$(GOBUILD) -o $(BIN) ./cmd/flowplane

## dev: run everything on this machine (throwaway PostgreSQL unless DATABASE_URL is set)
dev: build
	./$(BIN) dev

## test: the whole suite: formatting, vet, generated code up to date, all tests against real PostgreSQL
test: fmt-check vet check-generated go-test

go-test:
	$(GO) test -count=1 -timeout 15m ./...

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
## durable 10 MB blob writes to file and PostgreSQL checkpoint storage, and sink commit rows/s
## (BENCH_1GB=1 adds a 1 GB snapshot; needs ~4 GB of memory)
.PHONY: bench-checkpoint
bench-checkpoint:
	$(GO) test -run '^$$' -bench 'BenchmarkSnapshot' -benchtime $(or $(BENCH_N),30)x ./dataflow/state/ $(if $(BENCH_1GB),-args -bench1gb)
	$(GO) test -run '^$$' -bench 'BenchmarkPutState' -benchtime $(or $(BENCH_N),30)x ./dataflow/checkpoint/
	$(GO) test -run '^$$' -bench 'BenchmarkSinkCommit' -benchtime 10x ./dataflow/connectors/postgres/

## lint: gofmt, go vet and staticcheck
lint: fmt-check vet
	$(GO) tool staticcheck ./...

## bench-api: GET a service and POST an application through the real HTTP stack and store, next to a
## bare PostgreSQL SELECT 1 baseline measured in the same run (req/s, p50, p99)
bench-api:
	$(GO) test ./services/api/ -run '^$$' -bench '^BenchmarkAPI$$' -benchtime 3s -count 1

## bench-nexmark: the Nexmark queries the SQL dialect covers, parallelism 2 on the built-in generator:
## events/s per core next to Flink 1.13's published per-core figures and a generator-only baseline
## (NEXMARK_SCALE=0.1 for a quick run)
.PHONY: bench-nexmark
bench-nexmark:
	$(GO) test -run '^$$' -bench '^BenchmarkNexmark$$' -benchtime 1x -timeout 30m ./dataflow/sql/exec/
