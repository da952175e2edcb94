package workers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/connectors/endpoint"
)

// TestServerResolver: the agent's resolver asks the server for the integration of the task in
// its context (worker token, job and attempt), retries transient failures, and maps 404 and a
// wrong type to endpoint.ErrNoIntegration.
func TestServerResolver(t *testing.T) {
	t.Parallel()
	var flaky atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+assign.PathRegister+"/w1/integrations/{integration}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.URL.Query().Get("job") != "j1" || r.URL.Query().Get("attempt") != "3" {
			problem(w, http.StatusNotFound, "not_found", "worker w1 runs no task of job "+r.URL.Query().Get("job"))
			return
		}
		pg := assign.Integration{ID: "int_pg", Type: "postgres", Config: map[string]any{"host": "db", "database": "d", "user": "u"},
			Secret: map[string]string{"password": "pw"}}
		switch id := r.PathValue("integration"); {
		case id == "int_pg":
			writeJSONTest(w, pg)
		case id == "int_flaky" && flaky.Add(1) == 1:
			problem(w, http.StatusServiceUnavailable, "no_leader", "retry")
		case id == "int_flaky":
			writeJSONTest(w, pg)
		default:
			problem(w, http.StatusNotFound, "not_found", "integration "+id+" not found in the job's project")
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a, err := New(Config{Servers: []string{srv.URL}, Slots: 1, DataAddr: "127.0.0.1:0", JoinToken: "jt",
		BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	a.sess = session{id: "w1", token: "tok"}
	r := &serverResolver{}
	r.agent.Store(a)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.Postgres(ctx, "int_pg"); !errors.Is(err, ErrNoTaskContext) {
		t.Fatalf("outside a task: %v", err)
	}
	tctx := withTask(ctx, assign.Task{JobID: "j1", Attempt: 3})
	for _, id := range []string{"int_pg", "int_flaky"} {
		p, err := r.Postgres(tctx, id)
		if err != nil || p.Host != "db" || p.Password != "pw" || p.Port != 5432 {
			t.Fatalf("Postgres(%s) = %+v, %v", id, p, err)
		}
	}
	if _, err := r.Kafka(tctx, "int_pg"); !errors.Is(err, endpoint.ErrNoIntegration) || !strings.Contains(err.Error(), "is a postgres integration") {
		t.Fatalf("kafka of a postgres integration: %v", err)
	}
	if _, err := r.Postgres(tctx, "int_gone"); !errors.Is(err, endpoint.ErrNoIntegration) || !strings.Contains(err.Error(), "not found in the job's project") {
		t.Fatalf("unknown integration: %v", err)
	}
	if _, err := r.Postgres(withTask(ctx, assign.Task{JobID: "j2", Attempt: 1}), "int_pg"); !errors.Is(err, endpoint.ErrNoIntegration) {
		t.Fatalf("another job's integration: %v", err)
	}
}

func writeJSONTest(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
