// Package assign holds the messages of the worker protocol (DESIGN §5) that the scheduler tier and
// the worker agents exchange over HTTP/JSON on the servers' internal listener:
//
//	POST /internal/v1/workers                  Register        -> Registered
//	GET  /internal/v1/workers/{id}/assignments Set (blocking query on ?index=N&wait=30s)
//	POST /internal/v1/workers/{id}/heartbeat   Heartbeat       -> HeartbeatReply
//
// It lives in dataflow because both scheduler/ and workers/ import it and neither may import the
// other (DESIGN §2). It holds types and their checks only, no transport.
package assign
