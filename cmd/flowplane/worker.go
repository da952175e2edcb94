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

	"github.com/spf13/cobra"

	"github.com/flowplane/flowplane/workers"
)

// workerConfig is the `flowplane worker` role's configuration.
type workerConfig struct {
	log        logConfig
	servers    []string
	slots      int
	dataAddr   string
	advertise  string
	joinToken  string
	httpAddr   string
	name       string
	labels     map[string]string
	wait       time.Duration
	shutdownIn time.Duration
	conn       connectorConfig
}

func (c *workerConfig) validate() error {
	if len(c.servers) == 0 {
		return errors.New("--server is required: the URL(s) of the servers' internal listener, comma-separated")
	}
	if c.joinToken == "" {
		return errors.New("--join-token is required (the servers' worker join token)")
	}
	if _, _, err := net.SplitHostPort(c.dataAddr); err != nil {
		return fmt.Errorf("--data-addr %q: want host:port", c.dataAddr)
	}
	if _, _, err := net.SplitHostPort(c.httpAddr); err != nil {
		return fmt.Errorf("--http %q: want host:port", c.httpAddr)
	}
	return c.conn.validate()
}

func newWorkerCommand() *cobra.Command {
	var c workerConfig
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a worker: a TaskManager offering task slots to the scheduler",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			log, err := c.log.logger(os.Stderr)
			if err != nil {
				return err
			}
			agent, err := workers.New(workers.Config{
				Servers: c.servers, Slots: c.slots, DataAddr: c.dataAddr, AdvertiseAddr: c.advertise,
				JoinToken: c.joinToken, Labels: c.labels, Name: c.name, Logger: log, Wait: c.wait,
				Egress: c.conn.egress, FileRoot: c.conn.fileRoot,
			})
			if err != nil {
				return err
			}
			return runWorker(cmd.Context(), c, log, agent)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&c.servers, "server", nil, "URL(s) of the servers' internal listener, comma-separated")
	f.IntVar(&c.slots, "slots", 4, "task slots offered")
	f.StringVar(&c.dataAddr, "data-addr", "127.0.0.1:7100", "listen address of the data exchange (peer TCP)")
	f.StringVar(&c.advertise, "advertise-addr", "", "data address announced to the scheduler and peers (default: the listener's)")
	f.StringVar(&c.joinToken, "join-token", "", "token authenticating the worker's registration")
	f.StringVar(&c.httpAddr, "http", "127.0.0.1:9100", "address serving /metrics and /healthz")
	f.StringVar(&c.name, "name", "", "worker name shown by the scheduler (default: host name)")
	f.StringToStringVar(&c.labels, "labels", nil, "labels, e.g. zone=a,disk=ssd")
	f.DurationVar(&c.wait, "poll-wait", workers.DefaultWait, "long-poll wait of assignment queries")
	f.DurationVar(&c.shutdownIn, "shutdown-timeout", 15*time.Second, "how long stopping the tasks may take at shutdown")
	addConnectorFlags(f, &c.conn)
	addLogFlags(f, &c.log, "json")
	withEnvHelp(f)
	return cmd
}

// runWorker serves /metrics and /healthz and runs the agent until ctx ends.
func runWorker(ctx context.Context, c workerConfig, log *slog.Logger, agent *workers.Agent) error {
	ln, err := net.Listen("tcp", c.httpAddr)
	if err != nil {
		_ = agent.Close()
		return fmt.Errorf("listen on %s: %w", c.httpAddr, err)
	}
	srv := &http.Server{Handler: agent.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }()
	log.Info("worker listening", "url", "http://"+ln.Addr().String(), "data_addr", agent.DataAddr(),
		"egress_allow", c.conn.egress.String(), "file_root", c.conn.fileRoot)
	err = agent.Run(ctx)
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownIn)
	defer cancel()
	return errors.Join(err, srv.Shutdown(sctx))
}
