package api

import (
	"context"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/store"
)

// ListMembers lists a project's members.
func (s *server) ListMembers(ctx context.Context, req openapi.ListMembersRequestObject) (openapi.ListMembersResponseObject, error) {
	prj, err := s.project(ctx, req.Project, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	ms, cur, err := s.cfg.Store.ListMembers(ctx, prj.ID, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListMembers200JSONResponse{Items: items(ms, toMember), NextCursor: next(cur)}, nil
}

// AddMember adds a user to the project (admins).
func (s *server) AddMember(ctx context.Context, req openapi.AddMemberRequestObject) (openapi.AddMemberResponseObject, error) {
	prj, err := s.project(ctx, req.Project, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	m, err := s.cfg.Store.AddMember(ctx, actor(ctx), prj.ID, req.Body.Email, string(req.Body.Role))
	if err != nil {
		return nil, err
	}
	return openapi.AddMember201JSONResponse(toMember(m)), nil
}

// UpdateMember changes a member's role (admins).
func (s *server) UpdateMember(ctx context.Context, req openapi.UpdateMemberRequestObject) (openapi.UpdateMemberResponseObject, error) {
	prj, err := s.project(ctx, req.Project, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	m, err := s.cfg.Store.UpdateMember(ctx, actor(ctx), prj.ID, req.UserId, deref(req.Params.IfMatch), string(req.Body.Role))
	if err != nil {
		return nil, err
	}
	return openapi.UpdateMember200JSONResponse{Body: toMember(m), Headers: openapi.UpdateMember200ResponseHeaders{ETag: ptr(m.ETag())}}, nil
}

// RemoveMember removes a member (admins).
func (s *server) RemoveMember(ctx context.Context, req openapi.RemoveMemberRequestObject) (openapi.RemoveMemberResponseObject, error) {
	prj, err := s.project(ctx, req.Project, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.RemoveMember(ctx, actor(ctx), prj.ID, req.UserId); err != nil {
		return nil, err
	}
	return openapi.RemoveMember204Response{}, nil
}

func toMember(m store.Member) openapi.Member {
	return openapi.Member{UserId: m.UserID, Email: m.Email, Name: m.Name, Role: openapi.Role(m.Role),
		CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy, UpdatedAt: m.UpdatedAt}
}
