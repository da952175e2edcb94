package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

// ListDeploymentEvents lists what happened to a deployment.
func (s *server) ListDeploymentEvents(ctx context.Context, req openapi.ListDeploymentEventsRequestObject) (openapi.ListDeploymentEventsResponseObject, error) {
	k, err := s.deployment(ctx, req.Project, req.Service, req.ApplicationId, req.DeploymentId, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	es, cur, err := s.cfg.Store.ListEvents(ctx, k, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.ListDeploymentEvents200JSONResponse{Items: []openapi.Event{}, NextCursor: next(cur)}
	for _, e := range es {
		ev := openapi.Event{Id: e.ID, DeploymentId: e.DeploymentID, Attempt: e.Attempt, Type: e.Type, Message: e.Message, CreatedAt: e.CreatedAt}
		if e.Status != "" {
			st := openapi.DeploymentStatus(e.Status)
			ev.Status = &st
		}
		out.Items = append(out.Items, ev)
	}
	return out, nil
}

// GetDeploymentJob returns the deployment's planned graph and its latest attempt.
func (s *server) GetDeploymentJob(ctx context.Context, req openapi.GetDeploymentJobRequestObject) (openapi.GetDeploymentJobResponseObject, error) {
	k, err := s.deployment(ctx, req.Project, req.Service, req.ApplicationId, req.DeploymentId, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	raw, err := s.cfg.Store.DeploymentPlan(ctx, k)
	if err != nil {
		return nil, err
	}
	plan, err := decodePlan(raw)
	if err != nil {
		return nil, err
	}
	out := openapi.GetDeploymentJob200JSONResponse{DeploymentId: k.ID, Status: "PLANNED", Plan: toPlanGraph(plan)}
	j, err := s.cfg.Store.CurrentJob(ctx, k)
	switch {
	case errors.Is(err, problem.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		graph := map[string]any{}
		_ = json.Unmarshal(j.Graph, &graph) // a non-object graph is shown as {}
		out.Id, out.Attempt, out.Status, out.Graph = &j.ID, &j.Attempt, j.Status, &graph
		out.StartedAt, out.EndedAt, out.Failure, out.CreatedAt, out.UpdatedAt = j.StartedAt, j.EndedAt, ptr(j.Failure), &j.CreatedAt, &j.UpdatedAt
	}
	if s.cfg.Scheduler != nil {
		if vs, ok := s.cfg.Scheduler.JobVertices(ctx, k.ID); ok {
			out.Vertices = toVertices(vs)
		}
	}
	return out, nil
}

// ListCheckpoints lists a deployment's checkpoints.
func (s *server) ListCheckpoints(ctx context.Context, req openapi.ListCheckpointsRequestObject) (openapi.ListCheckpointsResponseObject, error) {
	k, err := s.deployment(ctx, req.Project, req.Service, req.ApplicationId, req.DeploymentId, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	cs, cur, err := s.cfg.Store.ListCheckpoints(ctx, k, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.ListCheckpoints200JSONResponse{Items: []openapi.Checkpoint{}, NextCursor: next(cur)}
	for _, c := range cs {
		var dur *int64
		if c.CompletedAt != nil {
			ms := c.CompletedAt.Sub(c.TriggeredAt).Milliseconds()
			dur = &ms
		}
		out.Items = append(out.Items, openapi.Checkpoint{Id: c.ID, DeploymentId: c.DeploymentID, JobId: ptr(c.JobID), CheckpointId: c.CheckpointID,
			Status: openapi.CheckpointStatus(c.Status), IsSavepoint: &c.IsSavepoint, Location: ptr(c.Location), SizeBytes: c.SizeBytes,
			TriggeredAt: c.TriggeredAt, CompletedAt: c.CompletedAt, DurationMs: dur, FailureMessage: ptr(c.FailureMessage),
			ExternalPath: externalPath(c.Location, c.DeploymentID, c.CheckpointID), TriggerTimestamp: ptr(c.TriggeredAt.UnixMilli()),
			StateSize: &c.SizeBytes})
	}
	return out, nil
}

// ListSavepoints lists a deployment's savepoints.
func (s *server) ListSavepoints(ctx context.Context, req openapi.ListSavepointsRequestObject) (openapi.ListSavepointsResponseObject, error) {
	k, err := s.deployment(ctx, req.Project, req.Service, req.ApplicationId, req.DeploymentId, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	sps, cur, err := s.cfg.Store.ListSavepoints(ctx, k, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListSavepoints200JSONResponse{Items: items(sps, toSavepoint), NextCursor: next(cur)}, nil
}

// CreateSavepoint requests a savepoint of a running deployment (developers).
func (s *server) CreateSavepoint(ctx context.Context, req openapi.CreateSavepointRequestObject) (openapi.CreateSavepointResponseObject, error) {
	k, err := s.deployment(ctx, req.Project, req.Service, req.ApplicationId, req.DeploymentId, auth.RoleDeveloper)
	if err != nil {
		return nil, err
	}
	sp, err := s.cfg.Store.CreateSavepoint(ctx, actor(ctx), k)
	if err != nil {
		return nil, err
	}
	return openapi.CreateSavepoint202JSONResponse(toSavepoint(sp)), nil
}

func toSavepoint(sp store.Savepoint) openapi.Savepoint {
	out := openapi.Savepoint{Id: sp.ID, DeploymentId: sp.DeploymentID, ApplicationId: sp.ApplicationID, Status: openapi.SavepointStatus(sp.Status),
		Reason: openapi.SavepointReason(sp.Reason), Location: ptr(sp.Location), SizeBytes: sp.SizeBytes, CheckpointId: sp.CheckpointID, Failure: ptr(sp.Failure),
		CompletedAt: sp.CompletedAt, CreatedAt: sp.CreatedAt, CreatedBy: sp.CreatedBy, UpdatedAt: sp.UpdatedAt,
		IsSavepoint: ptr(true), TriggerTimestamp: ptr(sp.CreatedAt.UnixMilli()), StateSize: sp.SizeBytes, FailureMessage: ptr(sp.Failure)}
	if sp.CheckpointID != nil {
		out.ExternalPath = externalPath(sp.Location, sp.DeploymentID, *sp.CheckpointID)
	}
	if sp.CompletedAt != nil {
		out.Duration = ptr(sp.CompletedAt.Sub(sp.CreatedAt).Milliseconds())
	}
	return out
}

// externalPath is Flink's external_path of a checkpoint: the directory of its metadata in the
// checkpoint storage (the scheduler runs a deployment's job under the deployment's id).
func externalPath(location, job string, checkpoint int64) *string {
	if location == "" {
		return nil
	}
	p := fmt.Sprintf("%s/%s/chk-%d", strings.TrimRight(location, "/"), job, checkpoint)
	return &p
}
