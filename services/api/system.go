package api

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/problem"
)

// GetHealthz answers as long as the process serves HTTP.
func (s *server) GetHealthz(context.Context, openapi.GetHealthzRequestObject) (openapi.GetHealthzResponseObject, error) {
	return openapi.GetHealthz200JSONResponse{Status: "ok"}, nil
}

// GetReadyz checks PostgreSQL and every configured check, each with a short timeout.
func (s *server) GetReadyz(ctx context.Context, _ openapi.GetReadyzRequestObject) (openapi.GetReadyzResponseObject, error) {
	checks := append([]ReadyCheck{{Name: "postgres", Check: s.pingDatabase}}, s.cfg.Ready...)
	results := make(map[string]string, len(checks))
	var failed []problem.FieldError
	for _, c := range checks {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := c.Check(cctx)
		cancel()
		if err != nil {
			results[c.Name] = err.Error()
			failed = append(failed, problem.FieldError{Field: c.Name, Message: err.Error()})
			continue
		}
		results[c.Name] = "ok"
	}
	if len(failed) > 0 {
		body := problemBody(ctx, problem.CodeUnavailable, "not ready: "+failed[0].Field+" failed", "/readyz")
		body.Errors = toAPIFieldErrors(failed)
		return openapi.GetReadyz503ApplicationProblemPlusJSONResponse{ProblemApplicationProblemPlusJSONResponse: openapi.ProblemApplicationProblemPlusJSONResponse(body)}, nil
	}
	return openapi.GetReadyz200JSONResponse{Status: "ok", Checks: &results}, nil
}

func (s *server) pingDatabase(ctx context.Context) error {
	if s.cfg.Pool == nil {
		return problem.New(problem.CodeUnavailable, "no database configured")
	}
	return s.cfg.Pool.Ping(ctx)
}

// GetVersion reports the build.
func (s *server) GetVersion(context.Context, openapi.GetVersionRequestObject) (openapi.GetVersionResponseObject, error) {
	b := s.cfg.Build
	v := openapi.GetVersion200JSONResponse{Version: b.Version, Commit: b.Commit, GoVersion: b.GoVersion}
	if b.CommitTime != "" {
		v.CommitTime = &b.CommitTime
	}
	v.Modified = &b.Modified
	return v, nil
}

// ReadBuildInfo fills BuildInfo from the binary's embedded VCS stamps; version comes from the caller
// (set at link time) and falls back to the module version.
func ReadBuildInfo(version string) BuildInfo {
	b := BuildInfo{Version: version, Commit: "unknown"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.GoVersion = info.GoVersion
	if b.Version == "" {
		b.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.CommitTime = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}
