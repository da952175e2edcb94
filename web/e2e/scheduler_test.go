package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/services/seal"
)

// TestConsoleWithScheduler runs the "running" scenario against `flowplane dev` (API, console,
// scheduler and workers in one process): deploy, see the deployment reach RUNNING with its job
// graph, see a completed checkpoint, stop with a savepoint and see it FINISHED with the savepoint
// COMPLETED. It needs the scheduler and workers wired into `flowplane dev`; until then it is
// skipped unless FLOWPLANE_E2E_SCHEDULER=1.
func TestConsoleWithScheduler(t *testing.T) {
	if os.Getenv("FLOWPLANE_E2E_SCHEDULER") == "" {
		t.Skip("set FLOWPLANE_E2E_SCHEDULER=1 once `flowplane dev` runs the scheduler and workers")
	}
	requireBrowser(t)
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "flowplane")
	build := exec.Command("go", "build", "-o", bin, "github.com/flowplane/flowplane/cmd/flowplane")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build flowplane: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "dev", "--http", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+pgtest.NewDatabase(t), "FLOWPLANE_MASTER_KEY="+seal.GenerateKey())
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	var c *console
	for c == nil {
		select {
		case err := <-done:
			t.Fatalf("flowplane dev exited early (%v):\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("flowplane dev printed no console URL and login within 60s:\n%s", out.String())
		}
		c = devConsole(out.String())
	}
	runScenario(t, c, "running", 150*time.Second)
}

// devConsole reads the console URL and admin login that `flowplane dev` prints, or nil before it has.
func devConsole(out string) *console {
	var c console
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Console:":
			c.url = strings.TrimSuffix(f[1], "/")
		case len(f) == 5 && f[0] == "Admin" && f[1] == "login:" && f[3] == "/":
			c.email, c.password = f[2], f[4]
		}
	}
	if c.url == "" || c.password == "" {
		return nil
	}
	return &c
}

// lockedBuffer is a bytes.Buffer safe for the child's writers and the test's reader.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
