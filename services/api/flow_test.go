package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/flowplane/flowplane/openapi"
)

func TestWorldHappyPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)

	var prj openapi.Project
	r := e.must(t, 200, "GET", "/v1/projects/"+w.project, w.viewer, "")
	r.decode(t, &prj)
	if prj.Name != w.project || prj.CreatedBy != w.ownerID || r.header.Get("ETag") == "" {
		t.Fatalf("project = %+v etag %q", prj, r.header.Get("ETag"))
	}
	var svc openapi.Service
	e.must(t, 200, "GET", w.base, w.viewer, "").decode(t, &svc)
	if svc.Plan != "startup" || svc.Slots != 8 || svc.State != openapi.ServiceStateRUNNING || !svc.Powered {
		t.Fatalf("service = %+v", svc)
	}
	var ov openapi.ServiceOverview
	e.must(t, 200, "GET", w.base+"/overview", w.viewer, "").decode(t, &ov)
	if ov.SlotsTotal != 8 || ov.SlotsAvailable != 6 || ov.JobsByState["CREATED"] != 1 {
		t.Fatalf("overview = %+v", ov)
	}
	var integ openapi.Integration
	r = e.must(t, 200, "GET", w.base+"/integrations/"+w.integration, w.viewer, "")
	r.decode(t, &integ)
	if integ.Postgres == nil || !integ.Postgres.PasswordSet || integ.Postgres.Port != 5432 || strings.Contains(string(r.body), "s3cret") {
		t.Fatalf("integration = %s", r.body)
	}
	var ver openapi.ApplicationVersion
	e.must(t, 200, "GET", w.appPath+"/versions/"+w.version, w.viewer, "").decode(t, &ver)
	if ver.Number != 1 || !strings.HasPrefix(ver.Statement, "INSERT INTO out") || len(ver.Sinks) != 1 || *ver.Sinks[0].IntegrationId != w.integration {
		t.Fatalf("version = %+v", ver)
	}
	var v2 openapi.ApplicationVersion
	e.must(t, 201, "POST", w.appPath+"/versions", w.developer, simpleVersion).decode(t, &v2)
	if v2.Number != 2 {
		t.Fatalf("second version number = %d", v2.Number)
	}
	var dep openapi.Deployment
	e.must(t, 200, "GET", w.depPath, w.viewer, "").decode(t, &dep)
	if dep.Status != openapi.DeploymentStatusCREATED || dep.VersionNumber != 1 || dep.Parallelism != 2 || dep.RestartStrategy.Type != openapi.ExponentialDelay || dep.DesiredAction != openapi.DeploymentDesiredActionRun {
		t.Fatalf("deployment = %+v", dep)
	}
	var lists = []string{"/v1/projects", "/v1/projects/" + w.project + "/members", "/v1/projects/" + w.project + "/services",
		w.base + "/integrations", w.base + "/applications", w.appPath + "/versions", w.appPath + "/deployments",
		w.depPath + "/events", w.depPath + "/checkpoints", w.depPath + "/savepoints"}
	for _, path := range lists {
		var l struct {
			Items []map[string]any `json:"items"`
		}
		e.must(t, 200, "GET", path, w.viewer, "").decode(t, &l)
		if len(l.Items) == 0 && !strings.HasSuffix(path, "points") {
			t.Fatalf("GET %s: empty list", path)
		}
	}
	var plans openapi.PlanList
	e.must(t, 200, "GET", "/v1/plans", w.viewer, "").decode(t, &plans)
	if len(plans.Items) != 4 || plans.Items[0].Slots != 2 || plans.Items[3].Slots != 128 {
		t.Fatalf("plans = %+v", plans)
	}
}

func TestDeploymentLifecycleAndReadModels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	ctx := context.Background()

	// Savepoints need a running deployment.
	if r := e.must(t, 409, "POST", w.depPath+"/savepoints", w.developer, ""); r.code() != "conflict" {
		t.Fatalf("code = %s", r.code())
	}
	// Before the first attempt the job is the planned graph, compiled with the deployment's
	// parallelism (2): datagen source -> hash on id -> group aggregate -> postgres sink.
	var job openapi.Job
	e.must(t, 200, "GET", w.depPath+"/job", w.viewer, "").decode(t, &job)
	if job.Status != "PLANNED" || job.Id != nil || job.Attempt != nil || len(job.Plan.Vertices) != 2 || len(job.Plan.Edges) != 1 {
		t.Fatalf("planned job = %+v", job)
	}
	src, agg := job.Plan.Vertices[0], job.Plan.Vertices[1]
	if src.Parallelism != 2 || agg.Parallelism != 2 || src.Operators[0].Kind != "sql.source" || *src.Operators[0].Connector != "datagen" ||
		job.Plan.Edges[0].Partitioning != openapi.Hash || (*job.Plan.Edges[0].Keys)[0] != "id" {
		t.Fatalf("planned graph = %+v", job.Plan)
	}
	sink := agg.Operators[len(agg.Operators)-1]
	if sink.Kind != "sql.sink" || *sink.Table != "out" || *sink.IntegrationId != w.integration {
		t.Fatalf("sink operator = %+v", sink)
	}
	// The scheduler reports a running job, a checkpoint and an event.
	e.setStatus(t, w.deploy, "RUNNING")
	if _, err := e.pool.Exec(ctx, `INSERT INTO jobs (project_id, deployment_id, attempt, status, graph, started_at)
		SELECT project_id, id, 1, 'RUNNING', '{"vertices":[]}', now() FROM deployments WHERE id = $1`, w.deploy); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `INSERT INTO checkpoints (project_id, deployment_id, checkpoint_id, status, size_bytes, completed_at, location)
		SELECT project_id, id, 7, 'COMPLETED', 1024, now(), 'file:///var/lib/fp/' FROM deployments WHERE id = $1`, w.deploy); err != nil {
		t.Fatal(err)
	}
	e.must(t, 200, "GET", w.depPath+"/job", w.viewer, "").decode(t, &job)
	if *job.Attempt != 1 || job.Status != "RUNNING" || (*job.Graph)["vertices"] == nil || len(job.Plan.Vertices) != 2 {
		t.Fatalf("job = %+v", job)
	}
	var cps openapi.CheckpointList
	e.must(t, 200, "GET", w.depPath+"/checkpoints", w.viewer, "").decode(t, &cps)
	if len(cps.Items) != 1 || cps.Items[0].CheckpointId != 7 || cps.Items[0].SizeBytes != 1024 {
		t.Fatalf("checkpoints = %+v", cps)
	}
	// Flink-style fields beside ours.
	if c := cps.Items[0]; c.ExternalPath == nil || *c.ExternalPath != "file:///var/lib/fp/"+w.deploy+"/chk-7" ||
		c.StateSize == nil || *c.StateSize != 1024 || c.TriggerTimestamp == nil || *c.TriggerTimestamp != c.TriggeredAt.UnixMilli() {
		t.Fatalf("Flink-style checkpoint fields = %+v", c)
	}
	var sp openapi.Savepoint
	e.must(t, 202, "POST", w.depPath+"/savepoints", w.developer, "").decode(t, &sp)
	if sp.Status != openapi.SavepointStatusPENDING || sp.Reason != openapi.SavepointReasonManual ||
		sp.IsSavepoint == nil || !*sp.IsSavepoint || sp.ExternalPath != nil || sp.TriggerTimestamp == nil {
		t.Fatalf("savepoint = %+v", sp)
	}
	var dep openapi.Deployment
	e.must(t, 202, "POST", w.depPath+"/restart", w.developer, "").decode(t, &dep)
	if dep.Status != openapi.DeploymentStatusRESTARTING {
		t.Fatalf("after restart = %+v", dep)
	}
	e.setStatus(t, w.deploy, "RUNNING")
	e.must(t, 202, "POST", w.depPath+"/stop", w.developer, "").decode(t, &dep)
	if dep.Status != openapi.DeploymentStatusSAVINGANDSTOP || dep.DesiredAction != openapi.DeploymentDesiredActionStop {
		t.Fatalf("after stop = %+v", dep)
	}
	e.must(t, 202, "POST", w.depPath+"/stop", w.developer, "") // asking again changes nothing
	if r := e.must(t, 409, "POST", w.depPath+"/cancel", w.developer, ""); r.code() != "conflict" {
		t.Fatalf("cancel while stopping: %s", r.body)
	}
	var sps openapi.SavepointList
	e.must(t, 200, "GET", w.depPath+"/savepoints", w.viewer, "").decode(t, &sps)
	if len(sps.Items) != 2 || sps.Items[1].Reason != openapi.SavepointReasonStop {
		t.Fatalf("savepoints = %+v", sps)
	}
	var events openapi.EventList
	e.must(t, 200, "GET", w.depPath+"/events", w.viewer, "").decode(t, &events)
	var types []string
	for _, ev := range events.Items {
		types = append(types, ev.Type)
	}
	if got := strings.Join(types, ","); got != "created,savepoint_requested,restart_requested,stop_requested" {
		t.Fatalf("events = %s", got)
	}
	// While the deployment is active: no second deployment, no deleting its version or application.
	body := fmt.Sprintf(`{"version_id":%q,"parallelism":1}`, w.version)
	e.must(t, 409, "POST", w.appPath+"/deployments", w.developer, body)
	e.must(t, 409, "DELETE", w.appPath+"/versions/"+w.version, w.developer, "")
	e.must(t, 409, "DELETE", w.appPath, w.developer, "")
	// The scheduler finishes the stop: the savepoint completes and the deployment is suspended.
	e.setStatus(t, w.deploy, "SUSPENDED")
	if _, err := e.pool.Exec(ctx, `UPDATE savepoints SET status = 'COMPLETED', location = 'file:///sp/1' WHERE deployment_id = $1 AND reason = 'stop'`, w.deploy); err != nil {
		t.Fatal(err)
	}
	e.must(t, 409, "POST", w.depPath+"/restart", w.developer, "")
	var dep2 openapi.Deployment
	e.must(t, 201, "POST", w.appPath+"/deployments", w.developer,
		fmt.Sprintf(`{"version_id":%q,"parallelism":1,"starting_savepoint_id":%q,"restart_strategy":{"type":"fixed-delay","attempts":3,"delay_ms":1000}}`,
			w.version, sps.Items[1].Id)).decode(t, &dep2)
	if *dep2.StartingSavepointId != sps.Items[1].Id || dep2.RestartStrategy.Type != openapi.FixedDelay || *dep2.RestartStrategy.Attempts != 3 {
		t.Fatalf("second deployment = %+v", dep2)
	}
	e.must(t, 202, "POST", w.appPath+"/deployments/"+dep2.Id+"/cancel", w.developer, "")
	e.setStatus(t, dep2.Id, "CANCELED")
	e.must(t, 204, "DELETE", w.appPath+"/versions/"+w.version, w.developer, "")
	e.must(t, 404, "GET", w.appPath+"/versions/"+w.version, w.developer, "")
	e.must(t, 404, "GET", w.depPath, w.developer, "") // past deployments of a deleted version go with it
	e.must(t, 204, "DELETE", w.appPath, w.developer, "")
	e.must(t, 404, "GET", w.appPath, w.developer, "")
}
