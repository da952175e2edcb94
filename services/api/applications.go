package api

import (
	"context"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/store"
)

// ListApplications lists a service's applications.
func (s *server) ListApplications(ctx context.Context, req openapi.ListApplicationsRequestObject) (openapi.ListApplicationsResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	apps, cur, err := s.cfg.Store.ListApplications(ctx, svc.ProjectID, svc.ID, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListApplications200JSONResponse{Items: items(apps, toApplication), NextCursor: next(cur)}, nil
}

// CreateApplication adds an application (developers).
func (s *server) CreateApplication(ctx context.Context, req openapi.CreateApplicationRequestObject) (openapi.CreateApplicationResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleDeveloper)
	if err != nil {
		return nil, err
	}
	app, err := s.cfg.Store.CreateApplication(ctx, actor(ctx), svc.ProjectID, svc.ID, req.Body.Name, deref(req.Body.Description))
	if err != nil {
		return nil, err
	}
	return openapi.CreateApplication201JSONResponse(toApplication(app)), nil
}

// GetApplication returns one application.
func (s *server) GetApplication(ctx context.Context, req openapi.GetApplicationRequestObject) (openapi.GetApplicationResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	app, err := s.cfg.Store.GetApplication(ctx, svc.ProjectID, svc.ID, req.ApplicationId)
	if err != nil {
		return nil, err
	}
	return openapi.GetApplication200JSONResponse{Body: toApplication(app), Headers: openapi.GetApplication200ResponseHeaders{ETag: ptr(app.ETag())}}, nil
}

// UpdateApplication renames or re-describes an application (developers).
func (s *server) UpdateApplication(ctx context.Context, req openapi.UpdateApplicationRequestObject) (openapi.UpdateApplicationResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleDeveloper)
	if err != nil {
		return nil, err
	}
	app, err := s.cfg.Store.UpdateApplication(ctx, actor(ctx), svc.ProjectID, svc.ID, req.ApplicationId, deref(req.Params.IfMatch),
		store.ApplicationUpdate{Name: req.Body.Name, Description: req.Body.Description})
	if err != nil {
		return nil, err
	}
	return openapi.UpdateApplication200JSONResponse{Body: toApplication(app), Headers: openapi.UpdateApplication200ResponseHeaders{ETag: ptr(app.ETag())}}, nil
}

// DeleteApplication deletes an application without an active deployment (developers).
func (s *server) DeleteApplication(ctx context.Context, req openapi.DeleteApplicationRequestObject) (openapi.DeleteApplicationResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleDeveloper)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.DeleteApplication(ctx, actor(ctx), svc.ProjectID, svc.ID, req.ApplicationId); err != nil {
		return nil, err
	}
	return openapi.DeleteApplication204Response{}, nil
}

func toApplication(a store.Application) openapi.Application {
	return openapi.Application{Id: a.ID, Name: a.Name, Description: a.Description, CreatedAt: a.CreatedAt, CreatedBy: a.CreatedBy, UpdatedAt: a.UpdatedAt}
}
