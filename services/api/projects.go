package api

import (
	"context"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

// ListProjects lists the projects the caller can see.
func (s *server) ListProjects(ctx context.Context, req openapi.ListProjectsRequestObject) (openapi.ListProjectsResponseObject, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	f := store.ProjectFilter{ProjectID: p.Token.ProjectID}
	if !p.User.PlatformAdmin {
		f.MemberID = p.User.ID
	}
	ps, cur, err := s.cfg.Store.ListProjects(ctx, f, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListProjects200JSONResponse{Items: items(ps, toProject), NextCursor: next(cur)}, nil
}

// CreateProject creates a project with the caller as its admin.
func (s *server) CreateProject(ctx context.Context, req openapi.CreateProjectRequestObject) (openapi.CreateProjectResponseObject, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if p.Narrowed() || (p.Token.Role != "" && p.Token.Role != string(auth.RoleAdmin)) {
		return nil, problem.New(problem.CodeForbidden, "a token narrowed to a project or a role cannot create projects")
	}
	prj, err := s.cfg.Store.CreateProject(ctx, actor(ctx), req.Body.Name, deref(req.Body.Description))
	if err != nil {
		return nil, err
	}
	return openapi.CreateProject201JSONResponse(toProject(prj)), nil
}

// GetProject returns one project.
func (s *server) GetProject(ctx context.Context, req openapi.GetProjectRequestObject) (openapi.GetProjectResponseObject, error) {
	prj, err := s.project(ctx, req.Project, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	return openapi.GetProject200JSONResponse{Body: toProject(prj), Headers: openapi.GetProject200ResponseHeaders{ETag: ptr(prj.ETag())}}, nil
}

// UpdateProject changes a project (admins).
func (s *server) UpdateProject(ctx context.Context, req openapi.UpdateProjectRequestObject) (openapi.UpdateProjectResponseObject, error) {
	prj, err := s.project(ctx, req.Project, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	prj, err = s.cfg.Store.UpdateProject(ctx, actor(ctx), prj.ID, deref(req.Params.IfMatch), req.Body.Description)
	if err != nil {
		return nil, err
	}
	return openapi.UpdateProject200JSONResponse{Body: toProject(prj), Headers: openapi.UpdateProject200ResponseHeaders{ETag: ptr(prj.ETag())}}, nil
}

// DeleteProject deletes an empty project (admins).
func (s *server) DeleteProject(ctx context.Context, req openapi.DeleteProjectRequestObject) (openapi.DeleteProjectResponseObject, error) {
	prj, err := s.project(ctx, req.Project, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.DeleteProject(ctx, actor(ctx), prj.ID); err != nil {
		return nil, err
	}
	return openapi.DeleteProject204Response{}, nil
}

// ListAudit lists the project's audit trail (admins).
func (s *server) ListAudit(ctx context.Context, req openapi.ListAuditRequestObject) (openapi.ListAuditResponseObject, error) {
	prj, err := s.project(ctx, req.Project, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	es, cur, err := s.cfg.Store.ListAudit(ctx, prj.ID, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.ListAudit200JSONResponse{Items: []openapi.AuditEntry{}, NextCursor: next(cur)}
	for _, e := range es {
		out.Items = append(out.Items, openapi.AuditEntry{Id: e.ID, Action: e.Action, ActorId: ptr(e.ActorID), TokenId: ptr(e.TokenID),
			TargetType: e.TargetType, TargetId: e.TargetID, RequestId: e.RequestID, Details: e.Details, CreatedAt: e.CreatedAt})
	}
	return out, nil
}

func toProject(p store.Project) openapi.Project {
	return openapi.Project{Id: p.ID, Name: p.Name, Description: p.Description, CreatedAt: p.CreatedAt, CreatedBy: p.CreatedBy, UpdatedAt: p.UpdatedAt}
}
