package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/flowplane/flowplane/web"
)

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestServesTheConsoleWithItsLibraries(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	for path, want := range map[string]string{
		"/":                         "text/html",
		"/app.css":                  "text/css",
		"/js/main.js":               "javascript",
		"/vendor/preact.module.js":  "javascript",
		"/vendor/hooks.module.js":   "javascript",
		"/vendor/htm.module.js":     "javascript",
		"/js/pages/deployment.js":   "javascript",
		"/js/pages/application.js":  "javascript",
		"/js/pages/integrations.js": "javascript",
	} {
		resp, body := get(t, srv, path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), want) || body == "" {
			t.Fatalf("GET %s = %d %q (%d bytes), want 200 %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), want)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") || strings.Contains(csp, "http") {
			t.Fatalf("GET %s: Content-Security-Policy %q does not pin everything to this origin", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("GET %s: no nosniff", path)
		}
	}
	if resp, _ := get(t, srv, "/vendor/update.sh"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /vendor/update.sh = %d, want 404 (only the libraries are embedded)", resp.StatusCode)
	}
}

// Every module the console imports resolves to an embedded file: a typo would only show in a browser.
func TestEveryImportResolves(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	imp := regexp.MustCompile(`(?m)(?:^import|^export)[^'"\n]*from\s*['"]([^'"]+)['"]|from"(\./[^"]+)"`)
	seen := map[string]bool{}
	queue := []string{"/js/main.js"}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		resp, body := get(t, srv, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		for _, m := range imp.FindAllStringSubmatch(body, -1) {
			spec := m[1] + m[2]
			if !strings.HasPrefix(spec, "/") && !strings.HasPrefix(spec, ".") {
				t.Fatalf("%s imports %q: only same-origin paths work without a build step", path, spec)
			}
			queue = append(queue, resolve(path, spec))
		}
	}
	if len(seen) < 15 {
		t.Fatalf("followed only %d modules: %v", len(seen), seen)
	}
}

func resolve(from, spec string) string {
	if strings.HasPrefix(spec, "/") {
		return spec
	}
	dir := from[:strings.LastIndex(from, "/")]
	for strings.HasPrefix(spec, "../") {
		dir, spec = dir[:strings.LastIndex(dir, "/")], spec[3:]
	}
	return dir + "/" + strings.TrimPrefix(spec, "./")
}
