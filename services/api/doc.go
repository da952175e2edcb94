// Package api is the public HTTP surface of a Flowplane server: the generated strict server
// (package openapi) behind chi, its middleware (request ids, panic recovery, logging, metrics, body
// limits), the spec at /openapi.yaml and its reference page at /docs, /metrics, and the console.
//
// Every error leaves through problem.Write, so the mapping from domain error to HTTP status lives in
// one place (package problem).
package api
