package api_test

import (
	"bytes"
	"net/http"
	"testing"
)

// FuzzRequestDecoding sends arbitrary bodies to creating routes. Whatever arrives, the answer is a
// documented 2xx or 4xx that matches the spec, never a 5xx.
func FuzzRequestDecoding(f *testing.F) {
	for _, seed := range []string{
		`{"version_id":"v","parallelism":1}`,
		`{"version_id":"v","parallelism":1,"restart_strategy":{"type":"failure-rate","max_failures_per_interval":3,"failure_interval_ms":60000}}`,
		`{"parallelism":1e400}`, `{"version_id":null}`, `{"a":`, `[]`, `null`, "\x00", `{"version_id":"v","parallelism":1}{}`,
		`{"name":"x","type":"postgres","postgres":{"host":"h","database":"d","user":"u","password":"p","port":70000}}`,
		`{"statement":"INSERT INTO o SELECT '\u0000'"}`, `{"name":"abc","plan":"startup","name":"dup"}`,
		`{"statement":"SELECT 1 AS one","max_rows":3}`, `{"statement":"SELECT (","sources":[{"create_table":"CREATE TABLE"}]}`,
		`{"statement":"SELECT * FROM bids","ttl":10}`,
	} {
		for _, route := range []uint8{0, 1, 2, 3, 4, 5} {
			f.Add(route, seed)
		}
	}
	e := newEnv(f)
	w := e.newWorld(f)
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		paths := []string{w.appPath + "/deployments", w.base + "/integrations", w.appPath + "/versions", "/v1/projects",
			w.appPath + "/versions/validate", w.appPath + "/queries"}
		path := paths[int(route)%len(paths)]
		req, err := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+w.owner)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("POST %s %q = %d %s", path, body, resp.StatusCode, buf.Bytes())
		}
		validateReply(t, "POST", path, reply{status: resp.StatusCode, header: resp.Header, body: buf.Bytes()})
	})
}
