package runtime

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowplane/flowplane/dataflow/operator"
)

// Metrics are one subtask's live counters, updated by its goroutine and read by any.
type Metrics struct {
	start         time.Time
	recordsIn     atomic.Int64
	recordsOut    atomic.Int64
	bytesIn       atomic.Int64
	bytesOut      atomic.Int64
	idleNanos     atomic.Int64
	backpressured atomic.Int64
	watermark     atomic.Int64
	inWatermark   atomic.Int64
	// idleSince and bpSince hold the start (ns since start) of a wait in progress, or -1.
	idleSince atomic.Int64
	bpSince   atomic.Int64
}

// now returns nanoseconds since the task started (monotonic).
func (m *Metrics) now() int64 { return int64(time.Since(m.start)) }

// beginWait marks the start of an idle or backpressured wait.
func (m *Metrics) beginWait(since *atomic.Int64) int64 {
	t := m.now()
	since.Store(t)
	return t
}

// endWait adds the wait started at t to total.
func (m *Metrics) endWait(since, total *atomic.Int64, t int64) {
	total.Add(m.now() - t)
	since.Store(-1)
}

func newMetrics() *Metrics {
	m := &Metrics{start: time.Now()}
	m.idleSince.Store(-1)
	m.bpSince.Store(-1)
	m.watermark.Store(operator.MinWatermark)
	m.inWatermark.Store(operator.MinWatermark)
	return m
}

// MetricsSnapshot is a point-in-time copy of a subtask's metrics, small enough for heartbeats.
// Busy time is the subtask's wall time less its idle (waiting for input) and backpressured
// (waiting for output credit) time. Watermarks are event-time milliseconds; MinWatermark
// (math.MinInt64) means none yet.
type MetricsSnapshot struct {
	RecordsIn          int64 `json:"records_in"`
	RecordsOut         int64 `json:"records_out"`
	BytesIn            int64 `json:"bytes_in"`
	BytesOut           int64 `json:"bytes_out"`
	BusyMillis         int64 `json:"busy_ms"`
	IdleMillis         int64 `json:"idle_ms"`
	BackpressureMillis int64 `json:"backpressured_ms"`
	Watermark          int64 `json:"watermark"`
	InputWatermark     int64 `json:"input_watermark"`
	// WatermarkLagMillis is wall-clock time minus Watermark when both are meaningful
	// (a watermark was emitted and the input has not ended), else 0.
	WatermarkLagMillis int64 `json:"watermark_lag_ms"`
}

// Snapshot copies the counters.
func (m *Metrics) Snapshot() MetricsSnapshot {
	now := m.now()
	idle, bp := m.idleNanos.Load(), m.backpressured.Load()
	if t := m.idleSince.Load(); t >= 0 {
		idle += max(now-t, 0)
	}
	if t := m.bpSince.Load(); t >= 0 {
		bp += max(now-t, 0)
	}
	busy := max(now-idle-bp, 0)
	wm := m.watermark.Load()
	var lag int64
	if wm != operator.MinWatermark && wm != operator.MaxWatermark {
		lag = time.Now().UnixMilli() - wm
	}
	return MetricsSnapshot{
		WatermarkLagMillis: lag,
		RecordsIn:          m.recordsIn.Load(), RecordsOut: m.recordsOut.Load(),
		BytesIn: m.bytesIn.Load(), BytesOut: m.bytesOut.Load(),
		BusyMillis: busy / 1e6, IdleMillis: idle / 1e6, BackpressureMillis: bp / 1e6,
		Watermark: wm, InputWatermark: m.inWatermark.Load(),
	}
}

// Collector exports the metrics of the running tasks to Prometheus, labelled by job, vertex and
// subtask. Create one per worker with NewCollector, pass it in Deps; tasks add themselves while
// they run.
type Collector struct {
	mu    sync.Mutex
	tasks map[*Task]struct{}
}

var (
	labels        = []string{"job", "vertex", "subtask"}
	descRecordsIn = prometheus.NewDesc("flowplane_task_records_in_total", "Records received by the subtask.", labels, nil)
	descRecordsOu = prometheus.NewDesc("flowplane_task_records_out_total", "Records emitted by the subtask.", labels, nil)
	descBytesIn   = prometheus.NewDesc("flowplane_task_bytes_in_total", "Bytes received by the subtask.", labels, nil)
	descBytesOut  = prometheus.NewDesc("flowplane_task_bytes_out_total", "Bytes emitted by the subtask.", labels, nil)
	descBusy      = prometheus.NewDesc("flowplane_task_busy_seconds_total", "Time the subtask spent working.", labels, nil)
	descIdle      = prometheus.NewDesc("flowplane_task_idle_seconds_total", "Time the subtask waited for input.", labels, nil)
	descBackpress = prometheus.NewDesc("flowplane_task_backpressured_seconds_total", "Time the subtask waited for output credit.", labels, nil)
	descWatermark = prometheus.NewDesc("flowplane_task_watermark_milliseconds", "Current output watermark (event time).", labels, nil)
	descLag       = prometheus.NewDesc("flowplane_task_watermark_lag_seconds", "Wall-clock time minus the output watermark.", labels, nil)
)

// NewCollector returns a collector registered on reg (never the global registry).
func NewCollector(reg prometheus.Registerer) (*Collector, error) {
	c := &Collector{tasks: make(map[*Task]struct{})}
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Collector) add(t *Task) {
	c.mu.Lock()
	c.tasks[t] = struct{}{}
	c.mu.Unlock()
}

func (c *Collector) remove(t *Task) {
	c.mu.Lock()
	delete(c.tasks, t)
	c.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRecordsIn, descRecordsOu, descBytesIn, descBytesOut, descBusy, descIdle, descBackpress, descWatermark, descLag} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	tasks := make([]*Task, 0, len(c.tasks))
	for t := range c.tasks {
		tasks = append(tasks, t)
	}
	c.mu.Unlock()
	for _, t := range tasks {
		s := t.Metrics()
		lv := []string{t.spec.JobID, string(t.spec.Vertex), strconv.Itoa(t.spec.Subtask)}
		counter := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, lv...)
		}
		counter(descRecordsIn, float64(s.RecordsIn))
		counter(descRecordsOu, float64(s.RecordsOut))
		counter(descBytesIn, float64(s.BytesIn))
		counter(descBytesOut, float64(s.BytesOut))
		counter(descBusy, float64(s.BusyMillis)/1e3)
		counter(descIdle, float64(s.IdleMillis)/1e3)
		counter(descBackpress, float64(s.BackpressureMillis)/1e3)
		if s.Watermark != operator.MinWatermark && s.Watermark != operator.MaxWatermark {
			ch <- prometheus.MustNewConstMetric(descWatermark, prometheus.GaugeValue, float64(s.Watermark), lv...)
			ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(s.WatermarkLagMillis)/1e3, lv...)
		}
	}
}
