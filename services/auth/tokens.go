package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/seal"
	"github.com/flowplane/flowplane/services/store"
)

// Issuer and audience every token carries and every parse requires.
const (
	Issuer   = "flowplane"
	Audience = "flowplane-api"
)

// SessionTTL is the lifetime of a console login.
const SessionTTL = 12 * time.Hour

// Tokens issues and verifies JWTs.
type Tokens struct {
	store  *store.Store
	sealer *seal.Sealer
	now    func() time.Time

	verified verifiedCache

	mu         sync.RWMutex
	public     map[string]ed25519.PublicKey
	signKid    string
	signKey    ed25519.PrivateKey
	lastReload time.Time
}

// NewTokens loads the signing keys, creating the first one on a fresh database.
func NewTokens(ctx context.Context, st *store.Store, sealer *seal.Sealer) (*Tokens, error) {
	t := &Tokens{store: st, sealer: sealer, now: time.Now}
	keys, err := st.SigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	if len(keys) == 0 {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		kid := "k_" + randomString(9)
		k := store.SigningKey{Kid: kid, Public: pub, PrivateSealed: sealer.Seal(priv.Seed(), []byte(kid))}
		if err := st.InsertSigningKeyIfNone(ctx, k); err != nil {
			return nil, fmt.Errorf("create signing key: %w", err)
		}
	}
	if err := t.reload(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tokens) reload(ctx context.Context) error {
	keys, err := t.store.SigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	if len(keys) == 0 {
		return errors.New("no active signing key")
	}
	seed, err := t.sealer.Open(keys[0].PrivateSealed, []byte(keys[0].Kid))
	if err != nil {
		return fmt.Errorf("open signing key %s (is FLOWPLANE_MASTER_KEY the one it was sealed with?): %w", keys[0].Kid, err)
	}
	public := make(map[string]ed25519.PublicKey, len(keys))
	for _, k := range keys {
		public[k.Kid] = ed25519.PublicKey(k.Public)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.public, t.signKid, t.signKey, t.lastReload = public, keys[0].Kid, ed25519.NewKeyFromSeed(seed), t.now()
	return nil
}

// Grant describes a token to issue.
type Grant struct {
	UserID      string
	Kind        string // session or api
	Description string
	ProjectID   string
	Role        Role
	TTL         time.Duration
}

// Issue signs a new token and records it.
func (t *Tokens) Issue(ctx context.Context, a store.Actor, g Grant) (string, store.Token, error) {
	jti := randomString(32)
	now := t.now()
	exp := now.Add(g.TTL)
	claims := jwt.RegisteredClaims{
		Issuer: Issuer, Audience: jwt.ClaimStrings{Audience}, Subject: g.UserID, ID: jti,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
	}
	t.mu.RLock()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = t.signKid
	signed, err := tok.SignedString(t.signKey)
	t.mu.RUnlock()
	if err != nil {
		return "", store.Token{}, fmt.Errorf("sign token: %w", err)
	}
	rec, err := t.store.CreateToken(ctx, a, store.NewToken{JTIHash: hashJTI(jti), UserID: g.UserID, Kind: g.Kind,
		Description: g.Description, ProjectID: g.ProjectID, Role: string(g.Role), ExpiresAt: exp.UTC().Truncate(time.Microsecond)})
	if err != nil {
		return "", store.Token{}, err
	}
	return signed, rec, nil
}

func unauthorized(format string, args ...any) error {
	return problem.New(problem.CodeUnauthorized, format, args...)
}

// Verify checks a bearer token and returns its principal. Every failure is a 401 problem.
func (t *Tokens) Verify(ctx context.Context, raw string) (Principal, error) {
	claims, err := t.parse(ctx, raw)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Principal{}, unauthorized("the token has expired")
	case err != nil:
		return Principal{}, &problem.Error{Code: problem.CodeUnauthorized, Detail: "the token is not valid", Err: err}
	case claims.ID == "":
		return Principal{}, unauthorized("the token has no jti")
	}
	tok, user, err := t.store.TokenByJTIHash(ctx, hashJTI(claims.ID))
	if errors.Is(err, problem.ErrNotFound) {
		return Principal{}, unauthorized("the token is not known")
	}
	if err != nil {
		return Principal{}, err
	}
	if tok.RevokedAt != nil {
		return Principal{}, unauthorized("the token was revoked")
	}
	if !t.now().Before(tok.ExpiresAt) {
		return Principal{}, unauthorized("the token has expired")
	}
	if tok.LastUsedAt == nil || t.now().Sub(*tok.LastUsedAt) > time.Minute {
		_ = t.store.TouchToken(ctx, tok.ID) // best effort bookkeeping
	}
	return Principal{User: user, Token: tok}, nil
}

// parse verifies a token's signature and claims. A token whose signature was verified recently is
// taken from a small cache (its expiry is still checked), which saves an Ed25519 verification per
// request; revocation is checked in the database on every request regardless.
func (t *Tokens) parse(ctx context.Context, raw string) (jwt.RegisteredClaims, error) {
	key := sha256.Sum256([]byte(raw))
	if c, ok := t.verified.get(key, t.now()); ok {
		return c, nil
	}
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(raw, &claims, t.keyFor(ctx),
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}), jwt.WithIssuer(Issuer), jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(t.now), jwt.WithLeeway(5*time.Second))
	if err == nil {
		t.verified.put(key, claims, t.now())
	}
	return claims, err
}

// verifiedCache remembers recently verified tokens for up to a minute (never past their expiry).
type verifiedCache struct {
	mu      sync.Mutex
	entries map[[32]byte]verifiedEntry
}

type verifiedEntry struct {
	claims jwt.RegisteredClaims
	until  time.Time
}

func (c *verifiedCache) get(key [32]byte, now time.Time) (jwt.RegisteredClaims, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.until) {
		return jwt.RegisteredClaims{}, false
	}
	return e.claims, true
}

func (c *verifiedCache) put(key [32]byte, claims jwt.RegisteredClaims, now time.Time) {
	until := now.Add(time.Minute)
	if claims.ExpiresAt != nil && claims.ExpiresAt.Before(until) {
		until = claims.ExpiresAt.Time
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= 10_000 {
		c.entries = make(map[[32]byte]verifiedEntry)
	}
	c.entries[key] = verifiedEntry{claims: claims, until: until}
}

var errUnknownKid = errors.New("unknown kid")

func (t *Tokens) keyFor(ctx context.Context) jwt.Keyfunc {
	return func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("no kid")
		}
		t.mu.RLock()
		k, ok := t.public[kid]
		stale := t.now().Sub(t.lastReload) > 10*time.Second
		t.mu.RUnlock()
		if !ok && stale { // a key another server just created
			if err := t.reload(ctx); err != nil {
				return nil, err
			}
			t.mu.RLock()
			k, ok = t.public[kid]
			t.mu.RUnlock()
		}
		if !ok {
			return nil, errUnknownKid
		}
		return k, nil
	}
}

func hashJTI(jti string) []byte {
	h := sha256.Sum256([]byte(jti))
	return h[:]
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
