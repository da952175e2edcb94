package scheduler

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/services/pgtest"
)

// noSavepoints is a coordinator whose savepoints always fail to start.
type noSavepoints struct{ fakeCoordinator }

func (noSavepoints) TriggerSavepoint(context.Context) (uint64, error) {
	return 0, errors.New("sources are not ready")
}

// requestStop does what POST …/stop does: desired action stop, SAVING_AND_STOP, a stop savepoint.
func requestStop(t *testing.T, pool *pgxpool.Pool, dep string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `WITH d AS (UPDATE deployments SET desired_action = 'stop',
			desired_generation = desired_generation + 1, status = 'SAVING_AND_STOP' WHERE id = $1 RETURNING project_id, application_id, id)
		INSERT INTO savepoints (project_id, application_id, deployment_id, reason, created_by) SELECT project_id, application_id, id, 'stop', 'test' FROM d`, dep); err != nil {
		t.Fatal(err)
	}
}

func savepointOf(t *testing.T, pool *pgxpool.Pool, dep, reason string) (status, failure string) {
	t.Helper()
	_ = pool.QueryRow(context.Background(), `SELECT status, COALESCE(failure, '') FROM savepoints WHERE deployment_id = $1 AND reason = $2`,
		dep, reason).Scan(&status, &failure)
	return
}

// TestSavepointsWithoutCheckpoints: a scheduler without checkpoints fails requested savepoints,
// and a stop still stops the job (FINISHED), its savepoint FAILED.
func TestSavepointsWithoutCheckpoints(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	n := startCluster(t, 1, func(c *Config) { c.Pool, c.ReconcileInterval = pool, time.Hour })[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	register(t, n.url, 4, "w").runLoop(ctx)
	dep, _ := seedDeployment(t, pool, "INSERT INTO dst SELECT a, b FROM src", 1, `{"type":"none"}`)
	waitStatus(t, pool, dep, "RUNNING")
	if _, err := pool.Exec(ctx, `INSERT INTO savepoints (project_id, application_id, deployment_id, created_by)
		SELECT project_id, application_id, id, 'test' FROM deployments WHERE id = $1`, dep); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "savepoint FAILED", func() bool { s, _ := savepointOf(t, pool, dep, "manual"); return s == "FAILED" })
	if _, failure := savepointOf(t, pool, dep, "manual"); failure != "checkpoints are not enabled on this scheduler" {
		t.Errorf("failure = %q", failure)
	}
	requestStop(t, pool, dep)
	waitStatus(t, pool, dep, "FINISHED")
	waitFor(t, 10*time.Second, "stop savepoint FAILED", func() bool { s, _ := savepointOf(t, pool, dep, "stop"); return s == "FAILED" })
}

// TestStopWithFailedSavepointKeepsRunning: when the stop's savepoint fails, the job keeps
// running, the deployment is RUNNING again with the reason, and the savepoint is FAILED.
func TestStopWithFailedSavepointKeepsRunning(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	n := startCluster(t, 1, func(c *Config) {
		c.Pool, c.ReconcileInterval = pool, time.Hour
		c.Checkpoints = func(h CheckpointHost) (CheckpointCoordinator, error) {
			return &noSavepoints{fakeCoordinator{host: h, acks: make(chan assign.Ack, 16)}}, nil
		}
	})[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	register(t, n.url, 4, "w").runLoop(ctx)
	dep, _ := seedDeployment(t, pool, "INSERT INTO dst SELECT a, b FROM src", 1, `{"type":"none"}`)
	waitStatus(t, pool, dep, "RUNNING")
	requestStop(t, pool, dep)
	waitFor(t, 10*time.Second, "stop savepoint FAILED", func() bool { s, _ := savepointOf(t, pool, dep, "stop"); return s == "FAILED" })
	waitStatus(t, pool, dep, "RUNNING")
	var action, msg string
	if err := pool.QueryRow(ctx, `SELECT desired_action, status_message FROM deployments WHERE id = $1`, dep).Scan(&action, &msg); err != nil {
		t.Fatal(err)
	}
	if action != "run" || msg != "stop with savepoint failed: sources are not ready" {
		t.Errorf("desired_action %q, message %q", action, msg)
	}
	if j, _ := n.fsm.Job(dep); j.Status != JobRunning {
		t.Errorf("job %s after the failed stop", j.Status)
	}
}

// TestStopProceedsAfterCompletedSavepoint: a stop whose savepoint completed (under a leader that
// was lost before it stopped the job) ends the job FINISHED.
func TestStopProceedsAfterCompletedSavepoint(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	n := startCluster(t, 1, func(c *Config) {
		c.Pool, c.ReconcileInterval, c.Lease = pool, 200*time.Millisecond, time.Second
		c.Checkpoints = func(h CheckpointHost) (CheckpointCoordinator, error) {
			return &noSavepoints{fakeCoordinator{host: h, acks: make(chan assign.Ack, 16)}}, nil
		}
	})[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	register(t, n.url, 4, "w").runLoop(ctx)
	dep, _ := seedDeployment(t, pool, "INSERT INTO dst SELECT a, b FROM src", 1, `{"type":"none"}`)
	waitStatus(t, pool, dep, "RUNNING")
	if _, err := pool.Exec(ctx, `WITH d AS (UPDATE deployments SET desired_action = 'stop', desired_generation = desired_generation + 1,
			status = 'SAVING_AND_STOP' WHERE id = $1 RETURNING project_id, application_id, id)
		INSERT INTO savepoints (project_id, application_id, deployment_id, reason, status, location, size_bytes, checkpoint_id, completed_at, created_by)
		SELECT project_id, application_id, id, 'stop', 'COMPLETED', 'file:///x', 1, 7, now() - interval '1 minute', 'test' FROM d`, dep); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, pool, dep, "FINISHED")
}
