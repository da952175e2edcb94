package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/database"
)

// newBootstrapCommand issues a platform-admin token straight from the database, for operators who
// lost the one printed at first start (it creates the admin on a fresh database).
func newBootstrapCommand() *cobra.Command {
	var c serverConfig
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "bootstrap",
		Short: "Print a new platform-admin token (needs the database and the master key)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if c.databaseURL == "" {
				return errors.New("--database-url (or DATABASE_URL) is required")
			}
			if ttl <= 0 {
				return errors.New("--ttl must be positive")
			}
			sealer, err := serverSealer(c)
			if err != nil {
				return err
			}
			pool, err := database.Open(cmd.Context(), c.databaseURL, database.Options{Migrate: true})
			if err != nil {
				return err
			}
			defer pool.Close()
			cp, err := openControlPlane(cmd.Context(), c, pool, sealer)
			if err != nil {
				return err
			}
			token, admin, err := auth.Bootstrap(cmd.Context(), cp.store, cp.tokens, true, ttl)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Admin token for %s (valid %s): %s\n", admin.Email, ttl, token)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL connection string (also read from DATABASE_URL)")
	f.StringVar(&c.masterKey, "master-key", "", "the servers' master key")
	f.DurationVar(&ttl, "ttl", 24*time.Hour, "lifetime of the token")
	withEnvHelp(f)
	return cmd
}
