package main

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/services/seal"
)

func TestServerNeedsAMasterKey(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary(t), "server", "--database-url", "postgres://x@127.0.0.1:1/x")
	cmd.Env = append(os.Environ(), "FLOWPLANE_MASTER_KEY=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "FLOWPLANE_MASTER_KEY") {
		t.Fatalf("err=%v out=%s", err, out)
	}
}

// TestServerPrintsTheBootstrapTokenOnce: the first start of a fresh database prints a working admin
// token; the next start prints none.
func TestServerPrintsTheBootstrapTokenOnce(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	key := seal.GenerateKey()
	start := func() (string, func()) {
		cmd := exec.Command(binary(t), "server", "--http", "127.0.0.1:0", "--database-url", dsn)
		cmd.Env = append(os.Environ(), "FLOWPLANE_MASTER_KEY="+key)
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the API to listen", 30*time.Second, func() bool { return strings.Contains(out.String(), "API listening") })
		return out.String(), func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	}
	first, stop := start()
	token := printed(first, "Admin token (shown once, valid 90 days):")
	url := loggedURL(first)
	if token == "" || getWithToken(t, url+"/v1/me", token) != http.StatusOK {
		t.Fatalf("first start: token %q at %s\n%s", token, url, first)
	}
	stop()
	second, stop := start()
	defer stop()
	if strings.Contains(second, "Admin token") {
		t.Fatalf("second start printed a token again:\n%s", second)
	}
	url = loggedURL(second)
	// An operator who lost it mints another from the database.
	cmd := exec.Command(binary(t), "bootstrap", "--database-url", dsn, "--ttl", "1h")
	cmd.Env = append(os.Environ(), "FLOWPLANE_MASTER_KEY="+key)
	out, err := cmd.CombinedOutput()
	fresh := printed(string(out), "(valid 1h0m0s):")
	if err != nil || fresh == "" || getWithToken(t, url+"/v1/me", fresh) != http.StatusOK {
		t.Fatalf("bootstrap: %v token %q\n%s", err, fresh, out)
	}
}
