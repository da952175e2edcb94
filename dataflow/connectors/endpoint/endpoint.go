package endpoint

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/flowplane/flowplane/dataflow/connectors/egress"
)

// Errors of the package; match with errors.Is.
var (
	// ErrNoIntegration: the integration is unknown or of another type.
	ErrNoIntegration = errors.New("no such integration")
	// ErrEndpoint: a malformed inline endpoint option.
	ErrEndpoint = errors.New("invalid connector endpoint")
)

// Postgres is a PostgreSQL integration's connection settings.
type Postgres struct {
	Host     string
	Port     int
	Database string
	User     string
	Password string
	// SSLMode is disable, require, verify-ca or verify-full (default require).
	SSLMode string
}

// ConnString returns the libpq URL of p.
func (p Postgres) ConnString() string {
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(p.Host, strconv.Itoa(max(p.Port, 0))), Path: "/" + p.Database}
	if p.Port == 0 {
		u.Host = net.JoinHostPort(p.Host, "5432")
	}
	if p.Password != "" {
		u.User = url.UserPassword(p.User, p.Password)
	} else if p.User != "" {
		u.User = url.User(p.User)
	}
	mode := p.SSLMode
	if mode == "" {
		mode = "require"
	}
	u.RawQuery = "sslmode=" + url.QueryEscape(mode)
	return u.String()
}

// ParsePostgresURL reads an inline 'url' option: postgres://host[:port]/db or Flink's
// jdbc:postgresql://host[:port]/db, without credentials (they belong in an integration).
// Query parameters other than sslmode are refused.
func ParsePostgresURL(raw, user string) (Postgres, error) {
	s := strings.TrimPrefix(raw, "jdbc:")
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Hostname() == "" {
		return Postgres{}, fmt.Errorf("%w: url: want postgres://host[:port]/database", ErrEndpoint)
	}
	if u.User != nil {
		return Postgres{}, fmt.Errorf("%w: url carries credentials; use an integration", ErrEndpoint)
	}
	p := Postgres{Host: u.Hostname(), Port: 5432, Database: strings.TrimPrefix(u.Path, "/"), User: user, SSLMode: "prefer"}
	if ps := u.Port(); ps != "" {
		if p.Port, err = strconv.Atoi(ps); err != nil || p.Port < 1 || p.Port > 65535 {
			return Postgres{}, fmt.Errorf("%w: url: bad port %q", ErrEndpoint, u.Port())
		}
	}
	for k, v := range u.Query() {
		if k != "sslmode" {
			return Postgres{}, fmt.Errorf("%w: url: parameter %q is not allowed (only sslmode)", ErrEndpoint, k)
		}
		p.SSLMode = v[0]
	}
	if p.Database == "" {
		return Postgres{}, fmt.Errorf("%w: url names no database", ErrEndpoint)
	}
	return p, egress.CheckReservedHost(p.Host)
}

// Kafka is a Kafka integration's connection settings.
type Kafka struct {
	Brokers []string
	// SecurityProtocol is PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL.
	SecurityProtocol string
	// SASLMechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	SASLMechanism, SASLUser, SASLPassword string
	// CACert is the PEM of the CA to trust for SSL (empty: the system roots).
	CACert string
}

// ParseBrokers reads an inline 'properties.bootstrap.servers' option: host:port[,host:port].
func ParseBrokers(raw string) ([]string, error) {
	var out []string
	for _, b := range strings.Split(raw, ",") {
		b = strings.TrimSpace(b)
		host, port, err := net.SplitHostPort(b)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: bootstrap server %q: want host:port", ErrEndpoint, b)
		}
		if err := egress.CheckReservedHost(host); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// Resolver looks up a service integration's connection settings, secrets included; workers
// implement it with the control plane's sealed integrations.
type Resolver interface {
	Postgres(ctx context.Context, integration string) (Postgres, error)
	Kafka(ctx context.Context, integration string) (Kafka, error)
}

// Static is a Resolver over fixed maps (tests, `flowplane dev`).
type Static struct {
	PostgresByID map[string]Postgres
	KafkaByID    map[string]Kafka
}

// Postgres returns the integration id, or ErrNoIntegration.
func (s Static) Postgres(_ context.Context, id string) (Postgres, error) {
	p, ok := s.PostgresByID[id]
	if !ok {
		return Postgres{}, fmt.Errorf("%w: postgres integration %q", ErrNoIntegration, id)
	}
	return p, nil
}

// Kafka returns the integration id, or ErrNoIntegration.
func (s Static) Kafka(_ context.Context, id string) (Kafka, error) {
	k, ok := s.KafkaByID[id]
	if !ok {
		return Kafka{}, fmt.Errorf("%w: kafka integration %q", ErrNoIntegration, id)
	}
	return k, nil
}
