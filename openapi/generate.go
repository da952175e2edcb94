// Package openapi holds the public contract of Flowplane (openapi.yaml) and the code generated from
// it: models, a chi strict server interface, the embedded spec, and a typed client.
//
// The spec is written first; `go generate ./...` reproduces every *.gen.go file and CI fails when
// they are stale. Never edit generated files by hand.
package openapi

//go:generate go tool oapi-codegen -config server.cfg.yaml openapi.yaml
//go:generate go tool oapi-codegen -config client.cfg.yaml openapi.yaml

import _ "embed"

// Spec is openapi.yaml as written, served at /openapi.yaml.
//
//go:embed openapi.yaml
var Spec []byte
