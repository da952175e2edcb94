package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

func TestPasswordHashing(t *testing.T) {
	t.Parallel()
	h := HashPassword("correct horse")
	if h == HashPassword("correct horse") {
		t.Fatalf("two hashes of one password are equal: no salt")
	}
	if ok, err := VerifyPassword(h, "correct horse"); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, _ := VerifyPassword(h, "wrong horse"); ok {
		t.Fatalf("wrong password accepted")
	}
	for _, bad := range []string{unusableHash, "", "$argon2id$v=19$m=x$a$b", "$bcrypt$1$2$3$4"} {
		if ok, err := VerifyPassword(bad, "x"); ok || !errors.Is(err, ErrBadHash) {
			t.Fatalf("VerifyPassword(%q) = %v %v", bad, ok, err)
		}
	}
}

func TestLimiterBucket(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	l := NewLimiter(1, 2)
	l.now = func() time.Time { return now }
	for i := 0; i < 2; i++ {
		if err := l.Allow("a"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	err := l.Allow("a")
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Code != problem.CodeRateLimited || pe.RetryAfter <= 0 || pe.RetryAfter > time.Second {
		t.Fatalf("third request = %v", err)
	}
	if l.Allow("b") != nil {
		t.Fatalf("another key is limited")
	}
	now = now.Add(time.Second)
	if l.Allow("a") != nil {
		t.Fatalf("no refill after a second")
	}
	if (*Limiter)(nil).Allow("a") != nil || NewLimiter(0, 0).Allow("a") != nil {
		t.Fatalf("a disabled limiter limits")
	}
}

func TestEffectiveRole(t *testing.T) {
	t.Parallel()
	member := Principal{User: store.User{ID: "u"}}
	admin := Principal{User: store.User{ID: "a", PlatformAdmin: true}}
	narrow := Principal{User: store.User{ID: "u"}, Token: store.Token{ProjectID: "p1", Role: "viewer"}}
	cases := []struct {
		p       Principal
		project string
		member  Role
		want    Role
	}{
		{member, "p1", RoleDeveloper, RoleDeveloper},
		{member, "p1", RoleNone, RoleNone},
		{admin, "p1", RoleNone, RoleAdmin},
		{narrow, "p1", RoleAdmin, RoleViewer},
		{narrow, "p2", RoleAdmin, RoleNone},
	}
	for _, c := range cases {
		if got := c.p.RoleIn(c.project, c.member); got != c.want {
			t.Fatalf("%+v in %s as %s = %s, want %s", c.p.Token, c.project, c.member, got, c.want)
		}
	}
	if !admin.PlatformAdmin() || member.PlatformAdmin() {
		t.Fatalf("platform admin detection")
	}
}

func TestVerifiedCacheNeverOutlivesExpiry(t *testing.T) {
	t.Parallel()
	var c verifiedCache
	now := time.Unix(1000, 0)
	short := jwt.RegisteredClaims{ID: "a", ExpiresAt: jwt.NewNumericDate(now.Add(10 * time.Second))}
	long := jwt.RegisteredClaims{ID: "b", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}
	c.put([32]byte{1}, short, now)
	c.put([32]byte{2}, long, now)
	if got, ok := c.get([32]byte{1}, now.Add(5*time.Second)); !ok || got.ID != "a" {
		t.Fatalf("fresh entry missing")
	}
	if _, ok := c.get([32]byte{1}, now.Add(11*time.Second)); ok {
		t.Fatalf("entry outlived the token's expiry")
	}
	if _, ok := c.get([32]byte{2}, now.Add(61*time.Second)); ok {
		t.Fatalf("entry outlived a minute")
	}
	if _, ok := c.get([32]byte{3}, now); ok {
		t.Fatalf("unknown entry found")
	}
}
