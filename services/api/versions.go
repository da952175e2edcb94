package api

import (
	"context"
	"fmt"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/store"
)

// ListVersions lists an application's versions.
func (s *server) ListVersions(ctx context.Context, req openapi.ListVersionsRequestObject) (openapi.ListVersionsResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	vs, cur, err := s.cfg.Store.ListVersions(ctx, svc.ProjectID, svc.ID, req.ApplicationId, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListVersions200JSONResponse{Items: items(vs, toVersion), NextCursor: next(cur)}, nil
}

func tableRefs(in *[]openapi.TableRef) []store.TableRef {
	out := []store.TableRef{}
	for _, r := range deref(in) {
		out = append(out, store.TableRef{CreateTable: r.CreateTable, IntegrationID: deref(r.IntegrationId)})
	}
	return out
}

// CreateVersion compiles the SQL and stores it with its plan as the next version (developers);
// invalid SQL is a 422 invalid_sql problem whose errors carry line and column.
func (s *server) CreateVersion(ctx context.Context, req openapi.CreateVersionRequestObject) (openapi.CreateVersionResponseObject, error) {
	b := req.Body
	svc, g, diags, err := s.compileVersion(ctx, req.Project, req.Service, req.ApplicationId, auth.RoleDeveloper, b)
	if err != nil {
		return nil, err
	}
	if len(diags) > 0 {
		return nil, invalidSQL(diags)
	}
	plan, err := g.Encode()
	if err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	v, err := s.cfg.Store.CreateVersion(ctx, actor(ctx), svc.ProjectID, svc.ID, req.ApplicationId, store.NewVersion{
		Statement: b.Statement, Sources: tableRefs(b.Sources), Sinks: tableRefs(b.Sinks), Plan: plan})
	if err != nil {
		return nil, err
	}
	return openapi.CreateVersion201JSONResponse(toVersion(v)), nil
}

// ValidateVersion compiles SQL without storing it and returns its errors or, when it is valid, the
// planned job graph (viewers may check).
func (s *server) ValidateVersion(ctx context.Context, req openapi.ValidateVersionRequestObject) (openapi.ValidateVersionResponseObject, error) {
	_, g, diags, err := s.compileVersion(ctx, req.Project, req.Service, req.ApplicationId, auth.RoleViewer, req.Body)
	if err != nil {
		return nil, err
	}
	out := openapi.ValidateVersion200JSONResponse{Valid: len(diags) == 0, Errors: sqlErrors(diags)}
	if g != nil {
		graph := toPlanGraph(g)
		out.Graph = &graph
	}
	return out, nil
}

// compileVersion resolves the service (with at least role want) and the application of a version
// route and compiles the body's SQL as a version (parallelism 1); see compile.
func (s *server) compileVersion(ctx context.Context, project, service, appID string, want auth.Role, b *openapi.ApplicationVersionCreate) (store.Service, *dataflow.JobGraph, []sql.Diagnostic, error) {
	svc, err := s.service(ctx, project, service, want)
	if err != nil {
		return svc, nil, nil, err
	}
	if _, err := s.cfg.Store.GetApplication(ctx, svc.ProjectID, svc.ID, appID); err != nil {
		return svc, nil, nil, err
	}
	g, diags, err := s.compile(ctx, svc, sqlParts(b.Statement, tables(deref(b.Sources)), tables(deref(b.Sinks))), 1)
	return svc, g, diags, err
}

// GetApplicationVersion returns one version.
func (s *server) GetApplicationVersion(ctx context.Context, req openapi.GetApplicationVersionRequestObject) (openapi.GetApplicationVersionResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	v, err := s.cfg.Store.GetVersion(ctx, svc.ProjectID, svc.ID, req.ApplicationId, req.VersionId)
	if err != nil {
		return nil, err
	}
	return openapi.GetApplicationVersion200JSONResponse(toVersion(v)), nil
}

// DeleteVersion deletes a version no active deployment runs (developers).
func (s *server) DeleteVersion(ctx context.Context, req openapi.DeleteVersionRequestObject) (openapi.DeleteVersionResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleDeveloper)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.DeleteVersion(ctx, actor(ctx), svc.ProjectID, svc.ID, req.ApplicationId, req.VersionId); err != nil {
		return nil, err
	}
	return openapi.DeleteVersion204Response{}, nil
}

func toVersion(v store.Version) openapi.ApplicationVersion {
	refs := func(in []store.TableRef) []openapi.TableRef {
		out := []openapi.TableRef{}
		for _, r := range in {
			out = append(out, openapi.TableRef{CreateTable: r.CreateTable, IntegrationId: ptr(r.IntegrationID)})
		}
		return out
	}
	return openapi.ApplicationVersion{Id: v.ID, ApplicationId: v.ApplicationID, Number: v.Number, Statement: v.Statement,
		Sources: refs(v.Sources), Sinks: refs(v.Sinks), CreatedAt: v.CreatedAt, CreatedBy: v.CreatedBy, UpdatedAt: v.UpdatedAt}
}
