// Package store is the control plane's PostgreSQL access: hand-written SQL over pgx, one file per
// noun. Tenancy lives here: every function on tenant data takes the caller's project id and filters
// by it, so an object of another project is simply not found. Every mutation writes its audit row in
// the same transaction. Errors are *problem.Error values (not_found, conflict, ...) or wrapped
// internal errors.
package store
