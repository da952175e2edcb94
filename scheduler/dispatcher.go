package scheduler

import "context"

// runDispatcher converges Postgres' desired deployments (leader only).
func (s *Server) runDispatcher(ctx context.Context) { <-ctx.Done() }
