// Package migrations holds Flowplane's PostgreSQL schema as numbered plain-SQL files (NNN_name.sql),
// embedded in the binary and applied at start by Apply.
//
// Apply uses tern, which takes a PostgreSQL advisory lock around the run, so three servers starting
// together apply each migration exactly once. Files are append-only: a released migration is never
// edited; a change is a new file.
package migrations
