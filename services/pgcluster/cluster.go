package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options tune a throwaway cluster. The zero value is usable.
type Options struct {
	// StartTimeout bounds initdb plus server start-up. Default 60s.
	StartTimeout time.Duration
	// MaxConnections for the server. Default 200.
	MaxConnections int
	// CrashSafe keeps synchronous_commit on, so a commit survives Crash (a process crash: fsync
	// stays off, the operating system keeps what was written). Off by default: a commit may
	// be lost when the server crashes.
	CrashSafe bool
}

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	dir      string
	port     int
	bin      string
	cred     *syscall.Credential
	maxConns int
	syncMode string // synchronous_commit
	timeout  time.Duration
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
}

// port is only a name for the socket file (.s.PGSQL.<port>); nothing listens on TCP.
const socketPort = 5432

// Start runs initdb in a new temporary directory and starts postgres on a unix socket inside it.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if opts.MaxConnections == 0 {
		opts.MaxConnections = 200
	}
	bin, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "flowplane-pg-")
	if err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	c := &Cluster{dir: dir, port: socketPort, bin: bin, maxConns: opts.MaxConnections, timeout: opts.StartTimeout, syncMode: "off"}
	if opts.CrashSafe {
		c.syncMode = "on"
	}
	cred, err := clusterOwner(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.cred = cred
	if err := c.initdb(ctx, bin, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.startServer(bin, cred, opts.MaxConnections); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// clusterOwner returns the credential to run PostgreSQL under: the postgres user when we are root
// (initdb refuses root), nil otherwise. It hands the directory to that user.
func clusterOwner(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a 'postgres' user to own the throwaway cluster (initdb refuses root): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, fmt.Errorf("hand the cluster directory to postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (c *Cluster) dataDir() string { return filepath.Join(c.dir, "data") }
func (c *Cluster) logPath() string { return filepath.Join(c.dir, "postgres.log") }

func (c *Cluster) initdb(ctx context.Context, bin string, cred *syscall.Credential) error {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", c.dataDir(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	cmd.Dir = c.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb failed: %w: %s", err, lastLines(string(out), 5))
	}
	return nil
}

func (c *Cluster) startServer(bin string, cred *syscall.Credential, maxConns int) error {
	logf, err := os.OpenFile(c.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open postgres log: %w", err)
	}
	defer logf.Close()
	if cred != nil {
		_ = os.Chown(c.logPath(), int(cred.Uid), int(cred.Gid))
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"),
		"-D", c.dataDir(),
		"-k", c.dir,
		"-p", strconv.Itoa(c.port),
		"-c", "listen_addresses=",
		"-c", "max_connections="+strconv.Itoa(maxConns),
		"-c", "fsync=off",
		"-c", "synchronous_commit="+c.syncMode,
		"-c", "full_page_writes=off",
		"-c", "shared_buffers=64MB",
	)
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group keeps a terminal's Ctrl-C away from it, so shutdown runs in order
	// (API first, database last); Pdeathsig takes it down if we die without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.cmd = cmd
	exited := make(chan struct{})
	c.exited = exited
	go func() {
		c.waitErr = cmd.Wait()
		close(exited)
	}()
	return nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := pgx.Connect(ctx, c.DSN("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case <-c.exited:
			return describeExit(fmt.Errorf("postgres exited during start-up: %v", c.waitErr), c.logPath())
		case <-ctx.Done():
			return describeExit(fmt.Errorf("postgres did not accept connections in time: %w", err), c.logPath())
		case <-tick.C:
		}
	}
}

// Crash ends the server as a crash would (immediate shutdown: no checkpoint, every client
// connection breaks; the next start runs crash recovery) and keeps its data. For tests of
// clients surviving a PostgreSQL restart; Recover starts it again.
func (c *Cluster) Crash() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.exited
	}
}

// Recover starts the server again on its data directory and socket after Crash, and waits
// until it accepts connections.
func (c *Cluster) Recover(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := c.startServer(c.bin, c.cred, c.maxConns); err != nil {
		return err
	}
	return c.waitReady(ctx)
}

// DSN is a connection string for database name on this cluster.
func (c *Cluster) DSN(database string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + database}
	q := url.Values{"host": {c.dir}, "port": {strconv.Itoa(c.port)}, "sslmode": {"disable"}}
	u.RawQuery = q.Encode()
	return u.String()
}

// Dir is the cluster's temporary directory (data, socket and log).
func (c *Cluster) Dir() string { return c.dir }

// Stop shuts the server down (fast shutdown, then kill after 10 s) and removes its directory.
// It is safe to call more than once.
func (c *Cluster) Stop() error {
	var err error
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.exited
			err = errors.New("postgres did not stop within 10s and was killed")
		}
	}
	if rmErr := os.RemoveAll(c.dir); rmErr != nil && err == nil {
		err = fmt.Errorf("remove cluster directory: %w", rmErr)
	}
	return err
}
