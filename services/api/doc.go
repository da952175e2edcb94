// Package api is the public HTTP surface of a Flowplane server: the generated strict server
// (package openapi) behind chi, its middleware (request ids, panic recovery, logging, metrics, body
// limits), the spec at /openapi.yaml and its reference page at /docs, /metrics, and the console.
//
// SQL: versions are compiled with dataflow/sql (sqlplan.go): errors carry part, line and column,
// valid SQL yields the job graph stored with the version and, compiled again with the deployment's
// parallelism, with the deployment; integration references are resolved against the service and
// integration endpoints pass the egress guard (Config.Egress). Interactive previews (queries.go)
// run a SELECT in-process with dataflow/sql/preview, bounded by Config.Preview (postgres and kafka
// sources reach the service's integrations through Config.Egress, previewconn.go), and keep the rows
// in Postgres for their ttl. GET .../job shows the deployment's plan and its current attempt.
//
// Every error leaves through problem.Write, so the mapping from domain error to HTTP status lives in
// one place (package problem).
package api
