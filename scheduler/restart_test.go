package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestNodeRestartRecoversState: a node reopened on its data dir recovers the FSM from its
// snapshot and log (fsynced boltdb, file snapshots) and leads again.
func TestNodeRestartRecoversState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := Config{ID: "n1", BootstrapExpect: 1, DataDir: dir, SnapshotThreshold: 8}
	n := startNode(t, cfg)
	waitFor(t, 10*time.Second, "leader", n.IsLeader)
	register(t, n.url, 4, "w")
	for _, id := range []string{"a", "b", "c"} {
		if err := n.SubmitJob(context.Background(), JobSpec{ID: id, Graph: testGraph(t, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 { // enough entries for a snapshot
		if _, err := n.apply(CmdCheckpoint, newID("cmd"), checkpointBody{JobID: "a"}); err != nil {
			t.Fatal(i, err)
		}
	}
	if err := n.raft.Snapshot().Error(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	before := n.fsm.Index()
	n.kill()

	again := startNode(t, cfg)
	waitFor(t, 10*time.Second, "leader after restart", again.IsLeader)
	if got := len(again.fsm.Jobs()); got != 3 || again.fsm.Index() < before {
		t.Fatalf("after restart: %d jobs at index %d (was %d)", got, again.fsm.Index(), before)
	}
	j, _ := again.fsm.Job("a")
	if j.NextCheckpoint != 21 || j.Attempt != 1 {
		t.Errorf("job a after restart: next checkpoint %d attempt %d", j.NextCheckpoint, j.Attempt)
	}
}

func TestPrometheusCollector(t *testing.T) {
	t.Parallel()
	n := startCluster(t, 1, nil)[0]
	register(t, n.url, 3, "w")
	if err := n.SubmitJob(context.Background(), JobSpec{ID: "j", Graph: testGraph(t, 2)}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(n.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "/" + l.GetValue()
			}
			got[key] = m.GetGauge().GetValue()
		}
	}
	if got["flowplane_scheduler_leader"] != 1 || got["flowplane_scheduler_slots/total"] != 3 ||
		got["flowplane_scheduler_slots/used"] != 2 || got["flowplane_scheduler_jobs/DEPLOYING"] != 1 {
		t.Errorf("metrics = %v", got)
	}
}
