package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/services/seal"
)

// apiClient calls the public REST API with a bearer token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (c apiClient) call(method, path, body string, want int, out any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

// startProcess runs the binary with args until the test ends; it returns the output buffer.
func startProcess(t *testing.T, env []string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, out
}

var registeredID = regexp.MustCompile(`"msg":"worker registered"[^\n]*"worker":"([^"]+)"`)

// TestDeploymentSurvivesWorkerKillThroughTheAPI runs `flowplane server` and two `flowplane worker`
// processes, deploys a SQL application through the REST API, kills one worker process (SIGKILL)
// and watches the API: the deployment goes RESTARTING, then RUNNING again at the next attempt,
// and its events record the failure (worker_lost, or task_failed when a survivor's tasks lost
// their exchange peer first: the usual case with a real data plane), the new attempt, and one
// worker_lost event naming the killed worker.
func TestDeploymentSurvivesWorkerKillThroughTheAPI(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	_, srvOut := startProcess(t, []string{"FLOWPLANE_MASTER_KEY=" + seal.GenerateKey(), "FLOWPLANE_WORKER_JOIN_TOKEN=jt"},
		"server", "--http", "127.0.0.1:0", "--database-url", dsn, "--bootstrap-expect", "1", "--raft-addr", "127.0.0.1:0",
		"--data-dir", t.TempDir(), "--lease", "1500ms")
	waitFor(t, "the API to listen", 30*time.Second, func() bool { return strings.Contains(srvOut.String(), "API listening") })
	token := printed(srvOut.String(), "Admin token (shown once, valid 90 days):")
	url := loggedURL(srvOut.String())
	api := apiClient{t: t, base: url, token: token}

	var workerCmds []*exec.Cmd
	var workerIDs []string
	for i := range 2 {
		cmd, out := startProcess(t, []string{"FLOWPLANE_JOIN_TOKEN=jt"}, "worker", "--server", url, "--slots", "2",
			"--data-addr", "127.0.0.1:0", "--http", "127.0.0.1:0", "--name", fmt.Sprint("w", i+1), "--poll-wait", "2s")
		waitFor(t, "worker registered", 30*time.Second, func() bool { return registeredID.MatchString(out.String()) })
		workerCmds = append(workerCmds, cmd)
		workerIDs = append(workerIDs, registeredID.FindStringSubmatch(out.String())[1])
	}

	var obj struct {
		ID string `json:"id"`
	}
	api.call("POST", "/v1/projects", `{"name":"prj"}`, 201, nil)
	base := "/v1/projects/prj/services/svc"
	api.call("POST", "/v1/projects/prj/services", `{"name":"svc","plan":"startup"}`, 201, nil)
	api.call("POST", base+"/applications", `{"name":"app"}`, 201, &obj)
	app := base + "/applications/" + obj.ID
	api.call("POST", app+"/versions", `{"statement":"INSERT INTO dst SELECT a, COUNT(*) FROM src GROUP BY a",
		"sources":[{"create_table":"CREATE TABLE src (a BIGINT) WITH ('connector' = 'datagen')"}],
		"sinks":[{"create_table":"CREATE TABLE dst (a BIGINT, n BIGINT) WITH ('connector' = 'blackhole')"}]}`, 201, &obj)
	api.call("POST", app+"/deployments", fmt.Sprintf(`{"version_id":%q,"parallelism":2,
		"restart_strategy":{"type":"fixed-delay","attempts":3,"delay_ms":200}}`, obj.ID), 201, &obj)
	dep := app + "/deployments/" + obj.ID

	type deployment struct {
		Status        string `json:"status"`
		StatusMessage string `json:"status_message"`
	}
	type job struct {
		Attempt *int `json:"attempt"`
		Status  string
	}
	var d deployment
	var j job
	waitFor(t, "the deployment RUNNING", 30*time.Second, func() bool {
		api.call("GET", dep, "", 200, &d)
		if d.Status == "FAILED" {
			t.Fatalf("deployment failed: %s\n%s", d.StatusMessage, srvOut.String())
		}
		return d.Status == "RUNNING"
	})
	api.call("GET", dep+"/job", "", 200, &j)
	if j.Attempt == nil || *j.Attempt != 1 {
		t.Fatalf("job = %+v, want attempt 1", j)
	}

	killed := workerIDs[1]
	if err := workerCmds[1].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var seen []string
	waitFor(t, "RUNNING again at a later attempt", 30*time.Second, func() bool {
		api.call("GET", dep, "", 200, &d)
		if len(seen) == 0 || seen[len(seen)-1] != d.Status {
			seen = append(seen, d.Status)
		}
		if d.Status == "FAILED" {
			t.Fatalf("deployment failed after the worker kill: %s", d.StatusMessage)
		}
		api.call("GET", dep+"/job", "", 200, &j)
		return d.Status == "RUNNING" && j.Attempt != nil && *j.Attempt > 1
	})
	t.Logf("worker killed -> RUNNING at attempt %d in %s; statuses polled: %v", *j.Attempt, time.Since(start), seen)
	if *j.Attempt != 2 {
		t.Errorf("failover took %d restarts, want 1 (the restart must not go back onto the killed worker)", *j.Attempt-1)
	}
	type event struct {
		Attempt int    `json:"attempt"`
		Type    string `json:"type"`
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	var events struct {
		Items []event `json:"items"`
	}
	// The first failure the scheduler hears of is usually a survivor's task losing its exchange
	// peer (task_failed); the killed worker's loss comes when its lease runs out, possibly after
	// the job runs again, and is reported then: one worker_lost event names it either way.
	var lost []event
	waitFor(t, "a worker_lost event naming the killed worker", 30*time.Second, func() bool {
		api.call("GET", dep+"/events?limit=100", "", 200, &events)
		lost = lost[:0]
		for _, e := range events.Items {
			if e.Type == "worker_lost" && strings.Contains(e.Message, killed) {
				lost = append(lost, e)
			}
		}
		return len(lost) > 0
	})
	if len(lost) != 1 || !strings.Contains(lost[0].Message, "(w2)") {
		t.Errorf("events naming the killed worker %s (w2): %+v, want one worker_lost", killed, lost)
	}
	t.Logf("event: %+v", lost[0])
	var restarting, running2 bool
	for _, e := range events.Items {
		restarting = restarting || (e.Status == "RESTARTING" && (e.Type == "task_failed" || e.Type == "worker_lost"))
		running2 = running2 || (e.Status == "RUNNING" && e.Attempt >= 2)
	}
	if !restarting || !running2 {
		raw, _ := json.MarshalIndent(events, "", " ")
		t.Fatalf("events lack a failure -> RESTARTING (%v) or RUNNING at attempt 2 (%v):\n%s", restarting, running2, raw)
	}
}
