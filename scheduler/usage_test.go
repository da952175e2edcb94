package scheduler

import "testing"

func TestServiceUsageCountsPlacedLiveJobs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setup(2, 2, 2)
	h.ok(CmdSubmitJob, "a", 1, JobSpec{ID: "a", Service: "svc", Graph: testGraph(t, 3), Restart: zeroDelay()})
	h.ok(CmdSubmitJob, "b", 1, JobSpec{ID: "b", Service: "other", Graph: testGraph(t, 1), Restart: zeroDelay()})
	if u := h.f.ServiceUsage("svc"); u.Workers != 3 || u.SlotsUsed != 3 {
		t.Errorf("usage of svc = %+v, want 3 workers and 3 slots", u)
	}
	if u := h.f.ServiceUsage("other"); u.Workers != 1 || u.SlotsUsed != 1 {
		t.Errorf("usage of other = %+v, want 1 worker and 1 slot", u)
	}
	if u := h.f.ServiceUsage("none"); u != (ServiceUsage{}) {
		t.Errorf("usage of an unknown service = %+v, want zero", u)
	}
}
