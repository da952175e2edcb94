// Package web is the console: static files embedded with go:embed, so `go build` alone produces the
// whole binary. It talks only to the public REST API, never to the database or the scheduler.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the console at /.
func Handler() http.Handler {
	sub, _ := fs.Sub(static, "static")
	return http.FileServer(http.FS(sub))
}
