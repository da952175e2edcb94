// Package batch owns Flowplane's record batches: the mapping from SQL logical types to Apache
// Arrow types, the compact wire and snapshot encoding of batches (the Arrow IPC stream format),
// and the columnar kernels the runtime needs to route rows (key hashing, take by index).
//
// A batch is an arrow.RecordBatch. Ownership follows Arrow's reference counting: whoever creates
// or retains a batch releases it. Functions here never keep a batch they are given.
package batch
