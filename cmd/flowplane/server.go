package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/flowplane/flowplane/dataflow/connectors/egress"
	"github.com/flowplane/flowplane/services/api"
	"github.com/flowplane/flowplane/services/database"
)

// serverConfig is the `flowplane server` role's configuration.
type serverConfig struct {
	log             logConfig
	httpAddr        string
	databaseURL     string
	shutdownTimeout time.Duration
	masterKey       string
	rateLimit       float64
	egressAllow     string
	egress          egress.Policy // parsed from egressAllow by validate
	previewTimeout  time.Duration
	sched           schedulerConfig
}

func (c *serverConfig) validate() error {
	if c.databaseURL == "" {
		return errors.New("--database-url (or DATABASE_URL) is required for `flowplane server`; `flowplane dev` starts a throwaway database instead")
	}
	if _, _, err := net.SplitHostPort(c.httpAddr); err != nil {
		return fmt.Errorf("--http %q: want host:port", c.httpAddr)
	}
	if c.shutdownTimeout <= 0 {
		return errors.New("--shutdown-timeout must be positive")
	}
	if c.rateLimit < 0 {
		return errors.New("--rate-limit must be 0 (off) or positive")
	}
	p, err := egress.ParseAllow(c.egressAllow)
	if err != nil {
		return fmt.Errorf("--egress-allow: %w", err)
	}
	c.egress = p
	if c.previewTimeout <= 0 || c.previewTimeout > 5*time.Minute {
		return errors.New("--preview-timeout must be positive and at most 5m")
	}
	return c.sched.validate()
}

func addServerFlags(cmd *cobra.Command, c *serverConfig, defaultLogFormat string) {
	f := cmd.Flags()
	f.StringVar(&c.httpAddr, "http", "127.0.0.1:8080", "address of the public API and console")
	f.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL connection string (also read from DATABASE_URL)")
	f.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 15*time.Second, "how long in-flight requests may take to finish at shutdown")
	f.StringVar(&c.masterKey, "master-key", "", "base64 of 32 random bytes sealing secrets at rest (required for server; dev keeps its own)")
	f.Float64Var(&c.rateLimit, "rate-limit", 50, "requests per second allowed per API token, bursts of twice that (0 = off)")
	addSchedulerFlags(f, &c.sched)
	addLogFlags(f, &c.log, defaultLogFormat)
}

// addSQLFlags adds the flags of SQL compilation and previews; defaultEgress is the connector
// address classes allowed besides public ones (dev allows loopback).
func addSQLFlags(cmd *cobra.Command, c *serverConfig, defaultEgress string) {
	f := cmd.Flags()
	f.StringVar(&c.egressAllow, "egress-allow", defaultEgress,
		"connector endpoints allowed besides public addresses: '', 'loopback', 'private' or 'loopback,private' (link-local and metadata addresses are always refused)")
	f.DurationVar(&c.previewTimeout, "preview-timeout", 10*time.Second, "longest run of an interactive SQL preview on this server")
}

func newServerCommand() *cobra.Command {
	var c serverConfig
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run a server: public REST API, console and one scheduler node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			log, err := c.log.logger(os.Stderr)
			if err != nil {
				return err
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
			if err := printBootstrap(cmd.Context(), cp, os.Stdout); err != nil {
				return err
			}
			return runAPI(cmd.Context(), c, log, pool, cp, nil)
		},
	}
	addServerFlags(cmd, &c, "json")
	addSQLFlags(cmd, &c, "")
	withEnvHelp(cmd.Flags())
	return cmd
}

// runAPI serves the public HTTP API (and, when configured, the scheduler node with its internal
// worker API under /internal/) until ctx ends, then drains in-flight requests. ready, when
// non-nil, is called once the listener is bound and the scheduler knows its leader.
func runAPI(ctx context.Context, c serverConfig, log *slog.Logger, pool *pgxpool.Pool, cp controlPlane, ready func(url string)) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ln, err := net.Listen("tcp", c.httpAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.httpAddr, err)
	}
	url := "http://" + ln.Addr().String()
	cfg := api.Config{
		Logger: log, Pool: pool, Registry: reg, Build: api.ReadBuildInfo(version),
		Store: cp.store, Tokens: cp.tokens, Limiter: cp.limiter,
		Egress: c.egress, Preview: api.PreviewLimits{Timeout: c.previewTimeout},
	}
	stopScheduler := func() {}
	if c.sched.enabled() {
		store, err := openCheckpointStorage(ctx, c.sched, pool)
		if err != nil {
			_ = ln.Close()
			return err
		}
		sched, err := startScheduler(c.sched, log, pool, store, url)
		if err != nil {
			_ = ln.Close()
			return err
		}
		cfg.Checkpoints = store
		stopScheduler = func() {
			if err := sched.Close(); err != nil { // idempotent
				log.Error("stop scheduler", "err", err)
			}
		}
		defer stopScheduler()
		sched.SetIntegrationResolver(storeIntegrations(cp.store))
		cfg.Scheduler, cfg.Internal = schedulerView{sched}, sched.Handler()
		reg.MustRegister(sched.Collector())
		if ready != nil {
			inner := ready
			ready = func(url string) {
				wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				if err := sched.WaitLeader(wctx); err != nil {
					log.Warn("no scheduler leader yet", "err", err)
				}
				inner(url)
			}
		}
	} else {
		log.Warn("no scheduler node: start with --bootstrap-expect or --join to run one")
	}
	srv := &http.Server{Handler: api.NewHandler(cfg), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("API listening", "url", url)
	if ready != nil {
		ready(url)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stopScheduler() // ends the workers' long polls, so draining does not wait for them
	log.Info("shutting down: draining in-flight requests", "timeout", c.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
