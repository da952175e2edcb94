package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/raft"
)

// ClusterMember is one server in the Raft configuration.
type ClusterMember struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	HTTPAddr string `json:"http_addr,omitempty"`
	Voter    bool   `json:"voter"`
	Leader   bool   `json:"leader"`
}

// ClusterInfo is the scheduler cluster as this node sees it.
type ClusterInfo struct {
	Self         string          `json:"self"`
	State        string          `json:"state"` // Leader, Follower, Candidate, Shutdown
	LeaderID     string          `json:"leader_id,omitempty"`
	LeaderAddr   string          `json:"leader_addr,omitempty"`
	Term         uint64          `json:"term"`
	LastApplied  uint64          `json:"last_applied"`
	CommitIndex  uint64          `json:"commit_index"`
	Members      []ClusterMember `json:"members"`
	Workers      int             `json:"workers"`
	ActiveWorker int             `json:"active_workers"`
}

// Cluster reports members, leader, term and last applied index.
func (s *Server) Cluster() ClusterInfo {
	stats := s.raft.Stats()
	leaderAddr, leaderID := s.raft.LeaderWithID()
	info := ClusterInfo{Self: string(s.id), State: s.raft.State().String(), LeaderID: string(leaderID),
		LeaderAddr: string(leaderAddr), LastApplied: s.raft.AppliedIndex()}
	info.Term, _ = strconv.ParseUint(stats["term"], 10, 64)
	info.CommitIndex, _ = strconv.ParseUint(stats["commit_index"], 10, 64)
	httpAddr := map[string]string{}
	for _, m := range s.fsm.Members() {
		httpAddr[m.ID] = m.HTTPAddr
	}
	if f := s.raft.GetConfiguration(); f.Error() == nil {
		for _, srv := range f.Configuration().Servers {
			info.Members = append(info.Members, ClusterMember{ID: string(srv.ID), RaftAddr: string(srv.Address),
				HTTPAddr: httpAddr[string(srv.ID)], Voter: srv.Suffrage == raft.Voter, Leader: srv.ID == leaderID})
		}
	}
	for _, w := range s.fsm.Workers() {
		info.Workers++
		if w.State == WorkerActive {
			info.ActiveWorker++
		}
	}
	return info
}

// LeaderKnown is the readiness check "raft leader known".
func (s *Server) LeaderKnown(context.Context) error {
	if _, id := s.raft.LeaderWithID(); id == "" {
		return ErrNoLeader
	}
	return nil
}

// TransferLeadership asks the leader to hand over to another voter. On a follower it returns
// ErrNotLeader (the API forwards nothing: call it on the leader).
func (s *Server) TransferLeadership(context.Context) error {
	if s.raft.State() != raft.Leader {
		return ErrNotLeader
	}
	return s.raft.LeadershipTransfer().Error()
}

// WaitLeader blocks until a leader is known or ctx ends.
func (s *Server) WaitLeader(ctx context.Context) error {
	for {
		if s.LeaderKnown(ctx) == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// leaderApply runs a command on this node, which must lead, retrying raft errors with the same
// command id while ctx allows (the command is idempotent by id).
func (s *Server) leaderApply(ctx context.Context, t CommandType, id string, body any) (any, error) {
	for {
		if s.raft.State() != raft.Leader {
			return nil, ErrNotLeader
		}
		v, err := s.apply(t, id, body)
		if err == nil || !isRaftError(err) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// SubmitJob creates a job (leader only). Submitting an existing job id changes nothing.
func (s *Server) SubmitJob(ctx context.Context, spec JobSpec) error {
	_, err := s.leaderApply(ctx, CmdSubmitJob, "submit-"+spec.ID, spec)
	return err
}

// CancelJob stops every task of a job and ends it as CANCELED (or FINISHED for a stop).
func (s *Server) CancelJob(ctx context.Context, id string, status JobStatus, reason string) error {
	_, err := s.leaderApply(ctx, CmdCancelJob, newID("cmd"), cancelJobBody{ID: id, Status: string(status), Reason: reason})
	return err
}

// RestartJob restarts a job with a new attempt (not counted as a failure).
func (s *Server) RestartJob(ctx context.Context, id, reason string) error {
	_, err := s.leaderApply(ctx, CmdRestartJob, newID("cmd"), restartJobBody{ID: id, Reason: reason})
	return err
}

// VertexStatus aggregates one vertex's subtasks.
type VertexStatus struct {
	ID          string         `json:"id"`
	Name        string         `json:"name,omitempty"`
	Parallelism int            `json:"parallelism"`
	States      map[string]int `json:"states"` // subtask count per task state
	RecordsIn   int64          `json:"records_in"`
	RecordsOut  int64          `json:"records_out"`
	BytesIn     int64          `json:"bytes_in"`
	BytesOut    int64          `json:"bytes_out"`
	// RecordsInPerSec and RecordsOutPerSec are totals over the subtasks' lifetimes.
	RecordsInPerSec  float64 `json:"records_in_per_sec"`
	RecordsOutPerSec float64 `json:"records_out_per_sec"`
	// Backpressure is the share (0..1) of the subtasks' time spent waiting for output credit.
	Backpressure float64 `json:"backpressure"`
	Busy         float64 `json:"busy"`
	// Watermark is the lowest watermark of the subtasks (event-time ms; 0 when none yet).
	Watermark int64 `json:"watermark,omitempty"`
}

// JobInfo is a job's live state for the API.
type JobInfo struct {
	ID       string         `json:"id"`
	Status   JobStatus      `json:"status"`
	Attempt  uint64         `json:"attempt"`
	Reason   string         `json:"reason,omitempty"`
	Vertices []VertexStatus `json:"vertices"`
	// Metrics is false when this node is not the leader (metrics live on the leader only).
	Metrics bool `json:"metrics"`
}

// JobStatus reports a job with per-vertex state counts and, on the leader, aggregated metrics.
func (s *Server) JobStatus(jobID string) (JobInfo, error) {
	j, ok := s.fsm.Job(jobID)
	if !ok {
		return JobInfo{}, fmt.Errorf("%w: job %s", ErrNotFound, jobID)
	}
	info := JobInfo{ID: j.ID, Status: j.Status, Attempt: j.Attempt, Reason: j.Reason}
	byVertex := map[string]*VertexStatus{}
	for _, v := range j.Graph.Vertices {
		vs := &VertexStatus{ID: string(v.ID), Name: v.Name, Parallelism: v.Parallelism, States: map[string]int{}}
		byVertex[string(v.ID)] = vs
	}
	for _, st := range j.Subtasks {
		if vs := byVertex[string(st.Vertex)]; vs != nil {
			vs.States[string(st.State)]++
		}
	}
	if ls := s.leader.Load(); ls != nil {
		info.Metrics = true
		aggregate(byVertex, ls.metrics.job(j.ID, j.Attempt))
	}
	for _, v := range j.Graph.Vertices {
		info.Vertices = append(info.Vertices, *byVertex[string(v.ID)])
	}
	return info, nil
}

func aggregate(byVertex map[string]*VertexStatus, tms []taskMetrics) {
	wall := map[string]int64{}
	bp := map[string]int64{}
	busy := map[string]int64{}
	sort.Slice(tms, func(a, b int) bool { return tms[a].Subtask < tms[b].Subtask })
	for _, tm := range tms {
		vs := byVertex[tm.Vertex]
		if vs == nil {
			continue
		}
		m := tm.M
		vs.RecordsIn += m.RecordsIn
		vs.RecordsOut += m.RecordsOut
		vs.BytesIn += m.BytesIn
		vs.BytesOut += m.BytesOut
		total := m.BusyMillis + m.IdleMillis + m.BackpressureMillis
		wall[tm.Vertex] += total
		bp[tm.Vertex] += m.BackpressureMillis
		busy[tm.Vertex] += m.BusyMillis
		if m.Watermark > 0 && (vs.Watermark == 0 || m.Watermark < vs.Watermark) {
			vs.Watermark = m.Watermark
		}
	}
	for id, vs := range byVertex {
		if w := wall[id]; w > 0 {
			perSubtaskSec := float64(w) / 1000 / float64(max(vs.Parallelism, 1))
			vs.RecordsInPerSec = float64(vs.RecordsIn) / perSubtaskSec
			vs.RecordsOutPerSec = float64(vs.RecordsOut) / perSubtaskSec
			vs.Backpressure = float64(bp[id]) / float64(w)
			vs.Busy = float64(busy[id]) / float64(w)
		}
	}
}

// PathJobStatus is the internal path of a job's live status (cluster token), answered by the
// leader, which holds the tasks' metrics.
func PathJobStatus(id string) string { return "/internal/v1/jobs/" + id }

// LiveJobStatus is JobStatus with metrics from wherever they live: locally on the leader, else
// fetched from the leader over the internal API; when that fails, the local replica's view
// without metrics (JobInfo.Metrics false).
func (s *Server) LiveJobStatus(ctx context.Context, jobID string) (JobInfo, error) {
	local, err := s.JobStatus(jobID)
	if err != nil || local.Metrics {
		return local, err
	}
	base, self, err := s.leaderHTTP()
	if err != nil || self {
		return local, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+PathJobStatus(jobID), nil)
	if err != nil {
		return local, nil
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.ClusterToken)
	req.Header.Set(forwardedHeader, string(s.id))
	resp, err := s.client.Do(req)
	if err != nil {
		return local, nil
	}
	defer resp.Body.Close()
	var remote JobInfo
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&remote) != nil {
		return local, nil
	}
	return remote, nil
}

// handleJobStatus serves PathJobStatus on the leader.
func (s *Server) handleJobStatus(w http.ResponseWriter, r *http.Request) {
	if !bearer(r, s.cfg.ClusterToken) {
		writeProblem(w, http.StatusUnauthorized, CodeUnauthorized, "a valid cluster token is required")
		return
	}
	info, err := s.JobStatus(r.PathValue("id"))
	if err != nil {
		writeProblem(w, http.StatusNotFound, CodeNotFound, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, info)
}
