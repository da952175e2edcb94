package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/flowplane/flowplane/dataflow/sql"
	"github.com/flowplane/flowplane/dataflow/sql/preview"
	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

// queryGrace is how long past its time limit a RUNNING query may stay unfinished before it is
// reported FAILED (the server running it stopped).
const queryGrace = 30 * time.Second

// CreateQuery compiles a SELECT against the application's tables and runs it on this server in
// the background, bounded by max_rows and the preview time limit (developers). It waits up to
// Preview.Wait for the run: 201 with the rows when it finished, else 202.
func (s *server) CreateQuery(ctx context.Context, req openapi.CreateQueryRequestObject) (openapi.CreateQueryResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleDeveloper)
	if err != nil {
		return nil, err
	}
	b := req.Body
	parts, err := s.previewScope(ctx, svc, req.ApplicationId, tables(deref(b.Sources)))
	if err != nil {
		return nil, err
	}
	parts = append(parts, sql.Part{Name: "statement", SQL: b.Statement})
	pv, err := s.compilePreview(ctx, svc, parts)
	if err != nil {
		return nil, err
	}
	select {
	case s.previews <- struct{}{}:
	default:
		return nil, &problem.Error{Code: problem.CodeRateLimited, RetryAfter: time.Second,
			Detail: fmt.Sprintf("this server already runs %d previews; try again shortly", cap(s.previews))}
	}
	cols, err := json.Marshal(pv.Columns)
	if err != nil {
		<-s.previews
		return nil, err
	}
	maxRows, ttl := 100, time.Hour
	if b.MaxRows != nil {
		maxRows = *b.MaxRows
	}
	if b.Ttl != nil {
		ttl = time.Duration(*b.Ttl) * time.Second
	}
	q, err := s.cfg.Store.CreateQuery(ctx, actor(ctx), svc.ProjectID, svc.ID, req.ApplicationId, store.NewQuery{Statement: b.Statement,
		MaxRows: maxRows, Columns: cols, Changelog: pv.Updating, RunDeadline: s.cfg.Preview.Timeout + queryGrace, TTL: ttl})
	if err != nil {
		<-s.previews
		return nil, err
	}
	done := make(chan struct{})
	go s.runQuery(q.ID, svc.ProjectID, pv, maxRows, s.previewConnect(svc), done)
	if s.cfg.Preview.Wait > 0 {
		wait := time.NewTimer(s.cfg.Preview.Wait)
		defer wait.Stop()
		select {
		case <-done:
			if fin, err := s.cfg.Store.GetQuery(ctx, svc.ProjectID, svc.ID, req.ApplicationId, q.ID); err == nil && fin.Status != "RUNNING" {
				return openapi.CreateQuery201JSONResponse(toQuery(fin)), nil
			}
		case <-wait.C:
		case <-ctx.Done():
		}
	}
	return openapi.CreateQuery202JSONResponse(toQuery(q)), nil
}

// previewScope returns the CREATE TABLE (and CREATE VIEW) texts a preview sees: the request's
// sources when given, else the latest version's tables and statement (its INSERTs are ignored).
func (s *server) previewScope(ctx context.Context, svc store.Service, appID string, sources []sql.Part) ([]sql.Part, error) {
	if len(sources) > 0 { // the latest version is not needed, only the application's existence
		if _, err := s.cfg.Store.GetApplication(ctx, svc.ProjectID, svc.ID, appID); err != nil {
			return nil, err
		}
		return sqlParts("", sources, nil)[:len(sources)], nil
	}
	v, ok, err := s.cfg.Store.LatestVersion(ctx, svc.ProjectID, svc.ID, appID)
	if err != nil || !ok {
		return nil, err
	}
	var parts []sql.Part
	for _, p := range sqlParts(v.Statement, storedTables(v.Sources), storedTables(v.Sinks)) {
		p.Name = fmt.Sprintf("version %d %s", v.Number, p.Name)
		parts = append(parts, p)
	}
	return parts, nil
}

// compilePreview compiles a preview's parts and, as for a version, checks every integration the
// tables reference against the service (another service's or project's is not found, at the
// option) and every endpoint against the egress policy; integrations named by name are replaced
// by their ids in the graph.
func (s *server) compilePreview(ctx context.Context, svc store.Service, parts []sql.Part) (*sql.Preview, error) {
	pv, diags := sql.CompilePreview(parts, sql.CompileOptions{Parallelism: 1})
	ids, more, err := s.checkRefs(ctx, svc, parts)
	if err != nil {
		return nil, err
	}
	if len(diags)+len(more) > 0 {
		return nil, invalidSQL(sortDiagnostics(append(diags, more...), parts))
	}
	if err := useIntegrationIDs(pv.Graph, ids); err != nil {
		return nil, err
	}
	return pv, nil
}

// runQuery runs a preview to its limits, stores the outcome and closes done; it owns one
// s.previews token, which it gives back before storing, so a finished query's slot is free once
// it is visible.
func (s *server) runQuery(id, projectID string, pv *sql.Preview, maxRows int, conn preview.Connect, done chan<- struct{}) {
	defer close(done)
	log := s.log.With("project", projectID, "query", id)
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Preview.Timeout+queryGrace/2)
	defer cancel()
	res, err := preview.Run(ctx, pv, preview.Limits{MaxRows: maxRows, Timeout: s.cfg.Preview.Timeout}, conn, log)
	<-s.previews
	out := store.QueryResult{Status: "COMPLETED", Ended: res.Ended, TimedOut: res.TimedOut}
	if err != nil {
		out.Status, out.Error = "FAILED", err.Error()
		if !errors.Is(err, preview.ErrFailed) {
			out.Error = "the preview could not run; quote the query id when reporting it"
			log.Error("preview run", "err", err)
		}
	} else {
		rows := make([]openapi.QueryRow, len(res.Rows))
		for i, r := range res.Rows {
			vals := make([]*any, len(r.Values))
			for j := range r.Values {
				vals[j] = &r.Values[j]
			}
			rows[i] = openapi.QueryRow{Kind: openapi.QueryRowKind(r.Kind), Values: vals}
		}
		if out.Rows, err = json.Marshal(rows); err != nil {
			out.Status, out.Error, out.Rows = "FAILED", "the rows could not be encoded", nil
		}
	}
	if err := s.cfg.Store.FinishQuery(ctx, id, out); err != nil {
		log.Warn("store preview result", "err", err)
	}
}

// GetQuery returns a preview's status and rows (viewers).
func (s *server) GetQuery(ctx context.Context, req openapi.GetQueryRequestObject) (openapi.GetQueryResponseObject, error) {
	svc, err := s.service(ctx, req.Project, req.Service, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	q, err := s.cfg.Store.GetQuery(ctx, svc.ProjectID, svc.ID, req.ApplicationId, req.QueryId)
	if err != nil {
		return nil, err
	}
	return openapi.GetQuery200JSONResponse(toQuery(q)), nil
}

func toQuery(q store.Query) openapi.Query {
	out := openapi.Query{Id: q.ID, ApplicationId: q.ApplicationID, Statement: q.Statement, Status: openapi.QueryStatus(q.Status),
		MaxRows: q.MaxRows, Columns: []openapi.QueryColumn{}, Rows: []openapi.QueryRow{}, Changelog: q.Changelog, Ended: q.Ended,
		TimedOut: q.TimedOut, Error: ptr(q.Error), FinishedAt: q.FinishedAt, ExpiresAt: q.ExpiresAt,
		CreatedAt: q.CreatedAt, CreatedBy: q.CreatedBy, UpdatedAt: q.UpdatedAt}
	_ = json.Unmarshal(q.Columns, &out.Columns) // written by this package; never malformed
	_ = json.Unmarshal(q.Rows, &out.Rows)
	return out
}
