package sql

import (
	"encoding/json"
	"slices"

	"github.com/flowplane/flowplane/dataflow"
)

// GraphIntegrations lists the integration ids the source and sink operators of a compiled graph
// name (option 'integration'), sorted and without duplicates. The scheduler answers a worker's
// request for an integration only when its job's graph names it.
func GraphIntegrations(g *dataflow.JobGraph) []string {
	if g == nil {
		return nil
	}
	var ids []string
	for _, v := range g.Vertices {
		for _, op := range v.Operators {
			if op.Kind != KindSource && op.Kind != KindSink {
				continue
			}
			var cfg struct {
				Options map[string]string `json:"options"`
			}
			if json.Unmarshal(op.Config, &cfg) != nil {
				continue
			}
			if id := cfg.Options["integration"]; id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids
}
