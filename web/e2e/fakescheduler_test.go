package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/flowplane/flowplane/services/store"
)

// fakeScheduler stands in for the scheduler tier in TestConsoleJobView: it converges deployments
// through the same store calls the real scheduler makes (services/store/scheduler.go) and reports a
// fixed job graph whose record counters grow, so the console has live data to show.
func fakeScheduler(ctx context.Context, st *store.Store) error {
	f := &fake{st: st, jobs: map[string]*fakeJob{}}
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

type fake struct {
	st   *store.Store
	jobs map[string]*fakeJob // by deployment id
}

type fakeJob struct {
	id          string
	started     time.Time
	checkpoints int64
	lastCkpt    time.Time
}

func (f *fake) step(ctx context.Context) error {
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

func (f *fake) converge(ctx context.Context, d store.DesiredDeployment) error {
	now := time.Now()
	switch {
	case d.DesiredAction == "cancel":
		return f.finish(ctx, d, "CANCELED", "canceled by the user")
	case d.DesiredAction == "stop":
		return f.finish(ctx, d, "FINISHED", "stopped with a savepoint")
	case d.Status == "CREATED":
		return f.st.ReportDeployment(ctx, d.ID, d.DesiredGeneration, "INITIALIZING", "placing 4 vertices in the service's slots")
	case d.Status == "INITIALIZING":
		j := &fakeJob{started: now, lastCkpt: now}
		id, err := f.st.ReportJob(ctx, store.JobReport{DeploymentID: d.ID, Attempt: 1, Status: "RUNNING", Graph: graphJSON(d.Parallelism, 0), StartedAt: &now})
		if err != nil {
			return err
		}
		j.id = id
		f.jobs[d.ID] = j
		if err := f.st.AppendEvent(ctx, d.ID, 1, "task_failed", "Window aggregate (2/2) failed: connection to worker w-2 reset; restarted from checkpoint 2"); err != nil {
			return err
		}
		for i := 0; i < 6; i++ {
			if err := f.checkpoint(ctx, d.ID, j, now.Add(time.Duration(i-6)*10*time.Second)); err != nil {
				return err
			}
		}
		return f.st.ReportDeployment(ctx, d.ID, d.DesiredGeneration, "RUNNING", "")
	case d.Status == "RESTARTING":
		j := f.jobs[d.ID]
		if j == nil {
			return f.st.ReportDeployment(ctx, d.ID, d.DesiredGeneration, "INITIALIZING", "")
		}
		if err := f.st.AppendEvent(ctx, d.ID, 2, "job_restarted", fmt.Sprintf("attempt 2 restored from checkpoint %d", j.checkpoints)); err != nil {
			return err
		}
		return f.st.ReportDeployment(ctx, d.ID, d.DesiredGeneration, "RUNNING", "restarted by the user")
	case d.Status == "RUNNING":
		j := f.jobs[d.ID]
		if j == nil {
			return nil
		}
		if _, err := f.st.ReportJob(ctx, store.JobReport{DeploymentID: d.ID, Attempt: 1, Status: "RUNNING", Graph: graphJSON(d.Parallelism, now.Sub(j.started).Seconds())}); err != nil {
			return err
		}
		if now.Sub(j.lastCkpt) > time.Second && j.checkpoints < 12 {
			j.lastCkpt = now
			return f.checkpoint(ctx, d.ID, j, now)
		}
	}
	return nil
}

func (f *fake) checkpoint(ctx context.Context, deployment string, j *fakeJob, at time.Time) error {
	j.checkpoints++
	n := j.checkpoints
	done := at.Add(time.Duration(180+40*(n%4)) * time.Millisecond)
	return f.st.RecordCheckpoint(ctx, store.CheckpointReport{DeploymentID: deployment, JobID: j.id, CheckpointID: n, Status: "COMPLETED",
		Location: fmt.Sprintf("file:///var/lib/flowplane/checkpoints/%s/%d", deployment, n), SizeBytes: (2 << 20) + n*(300<<10), TriggeredAt: at, CompletedAt: &done})
}

func (f *fake) finish(ctx context.Context, d store.DesiredDeployment, status, msg string) error {
	if j := f.jobs[d.ID]; j != nil {
		now := time.Now()
		if _, err := f.st.ReportJob(ctx, store.JobReport{DeploymentID: d.ID, Attempt: 1, Status: status, EndedAt: &now}); err != nil {
			return err
		}
	}
	return f.st.ReportDeployment(ctx, d.ID, d.DesiredGeneration, status, msg)
}

// graphJSON is a four-vertex job graph (two sources joined, then a sink) whose counters have
// grown for secs seconds; the window vertex is backpressured.
func graphJSON(parallelism int, secs float64) json.RawMessage {
	type m map[string]any
	// in and out are records per second; the sink reports its input rate, the others their output.
	metrics := func(in, out float64, bp int64) m {
		x := m{"records_in": int64(in * secs), "records_out": int64(out * secs), "busy_ms": 600, "idle_ms": 400 - bp/3, "backpressured_ms": bp,
			"watermark": time.Now().Add(-5 * time.Second).UnixMilli()}
		if out > 0 {
			x["records_out_per_second"] = out
		} else {
			x["records_in_per_second"] = in
		}
		return x
	}
	g := m{
		"version": 1, "name": "e2e",
		"vertices": []m{
			{"id": "v1", "name": "Source: bids", "parallelism": parallelism, "operators": []m{{"id": "o1", "kind": "datagen"}}, "metrics": metrics(0, 5200, 10)},
			{"id": "v2", "name": "Source: auctions", "parallelism": 1, "operators": []m{{"id": "o2", "kind": "datagen"}}, "metrics": metrics(0, 800, 0)},
			{"id": "v3", "name": "Window aggregate", "parallelism": parallelism, "operators": []m{{"id": "o3", "kind": "window"}}, "metrics": metrics(6000, 150, 900)},
			{"id": "v4", "name": "Sink: expensive_bids", "parallelism": parallelism, "operators": []m{{"id": "o4", "kind": "print"}}, "metrics": metrics(150, 0, 0)},
		},
		"edges": []m{
			{"id": "e1", "from": "v1", "to": "v3", "input": 0, "partitioning": "hash", "keys": []string{"auction"}},
			{"id": "e2", "from": "v2", "to": "v3", "input": 1, "partitioning": "hash", "keys": []string{"id"}},
			{"id": "e3", "from": "v3", "to": "v4", "input": 0, "partitioning": "forward"},
		},
	}
	b, err := json.Marshal(g)
	if err != nil {
		panic(err) // the graph above always marshals
	}
	return b
}
