package scheduler

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// integrationGraph compiles a job reading a postgres table through integration id.
func integrationGraph(t *testing.T, id string) *dataflow.JobGraph {
	t.Helper()
	g, diags := sql.CompileParts([]sql.Part{{Name: "statement", SQL: fmt.Sprintf(`CREATE TABLE src (k BIGINT) WITH ('connector' = 'postgres',
		'integration' = '%s', 'table-name' = 't');
		CREATE TABLE out (k BIGINT) WITH ('connector' = 'blackhole');
		INSERT INTO out SELECT k FROM src`, id)}}, sql.CompileOptions{Parallelism: 1})
	if len(diags) > 0 {
		t.Fatalf("compile: %v", diags)
	}
	return g
}

func TestWorkerIntegrationRoute(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	owned := map[string]string{"int_a": "p1", "int_b": "p2"} // integration -> project
	resolve := func(_ context.Context, project, service, id string) (assign.Integration, error) {
		calls.Add(1)
		if owned[id] != project || service != "svc1" {
			return assign.Integration{}, fmt.Errorf("%w: integration %s", ErrNotFound, id)
		}
		return assign.Integration{ID: id, Type: "postgres", Config: map[string]any{"host": "db"}, Secret: map[string]string{"password": "pw"}}, nil
	}
	nodes := startCluster(t, 3, func(c *Config) { c.ResolveIntegration = resolve })
	l := waitLeader(t, nodes)
	var follower *testNode
	for _, n := range nodes {
		if n != l {
			follower = n
		}
	}
	w1, w2 := register(t, l.url, 1, "w1"), register(t, l.url, 1, "w2")
	ctx := context.Background()
	// j1 (project p1) names its own integration; j2 (project p1) names p2's.
	for id, integ := range map[string]string{"j1": "int_a", "j2": "int_b"} {
		if err := l.SubmitJob(ctx, JobSpec{ID: id, Project: "p1", Service: "svc1", Graph: integrationGraph(t, integ)}); err != nil {
			t.Fatal(err)
		}
	}
	var holder, other *testWorker
	waitFor(t, 10*time.Second, "both jobs placed", func() bool {
		j1, _ := l.fsm.Job("j1")
		j2, _ := l.fsm.Job("j2")
		return j1.Placed() && j2.Placed()
	})
	j1, _ := l.fsm.Job("j1")
	holder, other = w1, w2
	if j1.Subtasks[0].Worker == w2.id {
		holder, other = w2, w1
	}
	get := func(w *testWorker, base, token, integ, job string) (assign.Integration, int) {
		var in assign.Integration
		w.base = base
		q := url.Values{"job": {job}, "attempt": {fmt.Sprint(j1.Attempt)}}
		return in, w.do(http.MethodGet, assign.PathIntegration(w.id, integ)+"?"+q.Encode(), token, nil, &in)
	}
	// The holder of j1's task gets the settings from any server (a follower checks its own FSM).
	for _, n := range []*testNode{l, follower} {
		in, status := get(holder, n.url, holder.token, "int_a", "j1")
		if status != http.StatusOK || in.Secret["password"] != "pw" || in.Config["host"] != "db" {
			t.Fatalf("holder on %s: %d %v", n.url, status, in)
		}
	}
	before := calls.Load()
	for _, c := range []struct {
		name              string
		w                 *testWorker
		token, integ, job string
		want              int
	}{
		{"another worker", other, other.token, "int_a", "j1", http.StatusNotFound},
		{"an integration the graph does not name", holder, holder.token, "int_b", "j1", http.StatusNotFound},
		{"another worker's token", holder, other.token, "int_a", "j1", http.StatusUnauthorized},
		{"no job", holder, holder.token, "int_a", "", http.StatusBadRequest},
	} {
		if _, status := get(c.w, l.url, c.token, c.integ, c.job); status != c.want {
			t.Errorf("%s: status %d, want %d", c.name, status, c.want)
		}
	}
	if calls.Load() != before {
		t.Errorf("the resolver was called for unauthorized requests")
	}
	// j2's holder is authorized by the FSM, but the integration is another project's: 404.
	j2, _ := l.fsm.Job("j2")
	h2 := w1
	if j2.Subtasks[0].Worker == w2.id {
		h2 = w2
	}
	if _, status := get(h2, l.url, h2.token, "int_b", "j2"); status != http.StatusNotFound {
		t.Errorf("another project's integration: status %d, want 404", status)
	}
	// Once the job is over, nobody gets its integration.
	if err := l.CancelJob(ctx, "j1", JobCanceled, "test"); err != nil {
		t.Fatal(err)
	}
	if _, status := get(holder, l.url, holder.token, "int_a", "j1"); status != http.StatusNotFound {
		t.Errorf("canceled job: status %d, want 404", status)
	}
}
