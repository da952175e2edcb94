package scheduler

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	descLeader  = prometheus.NewDesc("flowplane_scheduler_leader", "1 while this server's scheduler node leads.", nil, nil)
	descTerm    = prometheus.NewDesc("flowplane_scheduler_raft_term", "The node's current Raft term.", nil, nil)
	descApplied = prometheus.NewDesc("flowplane_scheduler_raft_applied_index", "The last Raft index applied to the FSM.", nil, nil)
	descWorkers = prometheus.NewDesc("flowplane_scheduler_workers", "Registered workers by state.", []string{"state"}, nil)
	descSlots   = prometheus.NewDesc("flowplane_scheduler_slots", "Task slots of active workers, total and in use.", []string{"state"}, nil)
	descJobs    = prometheus.NewDesc("flowplane_scheduler_jobs", "Jobs by status.", []string{"status"}, nil)
)

// Collector exposes the node's scheduling state to Prometheus (register it on /metrics).
func (s *Server) Collector() prometheus.Collector { return collector{s} }

type collector struct{ s *Server }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLeader, descTerm, descApplied, descWorkers, descSlots, descJobs} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	info := c.s.Cluster()
	leader := 0.0
	if c.s.IsLeader() {
		leader = 1
	}
	ch <- prometheus.MustNewConstMetric(descLeader, prometheus.GaugeValue, leader)
	ch <- prometheus.MustNewConstMetric(descTerm, prometheus.GaugeValue, float64(info.Term))
	ch <- prometheus.MustNewConstMetric(descApplied, prometheus.GaugeValue, float64(info.LastApplied))
	workers := map[WorkerState]int{WorkerActive: 0, WorkerLost: 0}
	total := 0
	for _, w := range c.s.fsm.Workers() {
		workers[w.State]++
		if w.State == WorkerActive {
			total += w.Slots
		}
	}
	for state, n := range workers {
		ch <- prometheus.MustNewConstMetric(descWorkers, prometheus.GaugeValue, float64(n), string(state))
	}
	used := 0
	jobs := map[JobStatus]int{}
	for _, j := range c.s.fsm.Jobs() {
		jobs[j.Status]++
		if j.Placed() {
			used += j.Slots()
		}
	}
	ch <- prometheus.MustNewConstMetric(descSlots, prometheus.GaugeValue, float64(total), "total")
	ch <- prometheus.MustNewConstMetric(descSlots, prometheus.GaugeValue, float64(used), "used")
	for status, n := range jobs {
		ch <- prometheus.MustNewConstMetric(descJobs, prometheus.GaugeValue, float64(n), string(status))
	}
}
