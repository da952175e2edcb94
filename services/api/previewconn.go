package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/flowplane/flowplane/dataflow/connectors/endpoint"
	"github.com/flowplane/flowplane/dataflow/sql/preview"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

// previewDialTimeout bounds connecting to a preview's database or cluster.
const previewDialTimeout = 10 * time.Second

// previewConnect is how a preview of svc reaches its postgres and kafka sources: integrations of
// the service only, dialled through the server's egress policy.
func (s *server) previewConnect(svc store.Service) preview.Connect {
	return preview.Connect{
		Endpoints: serviceIntegrations{st: s.cfg.Store, projectID: svc.ProjectID, serviceID: svc.ID},
		Dial:      s.cfg.Egress.Dialer(&net.Dialer{Timeout: previewDialTimeout}).DialContext,
	}
}

// serviceIntegrations resolves the integrations of one service of one project (secrets
// included, for the connectors only): any other id, or one of another type, is not found.
type serviceIntegrations struct {
	st                   *store.Store
	projectID, serviceID string
}

func (r serviceIntegrations) open(ctx context.Context, typ, id string) (store.Connection, error) {
	c, err := r.st.ResolveIntegration(ctx, r.projectID, id)
	if errors.Is(err, problem.ErrNotFound) || (err == nil && (c.ServiceID != r.serviceID || c.Type != typ)) {
		return store.Connection{}, fmt.Errorf("%w: %s integration %q", endpoint.ErrNoIntegration, typ, id)
	}
	return c, err
}

// Postgres returns the service's postgres integration id.
func (r serviceIntegrations) Postgres(ctx context.Context, id string) (endpoint.Postgres, error) {
	c, err := r.open(ctx, "postgres", id)
	if err != nil {
		return endpoint.Postgres{}, err
	}
	return endpoint.PostgresFromSettings(c.Config, c.Secret)
}

// Kafka returns the service's kafka integration id.
func (r serviceIntegrations) Kafka(ctx context.Context, id string) (endpoint.Kafka, error) {
	c, err := r.open(ctx, "kafka", id)
	if err != nil {
		return endpoint.Kafka{}, err
	}
	return endpoint.KafkaFromSettings(c.Config, c.Secret)
}
