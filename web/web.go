// Package web is the console: static files embedded with go:embed, so `go build` alone produces the
// whole binary. It talks only to the public REST API, never to the database or the scheduler.
//
// Layout: static/ holds index.html, the stylesheet and the ES modules of the app (no build step);
// vendor/ holds preact, its hooks and htm, copied from npm by vendor/update.sh. e2e/ holds the
// browser tests (Playwright driving Chromium against a real server).
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

//go:embed vendor/*.js
var vendor embed.FS

// contentSecurityPolicy allows only this origin: the console loads no external resource and sends
// requests only to the API it is served with.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the console at / and its vendored libraries at /vendor/.
func Handler() http.Handler {
	app, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded directory exists at compile time
	}
	files := http.FileServer(http.FS(app))
	libs := http.FileServer(http.FS(vendor))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		if strings.HasPrefix(r.URL.Path, "/vendor/") {
			libs.ServeHTTP(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}
