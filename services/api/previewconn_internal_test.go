package api

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/flowplane/flowplane/dataflow/connectors/endpoint"
	"github.com/flowplane/flowplane/services/pgtest"
	"github.com/flowplane/flowplane/services/plans"
	"github.com/flowplane/flowplane/services/seal"
	"github.com/flowplane/flowplane/services/store"
)

// TestServiceIntegrationsStayInTheirService: at run time a preview resolves only integrations of
// its own service and type; another service's or project's is not found, naming no secret.
func TestServiceIntegrationsStayInTheirService(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sealer, err := seal.Parse(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pgtest.NewPool(t), sealer)
	u, err := st.CreateUser(ctx, store.Actor{RequestID: "test"}, store.NewUser{Email: "o@example.com", Name: "o", PasswordHash: "!"})
	if err != nil {
		t.Fatal(err)
	}
	a := store.Actor{UserID: u.ID, RequestID: "test"}
	plan, _ := plans.Get("startup")
	pg := store.NewIntegration{Name: "pg", Type: "postgres", Config: map[string]any{"host": "127.0.0.1", "database": "d", "user": "u"},
		Secret: map[string]string{"password": "run-s3cret"}}
	var svcs []store.Service
	var ids []string
	for _, name := range []string{"p1", "p2"} {
		p, err := st.CreateProject(ctx, a, name, "")
		if err != nil {
			t.Fatal(err)
		}
		svc, err := st.CreateService(ctx, a, p.ID, "svc", plan)
		if err != nil {
			t.Fatal(err)
		}
		in, err := st.CreateIntegration(ctx, a, p.ID, svc.ID, pg)
		if err != nil {
			t.Fatal(err)
		}
		svcs, ids = append(svcs, svc), append(ids, in.ID)
	}
	own := serviceIntegrations{st: st, projectID: svcs[0].ProjectID, serviceID: svcs[0].ID}
	if p, err := own.Postgres(ctx, ids[0]); err != nil || p.Host != "127.0.0.1" || p.Password != "run-s3cret" {
		t.Fatalf("own integration = %+v, %v", p, err)
	}
	if _, err := own.Kafka(ctx, ids[0]); !errors.Is(err, endpoint.ErrNoIntegration) {
		t.Fatalf("postgres integration as kafka = %v", err)
	}
	if _, err := own.Postgres(ctx, ids[1]); !errors.Is(err, endpoint.ErrNoIntegration) || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("another project's integration = %v", err)
	}
	other := serviceIntegrations{st: st, projectID: svcs[0].ProjectID, serviceID: svcs[1].ID}
	if _, err := other.Postgres(ctx, ids[0]); !errors.Is(err, endpoint.ErrNoIntegration) {
		t.Fatalf("integration of another service = %v", err)
	}
}
