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

// TestConsoleWithScheduler runs the "running" scenario against `flowplane dev` (API, console, a
// one-node Raft scheduler and two workers in one process): SQL with an error marked and fixed, the
// compiled plan, a changelog preview, deploy, RUNNING, the job graph with live throughput and
// subtask states from the scheduler, cancel.
func TestConsoleWithScheduler(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	runScenario(t, startDev(t), "running", 150*time.Second)
}

// TestConsoleCheckpointsWithScheduler runs the "checkpoints" scenario against `flowplane dev`: a
// completed checkpoint in the chart, a savepoint, stop with savepoint, a new deployment started from
// it.
func TestConsoleCheckpointsWithScheduler(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	runScenario(t, startDev(t), "checkpoints", 240*time.Second)
}

// binDir holds the flowplane binary built for these tests; TestMain removes it.
var binDir string

var devBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "flowplane-e2e-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "flowplane")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/flowplane/flowplane/cmd/flowplane").CombinedOutput(); err != nil {
		return "", &buildError{out: out, err: err}
	}
	return bin, nil
})

type buildError struct {
	out []byte
	err error
}

func (e *buildError) Error() string {
	return "build flowplane: " + e.err.Error() + "\n" + string(e.out)
}

// startDev builds flowplane (once per test run) and starts `flowplane dev` on a fresh database;
// it returns the console it printed. Cleanup interrupts it and waits for it to exit.
func startDev(t *testing.T) *console {
	t.Helper()
	bin, err := devBinary()
	if err != nil {
		t.Fatal(err)
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
		if t.Failed() {
			log := out.String()
			if len(log) > 32<<10 {
				log = "…" + log[len(log)-32<<10:]
			}
			t.Logf("flowplane dev output:\n%s", log)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if c := devConsole(out.String()); c != nil {
			return c
		}
		select {
		case err := <-done:
			t.Fatalf("flowplane dev exited early (%v):\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("flowplane dev printed no console URL and login within 60s:\n%s", out.String())
		}
	}
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
