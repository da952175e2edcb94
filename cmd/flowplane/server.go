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

	"github.com/flowplane/flowplane/services/api"
	"github.com/flowplane/flowplane/services/database"
)

// serverConfig is the `flowplane server` role's configuration.
type serverConfig struct {
	log             logConfig
	httpAddr        string
	databaseURL     string
	shutdownTimeout time.Duration
}

func (c *serverConfig) validate() error {
	if c.databaseURL == "" {
		c.databaseURL = os.Getenv("DATABASE_URL")
	}
	if c.databaseURL == "" {
		return errors.New("--database-url (or DATABASE_URL) is required for `flowplane server`; `flowplane dev` starts a throwaway database instead")
	}
	if _, _, err := net.SplitHostPort(c.httpAddr); err != nil {
		return fmt.Errorf("--http %q: want host:port", c.httpAddr)
	}
	if c.shutdownTimeout <= 0 {
		return errors.New("--shutdown-timeout must be positive")
	}
	return nil
}

func addServerFlags(cmd *cobra.Command, c *serverConfig, defaultLogFormat string) {
	f := cmd.Flags()
	f.StringVar(&c.httpAddr, "http", "127.0.0.1:8080", "address of the public API and console")
	f.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL connection string (also read from DATABASE_URL)")
	f.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 15*time.Second, "how long in-flight requests may take to finish at shutdown")
	addLogFlags(f, &c.log, defaultLogFormat)
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
			pool, err := database.Open(cmd.Context(), c.databaseURL, database.Options{Migrate: true})
			if err != nil {
				return err
			}
			defer pool.Close()
			return runAPI(cmd.Context(), c, log, pool, nil)
		},
	}
	addServerFlags(cmd, &c, "json")
	withEnvHelp(cmd.Flags())
	return cmd
}

// runAPI serves the public HTTP API until ctx ends, then drains in-flight requests. ready, when
// non-nil, is called once the listener is bound.
func runAPI(ctx context.Context, c serverConfig, log *slog.Logger, pool *pgxpool.Pool, ready func(url string)) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	handler := api.NewHandler(api.Config{
		Logger: log, Pool: pool, Registry: reg, Build: api.ReadBuildInfo(version),
	})
	ln, err := net.Listen("tcp", c.httpAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.httpAddr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	log.Info("API listening", "url", url)
	if ready != nil {
		ready(url)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", c.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
