package api

import (
	"context"
	"errors"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/problem"
)

// ErrNotLeader is what SchedulerView.TransferLeadership returns on a server that does not lead.
var ErrNotLeader = errors.New("this server's scheduler node is not the leader")

// SchedulerView is the narrow window of the API onto the local scheduler node; cmd/flowplane
// adapts the scheduler to it, so services never imports scheduler.
type SchedulerView interface {
	Cluster(ctx context.Context) ClusterView
	// TransferLeadership returns ErrNotLeader (wrapped) on a follower.
	TransferLeadership(ctx context.Context) error
	// LeaderKnown is the readiness check: nil once the node knows a leader.
	LeaderKnown(ctx context.Context) error
	// JobVertices returns the live vertices of a deployment's job, false when unknown.
	JobVertices(ctx context.Context, deploymentID string) ([]VertexView, bool)
	// ServiceUsage is what the service's running jobs hold: distinct workers (task managers)
	// and slots (slot sharing: a job holds its highest parallelism).
	ServiceUsage(ctx context.Context, serviceID string) (taskManagers, slotsUsed int)
}

// ClusterView is the scheduler cluster as one node sees it.
type ClusterView struct {
	Self, State, LeaderID, LeaderAddr string
	Term, LastApplied, CommitIndex    uint64
	Members                           []MemberView
	Workers, ActiveWorkers            int
}

// MemberView is one server of the Raft configuration.
type MemberView struct {
	ID, RaftAddr, HTTPAddr string
	Voter, Leader          bool
}

// VertexView is one vertex of a running job with its aggregated metrics.
type VertexView struct {
	ID, Name                          string
	Parallelism                       int
	States                            map[string]int
	RecordsIn, RecordsOut             int64
	RecordsInPerSec, RecordsOutPerSec float64
	Backpressure, Busy                float64
	Watermark                         int64
}

func (s *server) scheduler() (SchedulerView, error) {
	if s.cfg.Scheduler == nil {
		return nil, problem.New(problem.CodeUnavailable, "this server runs no scheduler node")
	}
	return s.cfg.Scheduler, nil
}

// GetCluster shows the scheduler cluster (platform admins).
func (s *server) GetCluster(ctx context.Context, _ openapi.GetClusterRequestObject) (openapi.GetClusterResponseObject, error) {
	if err := requirePlatformAdmin(ctx); err != nil {
		return nil, err
	}
	sv, err := s.scheduler()
	if err != nil {
		return nil, err
	}
	return openapi.GetCluster200JSONResponse(toCluster(sv.Cluster(ctx))), nil
}

// TransferLeadership moves the scheduler leadership away from this server (platform admins).
func (s *server) TransferLeadership(ctx context.Context, _ openapi.TransferLeadershipRequestObject) (openapi.TransferLeadershipResponseObject, error) {
	if err := requirePlatformAdmin(ctx); err != nil {
		return nil, err
	}
	sv, err := s.scheduler()
	if err != nil {
		return nil, err
	}
	if err := sv.TransferLeadership(ctx); err != nil {
		if errors.Is(err, ErrNotLeader) {
			return nil, problem.New(problem.CodeConflict, "this server does not lead the scheduler cluster; send the request to the leader (GET /v1/admin/cluster names it)")
		}
		return nil, &problem.Error{Code: problem.CodeUnavailable, Detail: "leadership transfer failed", Err: err}
	}
	return openapi.TransferLeadership202JSONResponse(toCluster(sv.Cluster(ctx))), nil
}

func toCluster(c ClusterView) openapi.Cluster {
	out := openapi.Cluster{Self: c.Self, State: c.State, Term: int64(c.Term), LastApplied: int64(c.LastApplied),
		CommitIndex: int64(c.CommitIndex), Workers: c.Workers, ActiveWorkers: c.ActiveWorkers, Members: []openapi.ClusterMember{}}
	if c.LeaderID != "" {
		out.LeaderId, out.LeaderAddr = &c.LeaderID, &c.LeaderAddr
	}
	for _, m := range c.Members {
		out.Members = append(out.Members, openapi.ClusterMember{Id: m.ID, RaftAddr: m.RaftAddr, HttpAddr: ptr(m.HTTPAddr), Voter: m.Voter, Leader: m.Leader})
	}
	return out
}

func toVertices(vs []VertexView) *[]openapi.JobVertex {
	out := []openapi.JobVertex{}
	for _, v := range vs {
		jv := openapi.JobVertex{Id: v.ID, Name: ptr(v.Name), Parallelism: v.Parallelism, States: v.States,
			RecordsIn: v.RecordsIn, RecordsOut: v.RecordsOut, RecordsInPerSec: v.RecordsInPerSec,
			RecordsOutPerSec: v.RecordsOutPerSec, Backpressure: v.Backpressure, Busy: v.Busy}
		if v.Watermark != 0 {
			w := v.Watermark
			jv.Watermark = &w
		}
		out = append(out, jv)
	}
	return &out
}
