package workers

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/flowplane/flowplane/dataflow/assign"
)

// Handler serves the worker's small HTTP surface: /metrics (Prometheus: the running tasks'
// metrics and the agent's own) and /healthz (process up; JSON with the worker id, the data
// address, whether it is fenced and its task counts).
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.prom, promhttp.HandlerOpts{Registry: a.prom}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"status": "ok", "worker_id": a.WorkerID(), "data_addr": a.DataAddr(),
			"fenced": a.tasks.isFenced(), "tasks": a.tasks.counts(),
		})
	})
	return mux
}

// agentMetrics are the agent's own Prometheus metrics.
type agentMetrics struct {
	a               *Agent
	heartbeatErrors prometheus.Counter
	pollErrors      prometheus.Counter
	fences          prometheus.Counter
}

var descTasks = prometheus.NewDesc("flowplane_worker_tasks", "Tasks held by the worker, by state.", []string{"state"}, nil)

func newAgentMetrics(a *Agent) *agentMetrics {
	return &agentMetrics{
		a: a,
		heartbeatErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "flowplane_worker_heartbeat_errors_total", Help: "Heartbeats that failed.",
		}),
		pollErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "flowplane_worker_assignment_poll_errors_total", Help: "Assignment queries that failed.",
		}),
		fences: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "flowplane_worker_self_fences_total", Help: "Times the worker stopped its tasks because its lease could not be renewed.",
		}),
	}
}

// Describe implements prometheus.Collector.
func (m *agentMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- descTasks
	m.heartbeatErrors.Describe(ch)
	m.pollErrors.Describe(ch)
	m.fences.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *agentMetrics) Collect(ch chan<- prometheus.Metric) {
	counts := m.a.tasks.counts()
	for _, s := range []assign.TaskState{assign.TaskStarting, assign.TaskRunning, assign.TaskFinished, assign.TaskFailed, assign.TaskCanceled} {
		ch <- prometheus.MustNewConstMetric(descTasks, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
	m.heartbeatErrors.Collect(ch)
	m.pollErrors.Collect(ch)
	m.fences.Collect(ch)
}
