package scheduler

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// fsmHarness applies commands directly, as Raft would, with increasing indexes.
type fsmHarness struct {
	t     testing.TB
	f     *FSM
	index uint64
}

func newHarness(t testing.TB) *fsmHarness { return &fsmHarness{t: t, f: NewFSM()} }

func (h *fsmHarness) apply(typ CommandType, id string, at int64, body any) Result {
	h.t.Helper()
	data, err := Command{Type: typ, ID: id, At: at, Body: body}.Encode()
	if err != nil {
		h.t.Fatalf("Encode: %v", err)
	}
	h.index++
	r, _ := h.f.Apply(&raft.Log{Index: h.index, Type: raft.LogCommand, Data: data}).(Result)
	return r
}

func (h *fsmHarness) ok(typ CommandType, id string, at int64, body any) any {
	h.t.Helper()
	r := h.apply(typ, id, at, body)
	if r.Err != nil {
		h.t.Fatalf("apply %d %s: %v", typ, id, r.Err)
	}
	return r.Value
}

func (h *fsmHarness) setup(workers ...int) {
	h.ok(CmdInitCluster, "init", 0, initClusterBody{Secret: bytes.Repeat([]byte{7}, 32)})
	for i, slots := range workers {
		id := fmt.Sprintf("w%d", i)
		h.ok(CmdRegisterWorker, "reg-"+id, 0, registerWorkerBody{ID: id, Slots: slots, DataAddr: "127.0.0.1:1"})
	}
}

func zeroDelay() RestartStrategy {
	d := int64(0)
	return RestartStrategy{Type: RestartFixed, Attempts: 2, DelayMillis: &d}
}

func TestPlacementSharesSlotsAndSpreads(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setup(2, 2, 2)
	h.ok(CmdSubmitJob, "s1", 1, JobSpec{ID: "job1", Graph: testGraph(t, 3), Restart: zeroDelay()})
	j, _ := h.f.Job("job1")
	if j.Status != JobDeploying || j.Attempt != 1 || len(j.Subtasks) != 4 {
		t.Fatalf("job = %s attempt %d with %d subtasks, want DEPLOYING 1 with 4", j.Status, j.Attempt, len(j.Subtasks))
	}
	if ws := j.Workers(); len(ws) != 3 {
		t.Errorf("job needs 3 slots and should spread over 3 workers, got %v", ws)
	}
	// slot sharing: src[0] shares the slot of sink[0]
	if j.Subtasks[0].Worker != j.Subtasks[1].Worker || j.Subtasks[0].Slot != j.Subtasks[1].Slot {
		t.Errorf("src[0] and sink[0] should share a slot: %+v %+v", j.Subtasks[0], j.Subtasks[1])
	}
	set := h.f.Assignments(j.Subtasks[0].Worker)
	if !set.Known || len(set.Tasks) != 2 || set.Tasks[0].Placement["sink"][2] == "" ||
		!bytes.Equal(set.Tasks[0].Token, AttemptToken(h.f.Secret(), "job1", 1)) {
		t.Errorf("assignments = %+v", set)
	}
	// 3 slots left: a job of parallelism 4 does not fit and waits.
	h.ok(CmdSubmitJob, "s2", 1, JobSpec{ID: "job2", Graph: testGraph(t, 4)})
	if j2, _ := h.f.Job("job2"); j2.Status != JobScheduling || j2.Placed() {
		t.Errorf("job2 = %s, want SCHEDULING unplaced", j2.Status)
	}
	r := h.apply(CmdScheduleJob, "sch", 2, scheduleJobBody{ID: "job2", Attempt: 1})
	if !errors.Is(r.Err, ErrInsufficientSlots) {
		t.Errorf("schedule job2 = %v, want ErrInsufficientSlots", r.Err)
	}
	h.ok(CmdScheduleJob, "sch2", 3, scheduleJobBody{ID: "job2", Attempt: 1, GiveUp: true})
	if j2, _ := h.f.Job("job2"); j2.Status != JobFailed || j2.Reason == "" {
		t.Errorf("job2 = %s %q, want FAILED with a reason", j2.Status, j2.Reason)
	}
}

func TestQuota(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setup(8)
	h.ok(CmdSubmitJob, "a", 1, JobSpec{ID: "a", Service: "svc", Quota: 3, Graph: testGraph(t, 2)})
	h.ok(CmdSubmitJob, "b", 1, JobSpec{ID: "b", Service: "svc", Quota: 3, Graph: testGraph(t, 2)})
	if b, _ := h.f.Job("b"); b.Placed() {
		t.Errorf("job b placed beyond the service quota")
	}
}

func TestCommandsAreIdempotent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setup(4)
	spec := JobSpec{ID: "job1", Graph: testGraph(t, 2), Restart: zeroDelay()}
	h.ok(CmdSubmitJob, "s1", 1, spec)
	before := h.f.Jobs()[0]
	// the same command again (retry after ErrLeadershipLost) and a new command for the same job
	if r := h.apply(CmdSubmitJob, "s1", 2, spec); !r.Replayed || r.Err != nil {
		t.Errorf("retried submit = %+v, want replayed", r)
	}
	h.ok(CmdSubmitJob, "s1-again", 3, spec)
	if jobs := h.f.Jobs(); len(jobs) != 1 || jobs[0].ModifyIndex != before.ModifyIndex {
		t.Errorf("jobs after resubmission = %d (modify %d, was %d)", len(jobs), jobs[0].ModifyIndex, before.ModifyIndex)
	}
	// a retried task failure counts once
	fail := taskStatusBody{Worker: "w0", Updates: []taskUpdate{{JobID: "job1", Attempt: 1, Vertex: "sink", Subtask: 0, State: "FAILED", Error: "boom"}}}
	h.ok(CmdTaskStatus, "f1", 4, fail)
	h.ok(CmdTaskStatus, "f1", 5, fail)
	j, _ := h.f.Job("job1")
	if j.Status != JobRestarting || len(j.Failures) != 1 {
		t.Fatalf("job = %s with %d failures, want RESTARTING with 1", j.Status, len(j.Failures))
	}
	// business failure replayed keeps its error class
	r1 := h.apply(CmdScheduleJob, "x", 6, scheduleJobBody{ID: "nope", Attempt: 1})
	r2 := h.apply(CmdScheduleJob, "x", 7, scheduleJobBody{ID: "nope", Attempt: 1})
	if !errors.Is(r1.Err, ErrNotFound) || !errors.Is(r2.Err, ErrNotFound) || !r2.Replayed {
		t.Errorf("business failures = %v / %v (replayed %v)", r1.Err, r2.Err, r2.Replayed)
	}
}

func TestRestartStrategyGivesUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setup(4)
	h.ok(CmdSubmitJob, "s", 1, JobSpec{ID: "job1", Graph: testGraph(t, 1), Restart: zeroDelay()})
	for attempt := uint64(1); attempt <= 3; attempt++ {
		h.ok(CmdTaskStatus, fmt.Sprint("f", attempt), int64(attempt), taskStatusBody{Worker: "w0", Updates: []taskUpdate{
			{JobID: "job1", Attempt: attempt, Vertex: "src", Subtask: 0, State: "FAILED", Error: "boom"}}})
		j, _ := h.f.Job("job1")
		if attempt == 3 {
			if j.Status != JobFailed || j.Reason == "" {
				t.Fatalf("after 3 failures job = %s %q, want FAILED (2 restarts allowed)", j.Status, j.Reason)
			}
			return
		}
		if j.Status != JobRestarting {
			t.Fatalf("after failure %d job = %s", attempt, j.Status)
		}
		h.ok(CmdScheduleJob, fmt.Sprint("s", attempt), int64(attempt), scheduleJobBody{ID: "job1", Attempt: attempt + 1})
		if j, _ := h.f.Job("job1"); j.Attempt != attempt+1 || j.Status != JobDeploying {
			t.Fatalf("restart %d: job = %s attempt %d", attempt, j.Status, j.Attempt)
		}
	}
}

func TestRestartStrategies(t *testing.T) {
	t.Parallel()
	exp := RestartStrategy{Type: RestartExponential, InitialDelayMillis: 100, MaxDelayMillis: 350, BackoffMultiplier: 2}
	var delays []int64
	var fails []int64
	for i := range 4 {
		fails = append(fails, int64(i))
		var d int64
		var giveUp string
		fails, d, giveUp = exp.decide(fails, int64(i))
		if giveUp != "" {
			t.Fatalf("exponential gave up")
		}
		delays = append(delays, d)
	}
	if fmt.Sprint(delays) != "[100 200 350 350]" {
		t.Errorf("exponential delays = %v", delays)
	}
	fr := RestartStrategy{Type: RestartFailureRate, MaxFailuresPerInterval: 2, FailureIntervalMillis: 1000}
	if _, _, g := fr.decide([]int64{0, 10}, 10); g != "" {
		t.Errorf("failure-rate gave up at 2 failures")
	}
	if _, _, g := fr.decide([]int64{0, 10, 20}, 20); g == "" {
		t.Errorf("failure-rate did not give up at 3 failures in 1 s")
	}
	if _, _, g := fr.decide([]int64{0, 10, 2000}, 2000); g != "" {
		t.Errorf("failure-rate counted failures outside the interval")
	}
	if _, _, g := (RestartStrategy{Type: RestartNone}).decide([]int64{1}, 1); g == "" {
		t.Errorf("none did not give up")
	}
	if s, err := ParseRestartStrategy([]byte(`{}`)); err != nil || s.Type != RestartExponential {
		t.Errorf("default strategy = %+v %v", s, err)
	}
	if _, err := ParseRestartStrategy([]byte(`{"type":"sometimes"}`)); !errors.Is(err, ErrInvalidCommand) {
		t.Errorf("unknown strategy err = %v", err)
	}
}

func TestWorkerLostRestartsJobElsewhere(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setup(2, 2)
	h.ok(CmdSubmitJob, "s", 1, JobSpec{ID: "job1", Graph: testGraph(t, 2), Restart: zeroDelay()})
	h.ok(CmdWorkerLost, "lost-w0", 2, workerLostBody{ID: "w0", Reason: "no heartbeat"})
	j, _ := h.f.Job("job1")
	if j.Status != JobRestarting || j.Placed() || j.Cause != CauseWorkerLost {
		t.Fatalf("job = %s placed=%v cause %q, want RESTARTING unplaced, worker_lost", j.Status, j.Placed(), j.Cause)
	}
	if set := h.f.Assignments("w0"); set.Known || len(set.Tasks) != 0 {
		t.Errorf("lost worker's set = %+v, want unknown and empty", set)
	}
	h.ok(CmdScheduleJob, "s2", 3, scheduleJobBody{ID: "job1", Attempt: 2})
	j, _ = h.f.Job("job1")
	if j.Attempt != 2 || len(j.Workers()) != 1 || j.Workers()[0] != "w1" {
		t.Errorf("restarted job = attempt %d on %v, want attempt 2 on w1", j.Attempt, j.Workers())
	}
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setup(2, 3)
	h.ok(CmdSubmitJob, "s", 1, JobSpec{ID: "job1", Graph: testGraph(t, 2), Restart: zeroDelay()})
	h.ok(CmdSetMember, "m", 1, setMemberBody{ID: "n1", RaftAddr: "127.0.0.1:1", HTTPAddr: "http://127.0.0.1:2"})
	h.ok(CmdCheckpoint, "c", 1, checkpointBody{JobID: "job1"})
	snap, err := h.f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	sink := &memSink{Buffer: &buf}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	g := NewFSM()
	changed := g.Changed()
	if err := g.Restore(io.NopCloser(&buf)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Error("Restore did not wake watchers")
	}
	if g.Index() != h.f.Index() || !bytes.Equal(g.Secret(), h.f.Secret()) || len(g.Workers()) != 2 || len(g.Members()) != 1 {
		t.Errorf("restored index %d secret %v workers %d members %d", g.Index(), g.Secret() != nil, len(g.Workers()), len(g.Members()))
	}
	a, _ := h.f.Job("job1")
	b, _ := g.Job("job1")
	if fmt.Sprintf("%+v", *a.Graph) != fmt.Sprintf("%+v", *b.Graph) || a.NextCheckpoint != b.NextCheckpoint ||
		fmt.Sprint(a.Subtasks) != fmt.Sprint(b.Subtasks) {
		t.Errorf("restored job differs:\n%+v\n%+v", a, b)
	}
	// the idempotency records survive: a replayed command changes nothing after restore
	h2 := &fsmHarness{t: t, f: g, index: g.Index()}
	if r := h2.apply(CmdSubmitJob, "s", 9, JobSpec{ID: "job1", Graph: testGraph(t, 2)}); !r.Replayed {
		t.Errorf("command id forgotten by restore")
	}
	if ta, tb := h.f.Assignments(a.Subtasks[0].Worker), g.Assignments(a.Subtasks[0].Worker); len(ta.Tasks) != len(tb.Tasks) || ta.Index != tb.Index {
		t.Errorf("assignments differ after restore")
	}
}

// snapshotInto persists from's snapshot and restores it into to.
func snapshotInto(t *testing.T, from, to *FSM) {
	t.Helper()
	snap, err := from.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := snap.Persist(&memSink{Buffer: &buf}); err != nil {
		t.Fatal(err)
	}
	if err := to.Restore(io.NopCloser(&buf)); err != nil {
		t.Fatal(err)
	}
}

type memSink struct{ *bytes.Buffer }

func (memSink) ID() string    { return "mem" }
func (memSink) Cancel() error { return nil }
func (memSink) Close() error  { return nil }

func TestUndecodableEntryPanics(t *testing.T) {
	t.Parallel()
	for _, data := range [][]byte{nil, {1}, {99, '{', '}'}, append([]byte{byte(CmdSubmitJob)}, `{"v":2,"id":"x"}`...),
		append([]byte{byte(CmdSubmitJob)}, `{"v":1,"id":"x","body":[1]}`...)} {
		func() {
			defer func() {
				p := recover()
				if _, ok := p.(*UndecodablePanic); !ok {
					t.Errorf("Apply(%q) panicked with %v, want *UndecodablePanic", data, p)
				}
			}()
			NewFSM().Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: data})
		}()
	}
}

func FuzzFSMApply(f *testing.F) {
	h := newHarness(f)
	for _, typ := range []CommandType{CmdRegisterWorker, CmdSubmitJob, CmdTaskStatus, CmdWorkerLost, CmdCheckpoint} {
		data, _ := Command{Type: typ, ID: "x", Body: map[string]any{"id": "w0", "slots": 1, "data_addr": "a"}}.Encode()
		f.Add(data)
	}
	f.Add([]byte{byte(CmdScheduleJob), '{'})
	f.Fuzz(func(t *testing.T, data []byte) {
		h.index++
		func() {
			defer func() {
				if p := recover(); p != nil {
					if _, ok := p.(*UndecodablePanic); !ok {
						t.Fatalf("Apply(%q) panicked: %v", data, p)
					}
				}
			}()
			r := h.f.Apply(&raft.Log{Index: h.index, Type: raft.LogCommand, Data: data})
			if _, ok := r.(Result); !ok {
				t.Fatalf("Apply returned %T", r)
			}
		}()
		_ = h.f.Assignments("w0")
	})
}

func TestRestartAvoidsSuspectedWorkers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setup(2, 2)
	h.ok(CmdSubmitJob, "s", 1, JobSpec{ID: "job1", Graph: testGraph(t, 2), Restart: zeroDelay()})
	h.ok(CmdRestartJob, "r", 2, restartJobBody{ID: "job1", Reason: "test"})
	h.ok(CmdScheduleJob, "s2", 3, scheduleJobBody{ID: "job1", Attempt: 2, Avoid: []string{"w0"}})
	if j, _ := h.f.Job("job1"); fmt.Sprint(j.Workers()) != "[w1]" {
		t.Errorf("attempt 2 placed on %v, want [w1] (w0 suspected)", j.Workers())
	}
	h.ok(CmdRestartJob, "r2", 4, restartJobBody{ID: "job1", Reason: "test"})
	h.ok(CmdScheduleJob, "s3", 5, scheduleJobBody{ID: "job1", Attempt: 3, Avoid: []string{"w0", "w1"}})
	if j, _ := h.f.Job("job1"); j.Attempt != 3 || !j.Placed() {
		t.Errorf("with every worker suspected the job should still be placed: %s attempt %d", j.Status, j.Attempt)
	}
}

func TestForgetDropsOnlyTerminalJobsAndLostWorkers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setup(2, 2)
	h.ok(CmdSubmitJob, "a", 1, JobSpec{ID: "a", Graph: testGraph(t, 1)})
	h.ok(CmdSubmitJob, "b", 1, JobSpec{ID: "b", Graph: testGraph(t, 1)})
	h.ok(CmdCancelJob, "c", 2, cancelJobBody{ID: "a", Status: "CANCELED"})
	h.ok(CmdWorkerLost, "l", 3, workerLostBody{ID: "w0", Reason: "x"})
	if n := h.ok(CmdForget, "f", 4, forgetBody{Jobs: []string{"a", "b"}, Workers: []string{"w0", "w1"}}); n != 2 {
		t.Errorf("forgot %v rows, want 2", n)
	}
	if _, ok := h.f.Job("a"); ok {
		t.Error("canceled job a kept")
	}
	if _, ok := h.f.Job("b"); !ok {
		t.Error("live job b dropped")
	}
	if _, ok := h.f.Worker("w1"); !ok {
		t.Error("active worker w1 dropped")
	}
}

func TestHCLogAdapter(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := newHCLog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), "raft").With("node", "n1")
	l.Info("initial configuration", "servers", hclog.Fmt("%+v", []int{1, 2}))
	l.Named("snap").Debug("x")
	out := buf.String()
	for _, want := range []string{"msg=\"initial configuration\"", "subsystem=raft", "node=n1", "servers=\"[1 2]\"", "subsystem=raft.snap"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %s", out, want)
		}
	}
}

// failOn reports the first subtask of job's current attempt on worker as FAILED.
func (h *fsmHarness) failOn(job, worker, id string, at int64) {
	h.t.Helper()
	j, _ := h.f.Job(job)
	for _, st := range j.Subtasks {
		if st.Worker == worker {
			h.ok(CmdTaskStatus, id, at, taskStatusBody{Worker: worker, Updates: []taskUpdate{{JobID: job, Attempt: j.Attempt,
				Vertex: string(st.Vertex), Subtask: st.Index, State: "FAILED", Error: "connection reset by peer"}}})
			return
		}
	}
	h.t.Fatalf("job %s has no subtask on %s", job, worker)
}

// TestWorkerLostAfterSurvivorFailureIsRecorded: a survivor's task fails first (its exchange peer
// died), the restart avoids the quiet worker, and that worker's later loss is recorded on the job
// once, although the job no longer runs on it.
func TestWorkerLostAfterSurvivorFailureIsRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setup(2, 2)
	h.ok(CmdSubmitJob, "s", 1, JobSpec{ID: "job1", Graph: testGraph(t, 2), Restart: zeroDelay()})
	if j, _ := h.f.Job("job1"); fmt.Sprint(j.Workers()) != "[w0 w1]" {
		t.Fatalf("attempt 1 on %v, want [w0 w1]", j.Workers())
	}
	h.failOn("job1", "w1", "f1", 2) // w0 died; w1's task lost its peer
	j, _ := h.f.Job("job1")
	if j.Status != JobRestarting || fmt.Sprint(j.Suspects) != "[{w0 1} {w1 1}]" {
		t.Fatalf("job = %s suspects %v, want RESTARTING with [{w0 1} {w1 1}]", j.Status, j.Suspects)
	}
	h.ok(CmdScheduleJob, "s2", 3, scheduleJobBody{ID: "job1", Attempt: 2, Avoid: []string{"w0"}})
	j, _ = h.f.Job("job1")
	if j.Attempt != 2 || slices.Contains(j.Workers(), "w0") || fmt.Sprint(j.Suspects) != "[{w0 1}]" {
		t.Fatalf("attempt %d on %v suspects %v, want attempt 2 without w0, suspects [{w0 1}]", j.Attempt, j.Workers(), j.Suspects)
	}
	// a worker the job never ran on is lost: nothing recorded
	h.ok(CmdRegisterWorker, "reg-w2", 4, registerWorkerBody{ID: "w2", Slots: 1, DataAddr: "127.0.0.1:1"})
	h.ok(CmdWorkerLost, "lost-w2", 4, workerLostBody{ID: "w2", Reason: "no heartbeat for 1s"})
	if j, _ = h.f.Job("job1"); len(j.LostWorkers) != 0 || j.Status != JobDeploying {
		t.Fatalf("after w2 lost: %s lost %v", j.Status, j.LostWorkers)
	}
	h.ok(CmdWorkerLost, "lost-w0", 5, workerLostBody{ID: "w0", Reason: "no heartbeat for 1s"})
	h.ok(CmdWorkerLost, "lost-w0-again", 6, workerLostBody{ID: "w0", Reason: "no heartbeat for 1s"})
	j, _ = h.f.Job("job1")
	want := []LostWorker{{ID: "w0", Attempt: 1, Reason: "no heartbeat for 1s", Index: h.index - 1}}
	if !slices.Equal(j.LostWorkers, want) || len(j.Suspects) != 0 {
		t.Errorf("lost %+v suspects %v, want %+v and none", j.LostWorkers, j.Suspects, want)
	}
	if j.Status != JobDeploying || j.Attempt != 2 || !j.Placed() {
		t.Errorf("the loss must not disturb attempt 2: %s attempt %d placed %v", j.Status, j.Attempt, j.Placed())
	}
	// the record survives a snapshot
	g := newHarness(t)
	snapshotInto(t, h.f, g.f)
	if j2, _ := g.f.Job("job1"); !slices.Equal(j2.LostWorkers, want) {
		t.Errorf("restored lost workers = %+v", j2.LostWorkers)
	}
}

// TestWorkerLostWhileRestartingIsRecorded: the lease runs out before the restart is placed.
func TestWorkerLostWhileRestartingIsRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setup(2, 2)
	h.ok(CmdSubmitJob, "s", 1, JobSpec{ID: "job1", Graph: testGraph(t, 2), Restart: zeroDelay()})
	h.failOn("job1", "w1", "f1", 2)
	h.ok(CmdWorkerLost, "lost-w0", 3, workerLostBody{ID: "w0", Reason: "gone"})
	j, _ := h.f.Job("job1")
	if j.Status != JobRestarting || len(j.LostWorkers) != 1 || j.LostWorkers[0].ID != "w0" || j.LostWorkers[0].Attempt != 1 {
		t.Fatalf("job = %s lost %+v, want RESTARTING with w0 of attempt 1", j.Status, j.LostWorkers)
	}
	if j.UpdatedAt != 2 {
		t.Errorf("UpdatedAt = %d, want the failure's time 2 (the job master times the restart from it)", j.UpdatedAt)
	}
	h.ok(CmdScheduleJob, "s2", 4, scheduleJobBody{ID: "job1", Attempt: 2})
	if j, _ = h.f.Job("job1"); j.Attempt != 2 || len(j.Suspects) != 0 || len(j.LostWorkers) != 1 {
		t.Errorf("attempt %d suspects %v lost %v", j.Attempt, j.Suspects, j.LostWorkers)
	}
}

// TestWorkerLostLongAfterARestartIsNotTheJobsNews: a restart that did not leave a worker out
// (it was alive) forgets it; its later loss is no event of the job.
func TestWorkerLostLongAfterARestartIsNotTheJobsNews(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setup(2, 2)
	h.ok(CmdSubmitJob, "s", 1, JobSpec{ID: "job1", Graph: testGraph(t, 2), Restart: zeroDelay()})
	h.failOn("job1", "w1", "f1", 2)
	// a big new worker takes the whole restart; w0 and w1 renewed (not avoided)
	h.ok(CmdRegisterWorker, "reg-w2", 3, registerWorkerBody{ID: "w2", Slots: 4, DataAddr: "127.0.0.1:1"})
	h.ok(CmdScheduleJob, "s2", 4, scheduleJobBody{ID: "job1", Attempt: 2, Avoid: []string{"w9"}})
	j, _ := h.f.Job("job1")
	if fmt.Sprint(j.Workers()) != "[w2]" || len(j.Suspects) != 0 {
		t.Fatalf("attempt 2 on %v suspects %v, want [w2] and none", j.Workers(), j.Suspects)
	}
	h.ok(CmdWorkerLost, "lost-w0", 5, workerLostBody{ID: "w0", Reason: "gone"})
	h.ok(CmdWorkerLost, "lost-w1", 6, workerLostBody{ID: "w1", Reason: "gone"})
	if j, _ = h.f.Job("job1"); len(j.LostWorkers) != 0 || j.Status != JobDeploying {
		t.Errorf("job %s lost workers %+v, want DEPLOYING and none", j.Status, j.LostWorkers)
	}
	// a restart that had to fall back onto the suspects forgets them too
	h2 := newHarness(t)
	h2.setup(2, 2)
	h2.ok(CmdSubmitJob, "s", 1, JobSpec{ID: "job1", Graph: testGraph(t, 2), Restart: zeroDelay()})
	h2.failOn("job1", "w1", "f1", 2)
	h2.ok(CmdScheduleJob, "s2", 3, scheduleJobBody{ID: "job1", Attempt: 2, Avoid: []string{"w0", "w1"}})
	if j, _ = h2.f.Job("job1"); len(j.Suspects) != 0 || !j.Placed() {
		t.Errorf("fallback placement: suspects %v placed %v", j.Suspects, j.Placed())
	}
}

func TestFailureNamesTheRootCauseNotTheUpstreamEcho(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setup(4)
	h.ok(CmdSubmitJob, "s", 1, JobSpec{ID: "job1", Graph: testGraph(t, 1), Restart: zeroDelay()})
	// One heartbeat reports the sink's echo of the failure before the source's own failure.
	h.ok(CmdTaskStatus, "f", 2, taskStatusBody{Worker: "w0", Updates: []taskUpdate{
		{JobID: "job1", Attempt: 1, Vertex: "sink", Subtask: 0, State: "FAILED", Error: "upstream task failed", Upstream: true},
		{JobID: "job1", Attempt: 1, Vertex: "src", Subtask: 0, State: "FAILED", Error: "connector endpoint not allowed"}}})
	j, _ := h.f.Job("job1")
	if j.Status != JobRestarting || !strings.Contains(j.Reason, "src[0]") || !strings.Contains(j.Reason, "not allowed") {
		t.Errorf("job = %s %q, want RESTARTING naming the source's failure", j.Status, j.Reason)
	}
	// An upstream echo alone is still a failure.
	h.ok(CmdScheduleJob, "s2", 3, scheduleJobBody{ID: "job1", Attempt: 2})
	h.ok(CmdTaskStatus, "f2", 4, taskStatusBody{Worker: "w0", Updates: []taskUpdate{
		{JobID: "job1", Attempt: 2, Vertex: "sink", Subtask: 0, State: "FAILED", Error: "upstream task failed", Upstream: true}}})
	if j, _ := h.f.Job("job1"); j.Status != JobRestarting || !strings.Contains(j.Reason, "sink[0]") {
		t.Errorf("job = %s %q, want RESTARTING naming the sink", j.Status, j.Reason)
	}
}
