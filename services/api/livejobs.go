package api

import (
	"context"
	"time"

	"github.com/flowplane/flowplane/openapi"
)

// LiveJobs reports the running state of deployments' jobs, as the local scheduler replica knows
// it. GET .../deployments/{id}/job merges it into the planned graph's vertices.
type LiveJobs interface {
	// LiveJob returns the state of the deployment's current job; ok is false when the scheduler
	// knows no running job for it.
	LiveJob(ctx context.Context, deploymentID string) (job LiveJob, ok bool)
}

// LiveJob is a running job's state per vertex id (dataflow.VertexID).
type LiveJob struct {
	Vertices map[string]LiveVertex
}

// LiveVertex is one vertex's state summed over its subtasks.
type LiveVertex struct {
	StatusCounts          map[string]int // subtasks by status
	RecordsIn, RecordsOut int64
	InPerSecond           float64
	OutPerSecond          float64
	Backpressure          float64    // 0..1
	Watermark             *time.Time // lowest watermark; nil before the first
}

// applyLive fills the live fields of the plan's vertices the job reports.
func applyLive(plan *openapi.JobGraph, job LiveJob) {
	for i := range plan.Vertices {
		v := &plan.Vertices[i]
		lv, ok := job.Vertices[v.Id]
		if !ok {
			continue
		}
		counts := lv.StatusCounts
		v.StatusCounts = &counts
		v.RecordsIn, v.RecordsOut = &lv.RecordsIn, &lv.RecordsOut
		in, out, bp := float32(lv.InPerSecond), float32(lv.OutPerSecond), float32(lv.Backpressure)
		v.RecordsInPerSecond, v.RecordsOutPerSecond, v.Backpressure = &in, &out, &bp
		v.Watermark = lv.Watermark
	}
}
