package auth

import (
	"context"
	"time"

	"github.com/flowplane/flowplane/services/store"
)

// BootstrapEmail is the first platform admin's email.
const BootstrapEmail = "admin@flowplane.local"

// Bootstrap creates the first platform admin on a fresh database and issues an admin token for it.
// On a database that was bootstrapped before, it issues a token only when always is set (dev does,
// on every start) and returns "" otherwise, so a server prints the one-time token exactly once.
// The admin has no usable password until one is set (dev sets a fresh one on every start).
func Bootstrap(ctx context.Context, st *store.Store, tokens *Tokens, always bool, ttl time.Duration) (token string, admin store.User, err error) {
	admin, created, err := st.BootstrapAdmin(ctx, store.NewUser{Email: BootstrapEmail, Name: "Admin", PasswordHash: unusableHash})
	if err != nil || (!created && !always) {
		return "", admin, err
	}
	desc := "bootstrap admin token"
	if !created {
		desc = "dev admin token"
	}
	token, _, err = tokens.Issue(ctx, store.Actor{UserID: admin.ID, RequestID: "bootstrap"},
		Grant{UserID: admin.ID, Kind: "api", Description: desc, TTL: ttl})
	return token, admin, err
}
