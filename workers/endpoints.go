package workers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/flowplane/flowplane/dataflow/assign"
	"github.com/flowplane/flowplane/dataflow/connectors/endpoint"
	"github.com/flowplane/flowplane/dataflow/operator"
	"github.com/flowplane/flowplane/dataflow/sql/exec"
)

// dialTimeout bounds one TCP connection a connector opens.
const dialTimeout = 10 * time.Second

// NewRegistryWith returns an operator registry with the built-in operators (collect writing into
// coll, left out when coll is nil) and the SQL operators configured by opts.
func NewRegistryWith(coll *operator.Collection, opts exec.Options) (*operator.Registry, error) {
	reg := operator.NewRegistry()
	if err := operator.RegisterBuiltins(reg, coll); err != nil {
		return nil, err
	}
	if err := exec.Register(reg, opts); err != nil {
		return nil, err
	}
	return reg, nil
}

// agentRegistry is the registry of an agent without Config.Registry: print sinks write to
// Config.Print, connectors dial through Config.Egress, resolve integrations through res and keep
// files under Config.FileRoot.
func agentRegistry(cfg Config, res endpoint.Resolver) (*operator.Registry, error) {
	print := cfg.Print
	if print == nil {
		print = os.Stdout
	}
	return NewRegistryWith(nil, exec.Options{
		Print: print, Endpoints: res, FileRoot: cfg.FileRoot,
		Dial: cfg.Egress.Dialer(&net.Dialer{Timeout: dialTimeout}).DialContext,
	})
}

// taskKey carries the identity of the task an operator runs in, on the task's context.
type taskKey struct{}

type taskIdent struct {
	job     string
	attempt uint64
}

// withTask returns ctx carrying the task's job and attempt: the integration resolver names them
// when it asks a server for an integration.
func withTask(ctx context.Context, t assign.Task) context.Context {
	return context.WithValue(ctx, taskKey{}, taskIdent{job: t.JobID, attempt: t.Attempt})
}

// ErrNoTaskContext: a connector resolved an integration outside a task of this agent.
var ErrNoTaskContext = errors.New("integration resolved outside a task")

// serverResolver is the agent's endpoint.Resolver: it asks the servers for an integration over
// the authenticated worker channel (assign.PathIntegration), naming the job of the task whose
// context it is given. Settings are fetched for each connection and never logged.
type serverResolver struct {
	agent atomic.Pointer[Agent]
}

// Postgres resolves a postgres integration.
func (r *serverResolver) Postgres(ctx context.Context, id string) (endpoint.Postgres, error) {
	in, err := r.fetch(ctx, id, "postgres")
	if err != nil {
		return endpoint.Postgres{}, err
	}
	return endpoint.PostgresFromSettings(in.Config, in.Secret)
}

// Kafka resolves a kafka integration.
func (r *serverResolver) Kafka(ctx context.Context, id string) (endpoint.Kafka, error) {
	in, err := r.fetch(ctx, id, "kafka")
	if err != nil {
		return endpoint.Kafka{}, err
	}
	return endpoint.KafkaFromSettings(in.Config, in.Secret)
}

// fetch asks the current server, retrying transient failures (no leader, a server down) with
// backoff until ctx ends; a 404 (not this worker's job, no such integration) is final.
func (r *serverResolver) fetch(ctx context.Context, id, typ string) (assign.Integration, error) {
	a := r.agent.Load()
	t, ok := ctx.Value(taskKey{}).(taskIdent)
	if a == nil || !ok {
		return assign.Integration{}, fmt.Errorf("%w: %s integration %q", ErrNoTaskContext, typ, id)
	}
	q := url.Values{"job": {t.job}, "attempt": {strconv.FormatUint(t.attempt, 10)}}
	bo := newBackoff(a.cfg.BackoffMin, min(a.cfg.BackoffMax, 2*time.Second))
	for {
		s := a.session()
		var in assign.Integration
		err := fmt.Errorf("%w: worker not registered", ErrServer)
		if s.id != "" {
			err = a.client.call(ctx, http.MethodGet, assign.PathIntegration(url.PathEscape(s.id), url.PathEscape(id))+"?"+q.Encode(), s.token, nil, &in)
		}
		var pe *ProblemError
		switch {
		case err == nil && in.Type != typ:
			return assign.Integration{}, fmt.Errorf("%w: integration %q is a %s integration, not %s", endpoint.ErrNoIntegration, id, in.Type, typ)
		case err == nil:
			return in, nil
		case errors.As(err, &pe) && pe.Status == http.StatusNotFound:
			return assign.Integration{}, fmt.Errorf("%w: %s integration %q: %s", endpoint.ErrNoIntegration, typ, id, pe.Detail)
		case errors.As(err, &pe) && pe.Status < 500 && pe.Status != http.StatusTooManyRequests && pe.Status != http.StatusUnauthorized:
			return assign.Integration{}, fmt.Errorf("%s integration %q: %w", typ, id, err)
		}
		if !bo.wait(ctx) {
			return assign.Integration{}, fmt.Errorf("%s integration %q: %w", typ, id, errors.Join(err, ctx.Err()))
		}
	}
}
