package main

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flowplane/flowplane/services/pgtest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds flowplane once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "flowplane-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "flowplane")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = &buildError{out: string(out), err: err}
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return binPath
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

func TestMain(m *testing.M) {
	chaosWorkerMain() // returns unless this process is a chaos test's worker
	code := pgtest.Main(m)
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for the child's writer and the test's reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// consoleURL is the console URL in dev's banner, without its trailing slash.
func consoleURL(out string) string {
	return strings.TrimSuffix(printed(out, "Console:"), "/")
}

func TestDevServesAndCleansUp(t *testing.T) {
	t.Parallel()
	// Not t.TempDir(): its parent is private, and the cluster runs as postgres when we are root.
	tmp, err := os.MkdirTemp("", "flowplane-devtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t), "dev", "--http", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "DATABASE_URL=", "FLOWPLANE_DATABASE_URL=")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	waitFor(t, "the console URL", 60*time.Second, func() bool {
		select {
		case err := <-done:
			t.Fatalf("dev exited early (%v):\n%s", err, out.String())
		default:
		}
		return consoleURL(out.String()) != ""
	})
	url := consoleURL(out.String())
	if status := getWithToken(t, url+"/v1/me", printed(out.String(), "Admin token:")); status != http.StatusOK {
		t.Fatalf("GET /v1/me with the printed admin token = %d\n%s", status, out.String())
	}
	for _, path := range []string{"/healthz", "/readyz", "/v1/version"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("dev exited with %v:\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("dev did not exit after SIGINT:\n%s", out.String())
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "flowplane-pg-*"))
	if len(left) != 0 {
		t.Fatalf("throwaway cluster left behind: %v", left)
	}
	if pids, _ := exec.Command("pgrep", "-f", tmp).Output(); len(bytes.TrimSpace(pids)) != 0 {
		t.Fatalf("processes survived: %s", pids)
	}
}

func TestDevWithUnreachableDatabaseFailsFast(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary(t), "dev", "--http", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "DATABASE_URL=postgres://flowplane:hunter2@127.0.0.1:1/flowplane")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err == nil {
		t.Fatalf("dev succeeded against an unreachable database:\n%s", out)
	}
	if elapsed > 10*time.Second {
		t.Fatalf("dev took %s to fail", elapsed)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "flowplane: cannot reach PostgreSQL at 127.0.0.1:1") {
		t.Fatalf("last line = %q, want a readable 'cannot reach PostgreSQL' line; output:\n%s", last, out)
	}
	if strings.Contains(string(out), "hunter2") || strings.Contains(string(out), "goroutine") {
		t.Fatalf("output leaks the password or a stack trace:\n%s", out)
	}
}

func TestEnvironmentFallsBackForFlags(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary(t), "server")
	cmd.Env = append(os.Environ(), "DATABASE_URL=", "FLOWPLANE_DATABASE_URL=postgres://x@127.0.0.1:1/x", "FLOWPLANE_HTTP=not-an-address")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `--http "not-an-address": want host:port`) {
		t.Fatalf("err=%v out=%s", err, out)
	}
	cmd = exec.Command(binary(t), "server")
	cmd.Env = append(os.Environ(), "FLOWPLANE_SHUTDOWN_TIMEOUT=soon")
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "FLOWPLANE_SHUTDOWN_TIMEOUT") {
		t.Fatalf("err=%v out=%s", err, out)
	}
	cmd = exec.Command(binary(t), "server")
	cmd.Env = append(os.Environ(), "FLOWPLANE_DATABASE_URL=postgres://x@127.0.0.1:1/x", "FLOWPLANE_EGRESS_ALLOW=loopback,public")
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `--egress-allow: egress allow list: unknown class "public"`) {
		t.Fatalf("err=%v out=%s", err, out)
	}
}

// printed is the value after label on the first output line that has it.
func printed(out, label string) string {
	for _, line := range strings.Split(out, "\n") {
		if _, v, ok := strings.Cut(line, label); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loggedURL is the "url" of the first JSON log line that has one (the listener a server or
// worker logs), without a trailing slash.
func loggedURL(out string) string {
	url, _, _ := strings.Cut(printed(out, `"url":"`), `"`)
	return strings.TrimSuffix(url, "/")
}

func getWithToken(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
