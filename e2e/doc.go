// Package e2e holds end-to-end tests of the whole runtime: real scheduler nodes (Raft over
// loopback TCP, the internal HTTP API), real worker agents (long-poll, heartbeats, self-fencing)
// and the real TCP data exchange between them, with TCP proxies to cut links. It has no
// production code: scheduler and workers never import each other, so tests that need both live
// here.
package e2e
