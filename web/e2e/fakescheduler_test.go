package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/services/api"
	"github.com/flowplane/flowplane/services/store"
)

// fakeScheduler stands in for the scheduler tier in TestConsoleJobView, for what the real one does
// not do yet (checkpoints, savepoints, a backpressured vertex on demand). It converges deployments
// through the same store calls the real scheduler makes (services/store/scheduler.go), writes the
// jobs row in the real scheduler's shape ({"graph", "subtasks"}) and answers the API's live-vertex
// query (api.SchedulerView.JobVertices) for the vertices of each deployment's compiled plan, with
// counters that grow. Vertex ids are the planner's, so the console's overlay by id is exercised.
type fakeScheduler struct {
	st *store.Store

	mu   sync.Mutex
	jobs map[string]*fakeJob // by deployment id
}

type fakeJob struct {
	id          string
	attempt     int
	status      string
	plan        *dataflow.JobGraph
	started     time.Time
	checkpoints int64
	lastCkpt    time.Time
}

func newFakeScheduler(st *store.Store) *fakeScheduler {
	return &fakeScheduler{st: st, jobs: map[string]*fakeJob{}}
}

// run converges every 150 ms until ctx ends.
func (f *fakeScheduler) run(ctx context.Context) error {
	tick := time.NewTicker(150 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := f.step(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

func (f *fakeScheduler) step(ctx context.Context) error {
	ds, err := f.st.DesiredDeployments(ctx)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if err := f.converge(ctx, d); err != nil {
			return fmt.Errorf("deployment %s: %w", d.ID, err)
		}
	}
	sps, err := f.st.PendingSavepoints(ctx)
	if err != nil {
		return err
	}
	for _, sp := range sps {
		if err := f.st.CompleteSavepoint(ctx, sp.ID, "COMPLETED", "file:///var/lib/flowplane/savepoints/"+sp.ID, 3<<20, ""); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeScheduler) job(deployment string) *fakeJob {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jobs[deployment]
}

func (f *fakeScheduler) converge(ctx context.Context, d store.DesiredDeployment) error {
	now := time.Now()
	j := f.job(d.ID)
	switch {
	case d.DesiredAction == "cancel":
		return f.finish(ctx, d, "CANCELED", "canceled by the user")
	case d.DesiredAction == "stop":
		return f.finish(ctx, d, "FINISHED", "stopped with a savepoint")
	case d.Status == "CREATED":
		return f.st.ReportDeployment(ctx, d.ID, d.DesiredGeneration, "INITIALIZING", "placing the job's subtasks in the service's slots")
	case d.Status == "INITIALIZING":
		plan, err := dataflow.DecodeGraph(d.Plan)
		if err != nil {
			return err
		}
		j := &fakeJob{attempt: 1, status: "RUNNING", plan: plan, started: now, lastCkpt: now}
		id, err := f.st.ReportJob(ctx, store.JobReport{DeploymentID: d.ID, Attempt: 1, Status: "RUNNING", Graph: reportedGraph(plan), StartedAt: &now})
		if err != nil {
			return err
		}
		j.id = id
		f.mu.Lock()
		f.jobs[d.ID] = j
		f.mu.Unlock()
		if err := f.st.AppendEvent(ctx, d.ID, 1, "task_failed", fmt.Sprintf("%s (2/2) failed: connection to worker w-2 reset; restarted from checkpoint 2", plan.Vertices[len(plan.Vertices)-1].ID)); err != nil {
			return err
		}
		for i := 0; i < 6; i++ {
			if err := f.checkpoint(ctx, d.ID, j, now.Add(time.Duration(i-6)*10*time.Second)); err != nil {
				return err
			}
		}
		return f.st.ReportDeployment(ctx, d.ID, d.DesiredGeneration, "RUNNING", "")
	case d.Status == "RESTARTING":
		if j == nil {
			return f.st.ReportDeployment(ctx, d.ID, d.DesiredGeneration, "INITIALIZING", "")
		}
		if err := f.st.AppendEvent(ctx, d.ID, 2, "job_restarted", fmt.Sprintf("attempt 2 restored from checkpoint %d", j.checkpoints)); err != nil {
			return err
		}
		return f.st.ReportDeployment(ctx, d.ID, d.DesiredGeneration, "RUNNING", "restarted by the user")
	case d.Status == "RUNNING" && j != nil:
		if now.Sub(j.lastCkpt) > time.Second && j.checkpoints < 12 {
			j.lastCkpt = now
			return f.checkpoint(ctx, d.ID, j, now)
		}
	}
	return nil
}

func (f *fakeScheduler) checkpoint(ctx context.Context, deployment string, j *fakeJob, at time.Time) error {
	j.checkpoints++
	n := j.checkpoints
	done := at.Add(time.Duration(180+40*(n%4)) * time.Millisecond)
	return f.st.RecordCheckpoint(ctx, store.CheckpointReport{DeploymentID: deployment, JobID: j.id, CheckpointID: n, Status: "COMPLETED",
		Location: fmt.Sprintf("file:///var/lib/flowplane/checkpoints/%s/%d", deployment, n), SizeBytes: (2 << 20) + n*(300<<10), TriggeredAt: at, CompletedAt: &done})
}

func (f *fakeScheduler) finish(ctx context.Context, d store.DesiredDeployment, status, msg string) error {
	if j := f.job(d.ID); j != nil {
		now := time.Now()
		if _, err := f.st.ReportJob(ctx, store.JobReport{DeploymentID: d.ID, Attempt: j.attempt, Status: status, EndedAt: &now}); err != nil {
			return err
		}
		f.mu.Lock()
		j.status = status
		f.mu.Unlock()
	}
	return f.st.ReportDeployment(ctx, d.ID, d.DesiredGeneration, status, msg)
}

// reportedGraph is the jobs row's graph as the real scheduler writes it (scheduler/dispatcher.go):
// the plan and where each subtask runs.
func reportedGraph(plan *dataflow.JobGraph) []byte {
	type subtask struct {
		Vertex string `json:"vertex"`
		Index  int    `json:"index"`
		Worker string `json:"worker"`
		Slot   int    `json:"slot"`
		State  string `json:"state"`
	}
	var subtasks []subtask
	for _, v := range plan.Vertices {
		for i := 0; i < v.Parallelism; i++ {
			subtasks = append(subtasks, subtask{Vertex: string(v.ID), Index: i, Worker: fmt.Sprintf("wrk_%d", i+1), State: "RUNNING"})
		}
	}
	b, err := json.Marshal(map[string]any{"graph": plan, "subtasks": subtasks})
	if err != nil {
		panic(err) // a decoded graph always marshals
	}
	return b
}

// The API's window onto the scheduler (api.SchedulerView): live vertices of running jobs.

func (f *fakeScheduler) Cluster(context.Context) api.ClusterView {
	return api.ClusterView{Self: "fake", State: "Leader", LeaderID: "fake"}
}

func (f *fakeScheduler) TransferLeadership(context.Context) error { return api.ErrNotLeader }

func (f *fakeScheduler) LeaderKnown(context.Context) error { return nil }

// ServiceUsage: the stand-in places nothing on workers.
func (f *fakeScheduler) ServiceUsage(context.Context, string) (int, int) { return 0, 0 }

// JobVertices gives each vertex of the plan growing counters: sources produce, the first vertex
// with two inputs (the join) is backpressured, the last vertex (the sink) consumes.
func (f *fakeScheduler) JobVertices(_ context.Context, deployment string) ([]api.VertexView, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.jobs[deployment]
	if j == nil || j.status != "RUNNING" {
		return nil, false
	}
	secs := time.Since(j.started).Seconds()
	inputs := map[dataflow.VertexID]int{}
	for _, e := range j.plan.Edges {
		inputs[e.To]++
	}
	var out []api.VertexView
	sources := 0
	for i, v := range j.plan.Vertices {
		in, outRate, bp, busy := 0.0, 0.0, 0.0, 0.4
		switch {
		case inputs[v.ID] == 0: // a source: the first one fast and slightly held back, the others slower
			outRate, bp = 5200, 0.02
			if sources > 0 {
				outRate, bp = 800, 0.25
			}
			sources++
		case i == len(j.plan.Vertices)-1: // the sink
			in = 150
		default:
			in, outRate, bp, busy = 6000, 150, 0.72, 0.95
		}
		out = append(out, api.VertexView{ID: string(v.ID), Name: v.Name, Parallelism: v.Parallelism, States: map[string]int{"RUNNING": v.Parallelism},
			RecordsIn: int64(in * secs), RecordsOut: int64(outRate * secs), RecordsInPerSec: in, RecordsOutPerSec: outRate,
			Backpressure: bp, Busy: busy, Watermark: time.Now().Add(-5 * time.Second).UnixMilli()})
	}
	return out, true
}
