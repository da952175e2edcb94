package scheduler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// IntegrationResolver opens a service integration of a project for a worker that connects with
// it; it returns an error wrapping ErrNotFound when the project (or service) has no such
// integration. cmd wires it to the control plane's store; the scheduler keeps nothing of it.
type IntegrationResolver func(ctx context.Context, project, service, integrationID string) (assign.Integration, error)

// SetIntegrationResolver sets (or replaces) the resolver behind the workers' integration route;
// it overrides Config.ResolveIntegration. Without one the route answers 404.
func (s *Server) SetIntegrationResolver(f IntegrationResolver) {
	if f == nil {
		s.resolver.Store(nil)
		return
	}
	s.resolver.Store(&f)
}

func (s *Server) integrationResolver() IntegrationResolver {
	if f := s.resolver.Load(); f != nil {
		return *f
	}
	return s.cfg.ResolveIntegration
}

// integrationLagWait bounds how long a replica waits for a job attempt the worker already
// runs but the replica has not applied yet.
const integrationLagWait = 2 * time.Second

// handleIntegration: GET /internal/v1/workers/{id}/integrations/{integration}?job=J&attempt=N
// answers the integration's settings, secrets included, only while the worker holds a task of
// job J (by this replica's FSM) and J's graph names the integration; any server answers (the
// settings come from Postgres, the authorization from the local replica).
func (s *Server) handleIntegration(w http.ResponseWriter, r *http.Request) {
	worker, ok := s.authWorker(w, r)
	if !ok {
		return
	}
	integration, jobID := r.PathValue("integration"), r.URL.Query().Get("job")
	attempt, err := strconv.ParseUint(r.URL.Query().Get("attempt"), 10, 64)
	if jobID == "" || (err != nil && r.URL.Query().Get("attempt") != "") {
		writeProblem(w, http.StatusBadRequest, CodeInvalidRequest, "job (an id) and attempt (an unsigned integer) are required")
		return
	}
	resolve := s.integrationResolver()
	if resolve == nil {
		writeProblem(w, http.StatusNotFound, CodeNotFound, "this server resolves no integrations")
		return
	}
	job := s.jobForIntegration(r.Context(), worker, jobID, attempt, integration)
	if job == nil {
		writeProblem(w, http.StatusNotFound, CodeNotFound,
			fmt.Sprintf("worker %s runs no task of job %s that uses integration %s", worker, jobID, integration))
		return
	}
	in, err := resolve(r.Context(), job.Project, job.Service, integration)
	switch {
	case errors.Is(err, ErrNotFound):
		writeProblem(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("integration %s not found in the job's project", integration))
		return
	case err != nil:
		s.log.Warn("resolve integration", "project", job.Project, "job", jobID, "worker", worker, "integration", integration, "err", err)
		writeProblem(w, http.StatusServiceUnavailable, CodeInternal, "the integration could not be read; retry")
		return
	}
	s.log.Debug("integration handed to worker", "project", job.Project, "job", jobID, "worker", worker, "integration", integration)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, in)
}

// jobForIntegration returns the job when worker holds a task of its current attempt, the job is
// not over and its graph names integration; nil otherwise. A replica that has not applied the
// worker's attempt yet waits for it briefly.
func (s *Server) jobForIntegration(ctx context.Context, worker, jobID string, attempt uint64, integration string) *Job {
	ctx, cancel := context.WithTimeout(ctx, integrationLagWait)
	defer cancel()
	for {
		ch := s.fsm.Changed()
		j, ok := s.fsm.Job(jobID)
		if ok && j.Attempt >= attempt {
			if integrationAllowed(s.fsm, j, worker, integration) {
				return j
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ch:
		}
	}
}

// integrationAllowed is the authorization of the integration route, on the FSM alone.
func integrationAllowed(f *FSM, j *Job, worker, integration string) bool {
	if j.Status.Terminal() || j.Project == "" || !slices.Contains(sql.GraphIntegrations(j.Graph), integration) {
		return false
	}
	if w, ok := f.Worker(worker); !ok || w.State != WorkerActive {
		return false
	}
	return containsWorker(j, worker)
}
