package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/plans"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

// dummyHash makes a login with an unknown email cost as much as one with a wrong password.
var dummyHash = auth.HashPassword("flowplane-timing-equaliser")

// Login exchanges email and password for a session token.
func (s *server) Login(ctx context.Context, req openapi.LoginRequestObject) (openapi.LoginResponseObject, error) {
	wrong := problem.New(problem.CodeUnauthorized, "wrong email or password")
	// Password guessing is limited per account, whoever tries.
	if err := s.cfg.Limiter.Allow("login:" + strings.ToLower(req.Body.Email)); err != nil {
		return nil, err
	}
	u, err := s.cfg.Store.UserByEmail(ctx, req.Body.Email)
	if errors.Is(err, problem.ErrNotFound) {
		_, _ = auth.VerifyPassword(dummyHash, deref(req.Body.Password))
		return nil, wrong
	}
	if err != nil {
		return nil, err
	}
	if ok, _ := auth.VerifyPassword(u.PasswordHash, deref(req.Body.Password)); !ok {
		return nil, wrong
	}
	a := store.Actor{UserID: u.ID, RequestID: actor(ctx).RequestID}
	tok, rec, err := s.cfg.Tokens.Issue(ctx, a, auth.Grant{UserID: u.ID, Kind: "session", Description: "console login", TTL: auth.SessionTTL})
	if err != nil {
		return nil, err
	}
	return openapi.Login200JSONResponse{Token: tok, ExpiresAt: rec.ExpiresAt}, nil
}

// GetMe describes the caller.
func (s *server) GetMe(ctx context.Context, _ openapi.GetMeRequestObject) (openapi.GetMeResponseObject, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := s.cfg.Store.Memberships(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	out := openapi.GetMe200JSONResponse{User: toUser(p.User), Token: toToken(p.Token), Memberships: []openapi.Membership{}}
	for _, m := range ms {
		if p.Narrowed() && m.ProjectName != p.Token.ProjectName {
			continue
		}
		out.Memberships = append(out.Memberships, openapi.Membership{Project: m.ProjectName, Role: openapi.Role(m.Role)})
	}
	return out, nil
}

// ListTokens lists the caller's tokens.
func (s *server) ListTokens(ctx context.Context, req openapi.ListTokensRequestObject) (openapi.ListTokensResponseObject, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	toks, cur, err := s.cfg.Store.ListTokens(ctx, p.User.ID, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListTokens200JSONResponse{Items: items(toks, toToken), NextCursor: next(cur)}, nil
}

// CreateToken issues an API token no stronger than the caller's own rights.
func (s *server) CreateToken(ctx context.Context, req openapi.CreateTokenRequestObject) (openapi.CreateTokenResponseObject, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	g := auth.Grant{UserID: p.User.ID, Kind: "api", Description: deref(b.Description), TTL: 30 * 24 * time.Hour,
		ProjectID: p.Token.ProjectID, Role: auth.Role(p.Token.Role)}
	if b.ExpiresIn != nil {
		g.TTL = time.Duration(*b.ExpiresIn) * time.Second
	}
	if b.Role != nil {
		g.Role = auth.Role(*b.Role)
	}
	if b.Project != nil {
		// The caller must hold the requested role there (viewer when none is requested).
		need := auth.RoleViewer
		if g.Role != auth.RoleNone {
			need = g.Role
		}
		prj, err := s.project(ctx, *b.Project, need)
		if err != nil {
			return nil, err
		}
		g.ProjectID = prj.ID
	}
	if b.Role != nil { // g.Role is the requested role (set above)
		if cap := auth.Role(p.Token.Role); cap != auth.RoleNone && !cap.AtLeast(g.Role) {
			return nil, problem.New(problem.CodeForbidden, "a token with the %s role cannot create one with the %s role", cap, g.Role)
		}
	}
	tok, rec, err := s.cfg.Tokens.Issue(ctx, actor(ctx), g)
	if err != nil {
		return nil, err
	}
	t := toToken(rec)
	return openapi.CreateToken201JSONResponse{Token: tok, Id: t.Id, Kind: openapi.TokenCreatedKind(t.Kind), Description: t.Description,
		Project: t.Project, Role: t.Role, ExpiresAt: t.ExpiresAt, CreatedAt: t.CreatedAt, CreatedBy: t.CreatedBy, UpdatedAt: t.UpdatedAt}, nil
}

// RevokeToken revokes one of the caller's tokens.
func (s *server) RevokeToken(ctx context.Context, req openapi.RevokeTokenRequestObject) (openapi.RevokeTokenResponseObject, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.RevokeToken(ctx, actor(ctx), p.User.ID, req.TokenId); err != nil {
		return nil, err
	}
	return openapi.RevokeToken204Response{}, nil
}

func requirePlatformAdmin(ctx context.Context) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if !p.PlatformAdmin() {
		return problem.New(problem.CodeForbidden, "only platform admins manage users")
	}
	return nil
}

// ListUsers lists every user (platform admins).
func (s *server) ListUsers(ctx context.Context, req openapi.ListUsersRequestObject) (openapi.ListUsersResponseObject, error) {
	if err := requirePlatformAdmin(ctx); err != nil {
		return nil, err
	}
	users, cur, err := s.cfg.Store.ListUsers(ctx, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListUsers200JSONResponse{Items: items(users, toUser), NextCursor: next(cur)}, nil
}

// CreateUser adds a user (platform admins).
func (s *server) CreateUser(ctx context.Context, req openapi.CreateUserRequestObject) (openapi.CreateUserResponseObject, error) {
	if err := requirePlatformAdmin(ctx); err != nil {
		return nil, err
	}
	b := req.Body
	u, err := s.cfg.Store.CreateUser(ctx, actor(ctx), store.NewUser{Email: string(b.Email), Name: b.Name,
		PasswordHash: auth.HashPassword(deref(b.Password)), PlatformAdmin: deref(b.PlatformAdmin)})
	if err != nil {
		return nil, err
	}
	return openapi.CreateUser201JSONResponse(toUser(u)), nil
}

// ListPlans lists the plan catalogue.
func (s *server) ListPlans(context.Context, openapi.ListPlansRequestObject) (openapi.ListPlansResponseObject, error) {
	out := openapi.ListPlans200JSONResponse{Items: []openapi.Plan{}}
	for _, p := range plans.All() {
		out.Items = append(out.Items, openapi.Plan{Name: openapi.PlanName(p.Name), Slots: p.Slots, MaxParallelism: p.MaxParallelism})
	}
	return out, nil
}

func toUser(u store.User) openapi.User {
	return openapi.User{Id: u.ID, Email: u.Email, Name: u.Name, PlatformAdmin: u.PlatformAdmin,
		CreatedAt: u.CreatedAt, CreatedBy: ptr(u.CreatedBy), UpdatedAt: u.UpdatedAt}
}

func toToken(t store.Token) openapi.Token {
	out := openapi.Token{Id: t.ID, Kind: openapi.TokenKind(t.Kind), Description: t.Description, Project: ptr(t.ProjectName),
		ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt, LastUsedAt: t.LastUsedAt, CreatedAt: t.CreatedAt, CreatedBy: t.CreatedBy, UpdatedAt: t.UpdatedAt}
	if t.Role != "" {
		r := openapi.Role(t.Role)
		out.Role = &r
	}
	return out
}
