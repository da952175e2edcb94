package api

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/flowplane/flowplane/dataflow"
	"github.com/flowplane/flowplane/dataflow/checkpoint"
	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/auth"
	"github.com/flowplane/flowplane/services/problem"
	"github.com/flowplane/flowplane/services/store"
)

// GetSavepoint returns one savepoint of a deployment.
func (s *server) GetSavepoint(ctx context.Context, req openapi.GetSavepointRequestObject) (openapi.GetSavepointResponseObject, error) {
	k, err := s.deployment(ctx, req.Project, req.Service, req.ApplicationId, req.DeploymentId, auth.RoleViewer)
	if err != nil {
		return nil, err
	}
	sp, err := s.cfg.Store.GetSavepoint(ctx, k, req.SavepointId)
	if err != nil {
		return nil, err
	}
	return openapi.GetSavepoint200JSONResponse(toSavepoint(sp)), nil
}

// DeleteSavepoint deletes a savepoint and its state in checkpoint storage (developers).
func (s *server) DeleteSavepoint(ctx context.Context, req openapi.DeleteSavepointRequestObject) (openapi.DeleteSavepointResponseObject, error) {
	k, err := s.deployment(ctx, req.Project, req.Service, req.ApplicationId, req.DeploymentId, auth.RoleDeveloper)
	if err != nil {
		return nil, err
	}
	err = s.cfg.Store.DeleteSavepoint(ctx, actor(ctx), k, req.SavepointId, func(sp store.Savepoint) error {
		if s.cfg.Checkpoints == nil || sp.CheckpointID == nil {
			return nil
		}
		// The job of a deployment is named after it (the scheduler's job id).
		err := checkpoint.DeleteSavepoint(ctx, s.cfg.Checkpoints, sp.DeploymentID, uint64(*sp.CheckpointID))
		if err != nil && !errors.Is(err, checkpoint.ErrNotFound) {
			return fmt.Errorf("delete savepoint state: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return openapi.DeleteSavepoint204Response{}, nil
}

// checkSavepointCompatible answers 422 when the deployment's graph lacks operators whose state
// the starting savepoint holds (matched by their stable operator ids): restoring would drop it.
// A savepoint that is not COMPLETED is left to the store, which answers it.
func (s *server) checkSavepointCompatible(ctx context.Context, svc store.Service, appID, spID string, g *dataflow.JobGraph) error {
	if spID == "" || s.cfg.Checkpoints == nil || g == nil {
		return nil
	}
	sp, err := s.cfg.Store.GetApplicationSavepoint(ctx, svc.ProjectID, appID, spID)
	if errors.Is(err, problem.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if sp.Status != "COMPLETED" || sp.CheckpointID == nil {
		return nil
	}
	md, err := s.cfg.Checkpoints.GetMetadata(ctx, sp.DeploymentID, uint64(*sp.CheckpointID))
	if errors.Is(err, checkpoint.ErrNotFound) {
		msg := fmt.Sprintf("the state of savepoint %s is gone from checkpoint storage", spID)
		return &problem.Error{Code: problem.CodeUnprocessable, Detail: msg, Fields: []problem.FieldError{{Field: "starting_savepoint_id", Message: msg}}}
	}
	if err != nil {
		return fmt.Errorf("read savepoint %s: %w", spID, err)
	}
	ops := map[string]bool{}
	for _, v := range g.Vertices {
		for _, op := range v.Operators {
			ops[string(op.ID)] = true
		}
	}
	var missing []string
	for _, ts := range md.Tasks {
		if !ops[ts.Operator] && !slices.Contains(missing, ts.Operator) {
			missing = append(missing, ts.Operator)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	msg := fmt.Sprintf("savepoint %s holds state of operators this version does not have: %s", spID, strings.Join(missing, ", "))
	return &problem.Error{Code: problem.CodeUnprocessable, Detail: msg, Fields: []problem.FieldError{{Field: "starting_savepoint_id", Message: msg}}}
}
