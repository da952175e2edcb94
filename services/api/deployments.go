package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

// deployment resolves the parents of a deployment route and returns its key.
func (s *server) deployment(ctx context.Context, project, service, appID, id string, want auth.Role) (store.DeploymentKey, error) {
	svc, err := s.service(ctx, project, service, want)
	if err != nil {
		return store.DeploymentKey{}, err
	}
	return store.DeploymentKey{ProjectID: svc.ProjectID, ServiceID: svc.ID, ApplicationID: appID, ID: id}, nil
}

// ListDeployments lists an application's deployments.
func (s *server) ListDeployments(ctx context.Context, req openapi.ListDeploymentsRequestObject) (openapi.ListDeploymentsResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	ds, cur, err := s.cfg.Store.ListDeployments(ctx, svc.ProjectID, svc.ID, req.ApplicationId, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListDeployments200JSONResponse{Items: items(ds, toDeployment), NextCursor: next(cur)}, nil
}

// defaultRestart is Flink's default strategy.
var defaultRestart = openapi.RestartStrategy{Type: openapi.ExponentialDelay}

// CreateDeployment deploys a version (developers).
func (s *server) CreateDeployment(ctx context.Context, req openapi.CreateDeploymentRequestObject) (openapi.CreateDeploymentResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleDeveloper)
	if err != nil {
		return nil, err
	}
	b := req.Body
	rs := defaultRestart
	if b.RestartStrategy != nil {
		rs = *b.RestartStrategy
	}
	raw, err := json.Marshal(rs)
	if err != nil {
		return nil, fmt.Errorf("encode restart strategy: %w", err)
	}
	g, err := s.deploymentPlan(ctx, svc, req.ApplicationId, b.VersionId, b.Parallelism)
	if err != nil {
		return nil, err
	}
	if err := s.checkSavepointCompatible(ctx, svc, req.ApplicationId, deref(b.StartingSavepointId), g); err != nil {
		return nil, err
	}
	var plan []byte
	if g != nil {
		if plan, err = g.Encode(); err != nil {
			return nil, err
		}
	}
	d, err := s.cfg.Store.CreateDeployment(ctx, actor(ctx), svc.ProjectID, svc.ID, req.ApplicationId, store.NewDeployment{
		VersionID: b.VersionId, Parallelism: b.Parallelism, RestartStrategy: raw, StartingSavepointID: deref(b.StartingSavepointId), Plan: plan,
		CheckpointIntervalMS: b.CheckpointIntervalMs})
	if err != nil {
		return nil, err
	}
	return openapi.CreateDeployment201JSONResponse(toDeployment(d)), nil
}

// deploymentPlan compiles the version with the deployment's parallelism; nil when the version is
// not the application's (the store then answers with the right error). SQL that no longer compiles
// (an integration was deleted since) is a 422 invalid_sql.
func (s *server) deploymentPlan(ctx context.Context, svc store.Service, appID, versionID string, parallelism int) (*dataflow.JobGraph, error) {
	v, err := s.cfg.Store.GetVersion(ctx, svc.ProjectID, svc.ID, appID, versionID)
	if errors.Is(err, problem.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	g, diags, err := s.compile(ctx, svc, sqlParts(v.Statement, storedTables(v.Sources), storedTables(v.Sinks)), parallelism)
	if err != nil {
		return nil, err
	}
	if len(diags) > 0 {
		return nil, invalidSQL(diags)
	}
	return g, nil
}

// GetDeployment returns one deployment.
func (s *server) GetDeployment(ctx context.Context, req openapi.GetDeploymentRequestObject) (openapi.GetDeploymentResponseObject, error) {
	k, err := s.deployment(ctx, req.Project, req.Service, req.ApplicationId, req.DeploymentId, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	d, err := s.cfg.Store.GetDeployment(ctx, k)
	if err != nil {
		return nil, err
	}
	return openapi.GetDeployment200JSONResponse(toDeployment(d)), nil
}

func (s *server) change(ctx context.Context, project, service, appID, id string, act store.Action) (openapi.Deployment, error) {
	k, err := s.deployment(ctx, project, service, appID, id, auth.RoleDeveloper)
	if err != nil {
		return openapi.Deployment{}, err
	}
	d, err := s.cfg.Store.ChangeDeployment(ctx, actor(ctx), k, act)
	return toDeployment(d), err
}

// StopDeployment stops a deployment with a savepoint (developers).
func (s *server) StopDeployment(ctx context.Context, req openapi.StopDeploymentRequestObject) (openapi.StopDeploymentResponseObject, error) {
	d, err := s.change(ctx, req.Project, req.Service, req.ApplicationId, req.DeploymentId, store.ActionStop)
	if err != nil {
		return nil, err
	}
	return openapi.StopDeployment202JSONResponse(d), nil
}

// CancelDeployment cancels a deployment without a savepoint (developers).
func (s *server) CancelDeployment(ctx context.Context, req openapi.CancelDeploymentRequestObject) (openapi.CancelDeploymentResponseObject, error) {
	d, err := s.change(ctx, req.Project, req.Service, req.ApplicationId, req.DeploymentId, store.ActionCancel)
	if err != nil {
		return nil, err
	}
	return openapi.CancelDeployment202JSONResponse(d), nil
}

// RestartDeployment restarts a deployment's job from its latest checkpoint (developers).
func (s *server) RestartDeployment(ctx context.Context, req openapi.RestartDeploymentRequestObject) (openapi.RestartDeploymentResponseObject, error) {
	d, err := s.change(ctx, req.Project, req.Service, req.ApplicationId, req.DeploymentId, store.ActionRestart)
	if err != nil {
		return nil, err
	}
	return openapi.RestartDeployment202JSONResponse(d), nil
}

func toDeployment(d store.Deployment) openapi.Deployment {
	var rs openapi.RestartStrategy
	_ = json.Unmarshal(d.RestartStrategy, &rs) // written by CreateDeployment from the same type
	return openapi.Deployment{Id: d.ID, ApplicationId: d.ApplicationID, VersionId: d.VersionID, VersionNumber: d.VersionNumber,
		Parallelism: d.Parallelism, RestartStrategy: rs, StartingSavepointId: ptr(d.StartingSavepointID), CheckpointIntervalMs: d.CheckpointIntervalMS,
		Status: openapi.DeploymentStatus(d.Status), StatusMessage: d.StatusMessage, DesiredAction: openapi.DeploymentDesiredAction(d.DesiredAction),
		CreatedAt: d.CreatedAt, CreatedBy: d.CreatedBy, UpdatedAt: d.UpdatedAt}
}
