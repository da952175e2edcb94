package store_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/services/plans"
	"github.com/flowplane/flowplane/services/seal"
	"github.com/flowplane/flowplane/services/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestSchedulerContract plays the scheduler against a deployment created the way the API does.
func TestSchedulerContract(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sealer, _ := seal.Parse(seal.GenerateKey())
	st := store.New(pgtest.NewPool(t), sealer)
	u, err := st.CreateUser(ctx, store.Actor{}, store.NewUser{Email: "a@example.com", Name: "A", PasswordHash: "!"})
	if err != nil {
		t.Fatal(err)
	}
	a := store.Actor{UserID: u.ID, RequestID: "t"}
	prj, err := st.CreateProject(ctx, a, "p1", "")
	if err != nil {
		t.Fatal(err)
	}
	plan, _ := plans.Get("startup")
	svc, err := st.CreateService(ctx, a, prj.ID, "s1", plan)
	if err != nil {
		t.Fatal(err)
	}
	app, err := st.CreateApplication(ctx, a, prj.ID, svc.ID, "app", "")
	if err != nil {
		t.Fatal(err)
	}
	ver, err := st.CreateVersion(ctx, a, prj.ID, svc.ID, app.ID, store.NewVersion{Statement: "INSERT INTO o SELECT 1",
		Sinks: []store.TableRef{{CreateTable: "CREATE TABLE o (a INT)"}}})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := st.CreateDeployment(ctx, a, prj.ID, svc.ID, app.ID, store.NewDeployment{VersionID: ver.ID, Parallelism: 3,
		RestartStrategy: json.RawMessage(`{"type":"none"}`), Plan: []byte(`{"version":1,"vertices":[],"edges":[]}`)})
	if err != nil {
		t.Fatal(err)
	}
	desired, err := st.DesiredDeployments(ctx)
	if err != nil || len(desired) != 1 {
		t.Fatalf("desired = %+v, %v", desired, err)
	}
	d := desired[0]
	if d.ID != dep.ID || d.Statement != ver.Statement || len(d.Sinks) != 1 || d.Parallelism != 3 || d.DesiredAction != "run" ||
		d.DesiredGeneration != 1 || d.ObservedGeneration != 0 || d.ServiceSlots != 8 || !d.ServicePowered || !strings.Contains(string(d.Plan), `"vertices"`) {
		t.Fatalf("desired deployment = %+v", d)
	}
	if err := st.ReportDeployment(ctx, dep.ID, 1, "RUNNING", ""); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	jobID, err := st.ReportJob(ctx, store.JobReport{DeploymentID: dep.ID, Attempt: 1, Status: "RUNNING", Graph: json.RawMessage(`{"v":1}`), StartedAt: &started})
	if err != nil {
		t.Fatal(err)
	}
	again, err := st.ReportJob(ctx, store.JobReport{DeploymentID: dep.ID, Attempt: 1, Status: "FAILING", Failure: "boom"})
	if err != nil || again != jobID {
		t.Fatalf("second report = %s, %v (want %s)", again, err, jobID)
	}
	for i := 0; i < 2; i++ { // a retried report is harmless
		if err := st.RecordCheckpoint(ctx, store.CheckpointReport{DeploymentID: dep.ID, JobID: jobID, CheckpointID: 1, Status: "COMPLETED",
			SizeBytes: 10, TriggeredAt: started}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AppendEvent(ctx, dep.ID, 1, "task_failed", "subtask 2 failed"); err != nil {
		t.Fatal(err)
	}
	key := store.DeploymentKey{ProjectID: prj.ID, ServiceID: svc.ID, ApplicationID: app.ID, ID: dep.ID}
	job, err := st.CurrentJob(ctx, key)
	if err != nil || job.Status != "FAILING" || job.Failure != "boom" || string(job.Graph) != `{"v": 1}` || job.StartedAt == nil {
		t.Fatalf("job = %+v (%s), %v", job, job.Graph, err)
	}
	cps, _, err := st.ListCheckpoints(ctx, key, store.Page{})
	if err != nil || len(cps) != 1 {
		t.Fatalf("checkpoints = %+v, %v", cps, err)
	}
	// Stop: the API asks, the scheduler takes the savepoint and suspends.
	if _, err := st.ChangeDeployment(ctx, a, key, store.ActionStop); err != nil {
		t.Fatal(err)
	}
	d, err = st.DesiredDeploymentByID(ctx, dep.ID)
	if err != nil || d.DesiredAction != "stop" || d.DesiredGeneration != 2 {
		t.Fatalf("after stop = %+v, %v", d, err)
	}
	pending, err := st.PendingSavepoints(ctx)
	if err != nil || len(pending) != 1 || pending[0].Reason != "stop" {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	if err := st.CompleteSavepoint(ctx, pending[0].ID, "COMPLETED", "file:///sp", 42, ""); err != nil {
		t.Fatal(err)
	}
	if err := st.ReportDeployment(ctx, dep.ID, 2, "SUSPENDED", "stopped with savepoint"); err != nil {
		t.Fatal(err)
	}
	if err := st.ReportDeployment(ctx, dep.ID, 1, "SUSPENDED", "late report"); err != nil {
		t.Fatal(err)
	}
	d, _ = st.DesiredDeploymentByID(ctx, dep.ID)
	if d.ObservedGeneration != 2 || d.Status != "SUSPENDED" {
		t.Fatalf("observed = %+v", d)
	}
	if desired, _ := st.DesiredDeployments(ctx); len(desired) != 0 {
		t.Fatalf("a suspended, observed deployment still needs work: %+v", desired)
	}
	events, _, err := st.ListEvents(ctx, key, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	want := "created,status_changed,task_failed,stop_requested,status_changed"
	if got := strings.Join(types, ","); got != want {
		t.Fatalf("events = %s, want %s", got, want)
	}
}
