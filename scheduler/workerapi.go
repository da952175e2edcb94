package scheduler

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
)

// DefaultWait is the blocking query's wait when the request names none.
const DefaultWait = 30 * time.Second

// unknownWorkerWait bounds how long a replica waits for a worker it does not know yet (it may
// lag the leader that registered it) before answering Known=false.
const unknownWorkerWait = 2 * time.Second

// Handler serves the internal API: the worker protocol (dataflow/assign) and the server-to-server
// join. Mount it under /internal/ of the server's listener.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+assign.PathRegister, s.handleRegister)
	mux.HandleFunc("GET "+assign.PathRegister+"/{id}/assignments", s.handleAssignments)
	mux.HandleFunc("POST "+assign.PathRegister+"/{id}/heartbeat", s.handleHeartbeat)
	mux.HandleFunc("GET "+assign.PathRegister+"/{id}/integrations/{integration}", s.handleIntegration)
	mux.HandleFunc("POST "+PathJoin, s.handleJoin)
	mux.HandleFunc("GET /internal/v1/jobs/{id}", s.handleJobStatus)
	if s.cfg.CheckpointStorage != nil {
		h := http.StripPrefix(assign.PathCheckpoints, checkpoint.NewHandler(s.cfg.CheckpointStorage))
		mux.Handle(assign.PathCheckpoints+"/", s.workerOnly(h))
	}
	mux.HandleFunc("/internal/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, CodeNotFound, "no internal route for "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// workerToken is HMAC(cluster secret, "worker", id): any replica can check it.
func workerToken(secret []byte, id string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("worker\x00"))
	m.Write([]byte(id))
	return "wt." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// authWorker checks the worker token of the {id} in the path; it answers the failure itself.
func (s *Server) authWorker(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	secret := s.fsm.Secret()
	if secret == nil {
		writeProblem(w, http.StatusServiceUnavailable, CodeNotReady, "the scheduler cluster is not initialised yet; retry")
		return "", false
	}
	if !bearer(r, workerToken(secret, id)) {
		writeProblem(w, http.StatusUnauthorized, CodeUnauthorized, "a valid worker token for this worker is required; register again")
		return "", false
	}
	return id, true
}

// workerOnly lets through the requests of workers (the token of the worker named in
// assign.WorkerHeader) that workerMayUse allows. Servers use their storage directly.
func (s *Server) workerOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := s.fsm.Secret()
		if secret == nil {
			writeProblem(w, http.StatusServiceUnavailable, CodeNotReady, "the scheduler cluster is not initialised yet; retry")
			return
		}
		id := r.Header.Get(assign.WorkerHeader)
		if id == "" || !bearer(r, workerToken(secret, id)) {
			writeProblem(w, http.StatusUnauthorized, CodeUnauthorized, "a valid worker token and "+assign.WorkerHeader+" are required")
			return
		}
		if !s.workerMayUse(r, id) {
			writeProblem(w, http.StatusForbidden, "forbidden", "workers write state of the jobs they run and read their restore points only")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// workerMayUse reports whether a worker may make a checkpoint storage request: tasks write
// state (PUT /states) of their own jobs and read the metadata of their jobs' checkpoints or
// starting savepoints (GET /metadata with job and id) and the state blobs it names (GET /states
// by handle). Listing and deleting are the coordinator's, on the server.
func (s *Server) workerMayUse(r *http.Request, worker string) bool {
	q := r.URL.Query()
	switch rest := strings.TrimPrefix(r.URL.Path, assign.PathCheckpoints); {
	case r.Method == http.MethodGet && rest == "/states" && q.Get("handle") != "":
		return true
	case r.Method == http.MethodPut && rest == "/states",
		r.Method == http.MethodGet && rest == "/metadata" && q.Get("id") != "":
	default:
		return false
	}
	job := q.Get("job")
	for _, j := range s.fsm.Jobs() {
		if containsWorker(j, worker) && (j.ID == job || (j.LatestCheckpoint != nil && j.LatestCheckpoint.Job == job)) {
			return true
		}
	}
	return false
}

func (s *Server) readBody(w http.ResponseWriter, r *http.Request, v any) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err == nil && v != nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		writeProblem(w, http.StatusBadRequest, CodeInvalidRequest, "invalid JSON body: "+err.Error())
		return nil, false
	}
	return body, true
}

// handleRegister: POST /internal/v1/workers with the join token -> 200 assign.Registered.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	if !bearer(r, s.cfg.JoinToken) {
		writeProblem(w, http.StatusUnauthorized, CodeUnauthorized, "a valid join token is required")
		return
	}
	var reg assign.Register
	body, ok := s.readBody(w, r, &reg)
	if !ok {
		return
	}
	if err := reg.Validate(); err != nil {
		writeProblem(w, http.StatusBadRequest, CodeInvalidRequest, err.Error())
		return
	}
	ls := s.localLeader(r.Context())
	if ls == nil {
		s.forward(w, r, body)
		return
	}
	id := newID("wrk")
	_, index, err := s.applyIndex(CmdRegisterWorker, "register-"+id, registerWorkerBody{ID: id, Name: reg.Name, Slots: reg.Slots,
		DataAddr: reg.DataAddr, Labels: reg.Labels})
	if err != nil {
		s.applyFailed(w, err)
		return
	}
	ls.leases.grant(id)
	s.log.Info("worker registered", "worker", id, "name", reg.Name, "slots", reg.Slots, "data_addr", reg.DataAddr)
	writeJSON(w, http.StatusOK, assign.Registered{WorkerID: id, Token: workerToken(s.fsm.Secret(), id),
		LeaseMillis: s.cfg.Lease.Milliseconds(), HeartbeatMillis: s.heartbeatInterval().Milliseconds(), Index: index})
}

func (s *Server) heartbeatInterval() time.Duration { return max(s.cfg.Lease/4, 10*time.Millisecond) }

func (s *Server) applyFailed(w http.ResponseWriter, err error) {
	if isRaftError(err) {
		writeProblem(w, http.StatusServiceUnavailable, CodeNoLeader, "leadership changed; retry: "+err.Error())
		return
	}
	writeProblem(w, http.StatusBadRequest, CodeInvalidRequest, err.Error())
}

// waitParams reads ?index=N&wait=D: wait defaults to DefaultWait, is clamped to assign.MaxWait,
// and is shortened by a random jitter of up to wait/16 so the answer comes before the client's
// own deadline and pollers spread out.
func waitParams(r *http.Request) (uint64, time.Duration, bool) {
	q := r.URL.Query()
	var index uint64
	if v := q.Get("index"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		index = n
	}
	wait := DefaultWait
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, 0, false
		}
		wait = d
	}
	wait = min(wait, assign.MaxWait)
	if j := int64(wait / 16); j > 0 {
		wait -= time.Duration(rand.Int64N(j + 1))
	}
	return index, wait, true
}

// handleAssignments: the blocking query, answered from this replica.
func (s *Server) handleAssignments(w http.ResponseWriter, r *http.Request) {
	id, ok := s.authWorker(w, r)
	if !ok {
		return
	}
	index, wait, ok := waitParams(r)
	if !ok {
		writeProblem(w, http.StatusBadRequest, CodeInvalidRequest, "index must be an unsigned integer and wait a duration such as 30s")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	defer context.AfterFunc(s.ctx, cancel)() // a closing server answers at once
	if _, known := s.fsm.Worker(id); !known {
		s.waitForWorker(ctx, id)
	}
	set := s.fsm.WaitAssignments(ctx, id, index)
	if set.Index < index && s.leader.Load() == nil && s.ctx.Err() == nil {
		// This replica is behind what the worker already saw: an older set could make it stop
		// live tasks. Let it ask another server (the leader's index going backwards, after a
		// cluster was rebuilt, is answered: the worker then starts over from 0).
		writeProblem(w, http.StatusServiceUnavailable, CodeStaleReplica, "this server's replica is behind the worker's index; retry elsewhere")
		return
	}
	w.Header().Set(assign.IndexHeader, strconv.FormatUint(set.Index, 10))
	writeJSON(w, http.StatusOK, set)
}

// waitForWorker waits (briefly) for a worker this replica does not know yet.
func (s *Server) waitForWorker(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(ctx, unknownWorkerWait)
	defer cancel()
	for {
		ch := s.fsm.Changed()
		if _, ok := s.fsm.Worker(id); ok {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}

// handleHeartbeat renews the lease and records task states (on the leader; others forward).
func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	id, ok := s.authWorker(w, r)
	if !ok {
		return
	}
	var hb assign.Heartbeat
	body, ok := s.readBody(w, r, &hb)
	if !ok {
		return
	}
	ls := s.localLeader(r.Context())
	if ls == nil {
		s.forward(w, r, body)
		return
	}
	wk, known := s.fsm.Worker(id)
	if !known || wk.State != WorkerActive {
		ls.leases.drop(id)
		writeJSON(w, http.StatusOK, assign.HeartbeatReply{Known: false, Index: s.fsm.Index()})
		return
	}
	ls.leases.grant(id)
	ls.metrics.record(id, hb.Tasks, time.Now())
	if updates := s.statusChanges(id, hb.Tasks); len(updates) > 0 {
		_, err := s.apply(CmdTaskStatus, newID("cmd"), taskStatusBody{Worker: id, Updates: updates})
		switch {
		case errors.Is(err, ErrStale) || errors.Is(err, ErrNotFound): // declared lost meanwhile
			ls.leases.drop(id)
			writeJSON(w, http.StatusOK, assign.HeartbeatReply{Known: false, Index: s.fsm.Index()})
			return
		case err != nil:
			s.applyFailed(w, err)
			return
		}
	}
	reply := assign.HeartbeatReply{Known: true, LeaseMillis: s.cfg.Lease.Milliseconds(), Index: s.fsm.Index()}
	if ls.checkpoints != nil {
		ls.checkpoints.ack(r.Context(), hb.Acks)
		ls.checkpoints.awaitPublished(r.Context(), id)
		reply.Triggers, reply.Completed = ls.checkpoints.forWorker(id)
	}
	writeJSON(w, http.StatusOK, reply)
}

// statusChanges keeps the reported states that differ from the FSM's for current attempts.
func (s *Server) statusChanges(worker string, tasks []assign.TaskStatus) []taskUpdate {
	var out []taskUpdate
	txn, _ := s.fsm.read() // one read for all the tasks
	for _, t := range tasks {
		j, err := getJob(txn, t.JobID)
		if err != nil || j.Attempt != t.Attempt || !j.Placed() {
			continue
		}
		for _, st := range j.Subtasks {
			if st.Vertex == t.Vertex && st.Index == t.Subtask && st.Worker == worker && st.State != t.State {
				out = append(out, taskUpdate{JobID: t.JobID, Attempt: t.Attempt, Vertex: string(t.Vertex),
					Subtask: t.Subtask, State: string(t.State), Error: t.Error, Upstream: t.Upstream})
			}
		}
	}
	return out
}

// localLeader returns the leader state when this node leads, waiting briefly while a fresh
// leader is still starting its subsystems; nil when another node leads.
func (s *Server) localLeader(ctx context.Context) *leaderState {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for {
		if ls := s.leader.Load(); ls != nil {
			return ls
		}
		if s.raft.State() != raft.Leader {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(5 * time.Millisecond):
		}
	}
}
