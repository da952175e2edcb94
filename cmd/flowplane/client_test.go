package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flowplane/flowplane/services/api"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/services/seal"
	"github.com/flowplane/flowplane/services/store"
)

// run executes `flowplane args...` in process and returns its output.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// apiServer is a control plane on a fresh database and its bootstrap admin token.
func apiServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	sealer, _ := seal.Parse(seal.GenerateKey())
	st := store.New(pool, sealer)
	tokens, err := auth.NewTokens(ctx, st, sealer)
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := auth.Bootstrap(ctx, st, tokens, false, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.NewHandler(api.Config{Pool: pool, Store: st, Tokens: tokens}))
	t.Cleanup(srv.Close)
	return srv, admin
}

// TestClientReadsEnvironment: FLOWPLANE_ADDR and FLOWPLANE_TOKEN stand in for --addr and --token.
func TestClientReadsEnvironment(t *testing.T) {
	srv, admin := apiServer(t)
	t.Setenv("FLOWPLANE_ADDR", srv.URL)
	t.Setenv("FLOWPLANE_TOKEN", admin)
	out, err := run(t, "token", "list", "-o", "json")
	if err != nil || !strings.Contains(out, "bootstrap admin token") {
		t.Fatalf("token list from the environment: %v\n%s", err, out)
	}
}

func TestClientVerbs(t *testing.T) {
	t.Parallel()
	srv, admin := apiServer(t)
	conn := []string{"--addr", srv.URL, "--token", admin}
	must := func(args ...string) string {
		t.Helper()
		out, err := run(t, append(args, conn...)...)
		if err != nil {
			t.Fatalf("flowplane %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	if out := must("project", "create", "acme"); !strings.Contains(out, "NAME") || !strings.Contains(out, "acme") {
		t.Fatalf("project create:\n%s", out)
	}
	must("service", "create", "s1", "-p", "acme", "--plan", "startup")
	if out := must("service", "overview", "s1", "-p", "acme"); !strings.Contains(out, "8") {
		t.Fatalf("overview:\n%s", out)
	}
	appJSON := must("app", "create", "clicks", "-p", "acme", "-s", "s1", "-o", "json")
	appID := between(appJSON, `"id": "`, `"`)
	sql := t.TempDir() + "/app.sql"
	if err := writeFile(sql, `CREATE TABLE clicks (id BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE out (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT * FROM clicks`); err != nil {
		t.Fatal(err)
	}
	scope := []string{"-p", "acme", "-s", "s1", "-a", appID}
	if out := must(append([]string{"version", "validate", sql}, scope...)...); !strings.Contains(out, "true") {
		t.Fatalf("validate:\n%s", out)
	}
	verJSON := must(append([]string{"version", "create", sql, "-o", "json"}, scope...)...)
	verID := between(verJSON, `"id": "`, `"`)
	depJSON := must(append([]string{"deploy", "create", "--version", verID, "--parallelism", "2", "-o", "json"}, scope...)...)
	depID := between(depJSON, `"id": "`, `"`)
	if out := must(append([]string{"deploy", "cancel", depID}, scope...)...); !strings.Contains(out, "CANCELLING") {
		t.Fatalf("cancel:\n%s", out)
	}
	if out := must(append([]string{"deploy", "events", depID}, scope...)...); !strings.Contains(out, "cancel_requested") {
		t.Fatalf("events:\n%s", out)
	}
	tokOut := must("token", "create", "--project", "acme", "--role", "viewer", "-o", "json")
	narrow := between(tokOut, `"token": "`, `"`)
	if out, err := run(t, "service", "create", "s2", "-p", "acme", "--addr", srv.URL, "--token", narrow); err == nil || !strings.Contains(err.Error(), "403 forbidden") {
		t.Fatalf("viewer token creating a service: %v\n%s", err, out)
	}
	if out := must("token", "list"); !strings.Contains(out, "viewer") {
		t.Fatalf("token list:\n%s", out)
	}
	if _, err := run(t, "project", "get", "nope", "--addr", srv.URL, "--token", admin); err == nil || !strings.Contains(err.Error(), "404 not_found") {
		t.Fatalf("get missing project: %v", err)
	}
}

func between(s, start, end string) string {
	_, rest, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(rest, end)
	return v
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
