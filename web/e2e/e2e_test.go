package e2e

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowplane/flowplane/services/api"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/services/seal"
	"github.com/flowplane/flowplane/services/store"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// chromium is Debian's browser; playwright-core never downloads one.
const chromium = "/usr/bin/chromium"

// console is one running control plane with a known admin login.
type console struct {
	url, email, password, token string
	store                       *store.Store
}

// newConsole starts the real HTTP handler (API and embedded console) on a fresh database and gives
// the bootstrap admin a password; configure, when given, adjusts the handler's configuration.
func newConsole(t *testing.T, configure func(*store.Store, *api.Config)) *console {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	sealer, err := seal.Parse(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pool, sealer)
	tokens, err := auth.NewTokens(ctx, st, sealer)
	if err != nil {
		t.Fatal(err)
	}
	token, admin, err := auth.Bootstrap(ctx, st, tokens, false, time.Hour)
	if err != nil || token == "" {
		t.Fatalf("bootstrap: %q %v", token, err)
	}
	const password = "e2e-password-1234"
	if err := st.SetPassword(ctx, store.Actor{UserID: admin.ID, RequestID: "e2e"}, admin.ID, auth.HashPassword(password)); err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Pool: pool, Store: st, Tokens: tokens}
	if configure != nil {
		configure(st, &cfg)
	}
	srv := httptest.NewServer(api.NewHandler(cfg))
	t.Cleanup(srv.Close)
	return &console{url: srv.URL, email: admin.Email, password: password, token: token, store: st}
}

// e2eDir is this package's directory.
func e2eDir(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Dir(file)
}

// requireBrowser skips when the machine lacks what the browser tests need.
func requireBrowser(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("browser tests skipped: %s is missing (apt-get install -y chromium; .ci/run does it)", chromium)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("browser tests skipped: node is not installed")
	}
	if _, err := os.Stat(filepath.Join(e2eDir(t), "node_modules", "playwright-core")); err != nil {
		t.Skip("browser tests skipped: run `npm ci` in web/e2e (make test does it)")
	}
}

// runScenario runs one scenario of console.mjs against c and fails the test with its output.
func runScenario(t *testing.T, c *console, scenario string, timeout time.Duration) {
	t.Helper()
	dir := e2eDir(t)
	shots := filepath.Join(dir, "..", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "console.mjs", scenario)
	// On timeout, SIGTERM lets Playwright close Chromium; SIGKILL follows if it does not exit.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FP_URL="+c.url, "FP_EMAIL="+c.email, "FP_PASSWORD="+c.password,
		"FP_TOKEN="+c.token, "FP_SCREENSHOTS="+shots, "FP_CHROMIUM="+chromium)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		t.Log(line)
	}
	if ctx.Err() != nil {
		t.Fatalf("scenario %s did not finish within %s", scenario, timeout)
	}
	if err != nil {
		t.Fatalf("scenario %s failed: %v", scenario, err)
	}
}

// TestConsole signs in, creates a project, a service and an application, writes SQL with a
// deliberate error and sees it marked at its line, sees the compiled plan once it is fixed,
// previews rows (the server answers 202 at once here, so the console polls the query), creates two
// versions and diffs them, deploys, sees the deployment listed with its status and its planned job
// graph, and revokes the session's token and sees the session refused. No scheduler runs: the
// deployment stays CREATED.
func TestConsole(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	c := newConsole(t, func(_ *store.Store, cfg *api.Config) { cfg.Preview.Wait = -1 })
	runScenario(t, c, "console", 120*time.Second)
}

// TestConsoleJobView drives the deployment page while a stand-in for the scheduler writes what the
// real one reports through the store's scheduler contract (services/store/scheduler.go) and answers
// the API's live-vertex query: status changes, live vertex figures on the compiled plan of a join,
// checkpoints, events and savepoints. It proves the console's live status, backpressure colours,
// checkpoint chart and savepoint flow, which the real runtime does not produce yet
// (TestConsoleWithScheduler covers the real scheduler and workers).
func TestConsoleJobView(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	var fake *fakeScheduler
	c := newConsole(t, func(st *store.Store, cfg *api.Config) {
		fake = newFakeScheduler(st)
		cfg.Scheduler = fake
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fake.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Errorf("fake scheduler: %v", err)
		}
	})
	runScenario(t, c, "jobview", 120*time.Second)
}

// TestConsoleModules runs units.mjs: the console's pure modules (SQL tokenizer and diagnostic
// ranges, line diff, API client) under node, without a browser.
func TestConsoleModules(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("skipped: node is not installed")
	}
	cmd := exec.Command("node", "units.mjs")
	cmd.Dir = e2eDir(t)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("units.mjs: %v", err)
	}
}
