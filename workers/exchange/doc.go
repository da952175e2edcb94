// Package exchange is the worker's data plane: it moves record batches between subtasks, in
// memory within the worker and over TCP between workers.
//
// Each worker runs one Node listening on its data address. Between two workers there is one
// multiplexed TCP connection (whichever side needs it first dials; when both dial at once the
// connection dialed by the smaller address wins). Frames on it carry (job, attempt, edge,
// channel) and a type: open, credit, data, watermark, barrier, end of stream, refuse (see
// frame.go). Flow control is credit-based per channel: the consumer grants buffers and returns
// one after processing each batch, so a slow channel stalls only its own producer and the
// connection never carries more than the granted batches.
//
// Fencing: a producer opens each channel with the attempt's token (AttemptToken, an HMAC of job
// and attempt issued by the scheduler); the consumer refuses channels whose token differs from
// its own task's token or whose attempt is older than the newest attempt of that job on this
// node. A broken connection fails every channel on it (runtime.ErrPeerLost), so the tasks fail
// and the scheduler can fail the job over.
//
// Node implements runtime.Exchange; pass it in runtime.Deps.
package exchange
