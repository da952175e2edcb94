package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/dataflow/state"
	"github.com/flowplane/flowplane/services/api"
)

// putSavepoint stores the state of savepoint id of job (one blob per operator) and its
// completed metadata, as the scheduler's coordinator does.
func putSavepoint(t *testing.T, s checkpoint.Storage, job string, id uint64, operators ...string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	md := &checkpoint.Metadata{Version: checkpoint.MetadataVersion, Job: job, ID: id, Attempt: 1, Kind: checkpoint.KindSavepoint,
		Status: checkpoint.StatusCompleted, TriggeredAt: now, CompletedAt: &now, Location: s.Location(), MaxParallelism: state.DefaultMaxParallelism}
	for _, op := range operators {
		h, n, err := s.PutState(ctx, checkpoint.StateKey{Job: job, Checkpoint: id, Operator: op,
			KeyGroups: state.KeyGroupRange{Start: 0, End: state.DefaultMaxParallelism - 1}}, strings.NewReader("state"))
		if err != nil {
			t.Fatal(err)
		}
		md.Tasks = append(md.Tasks, checkpoint.TaskState{Vertex: "v", Operator: op, Parallelism: 1, Handle: h, Size: n,
			KeyGroups: state.KeyGroupRange{Start: 0, End: state.DefaultMaxParallelism - 1}})
	}
	if err := s.PutMetadata(ctx, md); err != nil {
		t.Fatal(err)
	}
}

// TestStartingSavepointCompatibility: a deployment may start from a savepoint whose stateful
// operators its plan has (by stable id); otherwise 422 names the operators whose state would be
// dropped. Deleting the savepoint deletes its state from checkpoint storage.
func TestStartingSavepointCompatibility(t *testing.T) {
	t.Parallel()
	store, err := checkpoint.NewFileStorage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Checkpoints = store })
	w := e.newWorld(t)
	ctx := context.Background()
	var op string
	if err := e.pool.QueryRow(ctx, `SELECT plan->'vertices'->0->'operators'->0->>'id' FROM deployments WHERE id = $1`, w.deploy).Scan(&op); err != nil || op == "" {
		t.Fatalf("plan operator: %q %v", op, err)
	}
	e.setStatus(t, w.deploy, "FINISHED")
	savepoint := func(id uint64, operators ...string) string {
		t.Helper()
		putSavepoint(t, store, w.deploy, id, operators...)
		var sp string
		if err := e.pool.QueryRow(ctx, `INSERT INTO savepoints (project_id, application_id, deployment_id, status, location, size_bytes,
			checkpoint_id, completed_at, created_by) SELECT project_id, application_id, id, 'COMPLETED', $2, 5, $3, now(), 'test'
			FROM deployments WHERE id = $1 RETURNING id`, w.deploy, store.Location(), int64(id)).Scan(&sp); err != nil {
			t.Fatal(err)
		}
		return sp
	}
	bad := savepoint(3, op, "ghost-agg", "ghost-join")
	got := e.do(t, "POST", w.appPath+"/deployments", w.developer, fmt.Sprintf(`{"version_id":%q,"parallelism":1,"starting_savepoint_id":%q}`, w.version, bad))
	if got.status != http.StatusUnprocessableEntity || fieldOf(t, got) != "starting_savepoint_id" ||
		!strings.Contains(string(got.body), "ghost-agg, ghost-join") || strings.Contains(string(got.body), op+",") {
		t.Fatalf("incompatible savepoint: %d %s", got.status, got.body)
	}
	good := savepoint(4, op)
	got = e.do(t, "POST", w.appPath+"/deployments", w.developer, fmt.Sprintf(`{"version_id":%q,"parallelism":1,"starting_savepoint_id":%q,"checkpoint_interval_ms":500}`, w.version, good))
	if got.status != http.StatusCreated || !strings.Contains(string(got.body), `"checkpoint_interval_ms":500`) {
		t.Fatalf("compatible savepoint: %d %s", got.status, got.body)
	}

	// The savepoint a deployment starts from stays; the other one goes with its state.
	if got := e.do(t, "DELETE", w.depPath+"/savepoints/"+good, w.developer, ""); got.status != http.StatusConflict {
		t.Fatalf("DELETE the starting savepoint: %d %s", got.status, got.body)
	}
	if got := e.do(t, "GET", w.depPath+"/savepoints/"+bad, w.viewer, ""); got.status != http.StatusOK || !strings.Contains(string(got.body), `"checkpoint_id":3`) {
		t.Fatalf("GET savepoint: %d %s", got.status, got.body)
	}
	if got := e.do(t, "DELETE", w.depPath+"/savepoints/"+bad, w.developer, ""); got.status != http.StatusNoContent {
		t.Fatalf("DELETE savepoint: %d %s", got.status, got.body)
	}
	if _, err := store.GetMetadata(ctx, w.deploy, 3); !errors.Is(err, checkpoint.ErrNotFound) {
		t.Fatalf("savepoint metadata after DELETE: %v", err)
	}
	if refs, err := store.ListStates(ctx, w.deploy); err != nil || len(refs) != 1 {
		t.Fatalf("state left after DELETE: %v %v (want only the other savepoint's blob)", refs, err)
	}
	if got := e.do(t, "GET", w.depPath+"/savepoints/"+bad, w.viewer, ""); got.status != http.StatusNotFound {
		t.Fatalf("GET deleted savepoint: %d %s", got.status, got.body)
	}
}
