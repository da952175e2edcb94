package api_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/store"
)

func TestLoginAndMe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.must(t, 201, "POST", "/v1/users", e.admin, `{"email":"ann@example.com","name":"Ann","password":"correct horse battery"}`)
	if r := e.must(t, 401, "POST", "/v1/auth/login", "", `{"email":"ann@example.com","password":"wrong password!"}`); r.code() != "unauthorized" {
		t.Fatalf("code = %s", r.code())
	}
	e.must(t, 401, "POST", "/v1/auth/login", "", `{"email":"nobody@example.com","password":"correct horse battery"}`)
	e.must(t, 400, "POST", "/v1/auth/login", "", `{"email":"ann@example.com"}`)
	var sess openapi.SessionToken
	e.must(t, 200, "POST", "/v1/auth/login", "", `{"email":"ANN@example.com","password":"correct horse battery"}`).decode(t, &sess)
	if d := time.Until(sess.ExpiresAt); d < 11*time.Hour || d > 13*time.Hour {
		t.Fatalf("session expires in %v", d)
	}
	var me openapi.Me
	e.must(t, 200, "GET", "/v1/me", sess.Token, "").decode(t, &me)
	if me.User.Email != "ann@example.com" || me.User.PlatformAdmin || me.Token.Kind != openapi.TokenKindSession || len(me.Memberships) != 0 {
		t.Fatalf("me = %+v", me)
	}
	e.must(t, 201, "POST", "/v1/projects", sess.Token, `{"name":"anns"}`)
	e.must(t, 200, "GET", "/v1/me", sess.Token, "").decode(t, &me)
	if len(me.Memberships) != 1 || me.Memberships[0].Project != "anns" || me.Memberships[0].Role != openapi.Admin {
		t.Fatalf("memberships = %+v", me.Memberships)
	}
}

func TestUsersArePlatformAdminOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok, _, _ := e.userToken(t, "plain")
	e.must(t, 403, "GET", "/v1/users", tok, "")
	e.must(t, 403, "POST", "/v1/users", tok, `{"email":"x@example.com","name":"X","password":"long enough pw"}`)
	e.must(t, 201, "POST", "/v1/users", e.admin, `{"email":"x@example.com","name":"X","password":"long enough pw"}`)
	e.must(t, 409, "POST", "/v1/users", e.admin, `{"email":"X@example.com","name":"X","password":"long enough pw"}`)
	r := e.must(t, 400, "POST", "/v1/users", e.admin, `{"email":"y@example.com","name":"Y","password":"short"}`)
	var p struct {
		Errors []openapi.ProblemFieldError `json:"errors"`
	}
	r.decode(t, &p)
	if len(p.Errors) != 1 || *p.Errors[0].Field != "password" || strings.Contains(string(r.body), "short") {
		t.Fatalf("problem = %s", r.body)
	}
	var users openapi.UserList
	e.must(t, 200, "GET", "/v1/users?limit=1", e.admin, "").decode(t, &users)
	if len(users.Items) != 1 || users.NextCursor == nil {
		t.Fatalf("page 1 = %+v", users)
	}
	e.must(t, 200, "GET", "/v1/users?limit=1&cursor="+*users.NextCursor, e.admin, "").decode(t, &users)
	if len(users.Items) != 1 || users.Items[0].Email == auth.BootstrapEmail {
		t.Fatalf("page 2 = %+v", users)
	}
	// A narrowed admin token is not a platform admin.
	var adminMe openapi.Me
	e.must(t, 200, "GET", "/v1/me", e.admin, "").decode(t, &adminMe)
	narrowed := e.issue(t, adminMe.User.Id, auth.Grant{Role: auth.RoleViewer})
	e.must(t, 403, "GET", "/v1/users", narrowed, "")
}

func TestAPITokensNarrowAndRevoke(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.newWorld(t)
	var created openapi.TokenCreated
	e.must(t, 201, "POST", "/v1/tokens", w.developer,
		fmt.Sprintf(`{"description":"ci","expires_in":3600,"project":%q,"role":"viewer"}`, w.project)).decode(t, &created)
	if created.Token == "" || *created.Project != w.project || *created.Role != openapi.Viewer || created.Kind != openapi.TokenCreatedKindApi {
		t.Fatalf("created = %+v", created)
	}
	// The narrowed token reads but cannot deploy, and sees no other project.
	e.must(t, 200, "GET", w.appPath, created.Token, "")
	e.must(t, 403, "POST", w.appPath+"/versions", created.Token, simpleVersion)
	other := e.newWorld(t)
	e.must(t, 201, "POST", "/v1/projects/"+other.project+"/members", other.owner,
		fmt.Sprintf(`{"email":%q,"role":"admin"}`, emailOf(t, e, w.developerID)))
	e.must(t, 200, "GET", "/v1/projects/"+other.project, w.developer, "")
	e.must(t, 404, "GET", "/v1/projects/"+other.project, created.Token, "")
	var projects openapi.ProjectList
	e.must(t, 200, "GET", "/v1/projects", created.Token, "").decode(t, &projects)
	if len(projects.Items) != 1 || projects.Items[0].Name != w.project {
		t.Fatalf("narrowed token lists %+v", projects.Items)
	}
	// A narrowed token cannot widen itself.
	e.must(t, 403, "POST", "/v1/tokens", created.Token, `{"role":"developer"}`)
	e.must(t, 404, "POST", "/v1/tokens", created.Token, fmt.Sprintf(`{"project":%q}`, other.project))
	e.must(t, 403, "POST", "/v1/projects", created.Token, `{"name":"sneaky"}`)
	// A viewer cannot mint an admin token for the project.
	e.must(t, 403, "POST", "/v1/tokens", w.viewer, fmt.Sprintf(`{"project":%q,"role":"admin"}`, w.project))
	// A token for a project the caller is not in is a 404.
	e.must(t, 404, "POST", "/v1/tokens", w.viewer, `{"project":"nope-nope"}`)

	var list openapi.TokenList
	e.must(t, 200, "GET", "/v1/tokens", w.developer, "").decode(t, &list)
	if len(list.Items) != 2 || strings.Contains(fmt.Sprint(list), created.Token) {
		t.Fatalf("tokens = %+v", list)
	}
	// Another user's token cannot be revoked (404); the owner's revocation is effective at once.
	e.must(t, 404, "DELETE", "/v1/tokens/"+created.Id, w.viewer, "")
	e.must(t, 204, "DELETE", "/v1/tokens/"+created.Id, w.developer, "")
	if r := e.must(t, 401, "GET", "/v1/me", created.Token, ""); !strings.Contains(string(r.body), "revoked") {
		t.Fatalf("revoked token: %s", r.body)
	}
	e.must(t, 404, "DELETE", "/v1/tokens/tok_nope", w.developer, "")
}

func emailOf(t *testing.T, e *env, userID string) string {
	t.Helper()
	var email string
	if err := e.pool.QueryRow(context.Background(), `SELECT email FROM users WHERE id = $1`, userID).Scan(&email); err != nil {
		t.Fatal(err)
	}
	return email
}

// TestJWTAbuse: every forged, stale or mis-addressed token is a 401 problem.
func TestJWTAbuse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	keys, err := e.store.SigningKeys(ctx)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys = %d, %v", len(keys), err)
	}
	kid := keys[0].Kid
	seed, err := e.sealer.Open(keys[0].PrivateSealed, []byte(kid))
	if err != nil {
		t.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	var me openapi.Me
	e.must(t, 200, "GET", "/v1/me", e.admin, "").decode(t, &me)
	// A real jti, so only the property under test is wrong.
	good := e.issue(t, me.User.Id, auth.Grant{})
	var goodClaims jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(good, &goodClaims); err != nil {
		t.Fatal(err)
	}
	sign := func(method jwt.SigningMethod, key any, kid string, mutate func(*jwt.RegisteredClaims)) string {
		c := goodClaims
		mutate(&c)
		tok := jwt.NewWithClaims(method, c)
		if kid != "" {
			tok.Header["kid"] = kid
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	same := func(*jwt.RegisteredClaims) {}
	// Control: our own re-signing of the claims is accepted.
	e.must(t, 200, "GET", "/v1/me", sign(jwt.SigningMethodEdDSA, priv, kid, same), "")

	header := func(v map[string]any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	body, _ := json.Marshal(goodClaims)
	payload := base64.RawURLEncoding.EncodeToString(body)
	otherPub, otherPriv, _ := ed25519.GenerateKey(nil)
	_ = otherPub
	cases := map[string]string{
		"alg none":                    header(map[string]any{"alg": "none", "typ": "JWT", "kid": kid}) + "." + payload + ".",
		"HS256 keyed with public key": sign(jwt.SigningMethodHS256, []byte(keys[0].Public), kid, same),
		"missing exp":                 sign(jwt.SigningMethodEdDSA, priv, kid, func(c *jwt.RegisteredClaims) { c.ExpiresAt = nil }),
		"past exp":                    sign(jwt.SigningMethodEdDSA, priv, kid, func(c *jwt.RegisteredClaims) { c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Hour)) }),
		"wrong aud":                   sign(jwt.SigningMethodEdDSA, priv, kid, func(c *jwt.RegisteredClaims) { c.Audience = jwt.ClaimStrings{"someone-else"} }),
		"missing aud":                 sign(jwt.SigningMethodEdDSA, priv, kid, func(c *jwt.RegisteredClaims) { c.Audience = nil }),
		"wrong iss":                   sign(jwt.SigningMethodEdDSA, priv, kid, func(c *jwt.RegisteredClaims) { c.Issuer = "evil" }),
		"unknown kid":                 sign(jwt.SigningMethodEdDSA, priv, "k_unknown", same),
		"no kid":                      sign(jwt.SigningMethodEdDSA, priv, "", same),
		"signed by another key":       sign(jwt.SigningMethodEdDSA, otherPriv, kid, same),
		"unknown jti":                 sign(jwt.SigningMethodEdDSA, priv, kid, func(c *jwt.RegisteredClaims) { c.ID = "forged" }),
		"garbage":                     "not.a.jwt",
		"tampered payload":            strings.Replace(good, ".", ".x", 1),
	}
	for name, tok := range cases {
		r := e.do(t, "GET", "/v1/me", tok, "")
		if r.status != 401 || r.code() != "unauthorized" {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
	}
	// Header shapes.
	for _, h := range []string{"", "Basic abc", "Bearer", "Token " + good} {
		r := e.do(t, "GET", "/v1/me", "", "", "Authorization", h)
		if r.status != 401 {
			t.Fatalf("Authorization %q: %d", h, r.status)
		}
	}
	// A revoked token, and one whose record expired.
	if err := e.store.RevokeToken(ctx, store.Actor{UserID: me.User.Id}, me.User.Id, tokenID(t, e, good)); err != nil {
		t.Fatal(err)
	}
	if r := e.must(t, 401, "GET", "/v1/me", good, ""); r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("401 without WWW-Authenticate")
	}
}

func tokenID(t *testing.T, e *env, tok string) string {
	t.Helper()
	var me openapi.Me
	e.must(t, 200, "GET", "/v1/me", tok, "").decode(t, &me)
	return me.Token.Id
}
