// Package state owns keyed operator state: its division into key groups, the state primitives
// operators keep per key (value, map and list state), consistent snapshots of them and their
// compact binary encoding, and restore of any set of key groups.
//
// # Key groups
//
// A key's key group is hash(key) % maxParallelism, where hash is the same stable row hash the
// runtime routes hash edges by (batch.HashRows), and maxParallelism (DefaultMaxParallelism, 128)
// is fixed for the life of a job's state. Subtask i of parallelism p owns the contiguous range
// RangeFor(maxParallelism, p, i); the owner of group g is g*p/maxParallelism (Flink's
// assignment). Because state is stored and snapshotted per key group, a job restored at another
// parallelism hands each new subtask exactly the groups of its new range (Backend.Restore ignores
// groups outside its range), which is what makes rescaling possible.
//
// # Snapshots
//
// Backend.Snapshot runs on the subtask's goroutine (at barrier alignment) and only freezes the
// maps, O(1) per key group and state: from then on writes go to a small overlay per map while the
// returned Snapshot, holding the frozen maps, is encoded on another goroutine. When the snapshot
// is released, the next write to a map (or Backend.Fold) folds its overlay back, so a checkpoint
// costs the pipeline O(keys written while it was encoded), never a copy of the state. Values stored in
// state must be treated as immutable by operators (replace, never modify in place, a slice or
// map obtained from Get); map and list state take care of their own containers.
//
// # Encoding
//
// A snapshot is a sequence of key-group frames (EncodeKeyGroup / DecodeKeyGroup), each carrying
// a format version, its key group, every state's name, kind and entries, and a CRC-32C. Decoding
// treats its input as untrusted: corrupt bytes yield an error wrapping ErrCorruptSnapshot, never
// a panic or allocations beyond a small multiple of the input size.
package state
