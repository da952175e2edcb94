package workers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/operator"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// stall is a source that emits nothing until stopped: a task that runs until told otherwise.
type stall struct{ operator.Base }

func (stall) ProcessBatch(int, arrow.RecordBatch, operator.Emitter) error { return nil }
func (stall) Poll(ctx context.Context, _ operator.Emitter) error {
	<-ctx.Done()
	return ctx.Err()
}

func testRegistry(t *testing.T, coll *operator.Collection) *operator.Registry {
	t.Helper()
	reg, err := NewRegistry(coll, io.Discard)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	if err := reg.Register("stall", func(dataflow.OperatorSpec) (operator.Operator, error) { return stall{}, nil }); err != nil {
		t.Fatalf("Register: %v", err)
	}
	return reg
}

// startAgent runs an agent until the test ends.
func startAgent(t *testing.T, cfg Config) *Agent {
	t.Helper()
	if cfg.Slots == 0 {
		cfg.Slots = 2
	}
	if cfg.DataAddr == "" {
		cfg.DataAddr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	if cfg.Registry == nil {
		cfg.Registry = testRegistry(t, nil)
	}
	if cfg.BackoffMin == 0 {
		cfg.BackoffMin, cfg.BackoffMax = 20*time.Millisecond, 200*time.Millisecond
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	return a
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stallTask is subtask 0 of a one-vertex job that runs until stopped, on the agent a.
func stallTask(t *testing.T, a *Agent, job string, attempt uint64) assign.Task {
	t.Helper()
	b := dataflow.NewGraphBuilder(job)
	b.Vertex("src", 1).Op("stall", nil)
	g, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return assign.Task{
		ID: assign.TaskID(job, attempt, "src", 0), JobID: job, Attempt: attempt, Vertex: "src", Graph: g,
		Placement: map[dataflow.VertexID][]string{"src": {a.DataAddr()}}, Token: []byte("t"), Project: "p1",
	}
}

// running returns the ids of the agent's tasks in state.
func tasksIn(a *Agent, state assign.TaskState) []string {
	var ids []string
	for _, s := range a.Tasks() {
		if s.State == state {
			ids = append(ids, s.TaskID)
		}
	}
	return ids
}

func sameIDs(got []string, want ...string) bool {
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(got, want)
}

// deadServer returns the URL of a port nothing listens on.
func deadServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr
}

func TestRegisterAndReconcile(t *testing.T) {
	t.Parallel()
	f := newFakeSched(t, 5*time.Second)
	// The first server is down: the agent moves on to the second.
	a := startAgent(t, Config{Servers: []string{deadServer(t), f.URL()}, JoinToken: f.join, Labels: map[string]string{"zone": "a"}})
	waitFor(t, "registration", func() bool { return a.WorkerID() != "" })
	id := a.WorkerID()
	if reg := f.worker(id).reg; reg.DataAddr != a.DataAddr() || reg.Slots != 2 || reg.Labels["zone"] != "a" {
		t.Fatalf("registered %+v, want data addr %s, 2 slots, zone label", reg, a.DataAddr())
	}

	j1, j2 := stallTask(t, a, "job1", 1), stallTask(t, a, "job2", 1)
	f.setTasks(id, j1)
	waitFor(t, "job1 running", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j1.ID) })
	waitFor(t, "job1 RUNNING in a heartbeat", func() bool {
		st := f.worker(id).statuses
		return len(st) == 1 && st[0].TaskID == j1.ID && st[0].State == assign.TaskRunning && len(st[0].Metrics) > 0
	})

	f.setTasks(id, j1, j2)
	waitFor(t, "job1 and job2 running", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j1.ID, j2.ID) })

	// Stop extra: job1 leaves the set.
	f.setTasks(id, j2)
	waitFor(t, "job1 removed", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j2.ID) && len(a.Tasks()) == 1 })

	// Attempt fencing: a newer attempt of job2 replaces the older one, even if both are listed.
	j2b := stallTask(t, a, "job2", 2)
	f.setTasks(id, j2, j2b)
	waitFor(t, "only attempt 2 of job2", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j2b.ID) && len(a.Tasks()) == 1 })

	// A set naming only the older attempt again (e.g. from a stale replica) never revives it.
	f.setTasks(id, j2)
	waitFor(t, "no task", func() bool { return len(a.Tasks()) == 0 })
	f.setTasks(id, j2, j1)
	waitFor(t, "job1 again", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j1.ID) && len(a.Tasks()) == 1 })

	// /metrics and /healthz.
	hs := httptest.NewServer(a.Handler())
	defer hs.Close()
	body := get(t, hs.URL+"/metrics")
	for _, want := range []string{`flowplane_worker_tasks{state="RUNNING"} 1`, `flowplane_task_records_out_total{job="job1",subtask="0",vertex="src"} 0`} {
		if !strings.Contains(body, want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, body)
		}
	}
	if body := get(t, hs.URL+"/healthz"); !strings.Contains(body, `"worker_id":"`+id+`"`) {
		t.Fatalf("/healthz = %s", body)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(raw)
}

func TestIndexBackwardsStartsOverWithoutDroppingTasks(t *testing.T) {
	t.Parallel()
	f := newFakeSched(t, 10*time.Second)
	a := startAgent(t, Config{Servers: []string{f.URL()}, JoinToken: f.join})
	waitFor(t, "registration", func() bool { return a.WorkerID() != "" })
	id := a.WorkerID()
	j1 := stallTask(t, a, "job1", 1)
	f.setTasks(id, j1)
	waitFor(t, "job1 running", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j1.ID) })
	f.mu.Lock()
	high := f.index
	f.mu.Unlock()
	waitFor(t, "a blocking query at the current index", func() bool { return slices.Contains(f.pollIndexes(), high) })

	// A replica behind (a stale follower, or a restored snapshot) answers with a lower index
	// and without the task.
	f.set(func(f *fakeSched) { f.stale = &assign.Set{Index: 2, Known: true} })
	waitFor(t, "the query to start over from 0 and follow the lower index", func() bool {
		p := f.pollIndexes()
		i := slices.Index(p, high)
		return i >= 0 && slices.Contains(p[i:], 0) && slices.Contains(p[i:], 2)
	})
	if !sameIDs(tasksIn(a, assign.TaskRunning), j1.ID) {
		t.Fatalf("a stale answer dropped a live task: %+v", a.Tasks())
	}
	// The replica catches up.
	f.set(func(f *fakeSched) { f.stale = nil; f.workers[id].tasks = nil })
	waitFor(t, "job1 removed by a current answer", func() bool { return len(a.Tasks()) == 0 })
}

func TestBackoffOnErrors(t *testing.T) {
	t.Parallel()
	f := newFakeSched(t, 10*time.Second)
	f.failReg = true
	start := time.Now()
	a := startAgent(t, Config{Servers: []string{f.URL()}, JoinToken: f.join, BackoffMin: 50 * time.Millisecond, BackoffMax: 400 * time.Millisecond})
	waitFor(t, "several registration attempts", func() bool { return f.count("register", start) >= 3 })
	time.Sleep(time.Second) // observe the request rate over a period
	// 50..400 ms doubling, jittered down to half: well under 30 attempts in about 1.x s.
	if n := f.count("register", start); n > 30 {
		t.Fatalf("%d registration attempts in %v: hot loop", n, time.Since(start))
	}
	f.set(func(f *fakeSched) { f.failReg, f.failPoll = false, true })
	waitFor(t, "registration", func() bool { return a.WorkerID() != "" })
	pollStart := time.Now()
	waitFor(t, "several failing polls", func() bool { return f.count("poll", pollStart) >= 3 })
	time.Sleep(time.Second)
	if n := f.count("poll", pollStart); n > 30 {
		t.Fatalf("%d failing blocking queries in %v: hot loop", n, time.Since(pollStart))
	}
	f.set(func(f *fakeSched) { f.failPoll = false })
	j1 := stallTask(t, a, "job1", 1)
	f.setTasks(a.WorkerID(), j1)
	waitFor(t, "job1 running after the errors", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j1.ID) })
}

func TestSelfFenceAndRegisterAgain(t *testing.T) {
	t.Parallel()
	const lease = time.Second
	f := newFakeSched(t, lease)
	a := startAgent(t, Config{Servers: []string{f.URL()}, JoinToken: f.join})
	waitFor(t, "registration", func() bool { return a.WorkerID() != "" })
	id := a.WorkerID()
	j1, j2 := stallTask(t, a, "job1", 1), stallTask(t, a, "job2", 1)
	f.setTasks(id, j1, j2)
	waitFor(t, "tasks running and reported", func() bool {
		st := f.worker(id).statuses
		return len(st) == 2 && st[0].State == assign.TaskRunning && st[1].State == assign.TaskRunning
	})

	// The worker is cut off from the leader: heartbeats fail, blocking queries still answer.
	f.set(func(f *fakeSched) { f.failHB = true })
	lastOK := f.worker(id).lastHB
	waitFor(t, "self-fencing", func() bool { return len(tasksIn(a, assign.TaskFailed)) == 2 })
	fencedAt := a.tasks.lastFence()
	if deadline := lastOK.Add(lease); !fencedAt.Before(deadline) {
		t.Fatalf("tasks stopped at %v, after the scheduler's lease ended at %v", fencedAt, deadline)
	}
	for _, s := range a.Tasks() {
		if !strings.Contains(s.Error, "self-fenced") {
			t.Fatalf("fenced task status %+v lacks the reason", s)
		}
	}
	// No task starts while fenced, even when a replica assigns one.
	j3 := stallTask(t, a, "job3", 1)
	f.setTasks(id, j1, j2, j3)
	f.waitApplied(t)
	if got := tasksIn(a, assign.TaskRunning); len(got) != 0 {
		t.Fatalf("fenced worker started %v", got)
	}

	// The scheduler declared it lost: the worker registers again under a new id.
	f.forget(id)
	f.set(func(f *fakeSched) { f.failHB = false })
	waitFor(t, "a new registration", func() bool { return f.lastWorker() != id && a.WorkerID() == f.lastWorker() })
	id2 := a.WorkerID()
	if len(a.Tasks()) != 0 {
		t.Fatalf("tasks of the old registration kept: %+v", a.Tasks())
	}
	j1b := stallTask(t, a, "job1", 2)
	f.setTasks(id2, j1b)
	waitFor(t, "the new attempt running", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j1b.ID) })
}

func TestFollowsTheOtherServerWhenOneFails(t *testing.T) {
	t.Parallel()
	f := newFakeSched(t, 2*time.Second)
	a := startAgent(t, Config{Servers: f.URLs(), JoinToken: f.join, Wait: time.Second})
	waitFor(t, "registration", func() bool { return a.WorkerID() != "" })
	id := a.WorkerID()
	j1 := stallTask(t, a, "job1", 1)
	f.setTasks(id, j1)
	waitFor(t, "job1 running", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j1.ID) })
	if f.countAt(1, "heartbeat", time.Time{}) != 0 {
		t.Fatalf("heartbeats reached the second server while the first was up")
	}
	// The first server goes down: heartbeats and queries move to the second.
	f.set(func(f *fakeSched) { f.down[0] = true })
	since := time.Now()
	waitFor(t, "heartbeats on the second server", func() bool { return f.countAt(1, "heartbeat", since) >= 2 })
	j2 := stallTask(t, a, "job2", 1)
	f.setTasks(id, j1, j2)
	waitFor(t, "job2 assigned through the second server", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j1.ID, j2.ID) })
	// Longer than a lease: the worker never fenced itself.
	waitFor(t, "a lease's worth of heartbeats on the second server", func() bool { return time.Since(since) > 2*time.Second })
	if a.tasks.isFenced() || len(tasksIn(a, assign.TaskRunning)) != 2 {
		t.Fatalf("worker fenced or lost tasks while another server answered: %+v", a.Tasks())
	}
}

func TestStaleReplicaSayingUnknownIsIgnored(t *testing.T) {
	t.Parallel()
	f := newFakeSched(t, 10*time.Second)
	a := startAgent(t, Config{Servers: []string{f.URL()}, JoinToken: f.join})
	waitFor(t, "registration", func() bool { return a.WorkerID() != "" })
	id := a.WorkerID()
	j1 := stallTask(t, a, "job1", 1)
	f.setTasks(id, j1)
	waitFor(t, "job1 running", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j1.ID) })
	// A replica that has not applied the registration yet (index 1 < the registration's).
	since := time.Now()
	f.set(func(f *fakeSched) { f.stale = &assign.Set{Index: 1, Known: false} })
	waitFor(t, "several stale answers", func() bool { return f.count("poll", since) >= 3 })
	if a.WorkerID() != id || f.count("register", since) != 0 || !sameIDs(tasksIn(a, assign.TaskRunning), j1.ID) {
		t.Fatalf("a stale replica made the worker register again or drop tasks: worker %s, tasks %+v", a.WorkerID(), a.Tasks())
	}
	f.set(func(f *fakeSched) { f.stale = nil })
	// The same answer at a current index is authoritative.
	f.forget(id)
	waitFor(t, "registering again", func() bool { return a.WorkerID() != id && a.WorkerID() != "" })
	if len(a.Tasks()) != 0 {
		t.Fatalf("tasks kept after being declared lost: %+v", a.Tasks())
	}
}

func TestCloseStopsRunAndTasks(t *testing.T) {
	t.Parallel()
	f := newFakeSched(t, 10*time.Second)
	a, err := New(Config{Servers: []string{f.URL()}, JoinToken: f.join, Slots: 1, DataAddr: "127.0.0.1:0", Logger: quiet, Registry: testRegistry(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	waitFor(t, "registration", func() bool { return a.WorkerID() != "" })
	j1 := stallTask(t, a, "job1", 1)
	f.setTasks(a.WorkerID(), j1)
	waitFor(t, "job1 running", func() bool { return sameIDs(tasksIn(a, assign.TaskRunning), j1.ID) })
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	if len(a.Tasks()) != 0 {
		t.Fatalf("tasks after Close: %+v", a.Tasks())
	}
	if c, err := net.Dial("tcp", a.DataAddr()); err == nil {
		c.Close()
		t.Fatal("the data address still accepts connections after Close")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	good := Config{Servers: []string{"http://127.0.0.1:1"}, Slots: 1, DataAddr: "127.0.0.1:0", JoinToken: "j", Logger: quiet}
	cases := map[string]func(c *Config){
		"no servers":      func(c *Config) { c.Servers = nil },
		"bad server":      func(c *Config) { c.Servers = []string{"127.0.0.1:8080"} },
		"no slots":        func(c *Config) { c.Slots = 0 },
		"no join token":   func(c *Config) { c.JoinToken = "" },
		"no data address": func(c *Config) { c.DataAddr = "" },
		"unroutable data address": func(c *Config) {
			c.DataAddr = "0.0.0.0:0"
		},
	}
	for name, mutate := range cases {
		c := good
		mutate(&c)
		if a, err := New(c); !errors.Is(err, ErrConfig) {
			if a != nil {
				_ = a.Close()
			}
			t.Errorf("%s: New error = %v, want ErrConfig", name, err)
		}
	}
	c := good
	c.DataAddr, c.AdvertiseAddr = "0.0.0.0:0", "127.0.0.1:7100"
	a, err := New(c)
	if err != nil {
		t.Fatalf("New with an advertise address: %v", err)
	}
	defer a.Close()
	if a.DataAddr() != "127.0.0.1:7100" {
		t.Fatalf("DataAddr = %s, want the advertised one", a.DataAddr())
	}
}
