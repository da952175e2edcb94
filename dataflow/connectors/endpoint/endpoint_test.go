package endpoint

import (
	"errors"
	"testing"

	"github.com/flowplane/flowplane/dataflow/connectors/egress"
)

func TestParseEndpoints(t *testing.T) {
	t.Parallel()
	p, err := ParsePostgresURL("jdbc:postgresql://db.example:6543/shop?sslmode=disable", "app")
	if err != nil || p.Host != "db.example" || p.Port != 6543 || p.Database != "shop" || p.SSLMode != "disable" || p.User != "app" {
		t.Fatalf("ParsePostgresURL = %+v, %v", p, err)
	}
	for _, bad := range []string{"mysql://h/db", "postgres://u:pw@h/db", "postgres://h/", "postgres://h/db?host=/tmp"} {
		if _, err := ParsePostgresURL(bad, ""); !errors.Is(err, ErrEndpoint) {
			t.Errorf("ParsePostgresURL(%q) = %v, want ErrEndpoint", bad, err)
		}
	}
	if b, err := ParseBrokers("k1:9092, k2:9093"); err != nil || len(b) != 2 || b[1] != "k2:9093" {
		t.Fatalf("ParseBrokers = %v, %v", b, err)
	}
	if _, err := ParseBrokers("k1"); !errors.Is(err, ErrEndpoint) {
		t.Fatalf("ParseBrokers(k1) = %v", err)
	}
	for _, bad := range []string{"169.254.169.254:9092", "[fe80::1]:9092", "metadata.google.internal:80"} {
		if _, err := ParseBrokers(bad); !errors.Is(err, egress.ErrForbidden) {
			t.Errorf("ParseBrokers(%s) = %v, want egress.ErrForbidden", bad, err)
		}
	}
	if _, err := ParsePostgresURL("postgres://169.254.169.254/db", ""); !errors.Is(err, egress.ErrForbidden) {
		t.Errorf("metadata url: %v", err)
	}
	if _, err := ParsePostgresURL("postgres://127.0.0.1/db", ""); err != nil {
		t.Errorf("loopback literal is judged when connecting: %v", err)
	}
}

func TestFromSettings(t *testing.T) {
	t.Parallel()
	p, err := PostgresFromSettings(map[string]any{"host": "db", "port": float64(6432), "database": "app", "user": "u", "sslmode": "require"},
		map[string]string{"password": "pw"})
	if err != nil || p != (Postgres{Host: "db", Port: 6432, Database: "app", User: "u", Password: "pw", SSLMode: "require"}) {
		t.Fatalf("PostgresFromSettings = %+v, %v", p, err)
	}
	if got := p.ConnString(); got != "postgres://u:pw@db:6432/app?sslmode=require" {
		t.Fatalf("ConnString = %s", got)
	}
	if _, err := PostgresFromSettings(map[string]any{"host": "db"}, nil); !errors.Is(err, ErrEndpoint) {
		t.Fatalf("incomplete postgres settings: %v", err)
	}
	k, err := KafkaFromSettings(map[string]any{"bootstrap_servers": []any{"k1:9092", "k2:9092"}, "security_protocol": "SASL_SSL",
		"sasl_mechanism": "PLAIN", "sasl_username": "app"}, map[string]string{"sasl_password": "pw"})
	if err != nil || len(k.Brokers) != 2 || k.SASLPassword != "pw" || k.SecurityProtocol != "SASL_SSL" {
		t.Fatalf("KafkaFromSettings = %+v, %v", k, err)
	}
	if _, err := KafkaFromSettings(map[string]any{}, nil); !errors.Is(err, ErrEndpoint) {
		t.Fatalf("no brokers: %v", err)
	}
}
