package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/flowplane/flowplane/services/problem"
)

// Integration is a connection (postgres, kafka) a service's applications may use. Config holds only
// non-secret settings; secrets are sealed with the master key and never read back by the API.
type Integration struct {
	ID, ServiceID, Name, Type string
	Config                    map[string]any
	Meta
}

// NewIntegration is what CreateIntegration needs.
type NewIntegration struct {
	Name, Type string
	Config     map[string]any
	Secret     map[string]string // sealed before it is stored
}

const integrationCols = `id, service_id, name, type, config, created_at, created_by, updated_at`

func scanIntegration(r pgx.Row) (Integration, error) {
	var i Integration
	err := r.Scan(&i.ID, &i.ServiceID, &i.Name, &i.Type, &i.Config, &i.CreatedAt, &i.CreatedBy, &i.UpdatedAt)
	return i, err
}

// CreateIntegration stores an integration of the service, sealing its secret settings.
func (s *Store) CreateIntegration(ctx context.Context, a Actor, projectID, serviceID string, n NewIntegration) (i Integration, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		var id string
		if err := tx.QueryRow(ctx, `SELECT fp_id('int')`).Scan(&id); err != nil {
			return err
		}
		var sealed []byte
		if len(n.Secret) > 0 {
			plain, err := json.Marshal(n.Secret)
			if err != nil {
				return fmt.Errorf("encode secret: %w", err)
			}
			sealed = s.sealer.Seal(plain, []byte(id))
		}
		i, err = scanIntegration(tx.QueryRow(ctx, `INSERT INTO integrations (id, project_id, service_id, name, type, config, secret_sealed, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+integrationCols, id, projectID, serviceID, n.Name, n.Type, n.Config, sealed, a.UserID))
		if isUnique(err, "") {
			return problem.New(problem.CodeConflict, "an integration named %q exists in this service", n.Name)
		}
		if err != nil {
			return fmt.Errorf("insert integration: %w", err)
		}
		return audit(ctx, tx, a, projectID, "integration.create", "integration", id, map[string]any{"name": n.Name, "type": n.Type})
	})
	return i, err
}

// ListIntegrations pages through a service's integrations.
func (s *Store) ListIntegrations(ctx context.Context, projectID, serviceID string, p Page) ([]Integration, string, error) {
	after, err := p.after()
	if err != nil {
		return nil, "", err
	}
	is, err := collect(ctx, s.pool, func(r pgx.Rows) (Integration, error) { return scanIntegration(r) },
		`SELECT `+integrationCols+` FROM integrations WHERE project_id = $1 AND service_id = $2 AND id > $3 ORDER BY id LIMIT $4`,
		projectID, serviceID, after, p.limit()+1)
	if err != nil {
		return nil, "", fmt.Errorf("list integrations: %w", err)
	}
	is, next := cut(is, p, func(x Integration) string { return x.ID })
	return is, next, nil
}

// GetIntegration loads one integration of the service.
func (s *Store) GetIntegration(ctx context.Context, projectID, serviceID, id string) (Integration, error) {
	i, err := scanIntegration(s.pool.QueryRow(ctx, `SELECT `+integrationCols+` FROM integrations
		WHERE project_id = $1 AND service_id = $2 AND id = $3`, projectID, serviceID, id))
	return i, one(err, "integration", id)
}

// FindIntegration loads an integration of the service by id or by name (SQL may name either; ids
// contain '_', which names cannot).
func (s *Store) FindIntegration(ctx context.Context, projectID, serviceID, idOrName string) (Integration, error) {
	i, err := scanIntegration(s.pool.QueryRow(ctx, `SELECT `+integrationCols+` FROM integrations
		WHERE project_id = $1 AND service_id = $2 AND (id = $3 OR name = $3)`, projectID, serviceID, idOrName))
	return i, one(err, "integration", idOrName)
}

// IntegrationSecret opens an integration's sealed settings, for the runtime that connects with them
// (never for an API response).
func (s *Store) IntegrationSecret(ctx context.Context, projectID, id string) (map[string]string, error) {
	var sealed []byte
	if err := s.pool.QueryRow(ctx, `SELECT secret_sealed FROM integrations WHERE project_id = $1 AND id = $2`, projectID, id).Scan(&sealed); err != nil {
		return nil, one(err, "integration", id)
	}
	return s.openSecret(id, sealed)
}

// openSecret opens the sealed secret settings of integration id (none when sealed is nil).
func (s *Store) openSecret(id string, sealed []byte) (map[string]string, error) {
	out := map[string]string{}
	if sealed == nil {
		return out, nil
	}
	plain, err := s.sealer.Open(sealed, []byte(id))
	if err != nil {
		return nil, fmt.Errorf("open integration %s secret: %w", id, err)
	}
	return out, json.Unmarshal(plain, &out)
}

// Connection is an integration as a connector needs it: its type, non-secret settings (host,
// port, bootstrap_servers, ...) and opened secret settings (password, sasl_password).
type Connection struct {
	ID, ServiceID, Type string
	Config              map[string]any
	Secret              map[string]string
}

// ResolveIntegration opens an integration of the project for the runtime that connects with it.
// Compiled plans name integrations by id (source and sink option 'integration'); the scheduler
// calls this when a worker asks for the connection of a task it runs (never for an API response,
// never into the Raft log), and the worker dials through the egress guard.
func (s *Store) ResolveIntegration(ctx context.Context, projectID, id string) (Connection, error) {
	var c Connection
	var sealed []byte
	err := s.pool.QueryRow(ctx, `SELECT id, service_id, type, config, secret_sealed FROM integrations WHERE project_id = $1 AND id = $2`,
		projectID, id).Scan(&c.ID, &c.ServiceID, &c.Type, &c.Config, &sealed)
	if err := one(err, "integration", id); err != nil {
		return Connection{}, err
	}
	if c.Secret, err = s.openSecret(c.ID, sealed); err != nil {
		return Connection{}, err
	}
	return c, nil
}

// DeleteIntegration deletes one integration of the service.
func (s *Store) DeleteIntegration(ctx context.Context, a Actor, projectID, serviceID, id string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM integrations WHERE project_id = $1 AND service_id = $2 AND id = $3`, projectID, serviceID, id)
		if err != nil {
			return fmt.Errorf("delete integration: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return notFound("integration", id)
		}
		return audit(ctx, tx, a, projectID, "integration.delete", "integration", id, nil)
	})
}
