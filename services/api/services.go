package api

import (
	"context"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/plans"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

// ListServices lists a project's services.
func (s *server) ListServices(ctx context.Context, req openapi.ListServicesRequestObject) (openapi.ListServicesResponseObject, error) {
	prj, err := s.project(ctx, req.Project, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	svcs, cur, err := s.cfg.Store.ListServices(ctx, prj.ID, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListServices200JSONResponse{Items: items(svcs, toService), NextCursor: next(cur)}, nil
}

func plan(name string) (plans.Plan, error) {
	p, ok := plans.Get(name)
	if !ok { // the spec's enum makes this unreachable; keep the check next to the lookup
		return p, &problem.Error{Code: problem.CodeInvalidRequest, Detail: "unknown plan " + name,
			Fields: []problem.FieldError{{Field: "plan", Message: "unknown plan"}}}
	}
	return p, nil
}

// CreateService creates a service (admins).
func (s *server) CreateService(ctx context.Context, req openapi.CreateServiceRequestObject) (openapi.CreateServiceResponseObject, error) {
	prj, err := s.project(ctx, req.Project, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	p, err := plan(string(req.Body.Plan))
	if err != nil {
		return nil, err
	}
	svc, err := s.cfg.Store.CreateService(ctx, actor(ctx), prj.ID, req.Body.Name, p)
	if err != nil {
		return nil, err
	}
	return openapi.CreateService201JSONResponse(toService(svc)), nil
}

// GetService returns one service.
func (s *server) GetService(ctx context.Context, req openapi.GetServiceRequestObject) (openapi.GetServiceResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	return openapi.GetService200JSONResponse{Body: toService(svc), Headers: openapi.GetService200ResponseHeaders{ETag: ptr(svc.ETag())}}, nil
}

// UpdateService changes the plan or power state (admins).
func (s *server) UpdateService(ctx context.Context, req openapi.UpdateServiceRequestObject) (openapi.UpdateServiceResponseObject, error) {
	prj, err := s.project(ctx, req.Project, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	u := store.ServiceUpdate{Powered: req.Body.Powered}
	if req.Body.Plan != nil {
		p, err := plan(string(*req.Body.Plan))
		if err != nil {
			return nil, err
		}
		u.Plan = &p
	}
	svc, err := s.cfg.Store.UpdateService(ctx, actor(ctx), prj.ID, req.Service, deref(req.Params.IfMatch), u)
	if err != nil {
		return nil, err
	}
	return openapi.UpdateService200JSONResponse{Body: toService(svc), Headers: openapi.UpdateService200ResponseHeaders{ETag: ptr(svc.ETag())}}, nil
}

// DeleteService deletes a service (admins).
func (s *server) DeleteService(ctx context.Context, req openapi.DeleteServiceRequestObject) (openapi.DeleteServiceResponseObject, error) {
	prj, err := s.project(ctx, req.Project, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.DeleteService(ctx, actor(ctx), prj.ID, req.Service, deref(req.Params.Force)); err != nil {
		return nil, err
	}
	return openapi.DeleteService204Response{}, nil
}

// GetServiceOverview reports capacity and deployments by status.
func (s *server) GetServiceOverview(ctx context.Context, req openapi.GetServiceOverviewRequestObject) (openapi.GetServiceOverviewResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	o, err := s.cfg.Store.ServiceOverview(ctx, svc)
	if err != nil {
		return nil, err
	}
	if s.cfg.Scheduler != nil { // live figures from the local scheduler replica
		tm, used := s.cfg.Scheduler.ServiceUsage(ctx, o.ServiceID)
		o.TaskManagers = tm
		if o.Powered {
			o.SlotsAvailable = max(o.SlotsTotal-used, 0)
		}
	}
	return openapi.GetServiceOverview200JSONResponse{TaskManagers: o.TaskManagers, SlotsTotal: o.SlotsTotal,
		SlotsAvailable: o.SlotsAvailable, JobsByState: o.JobsByState}, nil
}

func toService(x store.Service) openapi.Service {
	return openapi.Service{Id: x.ID, Name: x.Name, Plan: x.Plan, Slots: x.Slots, Powered: x.Powered, State: openapi.ServiceState(x.State),
		CreatedAt: x.CreatedAt, CreatedBy: x.CreatedBy, UpdatedAt: x.UpdatedAt}
}
