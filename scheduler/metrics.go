package scheduler

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/runtime"
)

// taskMetrics is the last report of one task, kept in memory on the leader.
type taskMetrics struct {
	JobID   string
	Attempt uint64
	Vertex  string
	Subtask int
	Worker  string
	State   assign.TaskState
	M       runtime.MetricsSnapshot
	At      time.Time
}

// metricsStore keeps the tasks' latest metrics; they are not replicated (a new leader starts
// empty and fills up with the next heartbeats).
type metricsStore struct {
	mu      sync.Mutex
	tasks   map[string]taskMetrics // by task id
	records int
}

// metricsTTL is how long a task no heartbeat reports any more keeps its last metrics.
const metricsTTL = 10 * time.Minute

func newMetricsStore() *metricsStore { return &metricsStore{tasks: map[string]taskMetrics{}} }

func (m *metricsStore) record(worker string, sts []assign.TaskStatus, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, st := range sts {
		tm := taskMetrics{JobID: st.JobID, Attempt: st.Attempt, Vertex: string(st.Vertex), Subtask: st.Subtask,
			Worker: worker, State: st.State, At: now}
		if len(st.Metrics) > 0 {
			_ = json.Unmarshal(st.Metrics, &tm.M) // metrics are best effort
		}
		m.tasks[st.TaskID] = tm
	}
	if m.records++; m.records%1024 == 0 {
		for id, tm := range m.tasks {
			if now.Sub(tm.At) > metricsTTL {
				delete(m.tasks, id)
			}
		}
	}
}

// job returns the metrics of a job's attempt.
func (m *metricsStore) job(id string, attempt uint64) []taskMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []taskMetrics
	for k, tm := range m.tasks {
		switch {
		case tm.JobID == id && tm.Attempt == attempt:
			out = append(out, tm)
		case tm.JobID == id && tm.Attempt < attempt:
			delete(m.tasks, k)
		}
	}
	return out
}
