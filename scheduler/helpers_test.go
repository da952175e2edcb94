package scheduler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/assign"
)

const testJoinToken = "join-secret"

type testNode struct {
	*Server
	url  string
	http *http.Server
}

func testLogger() *slog.Logger {
	if os.Getenv("SCHED_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// fastRaft shortens Raft's timing so elections take a few hundred milliseconds.
func fastRaft(c *Config) {
	c.HeartbeatTimeout = 150 * time.Millisecond
	c.ElectionTimeout = 150 * time.Millisecond
	c.LeaderLeaseTimeout = 100 * time.Millisecond
	c.CommitTimeout = 5 * time.Millisecond
}

// startNode runs one scheduler node with its internal HTTP API on a loopback listener.
func startNode(t testing.TB, cfg Config) *testNode {
	t.Helper()
	return startNodeOn(t, listen(t), cfg)
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// startNodeOn runs a node whose internal API serves on ln.
func startNodeOn(t testing.TB, ln net.Listener, cfg Config) *testNode {
	t.Helper()
	url := "http://" + ln.Addr().String()
	cfg.HTTPAddr, cfg.RaftAddr = url, "127.0.0.1:0"
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.JoinToken == "" {
		cfg.JoinToken = testJoinToken
	}
	if cfg.Lease == 0 {
		cfg.Lease = 2 * time.Second
	}
	cfg.Logger = testLogger()
	if cfg.HeartbeatTimeout == 0 {
		fastRaft(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	n := &testNode{Server: s, url: url, http: hs}
	t.Cleanup(n.kill)
	return n
}

// kill stops the node abruptly (HTTP and Raft).
func (n *testNode) kill() {
	_ = n.http.Close()
	_ = n.Close()
}

// startCluster forms a cluster of n nodes: the first bootstraps expecting n, the rest join it.
func startCluster(t testing.TB, n int, tweak func(*Config)) []*testNode {
	t.Helper()
	cfg := Config{BootstrapExpect: n}
	if tweak != nil {
		tweak(&cfg)
	}
	nodes := []*testNode{startNode(t, cfg)}
	for i := 1; i < n; i++ {
		c := cfg
		c.BootstrapExpect, c.Join = 0, []string{nodes[0].url}
		nodes = append(nodes, startNode(t, c))
	}
	waitFor(t, 10*time.Second, "cluster formed", func() bool {
		l := leaderOf(nodes)
		return l != nil && len(l.fsm.Members()) == n && l.fsm.Secret() != nil && len(l.Cluster().Members) == n
	})
	return nodes
}

func leaderOf(nodes []*testNode) *testNode {
	for _, n := range nodes {
		if n.IsLeader() {
			return n
		}
	}
	return nil
}

func waitLeader(t testing.TB, nodes []*testNode) *testNode {
	t.Helper()
	var l *testNode
	waitFor(t, 10*time.Second, "a leader", func() bool { l = leaderOf(nodes); return l != nil })
	return l
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testGraph is a two-vertex job: src (parallelism 1) -> rebalance -> sink (parallelism par).
func testGraph(t testing.TB, par int) *dataflow.JobGraph {
	t.Helper()
	b := dataflow.NewGraphBuilder("test")
	src := b.Vertex("src", 1).Op("sequence", map[string]any{"rows": 10})
	sink := b.Vertex("sink", par).Op("blackhole", nil)
	b.Connect(src, sink, dataflow.RebalanceEdge, dataflow.NewSchema(dataflow.Col("k", dataflow.BigInt)))
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return g
}

// testWorker speaks the real worker protocol over HTTP.
type testWorker struct {
	t      testing.TB
	base   string
	id     string
	token  string
	lease  time.Duration
	client *http.Client
	loops  *sync.WaitGroup // runLoop's goroutines
}

func register(t testing.TB, base string, slots int, name string) *testWorker {
	t.Helper()
	w := &testWorker{t: t, base: base, client: &http.Client{Timeout: 30 * time.Second}, loops: &sync.WaitGroup{}}
	var reg assign.Registered
	waitFor(t, 10*time.Second, "registration", func() bool {
		status := w.do(http.MethodPost, assign.PathRegister, testJoinToken,
			assign.Register{Slots: slots, DataAddr: "127.0.0.1:" + strconv.Itoa(7000+slots), Name: name}, &reg)
		return status == http.StatusOK
	})
	w.id, w.token, w.lease = reg.WorkerID, reg.Token, reg.Lease()
	return w
}

func (w *testWorker) do(method, path, token string, in, out any) int {
	var body io.Reader
	if in != nil {
		raw, _ := json.Marshal(in)
		body = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, w.base+path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := w.client.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			w.t.Errorf("decode %s: %v", raw, err)
		}
	}
	return resp.StatusCode
}

// poll does one blocking query.
func (w *testWorker) poll(index uint64, wait time.Duration) (assign.Set, int) {
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s%s?index=%d&wait=%s", w.base, assign.PathAssignments(w.id), index, wait), nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	resp, err := w.client.Do(req)
	if err != nil {
		return assign.Set{}, 0
	}
	defer resp.Body.Close()
	var set assign.Set
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
			w.t.Errorf("decode set: %v", err)
		}
		if h := resp.Header.Get(assign.IndexHeader); h != strconv.FormatUint(set.Index, 10) {
			w.t.Errorf("%s = %q, body index %d", assign.IndexHeader, h, set.Index)
		}
	}
	return set, resp.StatusCode
}

// heartbeat reports every task of set in state st.
func (w *testWorker) heartbeat(set assign.Set, st assign.TaskState) (assign.HeartbeatReply, int) {
	return w.heartbeatAcking(set, st, nil)
}

// heartbeatAcking also acks the triggers for every task of their job attempt.
func (w *testWorker) heartbeatAcking(set assign.Set, st assign.TaskState, triggers []assign.Trigger) (assign.HeartbeatReply, int) {
	hb := assign.Heartbeat{Tasks: []assign.TaskStatus{}}
	for _, tr := range triggers {
		for _, task := range set.Tasks {
			if task.JobID == tr.JobID && task.Attempt == tr.Attempt {
				hb.Acks = append(hb.Acks, assign.Ack{TaskID: task.ID, JobID: task.JobID, Attempt: task.Attempt,
					Checkpoint: tr.Checkpoint, Handle: "h", SizeBytes: 1})
			}
		}
	}
	for _, task := range set.Tasks {
		hb.Tasks = append(hb.Tasks, assign.TaskStatus{TaskID: task.ID, JobID: task.JobID, Attempt: task.Attempt,
			Vertex: task.Vertex, Subtask: task.Subtask, State: st, Metrics: json.RawMessage(`{"records_in":10,"records_out":10,"busy_ms":50,"idle_ms":50}`)})
	}
	var reply assign.HeartbeatReply
	status := w.do(http.MethodPost, assign.PathHeartbeat(w.id), w.token, hb, &reply)
	return reply, status
}

// runLoop polls and heartbeats (every 50 ms, independently) until ctx ends, reporting every
// assigned task RUNNING. After ctx ends, w.loops.Wait() returns once the worker sent its last
// request.
func (w *testWorker) runLoop(ctx context.Context) {
	var mu sync.Mutex
	var latest assign.Set
	w.loops.Add(2)
	go func() {
		defer w.loops.Done()
		var index uint64
		for ctx.Err() == nil {
			set, status := w.poll(index, 200*time.Millisecond)
			if ctx.Err() != nil {
				return // dead workers do not report
			}
			if status == http.StatusOK {
				index = set.Index
				mu.Lock()
				latest = set
				mu.Unlock()
				w.heartbeat(set, assign.TaskRunning) // report new tasks at once
			} else {
				select {
				case <-ctx.Done():
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
	}()
	go func() {
		defer w.loops.Done()
		var triggers []assign.Trigger
		for ctx.Err() == nil {
			mu.Lock()
			set := latest
			mu.Unlock()
			reply, _ := w.heartbeatAcking(set, assign.TaskRunning, triggers)
			triggers = reply.Triggers
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
}
