// Package nexmark generates the Nexmark benchmark's event streams: people registering, auctions
// being opened and bids being placed, in the standard 1:3:46 mix (out of every 50 events, one
// person, three auctions, forty-six bids), following the description of the benchmark's
// generator (Tucker et al., and the Beam/Flink implementations it spawned).
//
// Every event is a pure function of the configuration (including its seed) and the event's
// number: EventAt(cfg, n). A generator is therefore replayable from any offset, which is what a
// checkpointed source stores, and parallel subtasks split the sequence by number (subtask i of
// p produces events i, i+p, i+2p, ...). The SQL connector 'nexmark' exposes the three streams
// as tables whose columns are Fields(stream).
//
// Random text (item names, descriptions, e-mail parts, padding) is cut from a per-seed block of
// random letters at random offsets, so generating it costs neither a random draw per letter nor
// an allocation; Generator.NextReused also writes each event into the generator's storage.
package nexmark
