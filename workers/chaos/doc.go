// Package chaos holds the data plane's exactly-once chaos suite (chaos_test.go): a job of a
// per-key sequence source, a keyed stateful operator and the exactly-once PostgreSQL sink runs
// on two exchange nodes talking real TCP, with a checkpoint coordinator, real file checkpoint
// storage (one worker reaching it through the server's HTTP handler) and real PostgreSQL,
// while its tasks are killed at random points, completion notices are dropped, and every
// attempt is restored from the latest completed checkpoint at a random parallelism of the
// keyed vertex. After the run, chaoscheck proves that every key's sequence in the sink (and
// the count kept in keyed state) has no gap and no duplicate, checkpoint ids increased, and
// storage holds nothing of discarded checkpoints.
//
// Run longer with `make test-chaos` (or `go test ./workers/chaos -args -chaos.rounds=N`).
package chaos
