package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
)

// fakeSched is a test double of the scheduler's worker API (DESIGN §5, dataflow/assign): it
// registers workers, answers blocking queries from its task table and accepts heartbeats. It has
// two front ends (servers) sharing one state; either can be taken down.
type fakeSched struct {
	t     *testing.T
	srvs  []*httptest.Server
	join  string
	lease time.Duration
	every time.Duration

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change
	index    uint64
	nextID   int
	workers  map[string]*fakeWorker
	order    []string // worker ids in registration order
	failReg  bool     // answer registrations with 503
	failPoll bool     // answer blocking queries with 503
	failHB   bool     // answer heartbeats with 503
	stale    *assign.Set
	down     [2]bool // front ends answering everything with 503
	requests []fakeRequest
	// checkpoints: storage served under assign.PathCheckpoints, what heartbeat replies carry
	// and the acks heartbeats brought
	store     checkpoint.Storage
	triggers  []assign.Trigger
	completed []assign.Completed
	acks      []assign.Ack
}

type fakeWorker struct {
	id, token string
	reg       assign.Register
	tasks     []assign.Task
	known     bool
	lastHB    time.Time // receive time of the last accepted heartbeat
	hbCount   int
	statuses  []assign.TaskStatus
}

type fakeRequest struct {
	kind  string // register, poll, heartbeat
	front int
	index uint64
	at    time.Time
}

type frontKey struct{}

func front(r *http.Request) int { return r.Context().Value(frontKey{}).(int) }

func newFakeSched(t *testing.T, lease time.Duration) *fakeSched {
	t.Helper()
	f := &fakeSched{t: t, join: "join-secret", lease: lease, every: lease / 4, changed: make(chan struct{}), workers: map[string]*fakeWorker{}, index: 1}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+assign.PathRegister, f.register)
	mux.HandleFunc("GET "+assign.PathRegister+"/{id}/assignments", f.assignments)
	mux.HandleFunc("POST "+assign.PathRegister+"/{id}/heartbeat", f.heartbeat)
	mux.HandleFunc(assign.PathCheckpoints+"/", f.checkpointStorage)
	for i := range 2 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			down := f.down[i]
			f.mu.Unlock()
			if down {
				problem(w, http.StatusServiceUnavailable, "unavailable", "server down")
				return
			}
			mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), frontKey{}, i)))
		}))
		t.Cleanup(srv.Close)
		f.srvs = append(f.srvs, srv)
	}
	return f
}

// URL is the first front end's URL; URLs lists both.
func (f *fakeSched) URL() string    { return f.srvs[0].URL }
func (f *fakeSched) URLs() []string { return []string{f.srvs[0].URL, f.srvs[1].URL} }

func problem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "code": code, "detail": detail})
}

func bearer(r *http.Request) string {
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
}

func (f *fakeSched) note(r *http.Request, kind string, index uint64) {
	f.requests = append(f.requests, fakeRequest{kind: kind, front: front(r), index: index, at: time.Now()})
}

// bump announces a change to blocked queries; f.mu is held.
func (f *fakeSched) bumpLocked() {
	f.index++
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeSched) register(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(r, "register", 0)
	if f.failReg {
		problem(w, http.StatusServiceUnavailable, "unavailable", "no leader")
		return
	}
	if bearer(r) != f.join {
		problem(w, http.StatusUnauthorized, "unauthorized", "bad join token")
		return
	}
	var reg assign.Register
	if err := json.NewDecoder(r.Body).Decode(&reg); err != nil || reg.Validate() != nil {
		problem(w, http.StatusBadRequest, "invalid_request", fmt.Sprint(err, reg.Validate()))
		return
	}
	f.nextID++
	fw := &fakeWorker{id: fmt.Sprintf("w-%d", f.nextID), token: fmt.Sprintf("tok-%d", f.nextID), reg: reg, known: true}
	f.workers[fw.id] = fw
	f.order = append(f.order, fw.id)
	f.bumpLocked()
	_ = json.NewEncoder(w).Encode(assign.Registered{WorkerID: fw.id, Token: fw.token, LeaseMillis: f.lease.Milliseconds(), HeartbeatMillis: f.every.Milliseconds(), Index: f.index})
}

// worker authenticates a worker call; f.mu is held.
func (f *fakeSched) workerLocked(w http.ResponseWriter, r *http.Request) *fakeWorker {
	fw := f.workers[r.PathValue("id")]
	if fw == nil || bearer(r) != fw.token {
		problem(w, http.StatusUnauthorized, "unauthorized", "unknown worker or token")
		return nil
	}
	return fw
}

func (f *fakeSched) assignments(w http.ResponseWriter, r *http.Request) {
	index, err := strconv.ParseUint(r.URL.Query().Get("index"), 10, 64)
	wait, err2 := time.ParseDuration(r.URL.Query().Get("wait"))
	if err != nil || err2 != nil {
		problem(w, http.StatusBadRequest, "invalid_request", "bad index or wait")
		return
	}
	deadline := time.After(wait)
	f.mu.Lock()
	f.note(r, "poll", index)
	for {
		fw := f.workerLocked(w, r)
		if fw == nil {
			f.mu.Unlock()
			return
		}
		if f.failPoll || f.down[front(r)] {
			f.mu.Unlock()
			problem(w, http.StatusServiceUnavailable, "unavailable", "replica not ready")
			return
		}
		if f.stale != nil {
			set := *f.stale
			f.mu.Unlock()
			w.Header().Set(assign.IndexHeader, strconv.FormatUint(set.Index, 10))
			_ = json.NewEncoder(w).Encode(set)
			return
		}
		if f.index > index || !fw.known {
			set := assign.Set{Index: f.index, Tasks: fw.tasks, Known: fw.known}
			f.mu.Unlock()
			w.Header().Set(assign.IndexHeader, strconv.FormatUint(set.Index, 10))
			_ = json.NewEncoder(w).Encode(set)
			return
		}
		changed := f.changed
		f.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			f.mu.Lock()
			set := assign.Set{Index: f.index, Tasks: fw.tasks, Known: fw.known}
			f.mu.Unlock()
			_ = json.NewEncoder(w).Encode(set)
			return
		case <-r.Context().Done():
			return
		}
		f.mu.Lock()
	}
}

func (f *fakeSched) heartbeat(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(r, "heartbeat", 0)
	fw := f.workerLocked(w, r)
	if fw == nil {
		return
	}
	if f.failHB {
		problem(w, http.StatusServiceUnavailable, "unavailable", "leader unreachable")
		return
	}
	var hb assign.Heartbeat
	if err := json.NewDecoder(r.Body).Decode(&hb); err != nil {
		problem(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if fw.known {
		fw.lastHB, fw.statuses = time.Now(), hb.Tasks
		fw.hbCount++
		f.acks = append(f.acks, hb.Acks...)
	}
	_ = json.NewEncoder(w).Encode(assign.HeartbeatReply{Known: fw.known, LeaseMillis: f.lease.Milliseconds(), Index: f.index,
		Triggers: f.triggers, Completed: f.completed})
}

// checkpointStorage serves f.store to workers presenting their token and id.
func (f *fakeSched) checkpointStorage(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fw := f.workers[r.Header.Get(assign.WorkerHeader)]
	ok := f.store != nil && fw != nil && bearer(r) == fw.token
	f.mu.Unlock()
	if !ok {
		problem(w, http.StatusUnauthorized, "unauthorized", "worker token and id required")
		return
	}
	http.StripPrefix(assign.PathCheckpoints, checkpoint.NewHandler(f.store)).ServeHTTP(w, r)
}

// setTasks replaces a worker's desired tasks.
func (f *fakeSched) setTasks(id string, tasks ...assign.Task) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.workers[id].tasks = tasks
	f.bumpLocked()
}

// forget declares a worker lost.
func (f *fakeSched) forget(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.workers[id].known = false
	f.bumpLocked()
}

func (f *fakeSched) set(fn func(f *fakeSched)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
	f.bumpLocked()
}

// worker returns a copy of a worker's record.
func (f *fakeSched) worker(id string) fakeWorker {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fw := f.workers[id]; fw != nil {
		return *fw
	}
	return fakeWorker{}
}

// lastWorker is the id of the newest registration ("" before any).
func (f *fakeSched) lastWorker() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.order) == 0 {
		return ""
	}
	return f.order[len(f.order)-1]
}

func (f *fakeSched) count(kind string, since time.Time) int { return f.countAt(-1, kind, since) }

// countAt counts the requests of kind on front end i (-1: any) since a time.
func (f *fakeSched) countAt(i int, kind string, since time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.kind == kind && !r.at.Before(since) && (i < 0 || r.front == i) {
			n++
		}
	}
	return n
}

// polls returns the index parameters of the blocking queries since i-th request.
func (f *fakeSched) pollIndexes() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []uint64
	for _, r := range f.requests {
		if r.kind == "poll" {
			out = append(out, r.index)
		}
	}
	return out
}

// waitApplied waits until the agent has applied the current state: its next blocking query
// names the current index.
func (f *fakeSched) waitApplied(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	index := f.index
	f.mu.Unlock()
	waitFor(t, "the agent to apply index "+strconv.FormatUint(index, 10), func() bool {
		return slices.ContainsFunc(f.pollIndexes(), func(i uint64) bool { return i >= index })
	})
}
