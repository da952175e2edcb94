// Package checkpoint owns checkpoint storage: where the state blobs of a checkpoint's tasks and
// the checkpoint's metadata are kept, how they are read back for recovery and rescaling, and
// which of them may be deleted.
//
// Storage is one interface with two implementations: a directory (file:///path, for a single
// host and dev; writes are atomic by temp file, fsync, rename and fsync of the directory) and
// PostgreSQL (blobs as bytea chunks in the Flowplane database, for several hosts without a
// shared disk). Both pass the same conformance suite.
//
// A checkpoint is written in two steps: every task puts its state blob (PutState returns a
// Handle, which the task reports in its ack), then the coordinator writes the Metadata naming
// every handle (PutMetadata, durable on return). A checkpoint without metadata, or with
// metadata that is not completed, is never a recovery point, and nothing it wrote is deleted
// by retention (Retain): only completed checkpoints beyond the newest N lose their blobs, and
// only blobs no retained checkpoint, savepoint or unfinished checkpoint names. Savepoints are
// kept until deleted explicitly (Discard).
package checkpoint
