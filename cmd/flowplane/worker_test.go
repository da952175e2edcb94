package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/workers"
)

// fakeInternalAPI answers the worker protocol with an empty assignment set and records the
// registrations.
type fakeInternalAPI struct {
	mu   sync.Mutex
	regs []assign.Register
	auth []string
	hbs  int
}

func newFakeInternalAPI(t *testing.T) (*fakeInternalAPI, string) {
	t.Helper()
	f := &fakeInternalAPI{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+assign.PathRegister, func(w http.ResponseWriter, r *http.Request) {
		var reg assign.Register
		_ = json.NewDecoder(r.Body).Decode(&reg)
		f.mu.Lock()
		f.regs = append(f.regs, reg)
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		n := len(f.regs)
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(assign.Registered{WorkerID: "w-" + string(rune('0'+n)), Token: "t", LeaseMillis: 10000})
	})
	mux.HandleFunc("GET "+assign.PathRegister+"/{id}/assignments", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("index") != "0" {
			select { // nothing changes: hold the query until the client goes away
			case <-r.Context().Done():
			case <-time.After(time.Second):
			}
		}
		_ = json.NewEncoder(w).Encode(assign.Set{Index: 1, Known: true})
	})
	mux.HandleFunc("POST "+assign.PathRegister+"/{id}/heartbeat", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		f.hbs++
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(assign.HeartbeatReply{Known: true, LeaseMillis: 10000})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeInternalAPI) registrations() ([]assign.Register, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]assign.Register(nil), f.regs...), append([]string(nil), f.auth...)
}

func TestWorkerCommandRegistersAndServesHealth(t *testing.T) {
	t.Parallel()
	f, url := newFakeInternalAPI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary(t), "worker", "--server", dead+","+url, "--slots", "3",
		"--data-addr", "127.0.0.1:0", "--http", "127.0.0.1:0", "--labels", "zone=a")
	cmd.Env = append(os.Environ(), "FLOWPLANE_JOIN_TOKEN=join-1") // environment fallback
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	waitFor(t, "a registration", 30*time.Second, func() bool { regs, _ := f.registrations(); return len(regs) > 0 })
	regs, auth := f.registrations()
	if regs[0].Slots != 3 || regs[0].Labels["zone"] != "a" || !strings.HasPrefix(regs[0].DataAddr, "127.0.0.1:") || auth[0] != "Bearer join-1" {
		t.Fatalf("registration %+v with %q", regs[0], auth[0])
	}
	waitFor(t, "the HTTP listener", 10*time.Second, func() bool { return strings.Contains(out.String(), `"msg":"worker listening"`) })
	httpURL := loggedURL(out.String())
	// The registration reaches the fake before the agent has read its answer: wait for the id.
	var status int
	var body []byte
	waitFor(t, "/healthz naming the worker", 10*time.Second, func() bool {
		resp, err := http.Get(httpURL + "/healthz")
		if err != nil {
			return false
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		status = resp.StatusCode
		return status == http.StatusOK && strings.Contains(string(body), `"worker_id":"w-1"`)
	})
	if status != http.StatusOK {
		t.Fatalf("/healthz = %d %s", status, body)
	}
	// SIGTERM stops it cleanly.
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker exit: %v\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("worker did not stop on interrupt\n%s", out.String())
	}
}

func TestWorkerCommandNeedsAJoinToken(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary(t), "worker", "--server", "http://127.0.0.1:1")
	cmd.Env = append(os.Environ(), "FLOWPLANE_JOIN_TOKEN=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--join-token is required") {
		t.Fatalf("err=%v out=%s", err, out)
	}
}

func TestStartDevWorkers(t *testing.T) {
	t.Parallel()
	f, url := newFakeInternalAPI(t)
	stop, err := startDevWorkers(context.Background(), url, "join-dev", 2, workers.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two registrations", 10*time.Second, func() bool { regs, _ := f.registrations(); return len(regs) == 2 })
	regs, auth := f.registrations()
	if regs[0].DataAddr == regs[1].DataAddr || auth[0] != "Bearer join-dev" || regs[0].Slots != devWorkerSlots {
		t.Fatalf("registrations %+v with %v", regs, auth)
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(20 * time.Second):
		t.Fatal("stop did not return")
	}
}
