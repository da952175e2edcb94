package api

import (
	"context"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

// caller is the authenticated principal; the gate guarantees one on every non-public operation.
func caller(ctx context.Context) (auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return p, problem.New(problem.CodeUnauthorized, "not authenticated")
	}
	return p, nil
}

// actor is the caller as recorded in created_by and the audit trail.
func actor(ctx context.Context) store.Actor {
	p, _ := auth.FromContext(ctx)
	return p.Actor(middleware.GetReqID(ctx))
}

// project resolves a project by name and checks the caller has at least role in it. A project the
// caller cannot see is a 404, a role too low a 403.
func (s *server) project(ctx context.Context, name string, want auth.Role) (store.Project, error) {
	p, err := caller(ctx)
	if err != nil {
		return store.Project{}, err
	}
	prj, member, err := s.cfg.Store.ProjectAccess(ctx, p.User.ID, name)
	if err != nil {
		return prj, err
	}
	return prj, allow(p, prj, member, want)
}

func allow(p auth.Principal, prj store.Project, member string, want auth.Role) error {
	role := p.RoleIn(prj.ID, auth.Role(member))
	if role == auth.RoleNone {
		return problem.New(problem.CodeNotFound, "project %q not found", prj.Name)
	}
	if !role.AtLeast(want) {
		return problem.New(problem.CodeForbidden, "this needs the %s role in project %q; you have %s", want, prj.Name, role)
	}
	return nil
}

// service resolves project and service by name (one query) with the role check of project.
func (s *server) service(ctx context.Context, projectName, serviceName string, want auth.Role) (store.Service, error) {
	p, err := caller(ctx)
	if err != nil {
		return store.Service{}, err
	}
	prj, member, svc, found, err := s.cfg.Store.ServiceAccess(ctx, p.User.ID, projectName, serviceName)
	if err != nil {
		return svc, err
	}
	if err := allow(p, prj, member, want); err != nil {
		return store.Service{}, err
	}
	if !found {
		return svc, problem.New(problem.CodeNotFound, "service %q not found", serviceName)
	}
	return svc, nil
}

// page converts the spec's limit and cursor parameters.
func page(limit *int, cursor *string) store.Page {
	p := store.Page{}
	if limit != nil {
		p.Limit = *limit
	}
	if cursor != nil {
		p.Cursor = *cursor
	}
	return p
}

// items converts a page of store rows with conv (an empty page is [], never null).
func items[S, T any](in []S, conv func(S) T) []T {
	out := make([]T, len(in))
	for i, x := range in {
		out[i] = conv(x)
	}
	return out
}

// next is a list's next_cursor (absent on the last page).
func next(cursor string) *string {
	if cursor == "" {
		return nil
	}
	return &cursor
}

func deref[T any](v *T) T {
	var zero T
	if v == nil {
		return zero
	}
	return *v
}

func ptr[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}
