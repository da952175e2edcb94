package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/scheduler"
	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/services/seal"
	"github.com/flowplane/flowplane/workers/exchange"
)

// TestServerRunsASchedulerNode: `flowplane server --bootstrap-expect 1` leads a one-node
// scheduler cluster, shows it at /v1/admin/cluster, and serves the worker protocol on /internal/.
func TestServerRunsASchedulerNode(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	cmd := exec.Command(binary(t), "server", "--http", "127.0.0.1:0", "--database-url", dsn,
		"--bootstrap-expect", "1", "--raft-addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	cmd.Env = append(os.Environ(), "FLOWPLANE_MASTER_KEY="+seal.GenerateKey(), "FLOWPLANE_WORKER_JOIN_TOKEN=jt")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	waitFor(t, "the API to listen", 30*time.Second, func() bool { return strings.Contains(out.String(), "API listening") })
	token := printed(out.String(), "Admin token (shown once, valid 90 days):")
	url := loggedURL(out.String())

	var cluster struct {
		State    string `json:"state"`
		LeaderID string `json:"leader_id"`
		Members  []any  `json:"members"`
	}
	waitFor(t, "a scheduler leader", 30*time.Second, func() bool {
		req, _ := http.NewRequest(http.MethodGet, url+"/v1/admin/cluster", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&cluster) == nil && cluster.State == "Leader"
	})
	if len(cluster.Members) != 1 || cluster.LeaderID == "" {
		t.Errorf("cluster = %+v", cluster)
	}
	if status := getWithToken(t, url+"/readyz", ""); status != http.StatusOK {
		t.Errorf("GET /readyz = %d", status)
	}
	body, _ := json.Marshal(assign.Register{Slots: 2, DataAddr: "127.0.0.1:7000"})
	var reg assign.Registered
	var last string
	waitFor(t, "a worker registration", 30*time.Second, func() bool { // 503 means retry, as agents do
		req, _ := http.NewRequest(http.MethodPost, url+assign.PathRegister, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer jt")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		last = fmt.Sprint(resp.StatusCode, " ", string(raw))
		if resp.StatusCode == http.StatusServiceUnavailable {
			return false
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &reg) != nil || reg.WorkerID == "" || reg.Token == "" {
			t.Fatalf("register = %s", last)
		}
		return true
	})
}

// TestAttemptTokensAgree: the scheduler derives the data-plane token exactly like the workers'
// exchange (which compares tokens without knowing the secret).
func TestAttemptTokensAgree(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	if !bytes.Equal(scheduler.AttemptToken(secret, "dep_1", 3), exchange.AttemptToken(secret, "dep_1", 3)) {
		t.Fatal("scheduler.AttemptToken and exchange.AttemptToken disagree")
	}
	if bytes.Equal(scheduler.AttemptToken(secret, "dep_1", 3), scheduler.AttemptToken(secret, "dep_1", 4)) {
		t.Fatal("attempts share a token")
	}
}

func TestSchedulerNeedsAWorkerJoinToken(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary(t), "server", "--database-url", "postgres://x@127.0.0.1:1/x", "--bootstrap-expect", "1")
	cmd.Env = append(os.Environ(), "FLOWPLANE_MASTER_KEY="+seal.GenerateKey(), "FLOWPLANE_WORKER_JOIN_TOKEN=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "FLOWPLANE_WORKER_JOIN_TOKEN") {
		t.Fatalf("err=%v out=%s", err, out)
	}
}
