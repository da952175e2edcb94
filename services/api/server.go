package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/dataflow/connectors/egress"
	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
	"github.com/flowplane/flowplane/web"
)

// ReadyCheck reports whether one dependency is ready; a nil error means ready.
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// BuildInfo identifies the running binary.
type BuildInfo struct {
	Version    string
	Commit     string
	CommitTime string
	Modified   bool
	GoVersion  string
}

// Config wires a server's HTTP handler.
type Config struct {
	Logger   *slog.Logger
	Pool     *pgxpool.Pool
	Build    BuildInfo
	Registry *prometheus.Registry // private registry served at /metrics
	// Ready are extra readiness checks (e.g. "raft leader known"); PostgreSQL is always checked.
	Ready []ReadyCheck
	// MaxBodyBytes limits request bodies (default 1 MiB).
	MaxBodyBytes int64

	// The control plane. Without Store and Tokens only the system endpoints work.
	Store   *store.Store
	Tokens  *auth.Tokens
	Limiter *auth.Limiter // per-token rate limit; nil means none

	// Egress judges connector endpoints (integration hosts). The zero Policy refuses loopback and
	// private addresses; `flowplane dev` allows loopback.
	Egress egress.Policy
	// Preview bounds interactive queries (POST .../queries) run on this server.
	Preview PreviewLimits

	// Scheduler is the local scheduler node (admin cluster endpoints, live job vertices, the
	// "raft leader known" readiness check); nil on processes without one.
	Scheduler SchedulerView
	// Internal serves /internal/* (the worker protocol); nil answers those paths 404.
	Internal http.Handler
	// Checkpoints is the scheduler's checkpoint storage: deleting a savepoint deletes its state
	// there, and a deployment's starting savepoint is checked against it. Nil skips both.
	Checkpoints checkpoint.Storage
}

// PreviewLimits bound interactive queries.
type PreviewLimits struct {
	Timeout    time.Duration // longest run (default 10 s)
	Concurrent int           // runs at once on this server (default 4); more are answered 429
	// Wait is how long POST .../queries waits for the run before answering 202 (default 2 s;
	// negative: answer 202 at once). A run finished by then is answered 201 with its rows.
	Wait time.Duration
}

// NewHandler builds the whole public HTTP handler.
func NewHandler(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Preview.Timeout <= 0 {
		cfg.Preview.Timeout = 10 * time.Second
	}
	if cfg.Preview.Concurrent <= 0 {
		cfg.Preview.Concurrent = 4
	}
	if cfg.Scheduler != nil {
		cfg.Ready = append(cfg.Ready, ReadyCheck{Name: "raft leader known", Check: cfg.Scheduler.LeaderKnown})
	}
	if cfg.Preview.Wait == 0 {
		cfg.Preview.Wait = 2 * time.Second
	}
	s := &server{cfg: cfg, log: cfg.Logger, previews: make(chan struct{}, cfg.Preview.Concurrent)}
	metrics := newHTTPMetrics(cfg.Registry)
	g, err := newGate(s)
	if err != nil {
		panic(err) // the embedded spec is checked by tests; it cannot fail at run time
	}

	r := chi.NewRouter()
	r.Use(middleware.RequestID, s.recoverer, s.accessLog, metrics.middleware, s.limitBody, g.middleware)
	notFound := func(w http.ResponseWriter, req *http.Request) {
		s.fail(w, req, problem.New(problem.CodeNotFound, "no route for %s %s", req.Method, req.URL.Path))
	}
	r.NotFound(notFound)
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		s.fail(w, req, problem.New(problem.CodeMethodNotAllowed, "%s is not allowed on %s", req.Method, req.URL.Path))
	})

	strict := openapi.NewStrictHandlerWithOptions(s, nil, openapi.StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, req *http.Request, err error) {
			s.fail(w, req, &problem.Error{Code: problem.CodeInvalidRequest, Detail: err.Error(), Err: err})
		},
		ResponseErrorHandlerFunc: s.fail,
	})
	openapi.HandlerWithOptions(strict, openapi.ChiServerOptions{
		BaseRouter: r,
		ErrorHandlerFunc: func(w http.ResponseWriter, req *http.Request, err error) {
			s.fail(w, req, &problem.Error{Code: problem.CodeInvalidRequest, Detail: err.Error(), Err: err})
		},
	})
	r.Get("/openapi.yaml", serveSpec)
	r.Get("/docs", s.serveDocs)
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{Registry: cfg.Registry}))
	// The console owns every other path; API prefixes never fall through to it.
	r.Handle("/v1/*", http.HandlerFunc(notFound))
	if cfg.Internal != nil {
		r.Handle("/internal/*", cfg.Internal)
	} else {
		r.Handle("/internal/*", http.HandlerFunc(notFound))
	}
	r.Method(http.MethodGet, "/*", web.Handler())
	return r
}

type server struct {
	cfg      Config
	log      *slog.Logger
	previews chan struct{} // one token per running preview
}

// fail is the one exit for errors.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	problem.Write(w, r, s.log, middleware.GetReqID(r.Context()), err)
}

func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic in handler", "request_id", middleware.GetReqID(r.Context()),
					"path", r.URL.Path, "panic", v, "stack", string(stack()))
				s.fail(w, r, problem.New(problem.CodeInternal, "internal error; quote the request_id when reporting it"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		s.log.DebugContext(r.Context(), "http request", "request_id", middleware.GetReqID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "status", ww.Status(), "bytes", ww.BytesWritten(),
			"duration_ms", time.Since(start).Milliseconds())
	})
}

func (s *server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.cfg.MaxBodyBytes {
			s.fail(w, r, problem.New(problem.CodeTooLarge, "request body is %d bytes; the limit is %d", r.ContentLength, s.cfg.MaxBodyBytes))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

func serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openapi.Spec)
}
