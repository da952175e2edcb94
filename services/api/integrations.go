package api

import (
	"context"
	"fmt"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

// ListIntegrations lists a service's integrations, without secrets.
func (s *server) ListIntegrations(ctx context.Context, req openapi.ListIntegrationsRequestObject) (openapi.ListIntegrationsResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	is, cur, err := s.cfg.Store.ListIntegrations(ctx, svc.ProjectID, svc.ID, page(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListIntegrations200JSONResponse{Items: items(is, toIntegration), NextCursor: next(cur)}, nil
}

// CreateIntegration stores an integration; its secrets are sealed and never returned.
func (s *server) CreateIntegration(ctx context.Context, req openapi.CreateIntegrationRequestObject) (openapi.CreateIntegrationResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	n, err := newIntegration(req.Body)
	if err != nil {
		return nil, err
	}
	if err := s.checkIntegrationEndpoints(req.Body); err != nil {
		return nil, err
	}
	i, err := s.cfg.Store.CreateIntegration(ctx, actor(ctx), svc.ProjectID, svc.ID, n)
	if err != nil {
		return nil, err
	}
	return openapi.CreateIntegration201JSONResponse(toIntegration(i)), nil
}

// checkIntegrationEndpoints refuses hosts the egress policy forbids (link-local, metadata,
// unspecified; loopback and private unless the server allows them).
func (s *server) checkIntegrationEndpoints(b *openapi.IntegrationCreate) error {
	var bad []problem.FieldError
	if b.Postgres != nil {
		if err := s.cfg.Egress.CheckHost(b.Postgres.Host); err != nil {
			bad = append(bad, problem.FieldError{Field: "postgres.host", Message: err.Error()})
		}
	}
	if b.Kafka != nil {
		for i, hp := range b.Kafka.BootstrapServers {
			if err := s.cfg.Egress.CheckHostPort(hp); err != nil {
				bad = append(bad, problem.FieldError{Field: fmt.Sprintf("kafka.bootstrap_servers[%d]", i), Message: err.Error()})
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &problem.Error{Code: problem.CodeForbiddenEndpoint, Detail: bad[0].Field + ": " + bad[0].Message, Fields: bad}
}

func invalidField(field, msg string) error {
	return &problem.Error{Code: problem.CodeInvalidRequest, Detail: field + ": " + msg, Fields: []problem.FieldError{{Field: field, Message: msg}}}
}

// newIntegration splits the request into non-secret config and sealed secrets.
func newIntegration(b *openapi.IntegrationCreate) (store.NewIntegration, error) {
	n := store.NewIntegration{Name: b.Name, Type: string(b.Type), Config: map[string]any{}, Secret: map[string]string{}}
	switch b.Type {
	case openapi.Postgres:
		if b.Postgres == nil || b.Kafka != nil {
			return n, invalidField("postgres", "a postgres integration needs the postgres object and nothing else")
		}
		pg := b.Postgres
		n.Config = map[string]any{"host": pg.Host, "port": deref(pg.Port), "database": pg.Database, "user": pg.User,
			"sslmode": string(deref(pg.Sslmode)), "password_set": deref(pg.Password) != ""}
		if n.Config["port"] == 0 {
			n.Config["port"] = 5432
		}
		if n.Config["sslmode"] == "" {
			n.Config["sslmode"] = "require"
		}
		if pw := deref(pg.Password); pw != "" {
			n.Secret["password"] = pw
		}
	case openapi.Kafka:
		if b.Kafka == nil || b.Postgres != nil {
			return n, invalidField("kafka", "a kafka integration needs the kafka object and nothing else")
		}
		k := b.Kafka
		proto := string(deref(k.SecurityProtocol))
		if proto == "" {
			proto = "PLAINTEXT"
		}
		n.Config = map[string]any{"bootstrap_servers": k.BootstrapServers, "security_protocol": proto,
			"sasl_password_set": deref(k.SaslPassword) != ""}
		if k.SaslMechanism != nil {
			n.Config["sasl_mechanism"] = string(*k.SaslMechanism)
		}
		if k.SaslUsername != nil {
			n.Config["sasl_username"] = *k.SaslUsername
		}
		if k.SslCaCert != nil {
			n.Config["ssl_ca_cert"] = *k.SslCaCert
		}
		if pw := deref(k.SaslPassword); pw != "" {
			n.Secret["sasl_password"] = pw
		}
	}
	return n, nil
}

// GetIntegration returns one integration, without secrets.
func (s *server) GetIntegration(ctx context.Context, req openapi.GetIntegrationRequestObject) (openapi.GetIntegrationResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	i, err := s.cfg.Store.GetIntegration(ctx, svc.ProjectID, svc.ID, req.IntegrationId)
	if err != nil {
		return nil, err
	}
	return openapi.GetIntegration200JSONResponse(toIntegration(i)), nil
}

// DeleteIntegration deletes an integration (admins).
func (s *server) DeleteIntegration(ctx context.Context, req openapi.DeleteIntegrationRequestObject) (openapi.DeleteIntegrationResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.DeleteIntegration(ctx, actor(ctx), svc.ProjectID, svc.ID, req.IntegrationId); err != nil {
		return nil, err
	}
	return openapi.DeleteIntegration204Response{}, nil
}

func str(m map[string]any, k string) string {
	v, _ := m[k].(string)
	return v
}

func toIntegration(i store.Integration) openapi.Integration {
	out := openapi.Integration{Id: i.ID, Name: i.Name, Type: openapi.IntegrationType(i.Type), CreatedAt: i.CreatedAt, CreatedBy: i.CreatedBy, UpdatedAt: i.UpdatedAt}
	c := i.Config
	switch i.Type {
	case "postgres":
		port, _ := c["port"].(float64)
		set, _ := c["password_set"].(bool)
		out.Postgres = &openapi.PostgresSettings{Host: str(c, "host"), Port: int(port), Database: str(c, "database"), User: str(c, "user"),
			Sslmode: str(c, "sslmode"), PasswordSet: set}
	case "kafka":
		set, _ := c["sasl_password_set"].(bool)
		var servers []string
		if list, ok := c["bootstrap_servers"].([]any); ok {
			for _, s := range list {
				v, _ := s.(string)
				servers = append(servers, v)
			}
		}
		out.Kafka = &openapi.KafkaSettings{BootstrapServers: servers, SecurityProtocol: str(c, "security_protocol"),
			SaslMechanism: ptr(str(c, "sasl_mechanism")), SaslUsername: ptr(str(c, "sasl_username")), SslCaCert: ptr(str(c, "ssl_ca_cert")), SaslPasswordSet: set}
	}
	return out
}
