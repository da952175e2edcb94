package exec

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/connectors/endpoint"
	"github.com/flowplane/flowplane/dataflow/sql"
)

// kafkaEndpoint resolves a kafka table's cluster: its integration or its inline
// 'properties.bootstrap.servers'.
func kafkaEndpoint(ctx context.Context, options map[string]string, opts Options) (endpoint.Kafka, error) {
	if id := options["integration"]; id != "" {
		if opts.Endpoints == nil {
			return endpoint.Kafka{}, fmt.Errorf("%w: kafka integration %q: this worker resolves no integrations", endpoint.ErrNoIntegration, id)
		}
		return opts.Endpoints.Kafka(ctx, id)
	}
	brokers, err := endpoint.ParseBrokers(options["properties.bootstrap.servers"])
	return endpoint.Kafka{Brokers: brokers}, err
}

// kafkaClientOpts are the franz-go options reaching k through the SSRF-guarded dialer, with
// TLS and SASL as the integration says.
func kafkaClientOpts(k endpoint.Kafka, opts Options) ([]kgo.Opt, error) {
	dial := opts.dial()
	proto := strings.ToUpper(k.SecurityProtocol)
	if proto == "" {
		proto = "PLAINTEXT"
	}
	var tlsCfg *tls.Config
	if proto == "SSL" || proto == "SASL_SSL" {
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
		if k.CACert != "" {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM([]byte(k.CACert)) {
				return nil, fmt.Errorf("%w: kafka CA certificate is not PEM", endpoint.ErrEndpoint)
			}
			tlsCfg.RootCAs = pool
		}
	}
	o := []kgo.Opt{kgo.SeedBrokers(k.Brokers...), kgo.Dialer(func(ctx context.Context, network, host string) (net.Conn, error) {
		c, err := dial(ctx, network, host)
		if err != nil || tlsCfg == nil {
			return c, err
		}
		cfg := tlsCfg.Clone()
		cfg.ServerName, _, _ = net.SplitHostPort(host)
		return tls.Client(c, cfg), nil
	})}
	switch proto {
	case "PLAINTEXT", "SSL":
	case "SASL_PLAINTEXT", "SASL_SSL":
		switch strings.ToUpper(k.SASLMechanism) {
		case "PLAIN":
			o = append(o, kgo.SASL(plain.Auth{User: k.SASLUser, Pass: k.SASLPassword}.AsMechanism()))
		case "SCRAM-SHA-256":
			o = append(o, kgo.SASL(scram.Auth{User: k.SASLUser, Pass: k.SASLPassword}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			o = append(o, kgo.SASL(scram.Auth{User: k.SASLUser, Pass: k.SASLPassword}.AsSha512Mechanism()))
		default:
			return nil, fmt.Errorf("%w: kafka SASL mechanism %q", endpoint.ErrEndpoint, k.SASLMechanism)
		}
	default:
		return nil, fmt.Errorf("%w: kafka security protocol %q", endpoint.ErrEndpoint, k.SecurityProtocol)
	}
	return o, nil
}

// columnTypes parses the types of cols.
func columnTypes(cols []sql.ColumnSpec) ([]string, []dataflow.LogicalType, error) {
	names := make([]string, len(cols))
	types := make([]dataflow.LogicalType, len(cols))
	for i, c := range cols {
		t, err := dataflow.ParseLogicalType(c.Type)
		if err != nil {
			return nil, nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		names[i], types[i] = c.Name, t
	}
	return names, types, nil
}

// parseSpecificOffsets reads 'partition:0,offset:42;partition:1,offset:300'.
func parseSpecificOffsets(s string) (map[int32]int64, error) {
	out := map[int32]int64{}
	for _, part := range strings.Split(s, ";") {
		var p, o string
		for _, kv := range strings.Split(strings.TrimSpace(part), ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), ":")
			switch k {
			case "partition":
				p = v
			case "offset":
				o = v
			}
		}
		pn, err1 := strconv.ParseInt(p, 10, 32)
		on, err2 := strconv.ParseInt(o, 10, 64)
		if err1 != nil || err2 != nil || pn < 0 || on < 0 {
			return nil, fmt.Errorf("scan.startup.specific-offsets: %q is not partition:<n>,offset:<n>", part)
		}
		out[int32(pn)] = on
	}
	return out, nil
}
