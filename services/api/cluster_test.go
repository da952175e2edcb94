package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/flowplane/flowplane/services/api"
)

// fakeScheduler stands in for the local scheduler node.
type fakeScheduler struct {
	leader    bool
	leaderErr error
}

func (f *fakeScheduler) Cluster(context.Context) api.ClusterView {
	state := "Follower"
	if f.leader {
		state = "Leader"
	}
	return api.ClusterView{Self: "n1", State: state, LeaderID: "n1", Term: 3, LastApplied: 42, CommitIndex: 42,
		Members: []api.MemberView{{ID: "n1", RaftAddr: "127.0.0.1:7000", Voter: true, Leader: true}}, Workers: 2, ActiveWorkers: 1}
}

func (f *fakeScheduler) TransferLeadership(context.Context) error {
	if !f.leader {
		return fmt.Errorf("%w: follower", api.ErrNotLeader)
	}
	f.leader = false
	return nil
}

func (f *fakeScheduler) LeaderKnown(context.Context) error { return f.leaderErr }

func (f *fakeScheduler) ServiceUsage(context.Context, string) (int, int) { return 2, 3 }

func (f *fakeScheduler) JobVertices(_ context.Context, id string) ([]api.VertexView, bool) {
	return []api.VertexView{{ID: "src", Parallelism: 2, States: map[string]int{"RUNNING": 2}, RecordsOut: 10}}, true
}

func TestAdminCluster(t *testing.T) {
	t.Parallel()
	sched := &fakeScheduler{leader: true}
	e := newEnv(t, func(c *api.Config) { c.Scheduler = sched })
	var c struct {
		Self        string `json:"self"`
		Term        int64  `json:"term"`
		LastApplied int64  `json:"last_applied"`
		Members     []struct {
			ID     string `json:"id"`
			Leader bool   `json:"leader"`
		} `json:"members"`
	}
	e.must(t, http.StatusOK, "GET", "/v1/admin/cluster", e.admin, "").decode(t, &c)
	if c.Self != "n1" || c.Term != 3 || c.LastApplied != 42 || len(c.Members) != 1 || !c.Members[0].Leader {
		t.Errorf("cluster = %+v", c)
	}
	user, _, _ := e.userToken(t, "plain")
	if r := e.do(t, "GET", "/v1/admin/cluster", user, ""); r.status != http.StatusForbidden {
		t.Errorf("non-admin GET cluster = %d", r.status)
	}
	e.must(t, http.StatusAccepted, "POST", "/v1/admin/cluster/leadership-transfer", e.admin, "")
	if r := e.do(t, "POST", "/v1/admin/cluster/leadership-transfer", e.admin, ""); r.status != http.StatusConflict || r.code() != "conflict" {
		t.Errorf("transfer on a follower = %d %s", r.status, r.code())
	}
	// readiness includes the raft leader check
	e.must(t, http.StatusOK, "GET", "/readyz", "", "")
	sched.leaderErr = errors.New("no leader")
	if r := e.do(t, "GET", "/readyz", "", ""); r.status != http.StatusServiceUnavailable {
		t.Errorf("readyz without a raft leader = %d", r.status)
	}
}

func TestAdminClusterWithoutScheduler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.do(t, "GET", "/v1/admin/cluster", e.admin, ""); r.status != http.StatusServiceUnavailable {
		t.Errorf("GET cluster without scheduler = %d", r.status)
	}
}

func TestDeploymentJobShowsLiveVertices(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *api.Config) { c.Scheduler = &fakeScheduler{leader: true} })
	w := e.newWorld(t)
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO jobs (project_id, deployment_id, attempt, status) SELECT project_id, id, 1, 'RUNNING' FROM deployments WHERE id = $1`, w.deploy); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Vertices []struct {
			ID         string         `json:"id"`
			States     map[string]int `json:"states"`
			RecordsOut int64          `json:"records_out"`
		} `json:"vertices"`
	}
	e.must(t, http.StatusOK, "GET", w.depPath+"/job", w.viewer, "").decode(t, &j)
	if len(j.Vertices) != 1 || j.Vertices[0].States["RUNNING"] != 2 || j.Vertices[0].RecordsOut != 10 {
		t.Errorf("job vertices = %+v", j.Vertices)
	}
}

func TestInternalRoutedToScheduler(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *api.Config) {
		c.Internal = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	})
	if r := e.do(t, "POST", "/internal/v1/workers", "", "{}"); r.status != http.StatusTeapot {
		t.Errorf("/internal/ = %d, want the scheduler handler's answer", r.status)
	}
}

func TestServiceOverviewUsesSchedulerUsage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *api.Config) { c.Scheduler = &fakeScheduler{leader: true} })
	w := e.newWorld(t)
	var ov struct {
		TaskManagers   int `json:"task_managers"`
		SlotsTotal     int `json:"slots_total"`
		SlotsAvailable int `json:"slots_available"`
	}
	e.must(t, http.StatusOK, "GET", w.base+"/overview", w.viewer, "").decode(t, &ov)
	// The fake scheduler reports 2 workers holding 3 slots of the service.
	if ov.TaskManagers != 2 || ov.SlotsAvailable != ov.SlotsTotal-3 {
		t.Errorf("overview = %+v, want 2 task managers and slots_total-3 available", ov)
	}
}
