package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/flowplane/flowplane/services/database"
	"github.com/flowplane/flowplane/services/pgcluster"
	"github.com/flowplane/flowplane/services/seal"
	"github.com/flowplane/flowplane/workers"
)

func newDevCommand() *cobra.Command {
	var c serverConfig
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything in one process for local development",
		Long: `Run Flowplane on one machine: when DATABASE_URL is unset, a throwaway PostgreSQL started from the
local binaries (removed again on exit), migrations, the API and console, and prints the console URL.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := c.log.logger(os.Stderr)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			throwaway := c.databaseURL == ""
			if c.databaseURL == "" {
				log.Info("DATABASE_URL unset: starting a throwaway PostgreSQL")
				cluster, err := pgcluster.Start(ctx, pgcluster.Options{})
				if err != nil {
					return err
				}
				defer func() {
					if err := cluster.Stop(); err != nil {
						log.Error("stop throwaway PostgreSQL", "err", err)
					}
					log.Info("throwaway PostgreSQL stopped and removed", "dir", cluster.Dir())
				}()
				c.databaseURL = cluster.DSN("postgres")
			}
			if err := c.validate(); err != nil {
				return err
			}
			pool, err := database.Open(ctx, c.databaseURL, database.Options{Migrate: true})
			if err != nil {
				return err
			}
			defer pool.Close()
			sealer, keySource, err := devSealer(c, throwaway)
			if err != nil {
				return err
			}
			log.Info("master key", "source", keySource)
			cp, err := openControlPlane(ctx, c, pool, sealer)
			if err != nil {
				return err
			}
			admin, err := devAdmin(ctx, cp)
			if err != nil {
				return err
			}
			cleanup, err := devScheduler(&c.sched)
			if err != nil {
				return err
			}
			defer cleanup()
			files, cleanFiles, err := devFiles()
			if err != nil {
				return err
			}
			defer cleanFiles()
			stopWorkers := func() {}
			defer func() { stopWorkers() }()
			return runAPI(ctx, c, log, pool, cp, func(url string) {
				base := workers.Config{Egress: c.egress, FileRoot: files}
				if stop, err := startDevWorkers(ctx, url, c.sched.joinToken, devWorkers, base, log); err != nil {
					log.Error("start dev workers", "err", err)
				} else {
					stopWorkers = stop
				}
				fmt.Fprintf(cmd.OutOrStdout(), "\nFlowplane is running.\n  Console:       %s/\n  API reference: %s/docs\n"+
					"  Admin token:   %s\n  Admin login:   %s / %s\n  Workers:       %d in process (join token %s)\n  Files:         %s (filesystem tables; egress allows %q)\n  Press Ctrl-C to stop.\n\n",
					url, url, admin.token, admin.email, admin.password, devWorkers, c.sched.joinToken, files, c.egress.String())
			})
		},
	}
	addServerFlags(cmd, &c, "text")
	addSQLFlags(cmd, &c, "loopback")
	withEnvHelp(cmd.Flags())
	return cmd
}

// devScheduler configures dev's one-node scheduler: it bootstraps alone, keeps its Raft data in a
// temporary directory (removed by cleanup) and generates a worker join token unless one is given.
func devScheduler(c *schedulerConfig) (cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "flowplane-sched-")
	if err != nil {
		return nil, err
	}
	c.bootstrapExpect, c.join, c.dataDir, c.raftAddr = 1, nil, dir, "127.0.0.1:0"
	if c.joinToken == "" {
		c.joinToken = seal.GenerateKey()
	}
	return func() { _ = os.RemoveAll(dir) }, nil
}
