package api

import (
	"time"

	"github.com/flowplane/flowplane/openapi"
)

// applyLive fills the live fields of the plan's vertices from what the local scheduler replica
// reports about the running job (GET .../deployments/{id}/job).
func applyLive(plan *openapi.JobGraph, live []VertexView) {
	byID := make(map[string]VertexView, len(live))
	for _, v := range live {
		byID[v.ID] = v
	}
	for i := range plan.Vertices {
		v := &plan.Vertices[i]
		lv, ok := byID[v.Id]
		if !ok {
			continue
		}
		counts := lv.States
		v.StatusCounts = &counts
		v.RecordsIn, v.RecordsOut = &lv.RecordsIn, &lv.RecordsOut
		in, out := float32(lv.RecordsInPerSec), float32(lv.RecordsOutPerSec)
		bp, busy := float32(lv.Backpressure), float32(lv.Busy)
		v.RecordsInPerSecond, v.RecordsOutPerSecond, v.Backpressure, v.Busy = &in, &out, &bp, &busy
		if lv.Watermark != 0 {
			wm := time.UnixMilli(lv.Watermark).UTC()
			v.Watermark = &wm
		}
	}
}
