package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/seal"
	"github.com/flowplane/flowplane/services/store"
)

// controlPlane is what the API needs besides the pool.
type controlPlane struct {
	store   *store.Store
	tokens  *auth.Tokens
	limiter *auth.Limiter
}

func openControlPlane(ctx context.Context, c serverConfig, pool *pgxpool.Pool, sealer *seal.Sealer) (controlPlane, error) {
	st := store.New(pool, sealer)
	tokens, err := auth.NewTokens(ctx, st, sealer)
	if err != nil {
		return controlPlane{}, err
	}
	return controlPlane{store: st, tokens: tokens, limiter: auth.NewLimiter(c.rateLimit, 2*c.rateLimit)}, nil
}

// serverSealer reads FLOWPLANE_MASTER_KEY, which a server requires.
func serverSealer(c serverConfig) (*seal.Sealer, error) {
	if c.masterKey == "" {
		return nil, errors.New("--master-key (FLOWPLANE_MASTER_KEY) is required for `flowplane server`: 32 random bytes, base64 (e.g. `openssl rand -base64 32`)")
	}
	s, err := seal.Parse(c.masterKey)
	if err != nil {
		return nil, fmt.Errorf("--master-key: %w", err)
	}
	return s, nil
}

// devSealer picks dev's master key: FLOWPLANE_MASTER_KEY when set; a fresh one for a throwaway
// database (it dies with the process); else the key kept in the user's config directory
// (flowplane/dev-master.key, created on first use), so secrets in a kept dev database stay readable.
func devSealer(c serverConfig, throwaway bool) (*seal.Sealer, string, error) {
	if c.masterKey != "" {
		s, err := seal.Parse(c.masterKey)
		return s, "FLOWPLANE_MASTER_KEY", err
	}
	if throwaway {
		s, err := seal.Parse(seal.GenerateKey())
		return s, "generated for this run", err
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return nil, "", fmt.Errorf("no FLOWPLANE_MASTER_KEY and no user config directory for the dev key file: %w", err)
	}
	path := filepath.Join(dir, "flowplane", "dev-master.key")
	s, err := seal.LoadOrCreateKeyFile(path)
	return s, path, err
}

// printBootstrap prints the one-time admin token of a fresh database (servers).
func printBootstrap(ctx context.Context, cp controlPlane, out *os.File) error {
	token, _, err := auth.Bootstrap(ctx, cp.store, cp.tokens, false, 90*24*time.Hour)
	if err != nil || token == "" {
		return err
	}
	fmt.Fprintf(out, "\nFresh installation: created the platform admin %s.\nAdmin token (shown once, valid 90 days): %s\n\n", auth.BootstrapEmail, token)
	return nil
}

// devCredentials are what `flowplane dev` prints on every start.
type devCredentials struct {
	token, email, password string
}

// devAdmin bootstraps (or finds) the platform admin, issues a fresh 24-hour admin token and sets a
// fresh console password, so every dev start prints credentials that work.
func devAdmin(ctx context.Context, cp controlPlane) (devCredentials, error) {
	token, admin, err := auth.Bootstrap(ctx, cp.store, cp.tokens, true, 24*time.Hour)
	if err != nil {
		return devCredentials{}, err
	}
	password := seal.GenerateKey()[:16]
	if err := cp.store.SetPassword(ctx, store.Actor{UserID: admin.ID, RequestID: "dev"}, admin.ID, auth.HashPassword(password)); err != nil {
		return devCredentials{}, err
	}
	return devCredentials{token: token, email: admin.Email, password: password}, nil
}
