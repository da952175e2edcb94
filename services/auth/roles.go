package auth

import (
	"context"

	"github.com/flowplane/flowplane/services/store"
)

// Role is a project role.
type Role string

// The roles, weakest first.
const (
	RoleNone      Role = ""
	RoleViewer    Role = "viewer"
	RoleDeveloper Role = "developer"
	RoleAdmin     Role = "admin"
)

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleDeveloper:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// AtLeast reports whether r grants everything want grants.
func (r Role) AtLeast(want Role) bool { return r.rank() >= want.rank() }

// Principal is an authenticated caller: a user acting through one token.
type Principal struct {
	User  store.User
	Token store.Token
}

// Actor is the principal as the store records it.
func (p Principal) Actor(requestID string) store.Actor {
	return store.Actor{UserID: p.User.ID, TokenID: p.Token.ID, RequestID: requestID}
}

// Narrowed reports whether the token is limited to one project.
func (p Principal) Narrowed() bool { return p.Token.ProjectID != "" }

// PlatformAdmin reports whether the caller may manage users (an un-narrowed token of a platform
// admin, with no role cap below admin).
func (p Principal) PlatformAdmin() bool {
	return p.User.PlatformAdmin && !p.Narrowed() && (p.Token.Role == "" || Role(p.Token.Role) == RoleAdmin)
}

// RoleIn is the caller's effective role in a project, given their membership role there
// (RoleNone when the project is invisible to them).
func (p Principal) RoleIn(projectID string, member Role) Role {
	if p.Narrowed() && p.Token.ProjectID != projectID {
		return RoleNone
	}
	r := member
	if p.User.PlatformAdmin {
		r = RoleAdmin
	}
	if cap := Role(p.Token.Role); cap != RoleNone && cap.rank() < r.rank() {
		r = cap
	}
	return r
}

type principalKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the authenticated principal of the request.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
