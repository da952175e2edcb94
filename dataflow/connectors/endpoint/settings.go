package endpoint

import (
	"fmt"
)

// PostgresFromSettings reads a postgres integration as the API stores it: config host, port,
// database, user, sslmode and secret password (openapi PostgresConfig).
func PostgresFromSettings(config map[string]any, secret map[string]string) (Postgres, error) {
	p := Postgres{Host: str(config, "host"), Port: 5432, Database: str(config, "database"), User: str(config, "user"),
		Password: secret["password"], SSLMode: str(config, "sslmode")}
	if port, ok := config["port"]; ok {
		n, ok := port.(float64)
		if !ok || n < 1 || n > 65535 || n != float64(int(n)) {
			return Postgres{}, fmt.Errorf("%w: postgres integration port %v", ErrEndpoint, port)
		}
		p.Port = int(n)
	}
	if p.Host == "" || p.Database == "" || p.User == "" {
		return Postgres{}, fmt.Errorf("%w: postgres integration needs host, database and user", ErrEndpoint)
	}
	return p, nil
}

// KafkaFromSettings reads a kafka integration as the API stores it: config bootstrap_servers,
// security_protocol, sasl_mechanism, sasl_username, ssl_ca_cert and secret sasl_password
// (openapi KafkaConfig).
func KafkaFromSettings(config map[string]any, secret map[string]string) (Kafka, error) {
	k := Kafka{SecurityProtocol: str(config, "security_protocol"), SASLMechanism: str(config, "sasl_mechanism"),
		SASLUser: str(config, "sasl_username"), SASLPassword: secret["sasl_password"], CACert: str(config, "ssl_ca_cert")}
	servers, _ := config["bootstrap_servers"].([]any)
	for _, s := range servers {
		b, ok := s.(string)
		if !ok {
			return Kafka{}, fmt.Errorf("%w: kafka integration bootstrap server %v", ErrEndpoint, s)
		}
		k.Brokers = append(k.Brokers, b)
	}
	if len(k.Brokers) == 0 {
		return Kafka{}, fmt.Errorf("%w: kafka integration has no bootstrap servers", ErrEndpoint)
	}
	return k, nil
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}
